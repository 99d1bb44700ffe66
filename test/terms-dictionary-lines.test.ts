/**
 * quickDictionary (the `$initial_call` and `$ancestors` of a dictionary read from its heap lines)
 * against the term decoder: on every process of the mailbox fixture (1,514 of them proc_lib
 * processes, made by a real VM), and on planted lines for what it must leave to the decoder.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { sectionLines } from '../src/dump/section-lines.js';
import { quickDictionary } from '../src/dump/terms/dictionary-lines.js';
import { decodeProcess, printTerm, type Term } from '../src/dump/terms/index.js';
import { FIXTURES } from './helpers/dumps.js';

const KEYS = new Set(['$initial_call', '$ancestors']);

/** The heap section's lines by address, as the dump writes them (`ADDRESS:BODY`). */
function heapLines(path: string, ref: { offset: number; length: number } | undefined): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  if (!ref) return out;
  for (const line of sectionLines(path, ref)) {
    const colon = line.indexOf(58);
    if (colon > 0) out.set(Number.parseInt(line.toString('latin1', 0, colon), 16), Buffer.from(line));
  }
  return out;
}

const text = (entries: Array<{ key: Term; value: Term }>) => entries.map((e) => `${printTerm(e.key)} => ${printTerm(e.value)}`);

describe('quickDictionary', () => {
  it('reads what the term decoder reads, on every process of the mailbox fixture, and answers for nearly all proc_lib ones', async () => {
    const path = join(FIXTURES, 'mailbox.dump');
    const dump = await readDump(path);
    let quick = 0;
    let procLib = 0;
    for (const { id: pid } of dump.index.find('proc')) {
      const dictRef = dump.index.get('proc_dictionary', pid);
      if (!dictRef) continue;
      const lines = Array.from(sectionLines(path, dictRef), (b) => Buffer.from(b));
      const got = quickDictionary(lines, heapLines(path, dump.index.get('proc_heap', pid)));
      const d = decodeProcess(dump, pid);
      if (d.record.spawnedAs === 'proc_lib:init_p/5') procLib++;
      // The whole heap given: no entry is missing; the ones it reads, it reads as the decoder does.
      expect(got.missing, pid).toBe(0);
      if (got.odd.length > 0) continue;
      quick++;
      const want = d.dictionary.filter((e) => e.key.t === 'atom' && KEYS.has(e.key.v));
      expect(text(got.entries), pid).toEqual(text(want));
    }
    expect(procLib).toBeGreaterThan(1000);
    expect(quick).toBeGreaterThanOrEqual(procLib);
  });

  const heap = (lines: Record<string, string>) => new Map(Object.entries(lines).map(([a, l]) => [Number.parseInt(a, 16), Buffer.from(`${a}:${l}`)]));
  const dict = (...addresses: string[]) => addresses.map((a) => Buffer.from(`H${a}`));

  it('reads the two keys of the shapes proc_lib writes, and skips other entries', () => {
    const h = heap({
      A0: 't2:AD:$initial_call,HB0', B0: 't3:A6:my_mod,A4:init,I1',
      C0: 't2:AA:$ancestors,HD0', D0: 'lA6:my_sup|HE0', E0: 'lP<0.80.0>|N',
      F0: 't2:A5:other,I42', '100': 't2:H110,N', '110': 't1:A1:x',
      '120': 't2:A5:weird,A3:a|b',
    });
    const got = quickDictionary(dict('A0', 'C0', 'F0', '100', '120'), h);
    expect(text(got.entries)).toEqual(['\'$initial_call\' => {my_mod,init,1}', '\'$ancestors\' => [my_sup,<0.80.0>]']);
    // A registered name with `|` and `,` in it: its end is where its length says.
    const odd = quickDictionary(dict('10'), heap({ '10': 't2:AA:$ancestors,H20', '20': 'lA5:a|b,c|N' }));
    expect(text(odd.entries)).toEqual(['\'$ancestors\' => [\'a|b,c\']']);
    // No arguments as [] (N); no ancestors.
    expect(text(quickDictionary(dict('10', '30'), heap({ '10': 't2:AD:$initial_call,H20', '20': 't3:A1:m,A1:f,N', '30': 't2:AA:$ancestors,N' })).entries))
      .toEqual(['\'$initial_call\' => {m,f,[]}', '\'$ancestors\' => []']);
  });

  it('leaves to the decoder what it does not read itself', () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['a line not in the tail', { '10': 't2:AD:$initial_call,H20' }],
      ['arguments as a list', { '10': 't2:AD:$initial_call,H20', '20': 't3:A1:m,A1:f,H30', '30': 'lI1|N' }],
      ['a tuple of two', { '10': 't2:AD:$initial_call,H20', '20': 't2:A1:m,A1:f' }],
      ['an ancestor that is a tuple', { '10': 't2:AA:$ancestors,H20', '20': 'lH30|N', '30': 't1:A1:x' }],
      ['an improper list', { '10': 't2:AA:$ancestors,H20', '20': 'lP<0.1.0>|I3' }],
      ['a list that points to itself', { '10': 't2:AA:$ancestors,H20', '20': 'lP<0.1.0>|H20' }],
      ['an atom cut short', { '10': 't2:AD:$initial_call,H20', '20': 't3:A9:m,A1:f,I0' }],
      ['no pointer', { '10': 't2:AD:$initial_call,I5' }],
    ];
    for (const [what, lines] of cases) expect(quickDictionary(dict('10'), heap(lines)), what).toEqual({ entries: [], missing: 0, odd: [Buffer.from('H10')] });
    // A dictionary line that is no pointer, or one to a line that is no 2-tuple: none of the two.
    expect(quickDictionary([Buffer.from('I5')], heap({}))).toEqual({ entries: [], missing: 0, odd: [] });
    expect(quickDictionary(dict('10'), heap({ '10': 'lI1|N' }))).toEqual({ entries: [], missing: 0, odd: [] });
    // An entry not among the lines given is counted: a larger tail may hold it.
    expect(quickDictionary(dict('10', '20'), heap({ '20': 't2:A5:other,I42' }))).toEqual({ entries: [], missing: 1, odd: [] });
  });
});
