/**
 * Mutation tests: the heap, message, stack and dictionary lines of the generated fixture with
 * bytes flipped, lines cut, swapped, duplicated and pointed at themselves. Decoding must never
 * throw and never loop (each decode is bounded by the node budget and the depth limit).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess, mailboxShapes, printTerm, processIdentity } from '../src/dump/terms/index.js';
import { body, rng } from './helpers/mutate.js';

const FIXTURE = 'fixtures/terms/terms.dump';
const original = readFileSync(FIXTURE);
const dir = mkdtempSync(join(tmpdir(), 'beamscope-mut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = original.toString('latin1');
/** A 90-byte (0x5A) binary of the fixture, from its `=binary:ADDR` section. */
const BIN = /\n=binary:([0-9A-F]+)\n5A:/.exec(text)![1];
const pidOf = () => /=proc:(<[^>]+>)\n(?:[^=][^\n]*\n)*?Name: (\S+)/g;
function pidNamed(name: string): string {
  for (const m of text.matchAll(pidOf())) if (m[2] === name) return m[1];
  throw new Error(name);
}
const targets = ['term_holder', 'stack_holder', 'dict_holder', 'gen_holder'].map(pidNamed);

type Mutator = (lines: string[], r: () => number) => string[];
const BYTES = ':|,HNIAtlFBEYhcsMfnP<>.-0123456789ABCDEF\u00ff\u0000 ';
const mutators: Record<string, Mutator> = {
  flip: (ls, r) => {
    const i = Math.floor(r() * ls.length);
    const l = ls[i];
    if (!l) return ls;
    const p = Math.floor(r() * l.length);
    const c = BYTES[Math.floor(r() * BYTES.length)];
    ls[i] = l.slice(0, p) + c + l.slice(p + 1);
    return ls;
  },
  cut: (ls, r) => {
    const i = Math.floor(r() * ls.length);
    ls[i] = ls[i].slice(0, Math.floor(r() * ls[i].length));
    return ls;
  },
  swap: (ls, r) => {
    const i = Math.floor(r() * ls.length);
    const j = Math.floor(r() * ls.length);
    // Swap the objects but keep the addresses: pointers now reach the wrong kind of object.
    const a = ls[i].indexOf(':');
    const b = ls[j].indexOf(':');
    if (a < 0 || b < 0) return ls;
    const oi = ls[i].slice(a);
    ls[i] = ls[i].slice(0, a) + ls[j].slice(b);
    ls[j] = ls[j].slice(0, b) + oi;
    return ls;
  },
  drop: (ls, r) => {
    ls.splice(Math.floor(r() * ls.length), 1);
    return ls;
  },
  selfPointer: (ls, r) => {
    // Make an object point at itself (a cycle) or at its parent.
    const i = Math.floor(r() * ls.length);
    const a = ls[i].indexOf(':');
    if (a < 0) return ls;
    const addr = ls[i].slice(0, a);
    ls[i] = ls[i].replace(/H[0-9A-F]+/, `H${addr}`);
    return ls;
  },
  truncateSection: (ls, r) => ls.slice(0, Math.floor(r() * ls.length)),
};

function mutate(seed: number): { path: string; what: string } {
  const r = rng(seed);
  const pid = targets[Math.floor(r() * targets.length)];
  const kinds = ['proc_heap', 'proc_heap', 'proc_heap', 'proc_messages', 'proc_stack', 'proc_dictionary', 'literals'];
  const kind = kinds[Math.floor(r() * kinds.length)];
  const header = kind === 'literals' ? '=literals' : `=${kind}:${pid}`;
  let start: number;
  let end: number;
  try {
    [start, end] = body(text, header);
  } catch {
    [start, end] = body(text, `=proc_heap:${pid}`);
  }
  let lines = text.slice(start, end - 1).split('\n');
  const names = Object.keys(mutators);
  const applied: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n && lines.length > 0; k++) {
    const m = names[Math.floor(r() * names.length)];
    applied.push(m);
    lines = mutators[m](lines, r);
  }
  // A body line must not start with '=' (it would be a tag).
  const out = lines.map((l) => (l.startsWith('=') ? ` ${l}` : l)).join('\n');
  const path = join(dir, `m${seed}.dump`);
  writeFileSync(path, Buffer.from(text.slice(0, start) + out + (out ? '\n' : '') + text.slice(end), 'latin1'));
  return { path, what: `${pid} ${kind} ${applied.join('+')}` };
}

describe('mutated heap lines never throw, never loop', () => {
  const N = 120;
  it(`${N} random mutants`, async () => {
    for (let seed = 1; seed <= N; seed++) {
      const { path, what } = mutate(seed);
      const dump = await readDump(path);
      for (const pid of targets) {
        const t0 = Date.now();
        try {
          const d = decodeProcess(dump, pid, { binaryBytes: 64 });
          for (const s of d.messages.samples) printTerm(s.term);
          mailboxShapes(dump, pid);
          processIdentity(dump, pid);
        } catch (e) {
          throw new Error(`seed ${seed} (${what}) ${pid}: ${(e as Error).stack}`, { cause: e });
        }
        expect(Date.now() - t0, `seed ${seed} (${what})`).toBeLessThan(5000);
      }
      rmSync(path);
    }
  }, 600_000);

  it('adversarial shapes: cycles, exponential sharing, absurd sizes', async () => {
    const pid = targets[0];
    const [start] = body(text, `=proc_heap:${pid}`);
    const [ms, me] = body(text, `=proc_messages:${pid}`);
    // New heap objects at addresses not otherwise used, and messages pointing at them.
    const extra: string[] = [
      'AAAA0000:lI1|HAAAA0000', // a cons cell whose tail is itself
      'AAAA0010:t2:I1,HAAAA0010', // a tuple containing itself
      'AAAA0020:tFFFFFFFF:I1', // an absurd arity
      'AAAA0030:AFFFFFFFF:x', // not an object tag
      'AAAA0040:MhFFFF:2:HAAAA0040,HAAAA0050', // a HAMT node containing itself
      'AAAA0050:MnFFFFFFF:HAAAA0040',
      'AAAA0060:YcDEADBEEF:0:FFFFFFFFFF', // refc binary without a =binary section
      'AAAA0070:YsAAAA0070:0:10', // sub binary of itself
      'AAAA0080:E10:////', // garbage external term
      'AAAA0090:Yh100:AAAA', // heap binary shorter than its size
      'AAAA00A0:F5:abc', // a float that is not a number
      'AAAA00B0:B12x', // a bignum that is not a number
      'AAAA00C0:Mf3:HAAAA0000:I1,I2,I3', // flatmap whose keys are a cycle
      // An OTP 28-style refc line whose offset is an absolute data pointer (Binary address + 0x20).
      `AAAA00D0:Yc${BIN}:${(parseInt(BIN, 16) + 0x20).toString(16).toUpperCase()}:5A`,
    ];
    // 64 levels of {X, X}: 2^64 leaves when expanded naively.
    for (let i = 0; i < 64; i++) extra.push(`BBBB${(i * 16).toString(16).toUpperCase().padStart(4, '0')}:t2:HBBBB${((i + 1) * 16).toString(16).toUpperCase().padStart(4, '0')},HBBBB${((i + 1) * 16).toString(16).toUpperCase().padStart(4, '0')}`);
    extra.push(`BBBB${(64 * 16).toString(16).toUpperCase()}:t1:A4:leaf`);
    const msgs = [...extra.filter((l) => l.startsWith('AAAA')).map((l) => `H${l.slice(0, 8)}:N`), 'HBBBB0000:N', 'Dzz', 'D0:E0:', 'HAAAA0000:HAAAA0010'];
    const mutated = text.slice(0, ms) + msgs.join('\n') + '\n' + text.slice(me, start) + extra.join('\n') + '\n' + text.slice(start);
    const path = join(dir, 'adversarial.dump');
    writeFileSync(path, Buffer.from(mutated, 'latin1'));
    const dump = await readDump(path);
    const t0 = Date.now();
    const d = decodeProcess(dump, pid, { maxSamples: 100, binaryBytes: 64 });
    const texts = d.messages.samples.map((s) => s.text);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(texts.length).toBe(msgs.length);
    expect(d.warnings.join('\n')).toMatch(/cycle/);
    expect(d.warnings.join('\n')).toMatch(/absolute Yc offset/);
    const absIndex = extra.filter((l) => l.startsWith('AAAA')).findIndex((l) => l.startsWith('AAAA00D0'));
    expect(texts[absIndex]).toBe("'#UnknownHeapObject'");
    // The exponential term prints cut, not expanded.
    expect(texts[extra.filter((l) => l.startsWith('AAAA')).length].length).toBeLessThanOrEqual(200);
    const m = mailboxShapes(dump, pid);
    expect(m.messages).toBe(msgs.length);
  }, 60_000);
});
