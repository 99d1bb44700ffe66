import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI, CORPUS, FIXTURES, PRE_R10B, REPO, corpusDumps } from './helpers/dumps.js';
import { haveShared } from './helpers/shared.js';

const run = promisify(execFile);

/** Runs the built CLI; never rejects: exit code, stdout and stderr are what the tests look at. */
async function beamscope(args: string[], input?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  if (input) {
    const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }
  try {
    const r = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** One clear line on stderr and no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^beamscope: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

const tmp = mkdtempSync(join(tmpdir(), 'beamscope-cli-'));

describe('beamscope triage', () => {
  it('prints the report for people, the verdict first', async () => {
    const r = await beamscope(['triage', join(FIXTURES, 'mailbox.dump')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const findings = r.stdout.indexOf('Findings');
    expect(findings).toBeGreaterThan(0);
    expect(r.stdout.indexOf('Memory')).toBeGreaterThan(findings);
    expect(r.stdout).toMatch(/big_mailbox/);
  });

  it('returns one typed object as JSON', async () => {
    const r = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(typeof j.slogan).toBe('string');
    expect(j.truncated).toBe(false);
    const text = readFileSync(join(FIXTURES, 'mailbox.dump'), 'latin1');
    expect(j.counts.processes).toBe((text.match(/^=proc:/gm) ?? []).length);
    expect(j.counts.ports).toBe((text.match(/^=port:/gm) ?? []).length);
    expect(j.counts.etsTables).toBe((text.match(/^=ets:/gm) ?? []).length);
    expect(j.mailboxOutliers[0]).toMatchObject({ name: 'big_mailbox' });
    const queues = j.mailboxOutliers.map((o: { messageQueueLength: number }) => o.messageQueueLength);
    expect(queues).toEqual([...queues].sort((a: number, b: number) => b - a));
    for (const f of j.findings) {
      expect(f.id).toMatch(/^[a-z]+(\.[a-z-]+)+$/);
      expect(['critical', 'warning', 'info']).toContain(f.severity);
      expect(typeof f.title).toBe('string');
    }
  });

  it('--top bounds every list', async () => {
    const r = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--format', 'json', '--top', '2']);
    const j = JSON.parse(r.stdout);
    for (const list of [j.mailboxOutliers, j.topProcesses.byMemory, j.topProcesses.byReductions, j.topProcesses.byBinary, j.groups, j.ets, j.ports.largestQueues]) {
      expect(list.length).toBeLessThanOrEqual(2);
    }
  });

  it('reads - as standard input, gzip or not, to the same report as the file (issue 20)', async () => {
    // Standard input is spooled to a temporary file as it is read, so heaps are decoded too.
    const plainOut = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--format', 'json']);
    const r = await beamscope(['triage', '-', '--format', 'json'], readFileSync(join(FIXTURES, 'mailbox.dump.gz')));
    expect(r.code).toBe(0);
    const a = JSON.parse(plainOut.stdout);
    const b = JSON.parse(r.stdout);
    expect(b.source).toMatchObject({ path: '-', gzip: true, compression: 'gzip' });
    expect({ ...b, source: null }).toEqual({ ...a, source: null });
    expect(b.mailboxOutliers[0].messageShapes.length).toBeGreaterThan(0);
    // Where no spool can be made, the read goes on and says what is missing.
    const none = await beamscope(['triage', '-', '--format', 'json', '--spool', '/nonexistent/beamscope-spool'], readFileSync(join(FIXTURES, 'mailbox.dump.gz')));
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/cannot write the decompressed dump to \/nonexistent\/beamscope-spool: ENOENT/);
  });

  it('never prints control characters from the dump', async () => {
    for (const format of ['text', 'json']) {
      const r = await beamscope(['triage', join(FIXTURES, 'hostile.dump'), '--format', format]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
  });

  it('reports a truncated dump and what it hides, exit 0', async () => {
    const r = await beamscope(['triage', join(FIXTURES, 'truncated.dump'), '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.truncated).toBe(true);
    expect(j.truncation.abortReason).toBe('CRASH DUMP SIZE LIMIT REACHED');
    expect(j.findings.map((f: { id: string }) => f.id)).toContain('dump.truncated');
  });

  const SLOGAN_KIND: Record<string, string> = {
    r10b10_2006: 'boot-failure', r13b04_2010: 'boot-failure', r15b02_2013: 'kernel-pid-terminated', r16b02_2014: 'boot-failure',
    otp17_2014: 'boot-failure', otp18_2015: 'boot-failure', otp20_2_2018: 'boot-failure', otp21_2019: 'boot-failure',
    otp23_2021: 'boot-failure', otp25_dist: 'halt', otp25_limited: 'halt', otp26_2024: 'boot-failure',
    otp27_rabbit_2026: 'kernel-pid-terminated', win26: 'kernel-pid-terminated',
  };
  it.each(corpusDumps().map((f) => [f.slice(CORPUS.length + 1), f]))('gives a full report for corpus dump %s', async (_n, file) => {
    const r = await beamscope(['triage', file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    const text = readFileSync(file, 'latin1');
    expect(j.counts.processes).toBe((text.match(/^=proc:/gm) ?? []).length);
    expect(j.counts.ports).toBe((text.match(/^=port:/gm) ?? []).length);
    expect(j.counts.etsTables).toBe((text.match(/^=ets:/gm) ?? []).length);
    expect(j.findings.length).toBeGreaterThan(0);
    // What a person reads in the slogan line: two of them are cut at 200 characters.
    const why = SLOGAN_KIND[basename(file, '.dump')];
    if (why) expect(j.findings.find((f: { id: string }) => f.id.startsWith('slogan.'))?.id).toBe(`slogan.${why}`);
    const t = await beamscope(['triage', file]);
    expect(t.code).toBe(0);
  });
});

describe('bad input', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['an empty file', () => { const p = join(tmp, 'empty'); writeFileSync(p, ''); return p; }, /empty/],
    ['random bytes', () => { const p = join(tmp, 'random'); writeFileSync(p, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))); return p; }, /not an Erlang crash dump/],
    ['a PNG', () => { const p = join(tmp, 'x.png'); writeFileSync(p, Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(100)])); return p; }, /not an Erlang crash dump/],
    ['a directory', () => tmp, /directory/],
    ['a missing file', () => join(tmp, 'nope.dump'), /no such file/],
    // From the shared corpus: left out without ../shared (test/helpers/shared.ts).
    ...(haveShared('corpus/public/pre_r10b_2002.dump') ? [['the pre-R10B format', () => PRE_R10B, /pre-R10B/] as [string, () => string, RegExp]] : []),
    ['a gzip of something else', () => { const p = join(tmp, 'x.gz'); writeFileSync(p, gzipSync(Buffer.from('hello world\n'))); return p; }, /not an Erlang crash dump/],
  ];
  it.each(cases)('%s: one line on stderr, exit 1', async (_name, make, pattern) => {
    const r = await beamscope(['triage', make()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expectOneLineError(r.stderr, pattern);
  });

  it('a gzip that ends early: the partial report, flagged', async () => {
    const p = join(tmp, 'cut.dump.gz');
    const gz = readFileSync(join(FIXTURES, 'mailbox.dump.gz'));
    writeFileSync(p, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await beamscope(['triage', p, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.truncated).toBe(true);
    expect(j.truncation.compressedInputError).toMatch(/ends early/);
    expect(j.counts.processes).toBeGreaterThan(0);
  });

  const haveErl = spawnSync('erl', ['-noshell', '-eval', 'halt(0).']).status === 0;
  it.skipIf(!haveErl && process.env.CI !== 'true')('a dump with a 133 MB line (a 100 MB binary) is read without holding the line', async () => {
    const p = join(tmp, 'longline.dump');
    const made = spawnSync('bash', [join(FIXTURES, 'scripts/make-longline.sh'), p], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const r = await beamscope(['triage', p, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.truncated).toBe(false);
    // The generator planted one 99,999,999-byte binary held by long_binary_holder.
    expect(j.memory.binarySectionsBytes).toBeGreaterThanOrEqual(99_999_999);
  }, 300_000);

  it('usage errors exit 2', async () => {
    expect((await beamscope([])).code).toBe(2);
    expect((await beamscope(['triage'])).code).toBe(2);
    const xml = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--format', 'xml']);
    expect(xml.code).toBe(2);
    // yargs writes this over several indented lines: one line, single spaces
    expect(xml.stderr).toBe('beamscope: Invalid values: Argument: format, Given: "xml", Choices: "text", "json" (see beamscope --help)\n');
    expect((await beamscope(['nosuchcommand'])).code).toBe(2);
    const bad = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--top', 'abc']);
    expect(bad.code).toBe(2);
    expectOneLineError(bad.stderr, /--top/);
    const threads = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--threads', '0']);
    expect(threads.code).toBe(2);
    expectOneLineError(threads.stderr, /--threads/);
  });

  it('--threads 1 and --threads 3 give the same report', async () => {
    const one = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--format', 'json', '--threads', '1']);
    const three = await beamscope(['triage', join(FIXTURES, 'mailbox.dump'), '--format', 'json', '--threads', '3']);
    expect(three.code).toBe(0);
    expect(three.stdout).toBe(one.stdout);
  });
});

describe('beamscope --version', () => {
  it("prints beamscope's version, wherever it is run from", () => {
    const own = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    // yargs's guess read the package.json above the working directory: here, somebody's project.
    const project = mkdtempSync(join(tmpdir(), 'beamscope-version-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'their-app', version: '9.9.9' }));
    for (const cwd of [project, '/']) {
      const r = spawnSync(process.execPath, [CLI, '--version'], { cwd });
      expect(r.status).toBe(0);
      expect(r.stdout.toString().trim()).toBe(own);
    }
  });
});
