/**
 * `beamscope proc` end to end: the built command (`npx tsc -p tsconfig.json` first; `npm test`
 * does it) on the generated terms fixture. Expected values are what the generator planted
 * (fixtures/terms/gen_terms_dump.erl): 17 messages for term_holder, three of them
 * {log_line, N, <<90 bytes>>}, two '$gen_call's asking {get, Atom}; a gen_server (proc_lib)
 * started by the generator; a dictionary with counter => 42.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const DUMP = join(ROOT, 'fixtures', 'terms', 'terms.dump');

function beamscope(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^beamscope: /);
  expect(lines[0]).toMatch(pattern);
}

describe('beamscope proc', () => {
  it('text: shapes, samples, stack and binaries of a registered process', () => {
    const r = beamscope(['proc', DUMP, 'term_holder']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Process <0\.\d+\.0> \(term_holder\)/);
    expect(r.stdout).toContain('Messages: 17 queued');
    expect(r.stdout).toMatch(/\n\s+3\s+\S+ B\s+270 B\s+\{log_line, integer, binary\(90\)\}\n/);
    expect(r.stdout).toContain("{'$gen_call', {pid, ref}, {get, atom}}");
    expect(r.stdout).toContain('gen_terms_dump:holder/1  -> returns to <terminate process normally>');
    expect(r.stdout).toMatch(/Binaries held: 5 refc binaries/);
  });

  it('json: messageQueueLength and messageShapes, largest first', () => {
    const r = beamscope(['proc', DUMP, 'term_holder', '--format', 'json', '--top', '100']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.messageQueueLength).toBe(17);
    expect(j.messageShapes[0]).toMatchObject({ shape: '{log_line, integer, binary(90)}', count: 3 });
    expect(j.messageShapes[1]).toMatchObject({ shape: "{'$gen_call', {pid, ref}, {get, atom}}", count: 2 });
    const counts = j.messageShapes.map((s: { count: number }) => s.count);
    expect([...counts].sort((a: number, b: number) => b - a)).toEqual(counts);
    expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(17);
    expect(j.messageSamples[0].message).toMatch(/^\{log_line,1,<<"x+"/);
    // The 16000-byte and 200-byte refc binaries are also held by the generator process.
    const sizes = j.binaries.held.map((b: { sizeBytes: number }) => b.sizeBytes);
    expect(sizes).toEqual([16000, 200, 90, 90, 90]);
    expect(j.binaries.held[0].shared).toBe(true);
    expect(j.binaries.held[2].shared).toBe(false);
  });

  it('proc_lib process: real initial call and ancestors; by pid', () => {
    const byName = JSON.parse(beamscope(['proc', DUMP, 'gen_holder', '--format', 'json']).stdout);
    expect(byName.spawnedAs).toBe('proc_lib:init_p/5');
    expect(byName.initialCall).toBe('gen_terms_dump:init/1');
    expect(byName.ancestors).toEqual([byName.spawnedBy]);
    const byPid = JSON.parse(beamscope(['proc', DUMP, byName.pid, '--format', 'json']).stdout);
    expect(byPid.name).toBe('gen_holder');
    expect(byPid.stack.map((f: { function: string }) => f.function)).toContain('gen_server:handle_msg/6');
    // The forms typed to avoid quoting <> in a shell.
    const [, a, b, c] = /^<(\d+)\.(\d+)\.(\d+)>$/.exec(byName.pid)!;
    for (const form of [`${a}.${b}.${c}`, `pid(${a},${b},${c})`, `pid(${a}, ${b}, ${c})`]) {
      expect(JSON.parse(beamscope(['proc', DUMP, form, '--format', 'json']).stdout).pid).toBe(byName.pid);
    }
  });

  it('escape sequences from the dump are printed escaped, never raw', () => {
    const r = beamscope(['proc', DUMP, 'term_holder', '--samples', '20', '--top', '20']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    // A char list with BEL (7) is not printable Latin-1, so Erlang (and we) print it as integers.
    expect(r.stdout).toContain("{hostile,'\\e[31mred',[27,93,48,59,116,105,116,108,101,7],<<27,91,50,74,0>>}");
    const j = JSON.parse(beamscope(['proc', DUMP, 'term_holder', '--format', 'json', '--samples', '20']).stdout);
    expect(j.messageSamples.map((m: { message: string }) => m.message)).toContain("{hostile,'\\e[31mred',[27,93,48,59,116,105,116,108,101,7],<<27,91,50,74,0>>}");
  });

  it('dictionary entries', () => {
    const j = JSON.parse(beamscope(['proc', DUMP, 'dict_holder', '--format', 'json']).stdout);
    expect(j.dictionary).toContainEqual({ key: 'counter', value: '42' });
    expect(j.dictionary).toContainEqual({ key: '{state,1}', value: '#{x => "y"}' });
  });

  it('exit 1 with one line for an unknown process, a missing file, a non-dump, a spool that cannot be written', () => {
    let r = beamscope(['proc', DUMP, '<0.9999.0>']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no process <0\.9999\.0>/);
    r = beamscope(['proc', DUMP, 'no_such_name']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no process no_such_name/);
    r = beamscope(['proc', '/nonexistent/erl_crash.dump', '<0.1.0>']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /nonexistent/);
    const tmp = mkdtempSync(join(tmpdir(), 'beamscope-proc-'));
    writeFileSync(join(tmp, 'x.txt'), 'hello\n');
    r = beamscope(['proc', join(tmp, 'x.txt'), '<0.1.0>']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /./);
    // A compressed dump and standard input are spooled to a temporary file (issue 20): where
    // --spool names a directory that cannot take it, one line says so.
    writeFileSync(join(tmp, 'd.dump.gz'), gzipSync(readFileSync(DUMP)));
    r = beamscope(['proc', join(tmp, 'd.dump.gz'), 'term_holder', '--spool', join(tmp, 'missing')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /cannot write the decompressed dump to .*missing: ENOENT/);
    r = beamscope(['proc', '-', 'term_holder', '--spool', join(tmp, 'missing')], readFileSync(DUMP));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /cannot write the decompressed dump/);
  });
});

describe('the =proc record in proc text', () => {
  it('sizes in words with their bytes, and Memory (bytes already) with its size', () => {
    const r = beamscope(['proc', DUMP, 'term_holder']);
    const memory = /^Memory: (\d+)$/m.exec(readFileSync(DUMP, 'latin1').split(/^=proc:/m).find((s) => /^Name: term_holder$/m.test(s))!)![1];
    expect(r.stdout).toMatch(new RegExp(`\\n  Memory +${memory} bytes = \\S+ \\S+\\n`));
    expect(r.stdout).toMatch(/\n {2}Stack\+heap +\d+ words = \S+ \S+\n/);
  });
});
