/**
 * A gzip dump's restart points (src/dump/gzip-seek.ts): any range of the decompressed bytes,
 * inflated from the points alone, is the file's; a gzip file that changed after it was indexed is
 * refused in one line and its index removed; files of several members, cut or damaged ones get
 * no index. The gzip files are made by the system's gzip (what users run), at -1 and -9, and by
 * node:zlib.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { gunzipToFile } from '../src/dump/compression.js';
import { closeData, openData, readData } from '../src/dump/data-file.js';
import { GzipIndexMismatch, GzipSpanFiller, withWindows, type GzipPoints } from '../src/dump/gzip-seek.js';
import { readDump, releaseSpool } from '../src/dump/index.js';
import { indexPaths } from '../src/dump/index-file.js';
import { decodeProcess } from '../src/dump/terms/index.js';
import { procToJson } from '../src/report/proc-text.js';
import { beamscope, expectOneLineError } from './helpers/cli.js';
import { FIXTURES_DIR } from './helpers/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'beamscope-gzip-seek-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hasGzip = spawnSync('gzip', ['--version']).status === 0;

/** Fixture dumps one after the other: 12 MB of dump text, for a dozen restart points. */
const REFC = join(FIXTURES_DIR, 'refc_mailbox.dump');
const text = Buffer.concat([REFC, 'mailbox', 'many', 'oom', REFC, 'ets_leak', REFC, 'huge_state', REFC]
  .map((f) => readFileSync(f === REFC ? f : join(FIXTURES_DIR, `${f}.dump`))));

/** The points the gunzip worker keeps for `gz` (at most `max`), with their windows from what it wrote. */
async function pointsOf(gz: string, max?: number): Promise<{ points?: GzipPoints; written: Buffer }> {
  const out = join(tmp, 'out.bin');
  const fd = openSync(out, 'w+');
  try {
    const w = await gunzipToFile(gz, fd, max ? { max } : true);
    const end = await w!.exited;
    const found = end.points;
    return { points: found && withWindows(found, fd), written: readFileSync(out) };
  } finally {
    closeSync(fd);
  }
}

function gzipWith(how: string, data: Buffer): string {
  const file = join(tmp, `t-${how}.gz`);
  if (how === 'zlib') writeFileSync(file, gzipSync(data, { level: 6 }));
  else writeFileSync(file, execFileSync('gzip', [how, '-c'], { input: data, maxBuffer: 1 << 28 }));
  return file;
}

describe('restart points', () => {
  for (const how of ['-1', '-9', 'zlib']) {
    it.skipIf(how !== 'zlib' && !hasGzip)(`gzip ${how}: every span and random ranges, inflated from the points alone, are the file's bytes`, async () => {
      const gz = gzipWith(how, text);
      const { points, written } = await pointsOf(gz);
      expect(written.equals(text)).toBe(true);
      expect(points).toBeDefined();
      const p = points!;
      expect(p.totalBytes).toBe(text.length);
      // At least a span of 1 MiB apart (the first span the worker uses).
      expect(p.outByte.length).toBeGreaterThanOrEqual(8);
      for (let k = 1; k < p.outByte.length; k++) expect(p.outByte[k] - p.outByte[k - 1]).toBeGreaterThanOrEqual(1 << 20);
      const spool = join(tmp, `spool${how}.bin`);
      const fd = openSync(spool, 'w+');
      try {
        const filler = new GzipSpanFiller(gz, p, fd);
        expect(fstatSync(fd).size).toBe(text.length);
        // Ranges from the end backwards, then a pseudo-random walk: spans out of order.
        const ranges: Array<[number, number]> = [[text.length - 100, 100], [0, 10], [p.outByte[3] - 5, 10]];
        let seed = 7;
        for (let i = 0; i < 40; i++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          ranges.push([seed % text.length, 1 + (seed % 70000)]);
        }
        for (const [pos, len] of ranges) {
          filler.fill(pos, len);
          const n = Math.min(len, text.length - pos);
          const got = Buffer.alloc(n);
          expect(readSync(fd, got, 0, n, pos)).toBe(n);
          expect(got.equals(text.subarray(pos, pos + n)), `bytes ${pos}..${pos + n}`).toBe(true);
        }
        filler.fill(0, text.length);
        expect(readFileSync(spool).equals(text)).toBe(true);
      } finally {
        closeSync(fd);
      }
    }, 60_000);
  }

  it('past the most points kept, every other one goes and the span doubles: the rest still restore', async () => {
    const gz = gzipWith('zlib', text);
    // 12 MB of text at 1 MiB spans would make 12 points: at most 4 thins them twice (2, then 4 MiB).
    const { points } = await pointsOf(gz, 4);
    const p = points!;
    expect(p.outByte.length).toBeLessThanOrEqual(4);
    expect(p.outByte.length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k < p.outByte.length; k++) expect(p.outByte[k] - p.outByte[k - 1]).toBeGreaterThanOrEqual(2 << 20);
    const spool = join(tmp, 'spool-thinned.bin');
    const fd = openSync(spool, 'w+');
    try {
      // Each span checks its start (its CRC-32, kept through the thinning) and its end.
      new GzipSpanFiller(gz, p, fd).fill(0, text.length);
      expect(readFileSync(spool).equals(text)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('no points for a file of two members, a cut file or a damaged one', async () => {
    const half = text.length >> 1;
    const two = join(tmp, 'two.gz');
    writeFileSync(two, Buffer.concat([gzipSync(text.subarray(0, half)), gzipSync(text.subarray(half))]));
    const both = await pointsOf(two);
    expect(both.written.equals(text)).toBe(true);
    expect(both.points).toBeUndefined();
    const whole = gzipSync(text);
    const cut = join(tmp, 'cut.gz');
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    expect((await pointsOf(cut)).points).toBeUndefined();
    const bad = join(tmp, 'bad.gz');
    writeFileSync(bad, Buffer.from(whole).fill(0xa5, whole.length >> 1, (whole.length >> 1) + 64));
    expect((await pointsOf(bad)).points).toBeUndefined();
  });
});

describe('a gzip dump read from its saved index', () => {
  const plain = REFC;

  it('proc from the index is the plain file\'s, and only the spans read are inflated', async () => {
    const gz = join(tmp, 'refc.dump.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain), { level: 1 }));
    const first = await readDump(gz, { spool: tmp, cache: true });
    expect(first.source.fromIndex).toBeFalsy();
    expect(existsSync(indexPaths(gz).beside)).toBe(true);
    releaseSpool(first.source);
    const dump = await readDump(gz, { spool: tmp, cache: true });
    expect(dump.source.fromIndex).toBe(true);
    expect(dump.source.compression).toBe('gzip');
    // The spool is as big as the dump, and holds nothing until a section is read (a sparse file).
    const st = statSync(dump.source.spool!);
    expect(st.size).toBe(statSync(plain).size);
    expect(st.blocks).toBe(0);
    const want = await readDump(plain, { cache: false });
    // The longest queue's process (log_shipper).
    const q = want.processes.messageQueueLength;
    const rows = [...Array(want.processes.count).keys()].sort((a, b) => (q.at(b) || 0) - (q.at(a) || 0));
    const pid = want.processes.pid.at(rows[0]);
    const got = procToJson(decodeProcess(dump, pid, { maxSamples: 3 }), 10);
    expect(JSON.stringify(got)).toBe(JSON.stringify(procToJson(decodeProcess(want, pid, { maxSamples: 3 }), 10)));
    releaseSpool(dump.source);
  });

});

describe('a gzip dump changed after it was indexed', () => {
  const plain = REFC;

  it('a file changed after it was indexed (same size, time and ends): one line, the index removed, then read afresh', async () => {
    const gz = join(tmp, 'changed.dump.gz');
    const packed = gzipSync(readFileSync(plain), { level: 1 });
    writeFileSync(gz, packed);
    // A time in whole seconds, which utimes sets back exactly (the key compares it to the ns).
    utimesSync(gz, 1e9, 1e9);
    expect(beamscope(['index', gz]).code).toBe(0);
    const index = indexPaths(gz).beside;
    expect(existsSync(index)).toBe(true);
    // A byte in the middle of the second span's compressed data: the heaps (which leak reads) run
    // from 0.66 to 1.94 MB of the dump; far from the 64 KiB at each end that the dump's key reads.
    const { points } = await pointsOf(gz);
    const at = Math.floor((points!.inByte[1] + points!.inByte[2]) / 2);
    expect(points!.outByte[1]).toBeLessThan(1.9e6);
    expect(at).toBeGreaterThan(64 << 10);
    expect(at).toBeLessThan(packed.length - (64 << 10));
    const changed = Buffer.from(packed);
    changed[at] ^= 0x55;
    writeFileSync(gz, changed);
    utimesSync(gz, 1e9, 1e9);
    const leak = beamscope(['leak', gz]);
    expect(leak.code).toBe(1);
    expectOneLineError(leak.stderr, /its data does not decompress at byte \d+ as its saved index says \(the file changed after it was indexed\?\): the index is removed; run the command again/);
    expect(existsSync(index)).toBe(false);
    // Read afresh, the damage is what the reader says of any damaged gzip.
    const again = beamscope(['triage', '--no-cache', gz]);
    expect(again.stderr).not.toMatch(/saved index/);
  });

  it('a span read whole through openData is checked: the library call throws GzipIndexMismatch', async () => {
    const gz = join(tmp, 'changed2.dump.gz');
    const packed = gzipSync(readFileSync(plain), { level: 1 });
    writeFileSync(gz, packed);
    utimesSync(gz, 1e9, 1e9);
    releaseSpool((await readDump(gz, { spool: tmp, cache: true })).source);
    const { points } = await pointsOf(gz);
    const changed = Buffer.from(packed);
    changed[Math.floor((points!.inByte[1] + points!.inByte[2]) / 2)] ^= 0x55;
    writeFileSync(gz, changed);
    utimesSync(gz, 1e9, 1e9);
    const dump = await readDump(gz, { spool: tmp, cache: true });
    expect(dump.source.fromIndex).toBe(true);
    const fd = openData(dump.source.spool!);
    try {
      const buf = Buffer.alloc(statSync(plain).size);
      expect(() => readData(fd, buf, 0, buf.length, 0)).toThrow(GzipIndexMismatch);
    } finally {
      closeData(fd);
      releaseSpool(dump.source);
    }
  });

});

describe('the gzip index and the command line', () => {
  const plain = REFC;

  it('--no-cache neither saves nor reads one; `index` builds it, then finds it up to date', () => {
    const gz = join(tmp, 'nocache.dump.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain), { level: 1 }));
    expect(beamscope(['triage', '--no-cache', gz]).code).toBe(0);
    expect(existsSync(indexPaths(gz).beside)).toBe(false);
    const r = beamscope(['index', '--format', 'json', gz]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'built', processes: expect.any(Number) });
    expect(JSON.parse(beamscope(['index', '--format', 'json', gz]).stdout)).toMatchObject({ status: 'up to date' });
  });
});

