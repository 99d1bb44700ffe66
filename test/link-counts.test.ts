import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/reader.js';
import { parseProcRecord } from '../src/dump/terms/process-detail.js';
import { decodeProcess } from '../src/dump/terms/process.js';
import { parseLinkList, readLinkList } from '../src/dump/terms/link-list.js';
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

describe('a supervisor whose Link list line is longer than the part of it read (wide_links.dump)', () => {
  const file = join(FIXTURES, 'wide_links.dump');
  // The oracle: what the VM said of wide_sup before the dump (process_info/2), a line per item.
  const vm = { link: [] as string[], monitor: [] as string[], monitored_by: [] as string[] };
  for (const line of readFileSync(`${file}.vm.txt`, 'utf8').split('\n')) {
    const [kind, pid] = line.split(' ');
    if (kind) vm[kind as keyof typeof vm].push(pid);
  }
  const sorted = (xs: string[]) => [...xs].sort();

  it('keeps every link, monitor and monitor of it that the VM had, though the line\'s first kilobytes are links only', async () => {
    expect([vm.link.length, vm.monitor.length, vm.monitored_by.length]).toEqual([600, 200, 20]);
    const dump = await readDump(file, { threads: 1, cache: false });
    const pid = dump.processes.pid.at(dump.processes.name.find('wide_sup'));
    // 4 KiB of the line: about 330 links, no monitor (the script checks the first 6,000 bytes).
    for (const recordLineBytes of [4096, undefined]) {
      const d = decodeProcess(dump, pid, { binarySharing: false, recordLineBytes });
      expect(d.record.counts).toEqual({ links: 600, monitors: 200, monitoredBy: 20 });
      expect(sorted(d.record.links)).toEqual(sorted(vm.link));
      expect(sorted(d.record.monitors)).toEqual(sorted(vm.monitor));
      expect(sorted(d.record.monitoredBy)).toEqual(sorted(vm.monitored_by));
    }
  });
});

describe('readLinkList', () => {
  it('reads the Link list line of a section in reads of any size, and keeps the first items of each kind', async () => {
    const file = join(FIXTURES, 'wide_links.dump');
    const dump = await readDump(file, { threads: 1, cache: false });
    const ref = dump.index.get('proc', dump.processes.pid.at(dump.processes.name.find('wide_sup')))!;
    const whole = readLinkList(file, ref)!;
    expect(whole.counts).toEqual({ links: 600, monitors: 200, monitoredBy: 20 });
    for (const bufferSize of [7, 11, 4096]) expect(readLinkList(file, ref, { bufferSize })).toEqual(whole);
    const few = readLinkList(file, ref, { keep: 3, bufferSize: 7 })!;
    expect(few).toEqual({ links: whole.links.slice(0, 3), monitors: whole.monitors.slice(0, 3), monitoredBy: whole.monitoredBy.slice(0, 3), counts: whole.counts });
    // A section without the line.
    expect(readLinkList(file, dump.index.find('proc_stack')[0])).toBeUndefined();
  });

  it('reads items as the dump writes them: nested monitors of names, ports, an empty list, a line cut short', () => {
    expect(parseLinkList('[#Port<0.5>, {to,{reg,node@host},#Ref<0.1.2.3>}, {from,<0.3.0>,#Ref<0.4.5.6>}]')).toEqual({
      links: ['#Port<0.5>'], monitors: ['{reg,node@host}'], monitoredBy: ['<0.3.0>'], counts: { links: 1, monitors: 1, monitoredBy: 1 },
    });
    expect(parseLinkList('[]').counts).toEqual({ links: 0, monitors: 0, monitoredBy: 0 });
    // Cut short: the last item is counted (the scanner's counts are the same reader's) but not kept.
    expect(parseLinkList('[<0.1.0>, <0.2')).toMatchObject({ links: ['<0.1.0>'], counts: { links: 2 } });
    expect(parseLinkList('[<0.1.0>, {to,<0.2.0>').counts).toEqual({ links: 1, monitors: 1, monitoredBy: 0 });
  });
});
