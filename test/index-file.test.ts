import { appendFileSync, closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowSourceOf } from '../src/dump/binary-table.js';
import { indexPaths } from '../src/dump/index-file.js';
import { readDump, type ReadOptions } from '../src/dump/reader.js';
import { triageDump } from '../src/usecases/triage.js';
import { corpusDumps, fixtureDumps, FIXTURES } from './helpers/dumps.js';
import { plainModel } from './helpers/model.js';

// Each test's indexes in a directory of its own (indexPaths reads the variable at every call).
const saved = process.env.BEAMSCOPE_INDEX_DIR;
beforeAll(() => {
  process.env.BEAMSCOPE_INDEX_DIR = mkdtempSync(join(tmpdir(), 'beamscope-index-test-'));
});
afterAll(() => {
  process.env.BEAMSCOPE_INDEX_DIR = saved;
});

async function read(file: string, opts: ReadOptions = {}): Promise<{ dump: Awaited<ReturnType<typeof readDump>>; event?: string }> {
  let event: string | undefined;
  const dump = await readDump(file, { ...opts, cache: true, onIndex: (e) => { event = e; } });
  return { dump, event };
}

describe.each([...fixtureDumps(), ...corpusDumps()].map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('a read from the saved index equals a fresh read, and so does triage on it', async () => {
    const fresh = await readDump(file, { threads: 1 });
    const first = await read(file);
    expect(first.event).toBe('saved');
    const second = await read(file);
    expect(second.event).toBe('loaded');
    expect(second.dump.source.fromIndex).toBe(true);
    expect(plainModel(second.dump)).toEqual(plainModel(fresh));
    const json = (d: typeof fresh) => JSON.stringify(triageDump(d, {}));
    expect(json(second.dump)).toBe(json(fresh));
    // The section index read on first use answers every kind of question as the fresh one does.
    const heaps = (d: typeof fresh) => {
      const out: number[] = [];
      d.index.each('proc_heap', (row, packed, offset, length) => out.push(row, packed, offset, length));
      return out;
    };
    // The binaries' rows read from the file a window at a time are the columns' (BinaryRowSource).
    const rows = rowSourceOf(second.dump.binaries);
    expect(rows?.count).toBe(fresh.binaries.count);
    const n = fresh.binaries.count;
    for (const [first, len] of [[0, n], [0, Math.min(n, 3)], [Math.max(0, n - 5), Math.min(n, 5)], [n >> 1, n - (n >> 1)]]) {
      const address = new Float64Array(len);
      const size = new Float64Array(len);
      rows!.read(first, address, size);
      expect(Array.from(address)).toEqual(Array.from(fresh.binaries.address.subarray(first, first + len)));
      expect(Array.from(size)).toEqual(Array.from({ length: len }, (_, k) => fresh.binaries.sizeBytes.at(first + k)));
    }
    const third = await read(file);
    expect(heaps(third.dump)).toEqual(heaps(fresh));
    const pid = fresh.processes.count > 0 ? fresh.processes.pid.at(0) : '<0.0.0>';
    const fourth = await read(file);
    expect(fourth.dump.index.get('proc', pid)).toEqual(fresh.index.get('proc', pid));
    expect((await read(file)).dump.index.find('proc').length).toBe(fresh.index.find('proc').length);
  });
});

/**
 * Flips the first byte of the array `name` of an index file, found from the index's own
 * description, and returns where that array lies. Written in place (not a new file renamed over
 * it): an index already open sees it.
 */
function flipFirstByte(file: string, name: string): { offset: number; length: number } {
  const whole = readFileSync(file);
  const jsonBytes = whole.readUInt32LE(20);
  const blobs = (JSON.parse(whole.toString('utf8', 32, 32 + jsonBytes)) as { blobs: Array<{ name: string; offset: number; length: number }> }).blobs;
  const blob = blobs.find((b) => b.name === name)!;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([whole[blob.offset] ^ 1]), 0, 1, blob.offset);
  closeSync(fd);
  return blob;
}

describe('a saved index that is not this file\'s is rebuilt, never trusted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamscope-index-dumps-'));
  const dumpA = join(dir, 'a.dump');
  const dumpB = join(dir, 'b.dump');
  copyFileSync(join(FIXTURES, 'oom.dump'), dumpA);
  copyFileSync(join(FIXTURES, 'mailbox.dump'), dumpB);

  it('a changed dump (grown, cut, rewritten with the same size and time) is read afresh', async () => {
    expect((await read(dumpA)).event).toBe('saved');
    expect((await read(dumpA)).event).toBe('loaded');
    // Grown (a dump still being written).
    appendFileSync(dumpA, '=end\n');
    const grown = await read(dumpA);
    expect(grown.event).toBe('saved');
    expect(plainModel(grown.dump)).toEqual(plainModel(await readDump(dumpA)));
    // Cut.
    const whole = readFileSync(dumpA);
    writeFileSync(dumpA, whole.subarray(0, whole.length - 1000));
    expect((await read(dumpA)).event).toBe('saved');
    // The same size and modification time, other bytes at the end.
    const st = statSync(dumpA);
    const cut = readFileSync(dumpA);
    cut[cut.length - 10] ^= 1;
    writeFileSync(dumpA, cut);
    utimesSync(dumpA, st.atime, st.mtime);
    expect((await read(dumpA)).event).toBe('saved');
  });

  it("another dump's index, copied to this dump's place, is not used", async () => {
    await read(dumpB);
    const a = indexPaths(dumpA).beside;
    copyFileSync(indexPaths(dumpB).beside, a);
    const r = await read(dumpA);
    expect(r.event).toBe('saved');
    expect(plainModel(r.dump)).toEqual(plainModel(await readDump(dumpA)));
  });

  it('a corrupt index (bytes flipped anywhere, cut anywhere, garbage) is read afresh, with the same model', async () => {
    const fresh = plainModel(await readDump(dumpB));
    const file = indexPaths(dumpB).beside;
    await read(dumpB);
    const good = readFileSync(file);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bad: Buffer[] = [Buffer.alloc(0), Buffer.from('beamscope index\n'), Buffer.from('not an index at all')];
    // Flips in the header, in the JSON, in the arrays.
    for (const at of [0, 16, 20, 24, 28, 40, 200, ...Array.from({ length: 40 }, () => rand(good.length))]) {
      const b = Buffer.from(good);
      b[at] ^= 1 << rand(8);
      bad.push(b);
    }
    for (let k = 0; k < 10; k++) bad.push(good.subarray(0, rand(good.length)));
    for (const b of bad) {
      writeFileSync(file, b);
      const r = await read(dumpB);
      expect(r.event).toBe('saved');
      expect(plainModel(r.dump)).toEqual(fresh);
    }
  });

  // The section index may be read a cell or a piece at a time (SectionIndex.fromSource), which no
  // CRC-32 covers: those are the bytes checked at load, as beamscope replaces an index by a rename,
  // never in place. The arrays read whole (the process columns, the binaries) are checked again.
  it('the process columns and the binaries, read on first use, are checked again then: changed in place since, they are not used', async () => {
    const file = indexPaths(dumpB).beside;
    await read(dumpB);
    const loaded = await read(dumpB);
    expect(loaded.event).toBe('loaded');
    expect(flipFirstByte(file, 'proc.num.memoryBytes').length).toBeGreaterThan(0);
    expect(() => loaded.dump.processes.memoryBytes).toThrow(/changed while it was in use/);
    // And the next read, seeing it corrupt, reads the dump afresh.
    const again = await read(dumpB);
    expect(again.event).toBe('saved');
    expect(plainModel(again.dump)).toEqual(plainModel(await readDump(dumpB)));
  });

  it('the ETS tables are parsed when first used, and checked again then', async () => {
    const file = indexPaths(dumpB).beside;
    await read(dumpB);
    const loaded = await read(dumpB);
    expect(loaded.event).toBe('loaded');
    expect(Object.getOwnPropertyDescriptor(loaded.dump, 'ets')?.get).toBeDefined();
    expect(flipFirstByte(file, 'fields.ets').length).toBeGreaterThan(0);
    expect(() => loaded.dump.ets).toThrow(/changed while it was in use/);
    const again = await read(dumpB);
    expect(again.event).toBe('saved');
    expect(again.dump.ets).toEqual((await readDump(dumpB)).ets);
  });

  it('--no-cache (cache: false) neither reads nor writes an index', async () => {
    const dir2 = process.env.BEAMSCOPE_INDEX_DIR!;
    const before = readdirSync(dir2).length;
    const c = join(dir, 'c.dump');
    copyFileSync(join(FIXTURES, 'dist.dump'), c);
    const d = await readDump(c);
    expect(d.source.fromIndex).toBeUndefined();
    expect(readdirSync(dir2).length).toBe(before);
  });
});
