/**
 * `--syntax`: an Elixir node's reports name things as Elixir does (auto-detected), JSON keeps the
 * Erlang values and adds `elixir` fields, and an Erlang node's reports are exactly what they were.
 * Also the Elixir dumps of the shared corpus (Elixir on OTP 18, 20 and 23): detected (and no other
 * dump of the corpus is), and their terms printed in Elixir syntax are what Elixir's own inspect/2
 * prints back after evaluating them (run by a real `elixir`, when installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess } from '../src/dump/terms/index.js';
import { detectElixir, elixirStructs } from '../src/elixir/detect.js';
import { inspectTerm } from '../src/elixir/inspect.js';
import { elixirCode, elixirShape } from '../src/elixir/names.js';
import { elixirAdvice } from '../src/elixir/report.js';
import { elixirGroupRole, elixirRole } from '../src/elixir/suspects.js';
import type { TriageReport } from '../src/dump/analyze/report-types.js';
import type { Finding } from '../src/findings.js';
import { CLI, CORPUS, FIXTURES, corpusDumps } from './helpers/dumps.js';

const ELIXIR_DUMP = join(FIXTURES, 'elixir', 'elixir.dump');
const ERLANG_DUMP = join(FIXTURES, 'mailbox.dump');
const ELIXIR_CORPUS = ['otp18_2015.dump', 'otp20_2_2018.dump', 'otp23_2021.dump'];
const mustRun = process.env.CI === 'true';
const haveCorpus = existsSync(CORPUS);
const haveElixir = spawnSync('elixir', ['-e', ':ok'], { stdio: 'ignore' }).status === 0;
const built = existsSync(CLI);

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('names and shapes in Elixir syntax', () => {
  it('m:f/a, registered names and shapes', () => {
    expect(elixirCode("'Elixir.Phoenix.Endpoint.Cowboy2Handler':init/2")).toBe('Phoenix.Endpoint.Cowboy2Handler.init/2');
    expect(elixirCode('gen_server:loop/7')).toBe(':gen_server.loop/7');
    expect(elixirCode("'Elixir.MyApp.Repo'")).toBe('MyApp.Repo');
    expect(elixirCode('logger')).toBe(':logger');
    expect(elixirCode('undefined function Elixir.Path:expand/0')).toBe('undefined function Path.expand/0');
    expect(elixirCode("0x00007f (gen_server:loop/7 + 232)")).toBe('0x00007f (:gen_server.loop/7 + 232)');
    expect(elixirCode("'Elixir.Enum':'-reduce/3-lists^foldl/2-0-'/3")).toBe('Enum."-reduce/3-lists^foldl/2-0-"/3');
    expect(elixirShape("{'$gen_call', {pid, ref}, {get, atom}}")).toBe('{:"$gen_call", {pid, ref}, {:get, atom}}');
    expect(elixirShape("#{'__struct__' => 'Elixir.Ecto.Changeset', valid => atom}")).toBe('%Ecto.Changeset{valid: atom}');
    expect(elixirShape('[{timeout, integer}]')).toBe('[timeout: integer]');
    // A part of a message the dump does not have (cut) keeps its words in either syntax.
    expect(elixirShape('{log_line, integer, (not in the dump)}')).toBe('{:log_line, integer, (not in the dump)}');
    expect(elixirShape('binary(40..200)')).toBe('binary(40..200)');
    expect(elixirShape('string')).toBe('charlist');
  });
});

describe('Elixir advice in findings', () => {
  const finding = (pid: string): Finding => ({ id: 'mailbox.outlier', severity: 'warning', title: '', explanation: '', evidence: [], subject: { kind: 'process', id: pid }, metrics: {} });
  const report = (o: Partial<TriageReport['mailboxOutliers'][number]>) => ({ mailboxOutliers: [{ pid: '<0.9.0>', ...o }] }) as unknown as TriageReport;

  it('Logger: its thresholds; a GenServer: call timeouts and handle_info catch-alls; others: none', () => {
    const logger = elixirAdvice(finding('<0.9.0>'), report({ name: "'Elixir.Logger'", initialCall: 'gen_event:init_it/6' }));
    expect(logger.join(' ')).toContain(':discard_threshold');
    const gs = elixirAdvice(finding('<0.9.0>'), report({ initialCall: "'Elixir.MyApp.Cache':init/1" }));
    expect(gs.join(' ')).toContain('GenServer.call/3');
    expect(gs.join(' ')).toContain('handle_info/2');
    const calls = elixirAdvice(finding('<0.9.0>'), report({ initialCall: 'erlang:apply/2', messageShapes: [{ shape: "{'$gen_call', {pid, ref}, atom}", count: 1, example: '', estimatedBytes: 0 }] }));
    expect(calls.length).toBe(2);
    expect(elixirAdvice(finding('<0.9.0>'), report({ initialCall: 'erlang:apply/2' }))).toEqual([]);
    expect(elixirAdvice({ ...finding('<0.9.0>'), id: 'ets.large-table' }, report({ initialCall: "'Elixir.A':init/1" }))).toEqual([]);
  });
});

describe("Elixir's usual suspects", () => {
  it('named by registered name, initial call or current function', () => {
    // Names as the fixture's and the corpus's Elixir nodes register them.
    for (const name of ["'Elixir.Logger'", "'Elixir.Logger.Supervisor'", "'Elixir.Logger.Watcher'", 'logger_proxy', 'logger']) expect(elixirRole({ name }), name).toBe('Logger');
    expect(elixirRole({ name: "'Elixir.Beamscope.Fixture.Inbox'", initialCall: "'Elixir.Beamscope.Fixture.Inbox':init/1" })).toBeUndefined();
    expect(elixirRole({ name: 'code_server', initialCall: 'erlang:apply/2' })).toBeUndefined();
    // Names and modules as Elixir's Task, Broadway, GenStage and Phoenix.PubSub give them (none runs in the dumps here).
    expect(elixirRole({ initialCall: "'Elixir.MyApp.Worker':run/1", currentFunction: "'Elixir.Task.Supervised':invoke_mfa/2" })).toBe('Task');
    expect(elixirRole({ name: "'Elixir.MyPipeline.Broadway.Producer_0'", initialCall: "'Elixir.GenStage':init/1" })).toBe('Broadway');
    expect(elixirRole({ initialCall: "'Elixir.GenStage':init/1" })).toBe('GenStage');
    expect(elixirRole({ name: "'Elixir.MyApp.PubSub'" })).toBe('Phoenix.PubSub');
    expect(elixirRole({ initialCall: "'Elixir.Phoenix.PubSub.PG2Server':init/1" })).toBe('Phoenix.PubSub');
    expect(elixirGroupRole({ key: "'Elixir.Logger.Watcher':init/1", by: 'initial-call' })).toBe('Logger');
    expect(elixirGroupRole({ key: "'Elixir.MyPipeline.Broadway.Processor_default_N'", by: 'name' })).toBe('Broadway');
  });
});

describe.skipIf(!built)('--syntax on the command line (needs npm run build)', () => {
  it("names Elixir's usual suspects on the fixture's node (its Logger processes), in JSON and text", () => {
    const j = JSON.parse(cli('procs', ELIXIR_DUMP, '--top', '1000', '--format', 'json').out) as { rows: Array<{ pid: string; elixir: { role?: string } }> };
    const roles = new Map(j.rows.map((r) => [r.pid, r.elixir.role]));
    // <0.90.0> is registered as 'Elixir.Logger' in the dump; <0.106.0> is the fixture's own GenServer.
    expect(roles.get('<0.90.0>')).toBe('Logger');
    expect(roles.get('<0.106.0>')).toBeUndefined();
    const t = cli('procs', ELIXIR_DUMP, '--top', '1000');
    expect(t.out).toMatch(/<0\.90\.0> +Logger \[Logger\]/);
  });

  it('an Elixir node: Elixir names by default, Erlang ones with --syntax erlang', () => {
    const ex = cli('triage', ELIXIR_DUMP);
    expect(ex.code).toBe(0);
    expect(ex.out).toContain('<0.106.0> (Beamscope.Fixture.Inbox) has 1,607 messages queued');
    expect(ex.out).toContain('1,500 x %Beamscope.Fixture.Event{id: integer, kind: atom, meta: [source: atom], payload: binary(6..9)}');
    expect(ex.out).toContain('Elixir: GenServer: each GenServer.call/3');
    expect(ex.out).not.toContain("'Elixir.");
    const er = cli('--syntax', 'erlang', 'triage', ELIXIR_DUMP);
    expect(er.out).toContain("<0.106.0> ('Elixir.Beamscope.Fixture.Inbox') has 1,607 messages queued");
    expect(er.out).not.toContain('Elixir: GenServer');
  });

  it('JSON keeps the Erlang values and adds the Elixir ones', () => {
    const j = JSON.parse(cli('triage', ELIXIR_DUMP, '--format', 'json').out);
    expect(j.syntax.name).toBe('elixir');
    const o = j.mailboxOutliers[0];
    expect(o.name).toBe("'Elixir.Beamscope.Fixture.Inbox'");
    expect(o.elixir.name).toBe('Beamscope.Fixture.Inbox');
    expect(o.messageShapes[0].elixir.example).toBe('%Beamscope.Fixture.Event{id: 1, kind: :click, meta: [source: :web], payload: "user-1"}');
    expect(j.findings.find((f: { id: string }) => f.id === 'mailbox.outlier').elixir.advice.length).toBeGreaterThan(0);
    const p = JSON.parse(cli('procs', ELIXIR_DUMP, '--format', 'json').out);
    expect(p.rows.every((r: { elixir?: unknown }) => r.elixir !== undefined)).toBe(true);
  });

  it('proc finds an Elixir name as Elixir writes it and prints its messages as inspect/2', () => {
    const r = cli('proc', ELIXIR_DUMP, 'Beamscope.Fixture.Inbox', '--samples', '3');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Process <0.106.0> (Beamscope.Fixture.Inbox)');
    expect(r.out).toContain('  1. :ok');
    expect(r.out).toContain('  2. :"hello world"');
    expect(r.out).toContain('  3. nil');
    const j = JSON.parse(cli('proc', ELIXIR_DUMP, 'Beamscope.Fixture.Inbox', '--samples', '2', '--format', 'json').out);
    expect(j.name).toBe("'Elixir.Beamscope.Fixture.Inbox'");
    expect(j.elixir.name).toBe('Beamscope.Fixture.Inbox');
    expect(j.messageSamples[1].message).toBe("'hello world'");
    expect(j.elixir.messageSamples).toEqual([':ok', ':"hello world"']);
    // The atom as Erlang names it, with and without the quotes the dump writes.
    for (const name of ["'Elixir.Beamscope.Fixture.Inbox'", 'Elixir.Beamscope.Fixture.Inbox']) {
      expect(cli('proc', ELIXIR_DUMP, name, '--samples', '0').out, name).toContain('Process <0.106.0> (Beamscope.Fixture.Inbox)');
    }
  });

  it('an Erlang node prints exactly as with --syntax erlang, and JSON has no elixir field', () => {
    for (const cmd of [['triage'], ['procs'], ['proc', '<0.85.0>'], ['procs', '--group-by', 'initial-call']]) {
      const [c, ...rest] = cmd;
      const auto = cli(c, ERLANG_DUMP, ...rest);
      const erl = cli('--syntax', 'erlang', c, ERLANG_DUMP, ...rest);
      expect(auto.out, cmd.join(' ')).toBe(erl.out);
    }
    const j = cli('triage', ERLANG_DUMP, '--format', 'json').out;
    expect(j).not.toContain('"elixir"');
    expect(j).not.toContain('"syntax"');
  });
});

describe('the Elixir dumps of the corpus', () => {
  it.skipIf(!mustRun && !haveCorpus)('are told from the Erlang ones', async () => {
    expect(haveCorpus, `${CORPUS} is missing`).toBe(true);
    for (const path of corpusDumps()) {
      const d = detectElixir(await readDump(path));
      expect(d.elixir, `${basename(path)}: ${d.reason}`).toBe(ELIXIR_CORPUS.includes(basename(path)));
    }
  }, 120_000);

  const dir = mkdtempSync(join(tmpdir(), 'beamscope-elixir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!mustRun && (!haveCorpus || !haveElixir))('print terms that Elixir reads back and inspects the same', async () => {
    expect(haveElixir, 'elixir is not installed (apt-get install elixir)').toBe(true);
    const lines = new Set<string>();
    for (const name of ELIXIR_CORPUS) {
      const dump = await readDump(join(CORPUS, name));
      const isStruct = elixirStructs(dump);
      for (const ref of dump.index.find('proc')) {
        const p = decodeProcess(dump, ref.id, { maxSamples: 50, binaryBytes: 1 << 16 });
        const terms = [...p.messages.samples.map((s) => s.term), ...p.dictionary.flatMap((e) => [e.key, e.value]),
          ...p.stack.frames.flatMap((f) => f.yRegisters.flatMap((y) => (y.term ? [y.term] : [])))];
        for (const t of terms) lines.add(inspectTerm(t, { isStruct }));
      }
    }
    // What Elixir cannot read back: pids, refs, ports and funs (no literal syntax), elisions, structs
    // (their modules are not loaded in the checking VM), markers of what the dump lacks.
    const readable = [...lines].filter((l) => !/#PID<|#Reference<|#Port<|#Function<|\.\.\.|%[A-Z]|#CDV|<<\.\.\.|~D\[|MapSet\.new|&[A-Za-z:]/.test(l) && l.length < 20_000);
    // When written: 376 distinct terms, 209 of them readable back.
    expect(readable.length).toBeGreaterThan(150);
    const input = join(dir, 'terms.txt');
    writeFileSync(input, `${readable.join('\n')}\n`);
    const script = 'File.stream!(hd(System.argv())) |> Enum.each(fn l -> {t, _} = Code.eval_string(String.trim_trailing(l, "\\n")); IO.puts(inspect(t)) end)';
    const r = spawnSync('elixir', ['-e', script, input], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 300_000 });
    expect(r.status, r.stderr.slice(0, 2000)).toBe(0);
    const back = r.stdout.split('\n').slice(0, -1);
    const wrong = readable.map((l, i) => (back[i] === l ? '' : `ours:   ${l.slice(0, 300)}\nelixir: ${back[i]?.slice(0, 300)}`)).filter(Boolean);
    expect(wrong.slice(0, 10).join('\n')).toBe('');
  }, 300_000);
});
