import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../cli/common.js';
import { readDump } from '../src/dump/reader.js';
import { parseSaved, replace } from '../src/dump/dump-key.js';
import { ResultCache, resultPaths } from '../src/dump/result-cache.js';
import { renderTriageText } from '../src/report/triage-text.js';
import { triageDump } from '../src/usecases/triage.js';
import { CLI, corpusDumps, fixtureDumps, FIXTURES } from './helpers/dumps.js';

// Each test's results (and indexes) in a directory of its own (resultPaths reads the variable at every call).
const saved = process.env.BEAMSCOPE_INDEX_DIR;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'beamscope-results-test-'));
  process.env.BEAMSCOPE_INDEX_DIR = dir;
});
afterAll(() => {
  process.env.BEAMSCOPE_INDEX_DIR = saved;
});

describe.each([...fixtureDumps(), ...corpusDumps()].map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('a saved triage report prints as the report it was made from (JSON, text, colour, Elixir)', async () => {
    const dump = await readDump(file, { threads: 1 });
    for (const elixir of [undefined, { reason: 'a test' }]) {
      const report = triageDump(dump, { elixir });
      const key = `triage ${elixir ? 'elixir' : 'erlang'}`;
      expect(ResultCache.open(file)!.put(key, report)).toBeDefined();
      // A fresh open, as the next command makes.
      const back = ResultCache.open(file)!.get(key) as typeof report;
      expect(back).toBeDefined();
      expect(toJson(back)).toBe(toJson(report));
      for (const color of [false, true]) {
        for (const width of [60, 100]) expect(renderTriageText(back, { color, width })).toBe(renderTriageText(report, { color, width }));
      }
    }
  });
});

describe('a saved result that is not this dump\'s, or not intact, is not used', () => {
  const dumps = mkdtempSync(join(tmpdir(), 'beamscope-results-dumps-'));
  const dumpA = join(dumps, 'a.dump');
  const dumpB = join(dumps, 'b.dump');
  copyFileSync(join(FIXTURES, 'oom.dump'), dumpA);
  copyFileSync(join(FIXTURES, 'mailbox.dump'), dumpB);

  it('only the key it was saved under finds it, and the newest entries are kept', () => {
    const c = ResultCache.open(dumpA)!;
    for (let k = 0; k < 12; k++) c.put(`k${k}`, { n: k, nan: NaN, inf: -Infinity });
    const again = ResultCache.open(dumpA)!;
    expect(again.get('k11')).toEqual({ n: 11, nan: NaN, inf: -Infinity });
    expect(again.get('k4')).toEqual({ n: 4, nan: NaN, inf: -Infinity });
    expect(again.get('k3')).toBeUndefined();
    expect(again.get('other')).toBeUndefined();
  });

  it('the saved JSON gives NaN and the infinities back, and texts like their marker as they were', () => {
    const values = { a: [NaN, 1, Infinity, -Infinity], b: { c: 'num', d: '\u0000num', e: { '#num': 'NaN' } } };
    expect(parseSaved(JSON.stringify(values, replace))).toEqual(values);
    const plain = { a: [1, 2], b: 'num' };
    expect(parseSaved(JSON.stringify(plain, replace))).toEqual(plain);
  });

  it('a pipe has no saved results and is not opened (closing its reader would stop its writer)', () => {
    const fifo = join(dumps, 'pipe.dump');
    execFileSync('mkfifo', [fifo]);
    // Opening a pipe with no writer blocks: this returns at once only if it is not opened.
    expect(ResultCache.open(fifo)).toBeUndefined();
    expect(ResultCache.open(dumps)).toBeUndefined();
    expect(ResultCache.open(join(dumps, 'missing.dump'))).toBeUndefined();
  });

  it('a changed dump (grown, or other bytes at the end) finds nothing', () => {
    ResultCache.open(dumpA)!.put('k', 1);
    expect(ResultCache.open(dumpA)!.get('k')).toBe(1);
    appendFileSync(dumpA, '=end\n');
    expect(ResultCache.open(dumpA)!.get('k')).toBeUndefined();
  });

  it("another dump's results, copied to this dump's place, are not used", () => {
    ResultCache.open(dumpB)!.put('k', 'b');
    copyFileSync(resultPaths(dumpB).beside, resultPaths(dumpA).beside);
    expect(ResultCache.open(dumpA)!.get('k')).toBeUndefined();
  });

  it('a corrupt results file (bytes flipped anywhere, cut anywhere, garbage) is ignored and replaced', () => {
    const c = ResultCache.open(dumpB)!;
    c.put('k', { report: 'x'.repeat(1000) });
    const file = resultPaths(dumpB).beside;
    const good = readFileSync(file);
    let seed = 4242;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const bad: Buffer[] = [Buffer.alloc(0), Buffer.from('beamscope results\n'), Buffer.from('not results at all')];
    for (const at of [0, 18, 22, 26, 30, 40, ...Array.from({ length: 40 }, () => rand(good.length))]) {
      const b = Buffer.from(good);
      b[at] ^= 1 << rand(8);
      bad.push(b);
    }
    for (let k = 0; k < 10; k++) bad.push(good.subarray(0, rand(good.length)));
    bad.push(Buffer.concat([good, Buffer.from('\n')]));
    for (const b of bad) {
      writeFileSync(file, b);
      expect(ResultCache.open(dumpB)!.get('k')).toBeUndefined();
    }
    expect(ResultCache.open(dumpB)!.put('k', 2)).toBe(file);
    expect(ResultCache.open(dumpB)!.get('k')).toBe(2);
  });
});

describe('beamscope triage, a second time', () => {
  const run = promisify(execFile);
  const dumps = mkdtempSync(join(tmpdir(), 'beamscope-results-cli-'));
  const dump = join(dumps, 'mailbox.dump');
  copyFileSync(join(FIXTURES, 'mailbox.dump'), dump);
  const triage = async (...args: string[]) =>
    (await run(process.execPath, [CLI, 'triage', dump, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', BEAMSCOPE_INDEX_DIR: dir } })).stdout;

  it('prints what a fresh read prints, for every format and option, from the saved report', async () => {
    for (const args of [['--format', 'json'], [], ['--top', '2'], ['--no-decode', '--format', 'json'], ['--syntax', 'elixir']]) {
      const fresh = await triage('--no-cache', ...args);
      expect(await triage(...args)).toBe(fresh);
      expect(existsSync(resultPaths(dump).beside)).toBe(true);
      expect(await triage(...args)).toBe(fresh);
    }
  });

  it('--no-cache neither reads nor writes saved results', async () => {
    const other = join(dumps, 'oom.dump');
    copyFileSync(join(FIXTURES, 'oom.dump'), other);
    await run(process.execPath, [CLI, 'triage', other, '--no-cache'], { env: { ...process.env, BEAMSCOPE_INDEX_DIR: dir } });
    expect(existsSync(resultPaths(other).beside)).toBe(false);
  });
});

describe('beamscope triage of a compressed dump file, a second time', () => {
  const run = promisify(execFile);
  const dumps = mkdtempSync(join(tmpdir(), 'beamscope-results-compressed-'));
  const plain = join(dumps, 'mailbox.dump');
  copyFileSync(join(FIXTURES, 'mailbox.dump'), plain);
  // Made by the programs users make them with.
  execFileSync('gzip', ['-k', plain]);
  execFileSync('zstd', ['-q', '-k', plain]);
  execFileSync('xz', ['-k', plain]);
  const triage = async (file: string, ...args: string[]) =>
    (await run(process.execPath, [CLI, 'triage', file, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', BEAMSCOPE_INDEX_DIR: dir } })).stdout;

  it.each(['gz', 'zst', 'xz'])('.%s: the saved report prints what a fresh read prints, and is keyed by the compressed file', async (ext) => {
    const file = `${plain}.${ext}`;
    expect(existsSync(resultPaths(file).beside)).toBe(false);
    for (const args of [['--format', 'json'], []]) {
      const fresh = await triage(file, '--no-cache', ...args);
      expect(await triage(file, ...args)).toBe(fresh);
      expect(existsSync(resultPaths(file).beside)).toBe(true);
      expect(await triage(file, ...args)).toBe(fresh);
    }
    // No index beside it: nothing in a compressed file can be sought.
    expect(existsSync(`${file}.bsidx`)).toBe(false);
  });

  it('a compressed dump cut short saves no report (what the decompressor says is not in the key)', async () => {
    const whole = readFileSync(`${plain}.gz`);
    const cut = join(dumps, 'cut.dump.gz');
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    const out = JSON.parse(await triage(cut, '--format', 'json')) as { truncation: { compressedInputError?: string } };
    expect(out.truncation.compressedInputError).toBeDefined();
    expect(existsSync(resultPaths(cut).beside)).toBe(false);
  });
});
