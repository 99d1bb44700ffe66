/**
 * Compressed dumps are first-class (issue 20): every command's JSON on the gzip, zstd and xz forms
 * of every fixture and corpus dump equals its JSON on the plain file, apart from the fields that
 * name the source; truncated and damaged compressed dumps are read as far as the data goes.
 *
 * The compressed forms are made here, never committed: gzip with node:zlib, zstd and xz with the
 * system's `zstd` and `xz` (.ci/run installs them; without them those forms are skipped, and fail
 * under CI=true).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump, releaseSpool, type Dump } from '../src/dump/index.js';
import { triageDump } from '../src/usecases/triage.js';
import { detectCompression, gunzipToFile, programToFile } from '../src/dump/compression.js';
import { procsReport } from '../src/usecases/procs.js';
import { decodeProcess } from '../src/dump/terms/index.js';
import { allocatorModelFromDump, summarizeByType } from '../src/alloc/index.js';
import { diffDumps, dumpLeakReport, procLibInitialCalls } from '../src/leak/index.js';
import { procToJson } from '../src/report/proc-text.js';
import { beamscope, CLI, expectOneLineError } from './helpers/cli.js';
import { corpusDumps, FIXTURES, FIXTURES_DIR } from './helpers/fixtures.js';
import { until } from './helpers/poll.js';

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
function compress(plain: string, form: Form, bytes?: Buffer, name = join(tmp, `${basename(plain)}.${form}`)): string {
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
  const at = (c: typeof p.memoryBytes, i: number) => c.at(i) || 0;
  const byQueue = rows.sort((a, b) => at(p.messageQueueLength, b) - at(p.messageQueueLength, a))[0];
  const byMemory = [...rows].sort((a, b) => at(p.memoryBytes, b) - at(p.memoryBytes, a))[0];
  const procs = [...new Set([byQueue, byMemory])].filter((i) => i !== undefined).map((i) => p.pid.at(i));
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
          // The first read saves the index: a gzip dump's with restart points (gzip-seek.ts).
          dump = await readDump(packed, { spool: tmp, cache: true });
          got = commands(dump);
        } catch (e) {
          got = `error: ${(e as Error).message.split(packed).join('DUMP')}`;
        }
        expect(got, `${form} form`).toEqual(want);
        if (dump) {
          // Once more from that index: gzip's sections are inflated from their restart points,
          // zstd and xz are decompressed whole again but not scanned.
          const again = await readDump(packed, { spool: tmp, cache: true });
          expect(again.source.fromIndex, 'read from its saved index').toBe(true);
          expect(commands(again), `${form} form from its saved index`).toEqual(want);
          releaseSpool(again.source);
        }
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
   * The zstd and xz cases once more with fzstd and xz-decompress, as on a host without the zstd or
   * xz program; the gzip ones once more through node:zlib's stream, as on a Node whose zlib handle
   * the gunzip worker cannot use.
   */
  const withJsDecoder = (form: Form, run: () => Promise<void>) => async () => {
    const key = form === 'zstd' ? 'BEAMSCOPE_ZSTD' : form === 'xz' ? 'BEAMSCOPE_XZ' : 'BEAMSCOPE_GZIP';
    process.env[key] = form === 'gzip' ? 'stream' : 'js';
    try {
      await run();
    } finally {
      delete process.env[key];
    }
  };
  const jsForms: Array<[Form, string]> = FORMS.flatMap((f): Array<[Form, string]> =>
    f === 'zstd' ? [[f, 'zstd program'], [f, 'fzstd']] : f === 'gzip' ? [[f, 'gzip worker'], [f, 'gzip stream']] : [[f, 'xz program'], [f, 'xz-decompress']]);
  for (const [form, label] of jsForms) {
    const js = label === 'fzstd' || label === 'gzip stream' || label === 'xz-decompress';
    it(`${label}: cut in the middle, read as far as the data goes, the truncation reported`, async () => (js ? withJsDecoder(form, cutCase(form)) : cutCase(form))(), 60_000);
    it(`${label}: damaged in the middle, read up to the damage, never a crash`, async () => (js ? withJsDecoder(form, damagedCase(form)) : damagedCase(form))(), 60_000);
  }

  function cutCase(form: Form) {
    return async () => {
      const whole = readFileSync(compress(plain, form));
      const cut = join(tmp, `cut.${form}`);
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      const dump = await readSpooled(cut);
      // Not read whole, so no index is saved: the next read decompresses and scans it again.
      for (let k = 0; k < 2; k++) {
        const cached = await readDump(cut, { spool: tmp, cache: true });
        expect(cached.source.fromIndex, `read ${k + 1} with the cache`).toBeFalsy();
        releaseSpool(cached.source);
      }
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

  it('magic bytes followed by garbage: what the decompressor said, not "empty file" (file, standard input; programs and JavaScript)', async () => {
    const garbage = Buffer.from('garbage '.repeat(8));
    const files: Array<[Form, Buffer]> = [
      ['gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), garbage])],
      ['zstd', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), garbage])],
      ['xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), garbage])],
    ];
    for (const [form, bytes] of files) {
      const file = join(tmp, `garbage.${form}`);
      writeFileSync(file, bytes);
      const want = /garbage\.\w+: cannot be decompressed \(.+\), no dump text$/;
      await expect(readSpooled(file)).rejects.toThrow(want);
      await withJsDecoder(form, async () => { await expect(readSpooled(file)).rejects.toThrow(want); })();
      const r = piped('cat $1', file, ['triage', '-']);
      expect(r.code, form).toBe(1);
      expectOneLineError(r.stderr, /^beamscope: -: cannot be decompressed \(.+\), no dump text$/);
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

describe('the zstd and xz programs writing into a file that cannot take it', () => {
  for (const form of FORMS.filter((f): f is 'zstd' | 'xz' => f !== 'gzip')) {
    it(`${form}: a full disk is a failed write, not damaged data`, async () => {
      const full = openSync('/dev/full', 'w');
      try {
        const w = await programToFile(form, compress(FIXTURES.mailbox, form), full);
        expect(await w!.exited).toEqual({ writeFailed: expect.stringMatching(/^Write error.*No space left on device/i) });
      } finally {
        closeSync(full);
      }
    });
  }

  it('a file size limit (ulimit -f) kills the program: every finding still read from the file again, the heaps said to be missing', () => {
    const dir = mkdtempSync(join(tmp, 'limit-'));
    const want = normOut(ok(beamscope(['triage', FIXTURES.mailbox, '--format', 'json', '--no-cache', '--no-decode'])), FIXTURES.mailbox) as { findings: Array<{ id: string }> };
    for (const form of FORMS.filter((f) => f !== 'gzip')) {
      const file = compress(FIXTURES.mailbox, form);
      const r = spawnSync('bash', ['-c', 'ulimit -f 64; "$@"', 'bash', process.execPath, CLI, 'triage', file, '--format', 'json', '--no-cache', '--spool', dir], { maxBuffer: 64 << 20 });
      const got = normOut(ok({ code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() }), file) as typeof want & { notes: string[]; truncation: { truncated: boolean } };
      expect(got.truncation.truncated, form).toBe(false);
      expect(got.findings.map((f) => f.id), form).toEqual(want.findings.map((f) => f.id));
      expect(got.notes.join('\n'), form).toMatch(/failed after \d+ bytes \(File too large\): pass --spool DIR with room for them/);
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
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

  it('index takes a zstd or xz dump, saying that later commands decompress it again; a changed one is read afresh', () => {
    for (const form of FORMS.filter((f) => f !== 'gzip')) {
      const packed = compress(plain, form);
      const r = beamscope(['index', packed]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`index built .*\n.*\n  a ${form} dump has no restart points: later commands decompress it whole again, but do not scan it \\(a plain or gzip copy is read only where needed\\)\n$`));
      const want = norm(run(['proc', plain, 'big_mailbox', '--no-cache']), plain);
      expect(norm(run(['proc', packed, 'big_mailbox']), packed), form).toEqual(want);
      expect(JSON.parse(ok(beamscope(['index', '--format', 'json', packed])))).toMatchObject({ status: 'up to date' });
      // The same name, another dump (the index's key differs): read afresh, and its index rebuilt.
      compress(FIXTURES.many, form, undefined, packed);
      expect(norm(run(['triage', packed]), packed), form).toEqual(norm(run(['triage', FIXTURES.many, '--no-cache']), FIXTURES.many));
      expect(JSON.parse(ok(beamscope(['index', '--format', 'json', packed])))).toMatchObject({ status: 'up to date' });
    }
  }, 60_000);

  it('leaves no spool file behind', () => {
    const dir = mkdtempSync(join(tmp, 'spool-'));
    run(['triage', compress(plain, 'gzip'), '--spool', dir]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/**
 * Standard input through a real shell pipe (`cat DUMP | beamscope X -`), a file on standard input
 * (`beamscope X - < DUMP`), and the stream path (BEAMSCOPE_STDIN=stream) for comparison. A pipe is
 * read by a worker thread into the spool, a file as that file (src/dump/stdin.ts).
 */
/** Runs `producer | beamscope args` in bash (producer: a shell command, "$1" in it the file). */
function piped(producer: string, file: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', ['-c', `f="$1"; shift; node=$1; cli=$2; shift 2; ${producer.replace(/\$1/g, '"$f"')} | "$node" "$cli" "$@"`, 'bash', file, process.execPath, CLI, ...args],
    { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
/** The CLI's JSON with the source left out and the dump's path written as DUMP. */
function normOut(out: string, path: string): Record<string, unknown> {
  const j = json(JSON.parse(out), path) as Record<string, unknown>;
  for (const k of ['source', 'dump']) if (k in j) j[k] = null;
  return j;
}
/** Its stdout, once it exited 0. */
function ok(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('standard input in a pipe and from a file gives the file\'s JSON', () => {
  for (const plain of [FIXTURES.mailbox, FIXTURES.refcMailbox, FIXTURES.truncated]) {
    it(`${basename(plain)}: triage, procs, leak and proc of the top process from cat, cat of the gzip, zcat and < give the file's JSON`, () => {
      const gz = compress(plain, 'gzip');
      const top = (JSON.parse(ok(beamscope(['procs', plain, '--sort', 'memory', '--format', 'json', '--no-cache']))) as { rows: Array<{ pid: string }> }).rows[0].pid;
      const COMMANDS = [['triage'], ['procs'], ['leak'], ['proc', top]];
      const producers: Array<[string, string]> = [['cat $1', plain], ['cat $1', gz], ['gzip -dc $1', gz]];
      for (const [cmd, ...rest] of COMMANDS) {
        const want = normOut(ok(beamscope([cmd, plain, ...rest, '--format', 'json', '--no-cache'])), plain);
        for (const [producer, file] of producers) {
          expect(normOut(ok(piped(producer, file, [cmd, '-', ...rest, '--format', 'json'])), '-'), `${producer} ${basename(file)} | ${cmd}`).toEqual(want);
        }
        // Standard input as a file, plain and gzip: read as that file.
        for (const file of [plain, gz]) {
          const r = spawnSync('bash', ['-c', '"$1" "$2" "$3" - "${@:5}" < "$4"', 'bash', process.execPath, CLI, cmd, file, ...rest, '--format', 'json'], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
          expect(r.status, r.stderr.toString()).toBe(0);
          expect(normOut(r.stdout.toString(), '-'), `< ${basename(file)} | ${cmd}`).toEqual(want);
        }
      }
    }, 180_000);
  }

  it('the triage JSON names standard input as "-", with its compression', () => {
    const gz = compress(FIXTURES.mailbox, 'gzip');
    const source = (r: { stdout: string }) => (JSON.parse(r.stdout) as { source: unknown }).source;
    expect(source(piped('cat $1', gz, ['triage', '-', '--format', 'json']))).toMatchObject({ path: '-', gzip: true, compression: 'gzip' });
    expect(source(piped('cat $1', FIXTURES.mailbox, ['triage', '-', '--format', 'json']))).toMatchObject({ path: '-', gzip: false, compression: null });
    expect(source(piped('cat < $1', FIXTURES.mailbox, ['triage', '-', '--format', 'json']))).toMatchObject({ path: '-', gzip: false, compression: null });
  }, 60_000);

});

/** Starts the CLI with a socket on standard input (Node's spawn) that this test keeps open; its exit. */
async function openEnded(args: string[], input: Buffer) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.on('error', () => undefined);
  child.stdin.write(input);
  let code: number | null | undefined;
  child.once('exit', (c) => { code = c; });
  try {
    // The process ends on its own, standard input still open.
    await until(`${args.join(' ')} to exit with standard input open`, 30_000, () => (code === undefined ? undefined : true), 50);
  } finally {
    child.stdin.destroy();
    if (code === undefined) child.kill('SIGKILL');
  }
  return { code, stderr };
}

/**
 * The same through an anonymous pipe from a producer that writes `input` and sleeps a minute:
 * bash says when the CLI exits (the pipeline itself waits for the producer).
 */
async function openEndedPipe(args: string[], input: Buffer) {
  const file = join(tmp, `open-ended-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, input);
  const child = spawn('bash', ['-c', '(cat "$1"; sleep 60) | { "$2" "$3" "${@:4}" >/dev/null; echo "exit $?" >&2; }', 'bash', file, process.execPath, CLI, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    const code = await until(`${args.join(' ')} to exit with the pipe open`, 30_000, () => /exit (\d+)/.exec(stderr)?.[1], 50);
    return { code: Number(code), stderr: stderr.replace(/exit \d+\n?/, '') };
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
  }
}


describe('zstd and xz on standard input: through their programs, and without them', () => {
  for (const form of FORMS.filter((f): f is 'zstd' | 'xz' => f !== 'gzip')) {
    const env = form === 'zstd' ? 'BEAMSCOPE_ZSTD' : 'BEAMSCOPE_XZ';
    it(`${form}: the file's JSON from a pipe, and a cut file read as far as its data goes, as from the file`, () => {
      const file = compress(FIXTURES.mailbox, form);
      const want = normOut(ok(beamscope(['triage', FIXTURES.mailbox, '--format', 'json', '--no-cache'])), FIXTURES.mailbox);
      const whole = readFileSync(file);
      const cut = join(tmp, `stdin-cut.${form}`);
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      const cutWant = normOut(ok(beamscope(['triage', cut, '--format', 'json', '--no-cache'])), cut) as { truncation: { compressedInputError?: string } };
      expect(cutWant.truncation.compressedInputError).toBe(`the ${form} stream ends early`);
      for (const how of [{}, { [env]: 'js' }]) {
        expect(normOut(ok(piped('cat $1', file, ['triage', '-', '--format', 'json'], how)), '-'), JSON.stringify(how)).toEqual(want);
        const got = normOut(ok(piped('cat $1', cut, ['triage', '-', '--format', 'json'], how)), '-') as typeof cutWant;
        expect(got.truncation.compressedInputError, JSON.stringify(how)).toBe(`the ${form} stream ends early`);
      }
    }, 60_000);
  }
});

describe('standard input: damaged gzip, no room for the spool', () => {
  it('truncated and damaged gzip on standard input: read as far as the data goes, as from the file', async () => {
    const whole = readFileSync(compress(FIXTURES.mailbox, 'gzip'));
    const cut = join(tmp, 'stdin-cut.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const bad = join(tmp, 'stdin-bad.gz');
    const damaged = Buffer.from(whole);
    // 0xff bytes: an invalid deflate block (0xa5 can inflate to wrong bytes that only the CRC finds).
    damaged.fill(0xff, Math.floor(whole.length / 3), Math.floor(whole.length / 3) + 64);
    writeFileSync(bad, damaged);
    for (const file of [cut, bad]) {
      // The file's reading, for the truncation it reports (the library, as the CLI reads it).
      const fromFile = await readSpooled(file);
      expect(fromFile.truncation.truncated, basename(file)).toBe(true);
      expect(fromFile.truncation.compressedInputError).toMatch(/^the gzip stream ends early$|^gzip: /);
      const want = normOut(ok(beamscope(['triage', file, '--format', 'json', '--spool', tmp])), file);
      const got = normOut(ok(piped('cat $1', file, ['triage', '-', '--format', 'json'])), '-') as { truncation: { bytesRead: number } };
      if (file === cut) {
        // The worker inflates as the file's does: the same bytes, the same report.
        expect(got, basename(file)).toEqual(want);
      } else {
        // zlib drops the output of the call that met the damage: how much depends on how the input
        // came (1 MiB reads of the file, what the pipe holds); gzip -d drops its own last buffer.
        const tool = spawnSync('gzip', ['-dc', file], { maxBuffer: 1 << 30 }).stdout.length;
        expect(got.truncation).toMatchObject({ truncated: true, compressedInputError: fromFile.truncation.compressedInputError });
        expect(got.truncation.bytesRead).toBeGreaterThan(tool - (1 << 20));
        expect(got.truncation.bytesRead).toBeLessThan(readFileSync(FIXTURES.mailbox).length);
      }
      // The stream (BEAMSCOPE_STDIN=stream) drops a larger last chunk (1 MiB), and says the same.
      const stream = normOut(ok(piped('cat $1', file, ['triage', '-', '--format', 'json'], { BEAMSCOPE_STDIN: 'stream' })), '-') as { truncation: Record<string, unknown> };
      expect(stream.truncation).toMatchObject({ truncated: true, compressedInputError: fromFile.truncation.compressedInputError });
    }
  }, 120_000);

  // A file is inflated again without the gzip wrapper to its end; standard input cannot be read
  // again, and zlib drops the output of the call that found the bad trailer (as the stream did).
  it('a gzip on standard input whose trailer alone is wrong: read up to its last chunk, the error said', () => {
    const b = Buffer.from(gzipSync(readFileSync(FIXTURES.mailbox), { level: 1 }));
    b[b.length - 8] ^= 0xff;
    const file = join(tmp, 'stdin-trailer.gz');
    writeFileSync(file, b);
    const want = normOut(ok(beamscope(['triage', FIXTURES.mailbox, '--format', 'json', '--no-cache'])), FIXTURES.mailbox) as { truncation: { bytesRead: number } };
    for (const env of [{}, { BEAMSCOPE_STDIN: 'stream' }]) {
      const got = normOut(ok(piped('cat $1', file, ['triage', '-', '--format', 'json'], env)), '-') as { truncation: { bytesRead: number; compressedInputError: string } };
      expect(got.truncation.compressedInputError, JSON.stringify(env)).toBe('gzip: incorrect data check');
      expect(got.truncation.bytesRead).toBeLessThanOrEqual(want.truncation.bytesRead);
      expect(got.truncation.bytesRead).toBeGreaterThan(want.truncation.bytesRead - (1 << 20));
    }
  }, 60_000);

  it('a spool with no room (ulimit -f): every finding still read from standard input, the heaps said to be missing', () => {
    const dir = mkdtempSync(join(tmp, 'full-'));
    const gz = compress(FIXTURES.mailbox, 'gzip');
    const want = normOut(ok(beamscope(['triage', FIXTURES.mailbox, '--format', 'json', '--no-cache', '--no-decode'])), FIXTURES.mailbox);
    for (const [producer, file] of [['cat $1', FIXTURES.mailbox], ['cat $1', gz]]) {
      const outs: unknown[] = [];
      for (const env of [{}, { BEAMSCOPE_STDIN: 'stream' }]) {
        // 64 KiB at most per file: the spool's writes fail with EFBIG (Node ignores SIGXFSZ).
        const r = piped(`ulimit -f 64; ${producer}`, file, ['triage', '-', '--format', 'json', '--spool', dir], env);
        const got = normOut(ok(r), '-') as { findings: Array<{ id: string }>; notes?: string[] };
        expect(got.findings.map((f) => f.id), `${producer} ${basename(file)} ${JSON.stringify(env)}`).toEqual((want as typeof got).findings.map((f) => f.id));
        outs.push(JSON.parse(JSON.stringify(got).replace(/after \d+ bytes/g, 'after N bytes')));
        const proc = piped(`ulimit -f 64; ${producer}`, file, ['proc', '-', 'big_mailbox', '--spool', dir], env);
        expect(proc.code).toBe(1);
        expectOneLineError(proc.stderr, /failed after \d+ bytes \(EFBIG\): pass --spool DIR with room for them/);
      }
      // The worker and the stream say the same.
      expect(outs[0]).toEqual(outs[1]);
    }
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

});

describe('standard input: no waiting for a producer that does not close it', () => {
  it('stops without waiting for the producer to close standard input: not a dump, a gzip of no dump, alloc', async () => {
    const text = Buffer.from('hello\n'.repeat(100_000));
    for (const [args, input, pattern] of [
      [['triage', '-'], text, /-: not an Erlang crash dump/],
      [['triage', '-'], gzipSync(text), /-: not an Erlang crash dump/],
      [['triage', '-'], Buffer.concat([gzipSync(readFileSync(FIXTURES.mailbox)).subarray(0, 1000), Buffer.alloc(1000, 0xff)]), null],
    ] as Array<[string[], Buffer, RegExp | null]>) {
      // A socket (what Node's spawn gives: polled) and an anonymous pipe (blocking reads, unblocked).
      for (const r of [await openEnded(args, input), await openEndedPipe(args, input)]) {
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
        if (pattern) expectOneLineError(r.stderr, pattern);
      }
    }
    for (const alloc of [await openEnded(['alloc', '-'], readFileSync(FIXTURES.mailbox)), await openEndedPipe(['alloc', '-'], readFileSync(FIXTURES.mailbox))]) {
      expect(alloc.code, alloc.stderr).toBe(0);
    }
  }, 120_000);

  it('Ctrl-C while waiting for standard input ends the process', async () => {
    const child = spawn(process.execPath, [CLI, 'triage', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.on('error', () => undefined);
    child.stdin.write(readFileSync(FIXTURES.mailbox).subarray(0, 1 << 20));
    let ended: string | null | undefined;
    child.once('exit', (code, signal) => { ended = signal ?? String(code); });
    try {
      // Once it is reading (its spool is open), the signal; then it ends, standard input still open.
      await until('the spool to be open', 20_000, () => (hasSpoolOpen(child.pid!) ? true : undefined), 20);
      child.kill('SIGINT');
      expect(await until('the CLI to end after SIGINT', 20_000, () => ended, 50)).toBe('SIGINT');
    } finally {
      child.stdin.destroy();
      if (ended === undefined) child.kill('SIGKILL');
    }
  }, 60_000);
});

/** Whether the process has a spool file open (it is reading standard input into it). */
function hasSpoolOpen(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return /beamscope-spool/.test(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return false; // not started yet, or gone
  }
}
