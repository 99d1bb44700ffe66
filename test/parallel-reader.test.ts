import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dump } from '../src/dump/index.js';
import { corpusDumps, fixtureDumps } from './helpers/dumps.js';
// The parallel reader starts its workers from the compiled files (`npm test` builds first): from
// the TypeScript sources it reads in one pass.
import { readDump } from '../dist/src/dump/index.js';
import { claimRange } from '../src/dump/read-range.js';
import { plainModel } from './helpers/model.js';

/** The model as plain data (the parallel read uses the compiled reader, the comparison the sources'). */
const model = (d: Dump): unknown => plainModel(d);

const all = [...fixtureDumps(), ...corpusDumps()];

describe.each(all.map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('reads the same model in byte ranges on 3 threads as in one pass', async () => {
    const one = await readDump(file, { threads: 1 });
    expect(one.source.threads).toBe(1);
    // Small and odd range sizes put range boundaries everywhere: inside lines, tag lines, sections.
    for (const rangeBytes of [4093, 65521]) {
      const many = await readDump(file, { threads: 3, parallelMinBytes: 1, rangeBytes, bufferSize: 1024 });
      expect(many.source.threads, 'read in parallel').toBe(3);
      expect(model(many)).toEqual(model(one));
    }
    const tiny = await readDump(file, { threads: 2, parallelMinBytes: 1, rangeBytes: 211, bufferSize: 7 });
    expect(model(tiny)).toEqual(model(one));
  });
});

describe('workers started for a file that turns out not to be a dump', () => {
  it('are stopped, and the file is refused with the usual error', async () => {
    const png = join(mkdtempSync(join(tmpdir(), 'beamscope-par-')), 'x.png');
    writeFileSync(png, Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(1 << 16)]));
    await expect(readDump(png, { threads: 3, parallelMinBytes: 1 })).rejects.toThrow(/not an Erlang crash dump/);
  });
});

describe('claimRange', () => {
  it('hands out every range once, in file order, and nothing after the last', () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const n = 37;
    const got: number[] = [];
    for (let k = claimRange(counter, n); k >= 0; k = claimRange(counter, n)) got.push(k);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(claimRange(counter, n)).toBe(-1);
    // Claims past the end do not move the counter on towards 2^31.
    expect(counter[0]).toBe(n);
  });

  it('has nothing to hand out for no ranges', () => {
    expect(claimRange(new Int32Array(new SharedArrayBuffer(8)), 0)).toBe(-1);
  });
});

// The zstd program writes a dump's decompressed bytes into the spool while worker threads read it
// in byte ranges as it grows (reader.ts readZstdSpool, growing.ts). Through this stand-in for the
// program, which passes the real one's output on in 16 KiB pieces, a millisecond apart, the
// readers overtake the writer and wait for it, at range starts and in the middle of ranges.
/** The zstd program's stand-in: the real one's output passed on 16 KiB at a time, a millisecond apart. */
const SLOW_ZSTD = `#!/usr/bin/env node
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');
const z = spawn('zstd', process.argv.slice(2), { stdio: ['inherit', 'pipe', 'inherit'] });
const queue = [];
let writing = false;
let code;
const step = () => {
  const b = queue[0];
  if (!b) {
    writing = false;
    if (code !== undefined) process.exitCode = code;
    return;
  }
  writeSync(1, b.subarray(0, 16384));
  if (b.length > 16384) queue[0] = b.subarray(16384);
  else queue.shift();
  setTimeout(step, 1);
};
z.stdout.on('data', (b) => {
  queue.push(b);
  if (!writing) {
    writing = true;
    step();
  }
});
z.on('close', (c) => {
  code = c ?? 1;
  if (!writing) process.exitCode = code;
});
`;
const HAS_ZSTD = spawnSync('zstd', ['--version']).status === 0;
if (!HAS_ZSTD && process.env.CI === 'true') throw new Error('zstd is missing under CI=true (.ci/run installs it)');
describe.skipIf(!HAS_ZSTD)('a zstd dump read in byte ranges while the zstd program writes it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamscope-par-zst-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const slow = join(dir, 'slow-zstd.cjs');
  writeFileSync(slow, SLOW_ZSTD);

  chmodSync(slow, 0o755);
  const zst = (plain: string, bytes?: Buffer, name = basename(plain)) => {
    const file = join(dir, `${name}.zst`);
    writeFileSync(file, execFileSync('zstd', ['-q', '-1', '-c'], { input: bytes ?? readFileSync(plain), maxBuffer: 1 << 30 }));
    return file;
  };
  /** A read through the slow writer on `threads` threads (the program counts as one). */
  const readSlowly = async (file: string, o: { threads: number; rangeBytes?: number; bufferSize?: number }) => {
    process.env.BEAMSCOPE_ZSTD = slow;
    try {
      return await readDump(file, { spool: dir, parallelMinBytes: 1, ...o });
    } finally {
      delete process.env.BEAMSCOPE_ZSTD;
    }
  };
  // The model without its source, the binaries found through the spool.
  const unsourced = (d: Dump) => ({ ...(model({ ...d, source: { ...d.source, path: d.source.spool ?? d.source.path } }) as object), source: null });

  for (const file of all.filter((f) => !f.endsWith('pre_r10b_2002.dump'))) {
    it(`${basename(file)}: the same model as the plain file in one pass`, async () => {
      const want = unsourced(await readDump(file, { threads: 1 }));
      const packed = zst(file);
      const got = await readSlowly(packed, { threads: 3, rangeBytes: 4093, bufferSize: 1024 });
      expect(got.source.threads, 'read in parallel').toBe(2);
      expect(got.source.compression).toBe('zstd');
      expect(unsourced(got)).toEqual(want);
    }, 60_000);
  }

  it('a cut and a damaged file: read as far as the data goes, as in one pass, the error reported', async () => {
    const plain = all.find((f) => f.endsWith('mailbox.dump') && !f.endsWith('refc_mailbox.dump'))!;
    const whole = readFileSync(zst(plain));
    const cut = join(dir, 'cut.zst');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const bad = join(dir, 'bad.zst');
    writeFileSync(bad, Buffer.from(whole).fill(0xa5, Math.floor(whole.length / 3), Math.floor(whole.length / 3) + 64));
    for (const [file, error] of [[cut, /^the zstd stream ends early$/], [bad, /^zstd: /]] as const) {
      const one = await readSlowly(file, { threads: 1 });
      expect(one.source.threads).toBe(1);
      const many = await readSlowly(file, { threads: 3, rangeBytes: 4093, bufferSize: 1024 });
      expect(many.source.threads).toBe(2);
      for (const d of [one, many]) {
        expect(d.truncation.truncated).toBe(true);
        expect(d.truncation.compressedInputError).toMatch(error);
        expect(d.truncation.bytesRead).toBeLessThan(readFileSync(plain).length);
      }
      expect(unsourced(many)).toEqual(unsourced(one));
      // One range from the end of the first 64 KiB read (where the header ends) to exactly where
      // the data stops, inside a section: the range's scan stops there, as a range does where the
      // next one begins, but no range follows, so it must be read to the end.
      const length = spawnSync('zstd', ['-dc', file], { maxBuffer: 1 << 30 }).stdout.length;
      const exact = await readSlowly(file, { threads: 3, rangeBytes: length - 65536, bufferSize: 65536 });
      expect(unsourced(exact)).toEqual(unsourced(one));
    }
  }, 60_000);
});
