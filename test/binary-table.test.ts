import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryLookup, BinaryTableBuilder } from '../src/dump/binary-table.js';
import { readDump } from '../src/dump/reader.js';
import { BinaryLocator } from '../src/dump/terms/decoder.js';
import { BlockReader } from '../src/dump/terms/heap-index.js';
import { corpusDumps, fixtureDumps } from './helpers/dumps.js';

describe('BinaryLookup', () => {
  it('finds every address of a table, and no other, from the rows near the last one found and from its hash table', () => {
    const b = new BinaryTableBuilder();
    // Addresses as a 64-bit VM writes them: 8-byte aligned, above 2^32, close together.
    const addrs = Array.from({ length: 5000 }, (_, i) => 0x7f596bd4f7a0 - i * 0x78);
    addrs.push(0x10, 2 ** 52 - 8);
    addrs.forEach((a, i) => b.add(a, i * 100));
    const bins = b.result();
    // In order (each next to the one before), then shuffled (linear scans, then the table).
    const l = new BinaryLookup(bins);
    addrs.forEach((a, i) => expect(l.rowOf(a)).toBe(i));
    for (const a of [0, 0x7f596bd4f7a8, 2 ** 52, 1]) expect(l.rowOf(a)).toBe(-1);
    const shuffled = new BinaryLookup(bins);
    for (let k = 0; k < addrs.length; k++) {
      const i = (k * 2654435761) % addrs.length;
      expect(shuffled.rowOf(addrs[i])).toBe(i);
    }
    for (const a of [0, 0x7f596bd4f7a8, 2 ** 52, 1]) expect(shuffled.rowOf(a)).toBe(-1);
  });
});

const withBinaries = [...fixtureDumps(), ...corpusDumps()].filter((f) => readFileSync(f).includes('\n=binary:'));

describe.each(withBinaries.map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('each binary is found at its own =binary section, from the checkpoints, with the size its body says', async () => {
    const dump = await readDump(file, { bufferSize: 4093 });
    const text = readFileSync(file, 'latin1');
    // The oracle: the sections as a regular expression over the text finds them.
    const want = [...text.matchAll(/\n=binary:([0-9A-Fa-f]+)\r?\n([0-9A-Fa-f]+):/g)].map((m) => ({
      address: Number.parseInt(m[1], 16), body: m.index + m[0].length - m[2].length - 1, size: Number.parseInt(m[2], 16),
    }));
    expect(dump.binaries.count).toBe(want.length);
    expect(Array.from(dump.binaries.address)).toEqual(want.map((w) => w.address));
    expect(Array.from({ length: dump.binaries.count }, (_, i) => dump.binaries.sizeBytes.at(i))).toEqual(want.map((w) => w.size));
    expect(dump.binaries.totalBytes).toBe(want.reduce((n, w) => n + w.size, 0));
    const locator = new BinaryLocator(dump.binaries);
    const reader = new BlockReader(file, 97, 4);
    try {
      for (const w of want) expect(locator.section(w.address, reader)?.offset).toBe(w.body);
    } finally {
      reader.close();
    }
  });
});
