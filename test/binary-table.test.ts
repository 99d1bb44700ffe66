import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryLookup, BinaryTableBuilder, type BinaryRowSource } from '../src/dump/binary-table.js';
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

describe('BinaryLookup reading its rows from a BinaryRowSource (a saved index)', () => {
  // 200,000 binaries as class a's mailbox has them, sizes of 1 to 4 bytes and some not known.
  const n = 200_000;
  const b = new BinaryTableBuilder();
  const addrs = Array.from({ length: n }, (_, i) => 0x7f596bd4f7a0 - i * 0x78);
  addrs.forEach((a, i) => {
    b.add(a, i * 100);
    if (i % 1000 !== 7) b.setLastSize(i % 3 === 0 ? i : 80);
  });
  const table = b.result();
  const sizes = Array.from({ length: n }, (_, i) => table.sizeBytes.at(i));
  /** The columns behind a getter that counts its use, and a source over the same rows that counts its reads. */
  const setup = () => {
    const used = { columns: 0, reads: 0, rows: 0 };
    const bins = {
      get address() {
        used.columns++;
        return table.address;
      },
      get sizeBytes() {
        used.columns++;
        return table.sizeBytes;
      },
    };
    const source: BinaryRowSource = {
      count: n,
      read(first, address, size) {
        used.reads++;
        used.rows += address.length;
        address.set(table.address.subarray(first, first + address.length));
        if (size) for (let k = 0; k < size.length; k++) size[k] = sizes[first + k];
      },
    };
    return { used, lookup: new BinaryLookup(bins, source) };
  };

  it('a few thousand lookups of one mailbox read a few windows of the rows, not the columns', () => {
    const { used, lookup } = setup();
    // A mailbox sampled from its first message: the binaries next to each other, late in the table.
    for (let i = 150_000; i < 160_000; i++) {
      expect(lookup.rowOf(addrs[i])).toBe(i);
      expect(lookup.sizeAt(i)).toBe(sizes[i]);
      expect(lookup.addressAt(i)).toBe(addrs[i]);
    }
    expect(lookup.count).toBe(n);
    expect(used.columns).toBe(0);
    // The first lookup scans the addresses up to its row; the others read two windows.
    expect(used.reads).toBeLessThan(6);
    // An address the table does not have is a second scan: the columns answer it.
    expect(lookup.rowOf(0x10)).toBe(-1);
    expect(lookup.rowOf(addrs[160_000])).toBe(160_000);
  });

  it('lookups all over the table go to the columns, with the same answers', () => {
    const { used, lookup } = setup();
    for (let k = 0; k < 20_000; k++) {
      const i = (k * 2654435761) % n;
      expect(lookup.rowOf(addrs[i])).toBe(i);
      expect(lookup.sizeAt(i)).toBe(sizes[i]);
    }
    expect(used.columns).toBeGreaterThan(0);
    // One linear scan of the source at most, then the columns.
    expect(used.rows).toBeLessThanOrEqual(2 * n);
  });

  it('reading rows far apart (a heap\'s binaries sorted by size) goes to the columns after a few windows', () => {
    const { used, lookup } = setup();
    for (let k = 0; k < 1000; k++) {
      const i = (k * 7919 * 13) % n;
      expect(lookup.sizeAt(i)).toBe(sizes[i]);
      expect(lookup.addressAt(i)).toBe(addrs[i]);
    }
    expect(used.reads).toBeLessThan(20);
  });

  it('useColumns: no read of the source at all', () => {
    const { used, lookup } = setup();
    lookup.useColumns();
    for (let i = 0; i < n; i += 997) expect(lookup.rowOf(addrs[i])).toBe(i);
    expect(used.reads).toBe(0);
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
