// The builder takes runs of `=binary` sections in bulk (DumpBuilder.run) when a whole section is in
// the chunk read, and section by section otherwise. A read with 7-byte chunks never takes the bulk
// path: it is the oracle for a read with big chunks, on a real dump with 4,201 binaries and on
// variants of it that the bulk path must leave to the slow one (CRLF line ends, a second body line, a size or address that is not
// plain hex, a data line of an unexpected length, an id that is not a pid, an unknown tag, cuts).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/reader.js';
import { FIXTURES } from './helpers/dumps.js';
import { plainModel } from './helpers/model.js';

const original = readFileSync(join(FIXTURES, 'refc_mailbox.dump'), 'latin1');
const dir = mkdtempSync(join(tmpdir(), 'beamscope-binrun-'));
const firstBinary = original.indexOf('\n=binary:') + 1;
const firstHeap = original.indexOf('\n=proc_');
const atoms = original.indexOf('\n=atoms');

/** The text with the k-th `=binary` section (counted from the first) changed by `f`. */
function changeSection(text: string, k: number, f: (section: string) => string): string {
  let at = firstBinary;
  for (let i = 0; i < k; i++) at = text.indexOf('\n=binary:', at) + 1;
  const end = text.indexOf('\n=', at) + 1;
  return text.slice(0, at) + f(text.slice(at, end)) + text.slice(end);
}

const variants: Array<[string, string]> = [
  ['as written', original],
  ['CRLF line ends', original.replace(/\n/g, '\r\n')],
  ['a second body line', changeSection(original, 7, (s) => `${s}extra line\n`)],
  ['a size that is not hex', changeSection(original, 11, (s) => s.replace(/\n([0-9A-F]+):/, '\nZ$1:'))],
  ['an address that is not hex', changeSection(original, 13, (s) => s.replace(/^=binary:/, '=binary:G'))],
  ['an address of 14 digits', changeSection(original, 17, (s) => s.replace(/^=binary:/, '=binary:1000'))],
  // The widest address the bulk path takes (13 digits, 52 bits: parseHexExact's bound) and the narrowest.
  ['an address of 13 digits', changeSection(original, 31, (s) => s.replace(/^=binary:[0-9A-F]/, '=binary:FF'))],
  ['an address of one digit', changeSection(original, 37, (s) => s.replace(/^=binary:[0-9A-F]+/, '=binary:A'))],
  ['data shorter than its size', changeSection(original, 19, (s) => s.replace(/:(.{8})/, ':'))],
  ['data longer than its size', changeSection(original, 23, (s) => s.replace(/:/, ':QUJD'))],
  ['an empty body', changeSection(original, 29, (s) => s.slice(0, s.indexOf('\n') + 1))],
  ['a heap section whose id is not a pid', original.replace(/\n=proc_heap:<([0-9.]+)>\n/, '\n=proc_heap:<$1.x>\n')],
  ['an unknown proc_ tag among the heaps', original.replace(/\n=proc_stack:</, '\n=proc_other:<')],
  ['a heap section with an empty body', original.replace(/(\n=proc_heap:<[0-9.]+>\n)[^=]*?(?=\n=)\n/, '$1')],
  ...[0.1, 0.5, 0.9].map((f): [string, string] => {
    const cut = Math.round(firstBinary + (atoms - firstBinary) * f);
    return [`cut at ${f} of the binaries`, original.slice(0, cut)];
  }),
  ['cut among the heaps', original.slice(0, Math.round((firstHeap + firstBinary) / 2))],
  ['cut after a tag line', original.slice(0, original.indexOf('\n', original.indexOf('\n=binary:', firstBinary + 5000) + 1) + 1)],
];

describe.each(variants)('refc_mailbox.dump, %s', (name, text) => {
  it('is a variant', () => {
    expect(name === 'as written' || text !== original).toBe(true);
  });

  it('reads the same model with big chunks (bulk) as with 7-byte chunks (section by section)', async () => {
    expect(text).not.toBe('');
    const file = join(dir, `${name.replace(/\W+/g, '-')}.dump`);
    writeFileSync(file, text, 'latin1');
    const slow = await readDump(file, { bufferSize: 7 });
    for (const bufferSize of [4093, 1 << 20]) {
      const fast = await readDump(file, { bufferSize });
      expect(plainModel(fast)).toEqual(plainModel(slow));
    }
    if (!name.startsWith('cut')) expect(slow.binaries.count).toBeGreaterThan(4000);
    expect(slow.sectionCounts.proc_heap).toBeGreaterThan(30);
  });
});
