/**
 * A zstd or xz dump's decompressor started by the CLI's entry before its modules load
 * (cli/early-start.ts, src/dump/early-spool.ts): the reader takes it for that file and spool
 * directory (the same results as one it starts itself), nothing starts for anything else, and one
 * not taken neither keeps the process alive nor outlives it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { startDecompressorEarly } from '../cli/early-start.js';
import { startSpoolEarly, takeSpoolEarly } from '../src/dump/early-spool.js';
import { readDump, releaseSpool } from '../src/dump/index.js';
import { triageDump } from '../src/usecases/triage.js';
import { FIXTURES_DIR } from './helpers/fixtures.js';
import { until } from './helpers/poll.js';

const HAS_ZSTD = spawnSync('zstd', ['--version']).status === 0;
if (!HAS_ZSTD && process.env.CI === 'true') throw new Error('zstd is missing under CI=true (.ci/run installs it)');

const tmp = mkdtempSync(join(tmpdir(), 'beamscope-early-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const plain = join(FIXTURES_DIR, 'mailbox.dump');
const zst = join(tmp, 'mailbox.dump.zst');
const gz = join(tmp, 'mailbox.dump.gz');
if (HAS_ZSTD) writeFileSync(zst, execFileSync('zstd', ['-q', '-1', '-c', plain]));
writeFileSync(gz, gzipSync(readFileSync(plain)));

/** Triage JSON without what names the file read. */
function triageJson(path: string, spool: string | true = true): Promise<unknown> {
  return readDump(path, { spool }).then((dump) => {
    const t = triageDump(dump, { top: 10 });
    releaseSpool(dump.source);
    return JSON.parse(JSON.stringify({ ...t, source: null }).split(path).join('DUMP'));
  });
}

describe.skipIf(!HAS_ZSTD)('a decompressor started early', () => {
  it('is taken by the read of that file, with the results of one the reader starts', async () => {
    const own = await triageJson(zst);
    await startDecompressorEarly(['triage', '--format', 'json', zst]);
    const started = takeSpoolEarly(zst, undefined);
    expect(started).toBeDefined();
    started!.spool.discard();
    await started!.writer;

    await startDecompressorEarly(['--threads', '1', 'proc', zst, '<0.1.0>']);
    expect(await triageJson(zst)).toEqual(own);
    // Taken once: nothing left for the next read.
    expect(takeSpoolEarly(zst, undefined)).toBeUndefined();
  });

  it('is taken only for its spool directory: --spool DIR', async () => {
    const dir = mkdtempSync(join(tmp, 'spool-'));
    await startDecompressorEarly(['triage', zst, '--spool', dir]);
    expect(takeSpoolEarly(zst, undefined)).toBeUndefined();
    const own = await triageJson(zst, dir);
    expect(takeSpoolEarly(zst, dir)).toBeUndefined();
    expect(own).toEqual(await triageJson(zst));
    await startDecompressorEarly([`--spool=${dir}`, 'leak', zst]);
    const started = takeSpoolEarly(zst, dir);
    expect(started).toBeDefined();
    started!.spool.discard();
    await started!.writer;
  });

  it('starts nothing for other commands, help, gzip, plain files, pipes, or no spool', async () => {
    // A named pipe with no writer: opening it would wait (the test would time out).
    const fifo = join(tmp, 'fifo.zst');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['alloc', zst], ['triage', '--help', zst], ['triage', gz], ['triage', plain], ['triage', '--no-spool', zst], ['triage', tmp],
      ['triage', join(tmp, 'missing.zst')], [zst], ['triage', '--', zst], ['triage', fifo]]) {
      await startDecompressorEarly(args);
      expect(takeSpoolEarly(zst, undefined), args.join(' ')).toBeUndefined();
    }
  });

  it('one not taken lets the process end, and is stopped when it does', async () => {
    // A "zstd" that never ends (BEAMSCOPE_ZSTD names the program), writing into a spool in a
    // directory of its own, by which the test finds it under /proc.
    const dir = mkdtempSync(join(tmp, 'orphan-'));
    const slow = join(dir, 'slow-zstd');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 60\n');
    chmodSync(slow, 0o755);
    // The compiled module (`npm test` builds first).
    const script = `import { startSpoolEarly } from ${JSON.stringify(new URL('../dist/src/dump/early-spool.js', import.meta.url).href)};
      startSpoolEarly('zstd', ${JSON.stringify(zst)}, ${JSON.stringify(dir)});
      setTimeout(() => {}, 300);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, BEAMSCOPE_ZSTD: slow }, timeout: 30_000, encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    // Nothing writes into a spool in `dir` once the process is gone.
    const writers = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/fd/1`).startsWith(dir);
      } catch {
        return false;
      }
    });
    await until('the early decompressor to stop', 10_000, () => (writers().length === 0 ? true : undefined));
  });

  it('a second start is ignored while one waits', async () => {
    startSpoolEarly('zstd', zst, undefined);
    startSpoolEarly('zstd', plain, undefined);
    expect(takeSpoolEarly(plain, undefined)).toBeUndefined();
    const first = takeSpoolEarly(zst, undefined)!;
    first.spool.discard();
    await first.writer;
  });
});
