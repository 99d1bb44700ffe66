/**
 * The fast path of mailbox shapes (src/dump/terms/fast-shape.ts) must give exactly what decoding
 * every message gives: shapes, counts, size ranges, estimates, examples, samples and warnings.
 * Compared both ways on every fixture and corpus dump, on a mailbox of many structures planted
 * in the terms fixture (strings, improper lists, deep and wide tuples, floats, remote pids, refc
 * and sub binaries, literals, maps, cycles, bad payloads, trace tokens), and on mutants of it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess, mailboxShapes } from '../src/dump/terms/index.js';
import { fastShapeStats } from '../src/dump/terms/fast-shape.js';
import { MAX_HELD_LISTED } from '../src/dump/terms/process.js';
import { corpusDumps, fixtureDumps } from './helpers/dumps.js';
import { body, rng } from './helpers/mutate.js';

const FIXTURE = 'fixtures/terms/terms.dump';
const text = readFileSync(FIXTURE).toString('latin1');
const dir = mkdtempSync(join(tmpdir(), 'beamscope-fast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Dump = Awaited<ReturnType<typeof readDump>>;

function bothWays(dump: Dump, pid: string, what: string): void {
  const opts = { binaryBytes: 64, maxSamples: 3 };
  const slow = decodeProcess(dump, pid, { ...opts, fastShapes: false });
  const fast = decodeProcess(dump, pid, opts);
  const view = (d: typeof slow) => JSON.stringify({
    m: { ...d.messages, samples: d.messages.samples.map((s) => s.text) }, w: d.warnings,
  }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  expect(view(fast), what).toBe(view(slow));
  // Binaries held, noted while streaming the heap: as a plain scan of its Yc/Ys lines finds them.
  const bins = new Set(dump.binaries.address);
  const want = new Map<string, number>();
  const heap = dump.index.get('proc_heap', pid);
  if (heap) {
    const lines = readFileSync(dump.source.path).subarray(heap.offset, heap.offset + heap.length).toString('latin1').split('\n');
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const colon = line.indexOf(':');
      const m = colon < 0 ? null : /^Y([cs])([^:]*):/.exec(line.slice(colon + 1));
      if (!m || !/^[0-9A-Fa-f]+$/.test(m[2])) continue;
      const a = Number.parseInt(m[2], 16);
      if (m[1] === 's' && !bins.has(a)) continue;
      const k = a.toString(16).toUpperCase();
      want.set(k, (want.get(k) ?? 0) + 1);
    }
  }
  // Every binary is counted; the largest MAX_HELD_LISTED are listed, each with its references.
  expect(fast.binaries.count, what).toBe(want.size);
  expect(fast.binaries.held.length, what).toBe(Math.min(want.size, MAX_HELD_LISTED));
  for (const h of fast.binaries.held) expect(h.references, `${what} ${h.address}`).toBe(want.get(h.address));
  const ms = mailboxShapes(dump, pid, { fastShapes: false });
  const mf = mailboxShapes(dump, pid);
  expect(JSON.stringify(mf), what).toBe(JSON.stringify(ms));
}

const PID = '<0.85.0>';
const BIN = /\n=binary:([0-9A-F]+)\n5A:/.exec(text)![1];
const LITERAL = /\n=literals\n(?:[^=][^\n]*\n)*?([0-9A-F]+):t3:I/.exec(text)![1];

const TAGS = ['log', 'Hello', 'a b', 'req', '$gen_call'];
/** Messages of the planted maps counted by the fast path: 2,875 (2,410 when HAMT maps were left to the decoder). */
const COUNTED_MAPS = 2700;
/** The same for the planted external terms: 1,335 (none when E lines were left to the decoder). */
const COUNTED_REFS = 1100;

/** Heap lines of a planted mailbox, written as terms are made: each maker returns its element. */
function heapWriter(r: () => number) {
  const int = (n: number) => Math.floor(r() * n);
  const heap: string[] = [];
  let next = 0xcc000000;
  const hx = (n: number) => n.toString(16).toUpperCase();
  const fresh = () => {
    next += 0x10;
    return hx(next);
  };
  const obj = (b: string) => {
    const a = fresh();
    heap.push(`${a}:${b}`);
    return `H${a}`;
  };
  const atom = (s: string) => `A${hx(Buffer.byteLength(s))}:${s}`;
  const tuple = (...els: string[]) => obj(`t${hx(els.length)}:${els.join(',')}`);
  const list = (els: string[], tail = 'N') => {
    let t = tail;
    for (let i = els.length - 1; i >= 0; i--) t = obj(`l${els[i]}|${t}`);
    return t;
  };
  const hbin = (n: number) => obj(`Yh${hx(n)}:${Buffer.alloc(n, int(256)).toString('base64')}`);
  const I = (v: number | string) => `I${v}`;
  return { heap, int, hx, fresh, obj, atom, tuple, list, hbin, I };
}

/** Terms in the external format (`E` lines): references, walked, and what is left to the decoder. */
function externalTemplates(w: ReturnType<typeof heapWriter>): Array<() => string> {
  const { int, hx, obj, atom, tuple, list, I } = w;
  const eline = (bytes: number[], len = bytes.length) => obj(`E${hx(len)}:${Buffer.from(bytes).toString('base64')}`);
  const node = [119, 13, ...Buffer.from('nonode@nohost')];
  const u32 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const newer = (n: number) => [131, 90, 0, n, ...node, ...u32(7), ...Array.from({ length: n }, () => u32(int(2 ** 31))).flat()];
  return [
    // A GenServer call as OTP 25 queues it: {'$gen_call', {Pid, [alias | Ref]}, Request}.
    () => tuple(atom('$gen_call'), tuple(`P<0.${int(99)}.0>`, list([atom('alias')], eline(newer(3)))), tuple(atom('get'), I(int(9)))),
    () => tuple(atom('ref'), eline(newer(1 + int(5))), eline([131, 101, ...node, ...u32(int(99)), 1]), eline([131, 114, 0, 2, ...node, 1, ...u32(3), ...u32(4)])),
    () => tuple(atom('badref'), eline(newer(6))),
    () => tuple(atom('cutref'), eline(newer(3), 60)),
    () => tuple(atom('shortref'), eline(newer(3).slice(0, 20))),
    () => tuple(atom('pid'), eline([131, 88, ...node, ...u32(5), ...u32(0), ...u32(1)])),
    () => tuple(atom('junk'), obj('E3:*'), obj('Ex:AAAA')),
  ];
}

/** Flatmaps: Elixir structs (keys tuples shared by many maps, as a struct's literal keys are), and the keys and sizes the walk leaves to the decoder. */
function mapTemplates(w: ReturnType<typeof heapWriter>): Array<() => string> {
  const { int, hx, obj, atom, tuple, list, hbin, I } = w;
  const structKeys = tuple(atom('__struct__'), atom('id'), atom('kind'), atom('payload'));
  const nineKeys = tuple(...Array.from({ length: 9 }, (_, i) => atom(`k${i}`)));
  const structNames = ['Elixir.Shop.Order', 'Elixir.Shop.Cart', 'Elixir.Ünï'];
  const map = (keys: string, values: string[]) => obj(`Mf${hx(values.length)}:${keys}:${values.join(',')}`);
  // Structs of two kinds in one message, and of more kinds than the walks of keys kept.
  const itemKeys = tuple(atom('__struct__'), atom('sku'), atom('qty'));
  const manyKeys = Array.from({ length: 12 }, (_, i) => tuple(atom('__struct__'), atom(`f${i}`)));
  // JSON objects' keys: a keys tuple per map, pointing to the same (literal) binaries.
  const jsonKeys = [hbin(2), hbin(4), hbin(5)];
  const jsonKeysOf = (n: number) => tuple(...jsonKeys.slice(0, n));
  // A map of over 32 keys: leaves `lKEY|VALUE` under `Mn` nodes of up to 16, under the `Mh` root.
  const hamt = (pairs: Array<[string, string]>) => {
    const leaves = pairs.map(([k, v]) => obj(`l${k}|${v}`));
    const nodes: string[] = [];
    for (let i = 0; i < leaves.length; i += 16) {
      const part = leaves.slice(i, i + 16);
      nodes.push(part.length === 1 ? part[0] : obj(`Mn${hx(part.length)}:${part.join(',')}`));
    }
    return obj(`Mh${hx(pairs.length)}:${hx(nodes.length)}:${nodes.join(',')}`);
  };
  const pairsOf = (n: number, value: () => string): Array<[string, string]> => Array.from({ length: n }, (_, i) => [atom(`k${i}`), value()]);
  return [
    () => tuple(atom('map'), obj(`Mf2:${tuple(atom('a'), atom('b'))}:I1,I${int(9)}`)),
    // The name of a struct is part of its shape, its other atoms are not.
    () => map(structKeys, [atom(structNames[int(3)]), I(int(99)), atom(TAGS[int(TAGS.length)]), hbin(int(20))]),
    () => tuple(atom('ok'), map(structKeys, [atom('Elixir.Shop.Order'), I(int(9)), 'N', map(structKeys, [atom('Elixir.Shop.Cart'), I(1), I(2), hbin(3)])])),
    () => map(structKeys, [atom('Elixir.Shop.Order'), I(1), 'N', list([map(itemKeys, [atom('Elixir.Shop.Item'), hbin(int(6)), I(int(3))])])]),
    () => map(manyKeys[int(12)], [atom(`Elixir.K${int(2)}`), hbin(int(4))]),
    // The shared keys tuple with a size that is not its own (the cached keys must not be taken).
    () => map(structKeys, Array.from({ length: 2 + int(3) }, () => I(int(9)))),
    () => map(structKeys, [I(1), I(2), I(3), I(4), I(5)]),
    () => map(structKeys, [I(1), atom('a'), atom('b'), hbin(2)]),
    () => map(tuple(), []),
    () => map(nineKeys, Array.from({ length: 9 }, () => (int(2) ? I(int(9)) : hbin(int(5))))),
    () => map(tuple(I(1), I(int(2) ? 2 : 3)), [hbin(int(9)), atom('x')]),
    () => map(tuple(hbin(2), atom('a')), [I(1), hbin(int(4))]),
    // JSON decoded into maps: binary keys, a keys tuple per map; binaries before and after.
    () => tuple(atom('json'), hbin(int(7)), map(tuple(hbin(2), hbin(4)), [hbin(int(9)), map(tuple(hbin(1)), [hbin(int(3))])]), hbin(int(30))),
    () => tuple(atom('ev'), map(tuple(atom('a'), atom('b')), [hbin(int(5)), tuple(atom('t'), hbin(int(6)))]), hbin(int(8))),
    () => tuple(atom('obj'), map(jsonKeysOf(3), [I(int(9)), hbin(int(9)), map(jsonKeysOf(3), [I(1), 'N', hbin(int(4))])]), hbin(int(5))),
    () => map(jsonKeysOf(2), [hbin(int(3)), map(jsonKeysOf(2), [I(1), map(jsonKeysOf(2), [I(2), I(3)])])]),
    // A map as a key, its keys walked while its map's are.
    () => map(tuple(map(jsonKeysOf(1), [I(int(3))]), atom('b')), [I(1), map(jsonKeysOf(1), [hbin(int(3))])]),
    // A keys tuple of the same text as the last, under a map of another size.
    () => obj(`Mf${hx(1 + int(3))}:${jsonKeysOf(2)}:I1,I2`),
    () => map(tuple(atom('a'), tuple(atom('b'))), [I(1), I(2)]),
    () => map(tuple(atom('a')), [I(1), I(2)]),
    () => obj(`Mf1:${tuple(atom('a'))}:I1junk`),
    () => obj('Mf1:I1:I1'),
    () => obj(`Mh1:1:${obj(`l${atom('k')}|I1`)}`),
    () => hamt(pairsOf(40, () => (int(2) ? I(int(9)) : hbin(int(5))))),
    () => hamt(pairsOf(40, () => hbin(int(5)))),
    () => tuple(atom('big'), hamt(Array.from({ length: 33 }, (_, i) => [hbin(1 + (i % 3)), map(structKeys, [atom('Elixir.A'), I(i), 'N', hbin(int(4))])])), hbin(int(7))),
    () => hamt(pairsOf(5, () => I(1))),
    () => hamt(pairsOf(20, () => I(1))),
    () => obj('Mh2:2:I1,I2'),
    () => {
      const a = w.fresh();
      w.heap.push(`${a}:Mn1:H${a}`);
      return obj(`Mh28:1:H${a}`);
    },
  ];
}

/** A mailbox of many structures (or of maps or external terms only), each message built with random sizes and values. */
function plantedMailbox(seed: number, count: number, only?: 'maps' | 'external'): { heap: string[]; msgs: string[] } {
  const w = heapWriter(rng(seed));
  const { heap, int, hx, fresh, obj, atom, tuple, list, hbin, I } = w;
  const tags = TAGS;
  const templates: Array<() => string> = only === 'maps' ? mapTemplates(w) : only === 'external' ? externalTemplates(w) : [
    () => tuple(atom('log'), I(int(1000)), hbin(int(100))),
    () => tuple(atom(tags[int(tags.length)]), I(int(9)), hbin(int(3) + 60)),
    () => tuple(atom('cut'), obj(`Yh${hx(40)}:AAAA`)),
    () => tuple(atom('badb64'), obj(`Yh3:A*A=`)),
    () => tuple(atom('hexlen'), obj(`Yh2:AAA`)),
    () => list(Array.from({ length: 1 + int(20) }, () => I(32 + int(90)))),
    () => list([I(104), I(int(2) ? 0x110000 : -1), I(105)]),
    () => tuple(atom('req'), list(Array.from({ length: int(12) }, () => I(int(1e6))))),
    () => list([I(1), I(2)], I(3)),
    () => list([I(1)], tuple(atom('t'), I(2))),
    () => list([I(1)], list([I(2)])),
    () => list(Array.from({ length: 1 + int(12) }, () => tuple(atom('item'), I(int(50)), hbin(int(30))))),
    () => list(Array.from({ length: 9 + int(3) }, (_, i) => (i < 8 ? tuple(atom('a'), I(1)) : tuple(atom('b'))))),
    () => list([tuple(atom('a'), I(1)), tuple(atom('b'), I(2))]),
    () => {
      let t = hbin(int(50));
      for (let d = 6; d >= 1; d--) t = tuple(atom(`d${d}`), t, int(2) ? hbin(int(9)) : I(d));
      return t;
    },
    () => tuple(...Array.from({ length: 11 + int(2) }, () => I(int(100)))),
    () => tuple(atom('f'), obj('F1A:3.50000000000000000000e+00'), obj(`F${hx(3)}:1e5`)),
    () => tuple(atom('badfloat'), obj('F3:abc')),
    () => tuple(atom('pids'), `P<0.${int(99)}.0>`, `P<5.${int(99)}.0>`, `p<0.${int(9)}>`, `p<3.${int(9)}>`, obj(`P<7.${int(9)}.2>`)),
    () => tuple(atom('refc'), obj(`Yc${BIN}:0:${hx(int(0x5b))}`), obj(`Ys${BIN}:${hx(int(10))}:${hx(int(0x40))}`)),
    () => tuple(atom('beyond'), obj(`Yc${BIN}:50:20`)),
    () => tuple(atom('nobin'), obj('YcDEADBEEF:0:10')),
    () => {
      const b = hbin(20);
      return tuple(atom('subheap'), obj(`Ys${b.slice(1)}:2:3`));
    },
    () => atom(tags[int(tags.length)]),
    () => I(int(2) ? '12345678901234567890' : int(2) ? '576460752303423488' : '-0'),
    () => tuple(atom('ints'), I(-5), I('576460752303423488'), I('-576460752303423488'), I(int(0x10ffff) + 1)),
    ...mapTemplates(w),
    ...externalTemplates(w),
    () => tuple(atom('lit'), `H${LITERAL}`, I(int(5))),
    () => {
      const x = tuple(atom('s'), hbin(int(10)));
      return tuple(atom('pair'), x, x);
    },
    () => {
      const a = fresh();
      heap.push(`${a}:t2:A5:cycle,H${a}`);
      return `H${a}`;
    },
    () => tuple(atom('missing'), 'HDEAD0000'),
    () => tuple(atom('big'), obj('B16#FFFFFFFFFFFFFFFFFFFF'), obj('B-123456789012345678901234')),
    () => list(Array.from({ length: 1200 }, () => I(97))),
    () => tuple(atom('wide'), list(Array.from({ length: 1200 }, () => atom('x')))),
    () => tuple(atom('nil'), 'N', list([]), tuple()),
    () => tuple(atom('trunc'), 'Xzz'),
  ];
  const msgs: string[] = [];
  for (let i = 0; i < count; i++) {
    const el = templates[int(templates.length)]();
    const tok = int(10);
    msgs.push(tok === 0 ? `${el}:${atom('tok')}` : tok === 1 ? `${el}:${tuple(I(1), I(2))}` : tok === 2 ? el : `${el}:N`);
  }
  return { heap, msgs };
}

function plantedText(seed: number, count: number, only?: 'maps' | 'external'): string {
  const { heap, msgs } = plantedMailbox(seed, count, only);
  const [ms, me] = body(text, `=proc_messages:${PID}`);
  const [hs] = body(text, `=proc_heap:${PID}`);
  return text.slice(0, ms) + msgs.join('\n') + '\n' + text.slice(me, hs) + heap.join('\n') + '\n' + text.slice(hs);
}

/** A planted mailbox of 3,000 messages read both ways; `counted`: the messages the fast path counted. */
async function plantedBothWays(seed: number, only?: 'maps' | 'external'): Promise<{ dump: Dump; counted: number }> {
  const path = join(dir, `${only ?? 'planted'}.dump`);
  writeFileSync(path, Buffer.from(plantedText(seed, 3000, only), 'latin1'));
  const dump = await readDump(path);
  const before = fastShapeStats.counted;
  bothWays(dump, PID, only ?? 'planted');
  return { dump, counted: fastShapeStats.counted - before };
}

describe('fast mailbox shapes equal decoding every message', () => {
  // At collection time: without ../shared, corpusDumps() registers its skip reason (not allowed inside a test).
  const corpus = corpusDumps();
  it('every process of the fixtures and the corpus', async () => {
    for (const path of [...fixtureDumps(), FIXTURE, ...corpus]) {
      let dump: Dump;
      try {
        dump = await readDump(path);
      } catch {
        continue;
      }
      if (dump.source.gzip) continue;
      for (const ref of dump.index.find('proc_messages')) bothWays(dump, ref.id, `${path} ${ref.id}`);
    }
  }, 300_000);

  it('a planted mailbox of many structures', async () => {
    const { dump, counted } = await plantedBothWays(7);
    expect(counted).toBeGreaterThan(1000);
    const d = decodeProcess(dump, PID);
    expect(d.messages.dumped).toBe(3000);
    expect(d.messages.shapes.length).toBeGreaterThan(20);
  }, 120_000);

  it('a planted mailbox of maps: most are counted without decoding', async () => {
    // bothWays reads the mailbox fast twice. Ten of its 32 kinds are left to the decoder
    // (malformed, HAMT maps of 8 keys or fewer, keys of the wrong size), and so are messages with a trace token (a fifth).
    expect((await plantedBothWays(5, 'maps')).counted).toBeGreaterThan(COUNTED_MAPS);
  }, 120_000);

  it('a planted mailbox of external terms: references are counted without decoding', async () => {
    expect((await plantedBothWays(3, 'external')).counted).toBeGreaterThan(COUNTED_REFS);
  }, 120_000);

  it('a mailbox of Elixir structs made by Elixir (fixtures/elixir)', async () => {
    const dump = await readDump('fixtures/elixir/elixir.dump');
    const before = fastShapeStats.counted;
    for (const ref of dump.index.find('proc_messages')) bothWays(dump, ref.id, `elixir ${ref.id}`);
    // Its 1,500 events are counted without decoding each (the first of a kind is decoded).
    expect(fastShapeStats.counted - before).toBeGreaterThan(1400);
  }, 120_000);

  it('mutants of the planted mailbox', async () => {
    const base = plantedText(11, 400);
    const [ms] = [base.indexOf(`\n=proc_messages:${PID}\n`)];
    const he = base.indexOf('\n=', base.indexOf(`\n=proc_heap:${PID}\n`) + 2);
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(1000 + seed);
      const lines = base.slice(ms + 1, he).split('\n');
      for (let k = 0; k < 1 + Math.floor(r() * 6); k++) {
        const i = 1 + Math.floor(r() * (lines.length - 1));
        const l = lines[i];
        if (!l || l.startsWith('=')) continue;
        const p = Math.floor(r() * l.length);
        const c = ':|,HNIAtlFYhcsP<>0123456789ABCDEF'[Math.floor(r() * 33)];
        lines[i] = r() < 0.3 ? l.slice(0, p) : l.slice(0, p) + c + l.slice(p + 1);
        if (lines[i].startsWith('=')) lines[i] = ` ${lines[i]}`;
      }
      const path = join(dir, `mut${seed}.dump`);
      writeFileSync(path, Buffer.from(base.slice(0, ms + 1) + lines.join('\n') + base.slice(he), 'latin1'));
      bothWays(await readDump(path), PID, `mutant ${seed}`);
      rmSync(path);
    }
  }, 300_000);
});
