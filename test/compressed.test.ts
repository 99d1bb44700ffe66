/**
 * Compressed dumps are first-class (issue 20): every command's JSON on the gzip, zstd and xz forms
 * of every fixture and corpus dump equals its JSON on the plain file, apart from the fields that
 * name the source; truncated and damaged compressed dumps are read as far as the data goes.
 *
 * The compressed forms are made here, never committed: gzip with node:zlib, zstd and xz with the
 * system's `zstd` and `xz` (.ci/run installs them; without them those forms are skipped, and fail
 * under CI=true).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump, releaseSpool, type Dump } from '../src/dump/index.js';
import { triageDump } from '../src/usecases/triage.js';
import { detectCompression, gunzipToFile } from '../src/dump/compression.js';
import { procsReport } from '../src/usecases/procs.js';
import { decodeProcess } from '../src/dump/terms/index.js';
import { allocatorModelFromDump, summarizeByType } from '../src/alloc/index.js';
import { diffDumps, dumpLeakReport, procLibInitialCalls } from '../src/leak/index.js';
import { procToJson } from '../src/report/proc-text.js';
import { beamscope } from './helpers/cli.js';
import { corpusDumps, FIXTURES, FIXTURES_DIR } from './helpers/fixtures.js';

const CI = process.env.CI === 'true';
const has = (tool: string) => spawnSync(tool, ['--version']).status === 0;
const TOOLS = { zstd: has('zstd'), xz: has('xz') };
for (const [tool, ok] of Object.entries(TOOLS)) {
  if (!ok && CI) throw new Error(`${tool} is missing under CI=true (.ci/run installs it)`);
  if (!ok) console.warn(`compressed.test: no ${tool} on this machine: its forms are skipped`);
}

const tmp = mkdtempSync(join(tmpdir(), 'beamscope-compressed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Form = 'gzip' | 'zstd' | 'xz';
const FORMS: Form[] = (['gzip', 'zstd', 'xz'] as const).filter((f) => f === 'gzip' || TOOLS[f]);

/** The dump compressed in `form`, in the test's temporary directory. */
function compress(plain: string, form: Form, bytes?: Buffer): string {
  const name = join(tmp, `${basename(plain)}.${form}`);
  const data = bytes ?? readFileSync(plain);
  if (form === 'gzip') writeFileSync(name, gzipSync(data, { level: 1 }));
  // --check (the default) writes a content checksum; -T0 would make several xz blocks.
  else if (form === 'zstd') writeFileSync(name, execFileSync('zstd', ['-q', '-1', '-c'], { input: data, maxBuffer: 1 << 30 }));
  else writeFileSync(name, execFileSync('xz', ['-1', '-T2', '-c'], { input: data, maxBuffer: 1 << 30 }));
  return name;
}

/** JSON as the CLI prints it, with the dump's path (in notes and commands) written as DUMP. */
function json(value: unknown, ...paths: string[]): unknown {
  // `seconds` (how long a step took) is the one field besides the source that differs run to run.
  let text = JSON.stringify(value, (k, v: unknown) => (k === 'seconds' ? undefined : typeof v === 'bigint' ? v.toString() : typeof v === 'number' && !Number.isFinite(v) ? null : v));
  for (const p of paths) if (p !== '-') text = text.split(JSON.stringify(p).slice(1, -1)).join('DUMP');
  return JSON.parse(text);
}

/** What each command says of a dump, through the library calls the commands make. */
function commands(dump: Dump): Record<string, unknown> {
  const path = dump.source.path;
  const p = dump.processes;
  // The processes `proc` is most asked about: the longest queue and the largest memory.
  const rows = [...Array(p.count).keys()];
  const byQueue = rows.sort((a, b) => p.messageQueueLength[b] - p.messageQueueLength[a])[0];
  const byMemory = [...rows].sort((a, b) => p.memoryBytes[b] - p.memoryBytes[a])[0];
  const procs = [...new Set([byQueue, byMemory])].filter((i) => i !== undefined).map((i) => p.pid[i]);
  const out: Record<string, unknown> = {
    triage: { ...(json(triageDump(dump, { top: 10 }), path) as object), source: null },
    procs: json(procsReport(dump, { sort: 'memory', top: 10 }), path),
    procsByAncestor: json(procsReport(dump, { sort: 'mailbox', groupBy: 'ancestor', top: 10 }), path),
    alloc: json(summarizeByType(allocatorModelFromDump(dump.allocators, dump.memory)), path),
  };
  for (const pid of procs) out[`proc ${pid}`] = json(procToJson(decodeProcess(dump, pid, { maxSamples: 3 }), 10), path);
  try {
    out.leak = { ...(json(dumpLeakReport(dump, { top: 10 }), path) as object), source: null };
  } catch (e) {
    out.leak = `error: ${(e as Error).message.split(path).join('DUMP')}`;
  }
  const ids = procLibInitialCalls(dump);
  const diff = diffDumps(dump, dump, { top: 10, initialCalls: { a: ids.calls, b: ids.calls }, notes: ids.note ? [ids.note] : [] });
  out.diff = json({ ...diff, a: null, b: null }, path);
  return out;
}

async function readSpooled(path: string): Promise<Dump> {
  return readDump(path, { spool: tmp });
}

const fixtureDumps = readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.dump')).map((f) => join(FIXTURES_DIR, f));
const corpus = corpusDumps();

describe('every command on gzip, zstd and xz forms gives the plain file\'s JSON', () => {
  for (const plain of [...fixtureDumps, ...corpus]) {
    it(basename(plain), async () => {
      let want: Record<string, unknown> | string;
      try {
        want = commands(await readDump(plain));
      } catch (e) {
        // The pre-R10B dump and the like are refused: the compressed forms are refused alike.
        want = `error: ${(e as Error).message.split(plain).join('DUMP')}`;
      }
      for (const form of FORMS) {
        const packed = compress(plain, form);
        expect(detectCompression(readFileSync(packed).subarray(0, 6))).toBe(form);
        let got: Record<string, unknown> | string;
        let dump: Dump | undefined;
        try {
          dump = await readSpooled(packed);
          got = commands(dump);
        } catch (e) {
          got = `error: ${(e as Error).message.split(packed).join('DUMP')}`;
        }
        expect(got, `${form} form`).toEqual(want);
        if (dump) {
          expect(dump.source.compression).toBe(form);
          expect(dump.source.seekable).toBe(true);
          releaseSpool(dump.source);
          expect(dump.source.seekable).toBe(false);
          if (dump.processes.count) expect(() => decodeProcess(dump!, dump!.processes.pid[0])).toThrow(/released/);
        }
      }
    }, 120_000);
  }
});

describe('truncated and damaged compressed dumps', () => {
  const plain = FIXTURES.mailbox;
  const bytes = readFileSync(plain);
  /** What the system's decompressor makes of a file (zcat, zstdcat, xzcat print what they decode). */
  const toolOutput = (form: Form, file: string) => spawnSync(form === 'gzip' ? 'gzip' : form, ['-dc', file], { maxBuffer: 1 << 30 }).stdout;

  /**
   * The zstd cases once more with fzstd, as on a host without the zstd program; the gzip ones once
   * more through node:zlib's stream, as on a Node whose zlib handle the gunzip worker cannot use.
   */
  const withJsZstd = (form: Form, run: () => Promise<void>) => async () => {
    if (form === 'xz') return run();
    const key = form === 'zstd' ? 'BEAMSCOPE_ZSTD' : 'BEAMSCOPE_GZIP';
    process.env[key] = form === 'zstd' ? 'js' : 'stream';
    try {
      await run();
    } finally {
      delete process.env[key];
    }
  };
  const jsForms: Array<[Form, string]> = FORMS.flatMap((f): Array<[Form, string]> =>
    f === 'zstd' ? [[f, 'zstd program'], [f, 'fzstd']] : f === 'gzip' ? [[f, 'gzip worker'], [f, 'gzip stream']] : [[f, f]]);
  for (const [form, label] of jsForms) {
    const js = label === 'fzstd' || label === 'gzip stream';
    it(`${label}: cut in the middle, read as far as the data goes, the truncation reported`, async () => (js ? withJsZstd(form, cutCase(form)) : cutCase(form))(), 60_000);
    it(`${label}: damaged in the middle, read up to the damage, never a crash`, async () => (js ? withJsZstd(form, damagedCase(form)) : damagedCase(form))(), 60_000);
  }

  function cutCase(form: Form) {
    return async () => {
      const whole = readFileSync(compress(plain, form));
      const cut = join(tmp, `cut.${form}`);
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      const dump = await readSpooled(cut);
      const t = dump.truncation;
      expect(t.truncated).toBe(true);
      expect(t.compressedInputError).toBe(`the ${form} stream ends early`);
      // As far as the system's decompressor reads, less at most one output chunk.
      const tool = toolOutput(form, cut);
      expect(t.bytesRead).toBeLessThanOrEqual(tool.length);
      expect(t.bytesRead).toBeGreaterThan(tool.length - (1 << 20));
      expect(tool.subarray(0, t.bytesRead).equals(bytes.subarray(0, t.bytesRead))).toBe(true);
      // The same report as the plain file cut where the data stops, but for the reason given.
      const prefix = join(tmp, `prefix.${form}.dump`);
      writeFileSync(prefix, bytes.subarray(0, t.bytesRead));
      const a = commands(await readDump(prefix));
      const b = commands(dump);
      const strip = (r: Record<string, unknown>) => {
        const tr = r.triage as { truncation: Record<string, unknown>; findings: Array<{ id: string; explanation: string }> };
        delete tr.truncation.compressedInputError;
        for (const f of tr.findings) if (f.id === 'dump.truncated') f.explanation = '';
        return r;
      };
      expect(strip(b)).toEqual(strip(a));
      const finding = triageDump(dump).findings.find((f) => f.id === 'dump.truncated');
      expect(finding?.explanation).toMatch(new RegExp(`the compressed file is damaged \\(the ${form} stream ends early\\)`));
    };
  }

  function damagedCase(form: Form) {
    return async () => {
      const whole = Buffer.from(readFileSync(compress(plain, form)));
      whole.fill(0xa5, Math.floor(whole.length / 3), Math.floor(whole.length / 3) + 64);
      const bad = join(tmp, `bad.${form}`);
      writeFileSync(bad, whole);
      const dump = await readSpooled(bad);
      const t = dump.truncation;
      if (form === 'gzip' && !t.compressedInputError) {
        // The damage inflated without a deflate error (inside stored or literal bytes): the CRC-32
        // in the trailer is what notices it, as gzip -d says "crc error".
        expect(t.compressedTrailerError).toBe('gzip: incorrect data check');
        return;
      }
      if (form === 'zstd' && !t.compressedInputError) {
        // fzstd does not check the frame's content checksum (the zstd program does): damage inside
        // literal bytes can pass unseen, and the dump reads to its end. The reader must not fail.
        expect(t.bytesRead).toBe(bytes.length);
        return;
      }
      expect(t.truncated).toBe(true);
      expect(t.compressedInputError).toMatch(new RegExp(`^${form}: |^the ${form} stream ends early$`));
      expect(t.bytesRead).toBeLessThan(bytes.length);
      expect(bytes.subarray(0, Math.min(t.bytesRead, 1 << 20)).equals(toolOutput(form, bad).subarray(0, Math.min(t.bytesRead, 1 << 20)))).toBe(true);
    };
  }

  it('a compressed file that is not a dump is refused with one line', async () => {
    const notDump = join(tmp, 'text.txt');
    writeFileSync(notDump, 'hello\n'.repeat(100));
    for (const form of FORMS) {
      await expect(readSpooled(compress(notDump, form))).rejects.toThrow(/not an Erlang crash dump/);
    }
  });
});

/** What gunzipToFile writes into a new file, and how it ended. */
async function inflateToFile(file: string) {
  const out = join(tmp, `out-${basename(file)}`);
  const fd = openSync(out, 'w+');
  try {
    const w = await gunzipToFile(file, fd);
    // On the Node versions this package supports the worker can use zlib's handle: a Node that
    // changed it would fall back to the stream, slower and bigger, so this says so.
    expect(w, 'the gunzip worker runs on this Node').toBeDefined();
    return { end: await w!.exited, out: readFileSync(out) };
  } finally {
    closeSync(fd);
  }
}

describe('gzip inflated into the spool by a worker thread', () => {
  const plain = FIXTURES.mailbox;
  const bytes = readFileSync(plain);
  const gzipDc = (file: string) => spawnSync('gzip', ['-dc', file], { maxBuffer: 1 << 30 }).stdout;

  it('writes what gzip -d writes: one member, several, trailing zeros', async () => {
    const other = readFileSync(FIXTURES.many);
    const cases: Array<[string, Buffer]> = [
      ['one.gz', gzipSync(bytes, { level: 1 })],
      ['two.gz', Buffer.concat([gzipSync(bytes, { level: 6 }), gzipSync(other, { level: 1 })])],
      ['padded.gz', Buffer.concat([gzipSync(bytes), Buffer.alloc(4096)])],
    ];
    for (const [name, data] of cases) {
      const file = join(tmp, name);
      writeFileSync(file, data);
      const { end, out } = await inflateToFile(file);
      expect(end, name).toEqual({});
      expect(out.equals(gzipDc(file)), name).toBe(true);
    }
  });

  it('a gzip whose only defect is its trailer is read whole into the spool, the defect noted (worker and stream)', async () => {
    const want = commands(await readDump(plain));
    for (const at of [8, 1]) {
      const b = Buffer.from(gzipSync(bytes, { level: 1 }));
      b[b.length - at] ^= 0xff;
      const file = join(tmp, `trailer-${at}.gz`);
      writeFileSync(file, b);
      const { end, out } = await inflateToFile(file);
      expect(end.error).toBeUndefined();
      expect(end.trailerError).toMatch(/^gzip: incorrect (data|length) check$/);
      expect(out.equals(bytes)).toBe(true);
      for (const how of ['worker', 'stream']) {
        if (how === 'stream') process.env.BEAMSCOPE_GZIP = 'stream';
        try {
          const dump = await readSpooled(file);
          expect(dump.truncation.truncated, how).toBe(false);
          expect(dump.truncation.compressedTrailerError, how).toBe(end.trailerError);
          // All the same but the triage's word on the trailer.
          const got = commands(dump);
          const triage = got.triage as { findings: Array<{ id: string }>; truncation: Record<string, unknown> };
          expect(triage.findings.map((f) => f.id), how).toContain('dump.gzip-trailer');
          triage.findings = triage.findings.filter((f) => f.id !== 'dump.gzip-trailer');
          delete triage.truncation.compressedTrailerError;
          expect(got, how).toEqual(want);
        } finally {
          delete process.env.BEAMSCOPE_GZIP;
        }
      }
    }
  });

  it('every command through the stream, as on a Node whose zlib the worker cannot use', async () => {
    const packed = compress(plain, 'gzip');
    process.env.BEAMSCOPE_GZIP = 'stream';
    try {
      expect(await gunzipToFile(packed, 0)).toBeUndefined();
      expect(commands(await readSpooled(packed))).toEqual(commands(await readDump(plain)));
    } finally {
      delete process.env.BEAMSCOPE_GZIP;
    }
  });

});

describe('the gzip worker on bad input and a full disk', () => {
  it('a file that cannot take the output: the worker says so', async () => {
    const packed = compress(FIXTURES.mailbox, 'gzip');
    const full = openSync('/dev/full', 'w');
    try {
      const w = await gunzipToFile(packed, full);
      expect(await w!.exited).toEqual({ writeFailed: 'ENOSPC' });
    } finally {
      closeSync(full);
    }
  });

  it('not gzip data after a gzip header: one line, nothing written', async () => {
    const file = join(tmp, 'garbage.gz');
    writeFileSync(file, Buffer.concat([gzipSync(Buffer.alloc(0)).subarray(0, 10), Buffer.alloc(1000, 0xff)]));
    const { end, out } = await inflateToFile(file);
    expect(end.error?.message).toMatch(/^gzip: invalid/);
    expect(end.error?.message.split('\n')).toHaveLength(1);
    expect(out.length).toBe(0);
  });
});

describe('the CLI on compressed dumps and standard input', () => {
  const plain = FIXTURES.mailbox;
  const run = (args: string[], input?: Buffer) => {
    const r = beamscope([...args, '--format', 'json'], input);
    // check's exit code is the state (1: WARNING on this dump); the others exit 0.
    expect(r.code, r.stderr).toBe(args[0] === 'check' ? 1 : 0);
    return r.stdout;
  };
  const norm = (out: string, path: string) => {
    const j = json(JSON.parse(out), path) as Record<string, unknown>;
    for (const k of ['source', 'a', 'b', 'dump']) if (k in j) j[k] = null;
    return j;
  };
  const COMMANDS = [['triage'], ['procs', '--group-by', 'ancestor'], ['proc', '<0.79.0>'], ['leak'], ['alloc'], ['check']];

  for (const form of FORMS) {
    it(`${form}: triage, procs, proc, leak, alloc, check and diff print what they print for the plain file`, () => {
      const packed = compress(plain, form);
      for (const [cmd, ...rest] of COMMANDS) {
        const a = norm(run([cmd, plain, ...rest, '--no-cache']), plain);
        const b = norm(run([cmd, packed, ...rest, '--spool', tmp]), packed);
        expect(b, cmd).toEqual(a);
      }
      const d1 = norm(run(['diff', plain, FIXTURES.many, '--no-cache']), plain);
      const d2 = norm(run(['diff', packed, compress(FIXTURES.many, form)]), packed);
      expect(JSON.stringify(d2).split(basename(FIXTURES.many)).join('')).toEqual(JSON.stringify(d1).split(basename(FIXTURES.many)).join(''));
    }, 120_000);
  }

  it('standard input, plain or compressed, gives the file\'s report: heaps decoded from the spool', () => {
    const want = norm(run(['triage', plain, '--no-cache']), plain);
    for (const input of [readFileSync(plain), ...FORMS.map((f) => readFileSync(compress(plain, f)))]) {
      const got = norm(run(['triage', '-'], input), '-');
      expect(got).toEqual(want);
      expect(norm(run(['proc', '-', 'big_mailbox'], input), '-')).toEqual(norm(run(['proc', plain, 'big_mailbox', '--no-cache']), plain));
    }
  }, 120_000);

  it('a compressed dump reached through a symbolic link reads as the file does', () => {
    const want = norm(run(['triage', plain, '--no-cache']), plain);
    for (const form of FORMS) {
      const link = join(tmp, `link-${form}`);
      symlinkSync(compress(plain, form), link);
      expect(norm(run(['triage', link]), link), form).toEqual(want);
    }
  }, 60_000);

  it('index refuses a compressed dump at once, in one line', () => {
    const r = beamscope(['index', compress(plain, 'gzip')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/a gzip dump cannot be indexed/);
  });

  it('leaves no spool file behind', () => {
    const dir = mkdtempSync(join(tmp, 'spool-'));
    run(['triage', compress(plain, 'gzip'), '--spool', dir]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
