import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/reader.js';
import { parseProcRecord } from '../src/dump/terms/process-detail.js';
import { decodeProcess } from '../src/dump/terms/process.js';
import { corpusDumps, fixtureDumps, FIXTURES } from './helpers/dumps.js';

/**
 * The oracle: each process's `Link list` line of the dump text, its `{...}` items collapsed from
 * the innermost out (a monitor of a registered name is `{to,{Name,Node},Ref}`) and the top level
 * split at its commas.
 */
function linkCountsOfText(text: string): Map<string, { links: number; monitors: number; monitoredBy: number }> {
  const out = new Map<string, { links: number; monitors: number; monitoredBy: number }>();
  for (const m of text.matchAll(/^=proc:(.+)\r?\n((?:[^=\n][^\n]*\n)*)/gm)) {
    const line = /^Link list: \[(.*)\]\r?$/m.exec(m[2]);
    const c = { links: 0, monitors: 0, monitoredBy: 0 };
    if (line) {
      let s = line[1];
      for (let prev = ''; prev !== s; ) {
        prev = s;
        s = s.replace(/\{([^{}]*)\}/g, (_, inner: string) => (inner.startsWith('to,') ? '\u0001T' : inner.startsWith('from,') ? '\u0001F' : '\u0001L'));
      }
      for (const item of s.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
        if (item === '\u0001T') c.monitors++;
        else if (item === '\u0001F') c.monitoredBy++;
        else c.links++;
      }
    }
    out.set(m[1].trim(), c);
  }
  return out;
}

const withLinks = [...fixtureDumps(), ...corpusDumps()].filter((f) => /^Link list: \[./m.test(readFileSync(f, 'latin1')));

describe.each(withLinks.map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('counts the links and monitors of every Link list line, however long: a line over the scanner\'s limit is counted as it streams by', async () => {
    const want = linkCountsOfText(readFileSync(file, 'latin1'));
    // The limit and the chunks small enough that the lines of a supervisor or a pool cross both.
    for (const opts of [{}, { bufferSize: 61, maxLineBytes: 40 }]) {
      const dump = await readDump(file, { threads: 1, cache: false, ...opts });
      const p = dump.processes;
      for (const [pid, c] of want) {
        const i = p.pid.find(pid);
        if (i < 0) continue; // a process the reader does not keep (a cut section of a truncated dump)
        expect({ pid, links: p.links.at(i), monitors: p.monitors.at(i), monitoredBy: p.monitoredBy.at(i) }).toEqual({ pid, ...c });
      }
    }
  });
});

describe('a process record whose Link list line was read in part', () => {
  it('leaves out the item the cut ends in, and counts from the whole line come from the dump\'s read', async () => {
    const rec = parseProcRecord('<0.5.0>', ['State: Waiting', 'Link list: [<0.1.0>, {to,<0.2.0>,#Ref<0.1.2.3>}, {from,<0.3.0>,#Ref<0.1'], 8);
    expect(rec.links).toEqual(['<0.1.0>']);
    expect(rec.monitors).toEqual(['<0.2.0>']);
    expect(rec.monitoredBy).toEqual([]);
    const file = join(FIXTURES, 'mailbox.dump');
    const text = readFileSync(file, 'latin1');
    const want = linkCountsOfText(text).get('<0.1580.0>')!;
    expect(want.links).toBeGreaterThan(1000);
    const dump = await readDump(file, { threads: 1, cache: false });
    const d = decodeProcess(dump, '<0.1580.0>', { binarySharing: false });
    expect(d.record.counts).toEqual(want);
    expect(d.record.links.length).toBe(want.links);
  });
});
