// `npm run bench`: make benchmark crash dumps with a real Erlang VM (the three sizes of issue 2
// and the dump classes of issue 14) and time beamscope's commands against OTP's crashdump_viewer,
// one awk pass and `wc -l`. See bench/README.md for what is measured and how.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLASSES, CLASS_SPECS, HUGE_SIZE, SPECS, dumpId, ensureDump, sinkName, specFor, type DumpClass, type DumpInfo, type DumpSpec } from './dumps.js';
import { profileNode } from './profile.js';
import { resultPaths } from '../src/dump/result-cache.js';
import { cliCommand, cliNodeArgs, defaultMethod, findPython, measure, rssFloor, type Measurement, type RssMethod } from './measure.js';

// dist/bench/run.js -> repository root is two levels up; bench/run.ts (ts-node) one level.
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(join(here, '..', 'package.json')) ? resolve(here, '..') : resolve(here, '..', '..');
const GEN_DIR = join(ROOT, 'bench', 'gen');
const CDV_SCRIPT = join(ROOT, 'bench', 'gen', 'cdv_bench.escript');
// The bin that package.json names (the bundle), as users run it.
const CLI = join(ROOT, 'dist', 'bin', 'beamscope.js');
/** This invocation (its start time): results carry it, and ratio targets need both rows from one run. */
const RUN_ID = new Date().toISOString();
const GIT_DESCRIBE = (() => {
  const r = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
})();

const ALL_TOOLS = ['wc', 'awk', 'triage', 'triage-cached', 'triage-index', 'procs', 'alloc', 'proc', 'leak', 'report', 'zcat-awk', 'triage-gz', 'triage-stdin-gz', 'proc-gz', 'zstd-awk', 'triage-zst', 'proc-zst', 'xz-awk', 'triage-xz', 'cdv', 'cdv-proc', 'serve'] as const;
type Tool = (typeof ALL_TOOLS)[number];
/** The beamscope commands (need dist/bin/beamscope.js and the command in its --help). */
const CLI_TOOLS: readonly Tool[] = ['triage', 'triage-cached', 'triage-index', 'procs', 'alloc', 'proc', 'leak', 'report', 'triage-gz', 'triage-stdin-gz', 'proc-gz', 'triage-zst', 'proc-zst', 'triage-xz', 'serve'];
/** `serve`: its time to the first page and its peak RSS, as bench/serve-first-page.ts measures them (on the saved index). */
const SERVE_DRIVER = join(ROOT, 'dist', 'bench', 'serve-first-page.js');
/**
 * Issue 20: the gzip (`gzip -1`), zstd (level 3, the default) and xz (`xz -1 -T2`: several blocks,
 * as xz makes by default from 5.6 on) forms of a dump, made once beside it, and triage on them next
 * to the system decompressor piped into the awk pass. Only on the dumps the issue names (the 800 MB
 * size and class a): compressing the others takes minutes. xz has no target of its own.
 */
const COMPRESSED_FORMS = [
  { form: 'gz', make: 'gzip -1 -c', decode: 'zcat', tools: ['zcat-awk', 'triage-gz', 'triage-stdin-gz', 'proc-gz'] },
  { form: 'zst', make: 'zstd -q -c -T1', decode: 'zstd -dc', tools: ['zstd-awk', 'triage-zst', 'proc-zst'] },
  { form: 'xz', make: 'xz -1 -T2 -c', decode: 'xz -dc', tools: ['xz-awk', 'triage-xz'] },
] as const satisfies ReadonlyArray<{ form: string; make: string; decode: string; tools: readonly Tool[] }>;
type CompressedForm = (typeof COMPRESSED_FORMS)[number]['form'];
const COMPRESSED_TOOLS: readonly Tool[] = COMPRESSED_FORMS.flatMap((f) => f.tools);
const formOf = (form: CompressedForm) => COMPRESSED_FORMS.find((f) => f.form === form)!;
const compressedFor = (spec: DumpSpec) => spec.class === 'a' || spec.sizeMB === 800;
const AWK_PROC = '/^=proc:/{n++} END{print n}';
/** Where the timed `report` runs write their page (overwritten by each run; not in bench/out). */
const REPORT_OUT = join(tmpdir(), `beamscope-bench-report-${process.pid}.html`);
/** Run once per dump and timed alone (minutes, gigabytes). */
const SLOW_TOOLS: readonly Tool[] = ['cdv', 'cdv-proc'];
/** Above this size the viewer is not run (issue 14: "the viewer may be skipped above 3 GB"). */
const CDV_MAX_BYTES = 3 * 2 ** 30;

const TOOL_LABEL: Record<Tool, string> = {
  wc: 'wc -l (floor)',
  awk: "awk '/^=proc:/' count",
  triage: 'beamscope triage --format json',
  'triage-cached': 'beamscope triage, second run (saved index and saved report)',
  'triage-index': 'beamscope triage, second run from the saved index (its saved report removed before each run)',
  procs: 'beamscope procs --format json',
  alloc: 'beamscope alloc --format json',
  proc: 'beamscope proc <sink> --format json',
  leak: 'beamscope leak <dump> --format json',
  report: 'beamscope report <dump> --no-cache -o FILE.html',
  'zcat-awk': "zcat DUMP.gz | awk '/^=proc:/' count",
  'triage-gz': 'beamscope triage DUMP.gz --no-cache --format json',
  'triage-stdin-gz': 'zcat DUMP.gz | beamscope triage - --format json',
  'proc-gz': 'beamscope proc DUMP.gz <0.0.0> --format json, from its saved index (restart points)',
  'proc-zst': 'beamscope proc DUMP.zst <0.0.0> --format json, from its saved index (decompressed whole, not scanned)',
  'zstd-awk': "zstd -dc DUMP.zst | awk '/^=proc:/' count",
  'triage-zst': 'beamscope triage DUMP.zst --no-cache --format json',
  'xz-awk': "xz -dc DUMP.xz | awk '/^=proc:/' count",
  'triage-xz': 'beamscope triage DUMP.xz --no-cache --format json',
  cdv: 'crashdump_viewer load+processes',
  'cdv-proc': 'crashdump_viewer proc_details(<sink>)',
  serve: 'beamscope serve: start to first page (saved index)',
};

/**
 * What the CLI offers for the saved index, read from its --help: `triage --no-cache` (so the
 * timed triage runs do not use the index) and an `index` command (to build it before the
 * triage-cached runs; without one, an untimed triage run does).
 */
interface CacheSupport {
  noCache: boolean;
  indexCommand: boolean;
}
let CACHE: CacheSupport = { noCache: false, indexCommand: false };

const USAGE = `Usage: node dist/bench/run.js [options]   (or: npm run bench -- [options])

  --sizes LIST        dump sizes in MB, comma-separated (default ${SPECS.map((s) => s.sizeMB).join(',')})
  --classes LIST      issue-14 dump classes, comma-separated: a,b,c,d,f,g (default a,b,c,d,f,
                      and g when \`elixir\` is installed), e (the huge one); with only --sizes, no
                      classes, with only --classes, no sizes
  --huge              add the dumps of over 10 GB: class e (class a with 2.7 KB binaries) and
                      the 10000 MB size (the 3 GB shape with 832-byte payloads)
  --only LIST         tools to run: ${ALL_TOOLS.join(',')} (default: all available)
  --skip-cdv          do not run crashdump_viewer (cdv, cdv-proc)
  --skip-compressed   do not make or time the gzip, zstd and xz forms (zcat-awk, triage-gz,
                      triage-stdin-gz, proc-gz, zstd-awk, triage-zst, proc-zst, xz-awk, triage-xz;
                      run on the 800 MB dump and class a only)
  --runs N            timed runs of each tool per dump; the median wall time is reported
                      (and the best), with the largest peak RSS (default 3; a crashdump_viewer
                      run that hits a cap ends its series; proc_details runs once)
  --cdv-timeout S     time cap for each crashdump_viewer run (default 600)
  --cdv-mem-cap MB    memory cap for each crashdump_viewer run (default 6000)
  --rss-method M      auto | wait4 | poll (default auto: wait4 when python3 exists)
  --out DIR           output directory (default bench/out)
  --fresh             do not carry over earlier results from results.json
  --generate-only     make (or reuse) the dumps and stop
  --markdown          print results.json (from an earlier run) as Markdown and stop
  --cpu-prof          after the timed runs, one untimed triage run per dump under
                      node --cpu-prof; prints the top self-time functions
  -h, --help          this text
`;

interface ToolResult {
  /** The dump's row key: "800 MB" or "class a" (rows of older results.json have only sizeMB). */
  dump: string;
  sizeMB: number;
  dumpBytes: number;
  tool: Tool;
  label: string;
  status: 'ok' | 'timeout' | 'memcap' | 'failed' | 'skipped' | 'unavailable';
  wallS: number | null;
  mbPerS: number | null;
  peakRssMB: number | null;
  runs: Measurement[];
  check: string;
  note: string;
  /** Fastest run (the median is `wallS`); on a shared machine the gap shows contention. */
  bestWallS: number | null;
  /** 1-minute load average just before each run. */
  loadAvg: number[];
  measuredAt: string;
  /** `git describe --always --dirty` of the checkout that was measured. */
  gitDescribe: string;
  /** The harness invocation that measured it (its start time): ratios are taken within one run. */
  runId?: string;
}

interface Results {
  date: string;
  machine: Record<string, string | number>;
  rssMethod: RssMethod;
  /** Smallest peak RSS the method can report (`true` measured under it), MB. */
  rssFloorMB: number | null;
  command: string;
  dumps: Array<Omit<DumpInfo, 'path'> & { path: string }>;
  results: ToolResult[];
  targets: Target[];
}

interface Target {
  /** The dump's row key, or null for a target over several dumps. */
  dump: string | null;
  issue: '2/3' | '14' | '17' | '20';
  name: string;
  value: string;
  verdict: 'PASS' | 'FAIL' | 'NOT RUN';
}

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function machine(): Record<string, string | number> {
  const otp = sh('erl', ['-noshell', '-eval',
    'R = erlang:system_info(otp_release), ' +
      'V = case file:read_file(filename:join([code:root_dir(), "releases", R, "OTP_VERSION"])) of ' +
      '{ok, B} -> string:trim(binary_to_list(B)); _ -> R end, ' +
      'io:format("~s (erts ~s)", [V, erlang:system_info(version)]), halt().']);
  const awk = sh('sh', ['-c', 'readlink -f "$(command -v awk)"; awk -W version 2>&1 | head -1']);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    memoryGB: Math.round(totalmem() / 1e9),
    os: `${process.platform} ${release()}`,
    node: process.version,
    otp: otp.ok ? otp.out.trim() : 'not installed',
    awk: awk.out.trim().replace(/\n/g, ' / '),
    python3ForWait4: findPython() ? 'yes' : 'no',
  };
}

function cliHas(command: string): boolean {
  if (!existsSync(CLI)) return false;
  const r = sh(process.execPath, [CLI, '--help']);
  return new RegExp(`^\\s*\\S+ ${command}\\b`, 'm').test(r.out);
}

function cacheSupport(): CacheSupport {
  if (!existsSync(CLI)) return { noCache: false, indexCommand: false };
  return { noCache: /--no-cache\b/.test(sh(process.execPath, [CLI, 'triage', '--help']).out), indexCommand: cliHas('index') };
}

function cdvAvailable(): boolean {
  return sh('erl', ['-noshell', '-eval',
    'case code:ensure_loaded(crashdump_viewer) of {module,_} -> halt(0); _ -> halt(1) end.']).ok;
}

/** Read the whole file once so every tool starts from a warm page cache. */
function warm(path: string): number {
  const t0 = process.hrtime.bigint();
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0) {
      /* discard */
    }
  } finally {
    closeSync(fd);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Killed at the time or memory cap: its wall time is a lower bound. */
function capped(status: ToolResult['status']): boolean {
  return status === 'timeout' || status === 'memcap';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(n: number | null, digits = 2): string {
  return n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

interface Ctx {
  outDir: string;
  logDir: string;
  method: RssMethod;
  runs: number;
  cdvTimeoutS: number;
  cdvMemCapMB: number;
}

/** The system decompressor on the dump's compressed form, piped into `consumer` (a shell command line). */
function decodedInto(d: DumpInfo, form: CompressedForm, consumer: string): [string, string[]] {
  return ['sh', ['-c', `${formOf(form).decode} ${shellQuote(`${d.path}.${form}`)} | ${consumer}`]];
}

/** The system decompressor piped into the awk pass. */
const decodedAwk = (d: DumpInfo, form: CompressedForm) => decodedInto(d, form, `awk ${shellQuote(AWK_PROC)}`);

/** triage on the dump's compressed form: a first read (a compressed dump's report is saved too, and a second triage prints it). */
function triageCompressed(d: DumpInfo, form: CompressedForm): [string, string[]] {
  return cliCommand(CLI, ['triage', `${d.path}.${form}`, '--format', 'json', ...(CACHE.noCache ? ['--no-cache'] : [])]);
}

function commandFor(tool: Tool, d: DumpInfo): [string, string[]] {
  switch (tool) {
    case 'wc':
      return ['wc', ['-l', d.path]];
    case 'awk':
      return ['awk', ['/^=proc:/{n++} END{print n}', d.path]];
    case 'triage':
      // the first triage of a dump: without the saved index when the CLI has one
      return cliCommand(CLI, ['triage', d.path, '--format', 'json', ...(CACHE.noCache ? ['--no-cache'] : [])]);
    case 'triage-cached':
    case 'triage-index':
      return cliCommand(CLI, ['triage', d.path, '--format', 'json']);
    case 'procs':
      return cliCommand(CLI, ['procs', d.path, '--format', 'json']);
    case 'alloc':
      return cliCommand(CLI, ['alloc', d.path, '--format', 'json']);
    case 'proc':
      return cliCommand(CLI, ['proc', d.path, d.sinkPid, '--format', 'json']);
    case 'leak':
      return cliCommand(CLI, ['leak', d.path, '--format', 'json']);
    case 'report':
      // Like the timed triage: a first read, without the saved index (issue 17: within 1.5x of it).
      return cliCommand(CLI, ['report', d.path, '-o', REPORT_OUT, ...(CACHE.noCache ? ['--no-cache'] : [])]);
    case 'zcat-awk':
      return decodedAwk(d, 'gz');
    case 'zstd-awk':
      return decodedAwk(d, 'zst');
    case 'xz-awk':
      return decodedAwk(d, 'xz');
    case 'triage-gz':
      return triageCompressed(d, 'gz');
    case 'triage-stdin-gz': {
      // Standard input from a pipe, as `zcat-awk` reads it (issue 20: "zcat dump.gz | beamscope triage -").
      const [cmd, args] = cliCommand(CLI, ['triage', '-', '--format', 'json']);
      return decodedInto(d, 'gz', [cmd, ...args].map(shellQuote).join(' '));
    }
    case 'proc-gz':
      // One small process: what a seek through the restart points saves over decompressing it all.
      return cliCommand(CLI, ['proc', `${d.path}.gz`, '<0.0.0>', '--format', 'json']);
    case 'proc-zst':
      // zstd has no restart points: what the index saves is the scan, not the decompression.
      return cliCommand(CLI, ['proc', `${d.path}.zst`, '<0.0.0>', '--format', 'json']);
    case 'triage-zst':
      return triageCompressed(d, 'zst');
    case 'triage-xz':
      return triageCompressed(d, 'xz');
    case 'cdv':
      return ['escript', [CDV_SCRIPT, 'load', d.path]];
    case 'cdv-proc':
      return ['escript', [CDV_SCRIPT, 'proc', d.path, d.sinkPid]];
    case 'serve':
      return [process.execPath, [SERVE_DRIVER, CLI, d.path]];
  }
}

/**
 * Before the triage-cached runs: build the saved index once, untimed (`beamscope index DUMP` when
 * the CLI has the command, else one plain triage run), and with `withReport` the triage report
 * saved beside it.
 */
async function prepareIndex(ctx: Ctx, d: DumpInfo, withReport = false): Promise<string> {
  const args = CACHE.indexCommand ? ['index', d.path] : ['triage', d.path, '--format', 'json'];
  const m = await measure(...cliCommand(CLI, args), {
    method: ctx.method,
    stdoutFile: join(ctx.logDir, `index-${slug(d)}.out`),
    stderrFile: join(ctx.logDir, `index-${slug(d)}.err`),
    timeoutS: 3600,
  });
  const what = CACHE.indexCommand ? 'beamscope index' : 'an untimed beamscope triage';
  log(`  ${what}: ${m.status} ${fmt(m.wallS)} s, peak RSS ${fmt(m.peakRssMB, 0)} MB`);
  if (CACHE.indexCommand && withReport) {
    // `index` saves no report: without this, the first triage-cached run would be a triage from
    // the index that saves one (with --runs 1, the only run).
    const [cmd, args] = commandFor('triage-cached', d);
    const r = await measure(cmd, args, { method: ctx.method, stdoutFile: join(ctx.logDir, `report-${slug(d)}.out`), stderrFile: join(ctx.logDir, `report-${slug(d)}.err`), timeoutS: 3600 });
    log(`  an untimed triage to save its report: ${r.status} ${fmt(r.wallS)} s`);
  }
  return `index made by ${what} in ${fmt(m.wallS)} s${m.status === 'ok' ? '' : ` (${m.status})`}`;
}

/** File-name part for a dump: "800mb" or "class-a". */
function slug(d: DumpInfo | DumpSpec): string {
  const spec = 'spec' in d ? d.spec : d;
  return spec.class ? `class-${spec.class}` : `${spec.sizeMB}mb`;
}

export function shellQuote(a: string): string {
  return /^[\w./:=,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Find key k in o, depth-first, at most `maxDepth` objects down. */
function find(o: unknown, k: string, depth = 0, maxDepth = 3): unknown {
  if (!o || typeof o !== 'object' || depth > maxDepth) return undefined;
  if (k in (o as Record<string, unknown>)) return (o as Record<string, unknown>)[k];
  for (const v of Object.values(o as Record<string, unknown>)) {
    const r = find(v, k, depth + 1, maxDepth);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** The page `report` wrote: it must hold the sink (the big mailbox) and stay under 2 MB. */
function checkReport(d: DumpInfo): string {
  const bytes = existsSync(REPORT_OUT) ? statSync(REPORT_OUT).size : 0;
  const page = bytes ? readFileSync(REPORT_OUT, 'latin1') : '';
  const okSink = page.includes(d.sinkPid.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  return `${bytes > 0 && bytes < 2 * 2 ** 20 && okSink ? 'ok' : 'MISMATCH'}: ${(bytes / 2 ** 20).toFixed(2)} MiB page${okSink ? '' : ', sink not in it'}`;
}

/** Class f's triage: no mailbox to speak of; the first finding is big_state's memory. */
function checkHugeProcessTriage(j: { findings?: Array<{ id?: string; subject?: { id?: string; name?: string } }> }, d: DumpInfo,
  processes: number | undefined, okN: boolean): string {
  const first = j.findings?.[0];
  const ok = okN && first?.id === 'process.memory-outlier' && first.subject?.id === d.sinkPid;
  return `${ok ? 'ok' : 'MISMATCH'}: ${processes} processes, first finding ${first?.id} ${first?.subject?.id ?? ''}${first?.subject?.name ? ` ${first.subject.name}` : ''}`;
}

/** Class f's proc of big_state: no queue, and the list the generator built in one of its stack's variables. */
function checkHugeProcessProc(j: Record<string, unknown>, queue: unknown): string {
  const ys = ((find(j, 'stack') ?? []) as Array<{ yRegisters?: Array<{ value?: string | null }> }>).flatMap((f) => f.yRegisters ?? []);
  const okList = ys.some((y) => y.value?.startsWith('[{1,<<"1">>,2},{2,<<"2">>,4},'));
  return `${queue === 0 && okList ? 'ok' : 'MISMATCH'}: queue ${String(queue)}, ${ys.length} stack variables${okList ? ', the list in one' : ', no list of {1,<<"1">>,2}, ...'}`;
}

/** Class h's triage: the first finding is tree_walker's deep stack, in walk/2. */
function checkDeepStackTriage(j: { findings?: Array<{ id?: string; title?: string; subject?: { id?: string; name?: string } }> }, d: DumpInfo,
  processes: number | undefined, okN: boolean): string {
  const first = j.findings?.[0];
  const ok = okN && first?.id === 'process.deep-stack' && first.subject?.id === d.sinkPid && (first.title ?? '').includes(':walk/2');
  return `${ok ? 'ok' : 'MISMATCH'}: ${processes} processes, first finding ${first?.id} ${first?.subject?.id ?? ''}${first?.subject?.name ? ` ${first.subject.name}` : ''}`;
}

/** Class h's proc of tree_walker: every frame counted, the recursion as one run. */
function checkDeepStackProc(j: Record<string, unknown>): string {
  const depth = find(j, 'stackDepth');
  const runs = ((find(j, 'stack') ?? []) as Array<{ repeat?: number }>).map((f) => f.repeat ?? 1);
  const ok = depth === 5_000_003 && Math.max(...runs) === 5_000_000;
  return `${ok ? 'ok' : 'MISMATCH'}: ${String(depth)} frames, longest run ${Math.max(...runs)}, ${runs.length} rows`;
}

interface TriageJson {
  counts?: { processes?: number };
  mailboxOutliers?: Array<{ pid?: string; name?: string; messageQueueLength?: number; messageShapes?: Array<{ shape?: string; count?: number }> }>;
  findings?: Array<{ id?: string; title?: string; subject?: { id?: string; name?: string } }>;
}

/** Triage's JSON: every process counted, the sink first with its queue (and, where the class says, its shape). */
function checkTriage(j: TriageJson, d: DumpInfo, procCount: number | null): string {
  const want = d.spec.messages;
  const refc = d.spec.class === 'a' || d.spec.class === 'e';
  const n = j.counts?.processes;
  const okN = procCount === null || n === procCount;
  if (d.spec.class === 'f') return checkHugeProcessTriage(j, d, n, okN);
  if (d.spec.class === 'h') return checkDeepStackTriage(j, d, n, okN);
  const top = j.mailboxOutliers?.[0];
  const okQ = top?.pid === d.sinkPid && top?.messageQueueLength === want;
  // class a (and e): the sink is named first with its message shape {log_line, I, Bin}; class
  // g: a GenServer call of a %Shop.Order{}
  const shape = top?.messageShapes?.[0]?.shape;
  const okShape = d.spec.class === 'g' ? typeof shape === 'string' && shape.startsWith("{'$gen_call', {pid, [atom|ref]}, {place, #{'__struct__' => 'Elixir.Shop.Order'")
    : !refc || (typeof shape === 'string' && shape.startsWith('{log_line, integer, binary'));
  return `${okN && okQ && okShape ? 'ok' : 'MISMATCH'}: ${n} processes, top queue ${top?.pid}${top?.name ? ` ${top.name}` : ''} ${top?.messageQueueLength}${refc || shape ? `, shape ${shape ?? 'none'}` : ''}`;
}

/** Check a run's output against what the generator put in the dump. */
function checkOutput(tool: Tool, d: DumpInfo, stdout: string, procCount: number | null): string {
  const want = d.spec.messages;
  const refc = d.spec.class === 'a' || d.spec.class === 'e';
  try {
    switch (tool) {
      case 'wc':
        return `${stdout.trim().split(/\s+/)[0]} lines`;
      case 'awk':
      case 'zcat-awk':
      case 'zstd-awk':
      case 'xz-awk':
        return `${stdout.trim()} =proc sections`;
      case 'triage':
      case 'triage-cached':
      case 'triage-index':
      case 'triage-gz':
      case 'triage-stdin-gz':
      case 'triage-zst':
      case 'triage-xz':
        return checkTriage(JSON.parse(stdout) as TriageJson, d, procCount);
      case 'procs': {
        const j = JSON.parse(stdout) as { processes?: number; rows?: unknown[] };
        const okN = procCount === null || j.processes === procCount;
        return `${okN ? 'ok' : 'MISMATCH'}: ${j.processes} processes, ${j.rows?.length ?? 0} rows`;
      }
      case 'report':
        return checkReport(d);
      case 'alloc': {
        const j = JSON.parse(stdout) as { types?: unknown[]; memoryTotal?: { memoryTotalBytes?: number }; findings?: Array<{ id?: string }> };
        const types = Array.isArray(j.types) ? j.types.length : 0;
        const total = j.memoryTotal?.memoryTotalBytes;
        return `${types > 0 ? 'ok' : 'MISMATCH'}: ${types} allocator types${total ? `, memory total ${(total / 1e6).toFixed(0)} MB` : ''}, ${j.findings?.length ?? 0} findings`;
      }
      case 'leak': {
        const j = JSON.parse(stdout) as {
          staleEstimates?: Array<{ pid?: string; name?: string | null; staleBytes?: number; flagged?: boolean }>;
          holders?: Array<{ pid?: string; name?: string | null; reachableBytes?: number }>;
          findings?: Array<{ id?: string; subject?: { id?: string; name?: string } }>;
          binaries?: { binarySections?: number };
        };
        const stale = j.staleEstimates?.[0];
        const holder = j.holders?.[0];
        const staleFinding = j.findings?.find((f) => f.id === 'leak.stale-binaries');
        const mb = (x: number | undefined) => (x === undefined ? '?' : `${(x / 1e6).toFixed(1)} MB`);
        const text = `${j.binaries?.binarySections ?? '?'} binaries; top stale ${stale ? `${stale.pid}${stale.name ? ` ${stale.name}` : ''} ${mb(stale.staleBytes)}${stale.flagged ? ' (flagged)' : ''}` : 'none'}; top holder ${holder ? `${holder.pid}${holder.name ? ` ${holder.name}` : ''} ${mb(holder.reachableBytes)}` : 'none'}`;
        // class a (and e): the stale holder is the shipper, which dropped the lines it sent
        const ok = !refc || (staleFinding?.subject?.name === 'log_shipper' && stale?.name === 'log_shipper');
        return `${ok ? 'ok' : 'MISMATCH'}: ${text}`;
      }
      case 'proc-gz': case 'proc-zst': // a later command on a compressed dump, from its index
        return checkPid(stdout, '<0.0.0>');
      case 'proc': {
        // Issue 3: the JSON has at least messageQueueLength and messageShapes[] {shape, count}, largest first.
        const j = JSON.parse(stdout) as Record<string, unknown>;
        const q = find(j, 'messageQueueLength');
        const shapes = find(j, 'messageShapes') as Array<{ shape?: unknown; count?: number }> | undefined;
        const counted = Array.isArray(shapes) ? shapes.reduce((a, x) => a + (x.count ?? 0), 0) : null;
        if (d.spec.class === 'f') return checkHugeProcessProc(j, q);
        if (d.spec.class === 'h') return checkDeepStackProc(j);
        const ok = q === want && (counted === null || counted === want);
        return `${ok ? 'ok' : 'MISMATCH'}: queue ${String(q)}, ${Array.isArray(shapes) ? `${shapes.length} shape(s) covering ${counted} messages` : 'no messageShapes'}`;
      }
      case 'cdv': {
        const j = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { processes: number; max_msg_q_len: number };
        const okN = procCount === null || j.processes === procCount;
        // class f has no big mailbox: its longest queue is one of the others' few messages
        const okQ = d.spec.class === 'f' || d.spec.class === 'h' || j.max_msg_q_len === want;
        return `${okN && okQ ? 'ok' : 'MISMATCH'}: ${j.processes} processes, top queue ${j.max_msg_q_len}`;
      }
      case 'cdv-proc': {
        const j = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { messages_decoded: number };
        return `${j.messages_decoded === want ? 'ok' : 'MISMATCH'}: ${j.messages_decoded} messages decoded`;
      }
      case 'serve': {
        const j = JSON.parse(stdout) as { status: string; bytes: number; processes: number | null };
        const okN = procCount === null || j.processes === procCount;
        return `${j.status === 'ok' && okN ? 'ok' : 'MISMATCH'}: first page ${(j.bytes / 1e3).toFixed(0)} kB, ${j.processes} processes`;
      }
    }
  } catch (e) {
    return `unreadable output (${(e as Error).message.slice(0, 60)})`;
  }
}

/** How far a killed crashdump_viewer run got, from its stderr phase lines. */
function cdvPhases(stderrFile: string): string {
  if (!existsSync(stderrFile)) return '';
  const lines = readFileSync(stderrFile, 'utf8').split('\n').filter((l) => l.startsWith('cdv_phase '));
  return lines.map((l) => l.split(' ').slice(1, 3).join(' ') + 's').join(', ');
}

async function runTool(ctx: Ctx, tool: Tool, d: DumpInfo, procCount: number | null, nRuns: number): Promise<ToolResult> {
  const [cmd, args] = commandFor(tool, d);
  const isCdv = tool === 'cdv' || tool === 'cdv-proc';
  const runs: Measurement[] = [];
  const loads: number[] = [];
  let check = '';
  let note = '';
  const base = join(ctx.logDir, `${tool}-${slug(d)}`);
  for (let i = 0; i < nRuns; i++) {
    loads.push(Number(loadavg()[0].toFixed(2)));
    // The triage from the saved index, not the report a triage saved with it (result-cache.ts).
    if (tool === 'triage-index') for (const f of Object.values(resultPaths(d.path))) rmSync(f, { force: true });
    const m = await measure(cmd, args, {
      method: ctx.method,
      stdoutFile: `${base}.out`,
      stderrFile: `${base}.err`,
      timeoutS: isCdv ? ctx.cdvTimeoutS : 3600,
      memCapMB: isCdv ? ctx.cdvMemCapMB : undefined,
    });
    // serve's figures are the driver's: the server's time to its first page and its VmHWM.
    if (tool === 'serve' && m.status === 'ok') Object.assign(m, serveFigures(`${base}.out`));
    runs.push(m);
    log(`  ${tool} run ${i + 1}/${nRuns}: ${m.status} ${fmt(m.wallS)} s, peak RSS ${fmt(m.peakRssMB, 0)} MB`);
    if (m.status !== 'ok') {
      const err = existsSync(`${base}.err`) ? readFileSync(`${base}.err`, 'utf8').trim().split('\n') : [];
      if (isCdv) note = `${m.status === 'timeout' ? `timed out at ${ctx.cdvTimeoutS} s` : m.status === 'memcap' ? `killed at ${ctx.cdvMemCapMB} MB RSS` : `failed (exit ${m.exitCode}${m.signal ? `, ${m.signal}` : ''})`}; phases done: ${cdvPhases(`${base}.err`) || 'none'}`;
      else note = `exit ${m.exitCode}${m.signal ? `, ${m.signal}` : ''}: ${err.slice(-1)[0] ?? ''}`.slice(0, 200);
      break;
    }
    check = checkOutput(tool, d, readFileSync(`${base}.out`, 'utf8'), procCount);
    if (isCdv) note = `phases: ${cdvPhases(`${base}.err`)}`;
  }
  const ok = runs.filter((r) => r.status === 'ok');
  const last = runs[runs.length - 1];
  const status: ToolResult['status'] = ok.length === runs.length ? 'ok' : last.status;
  const wallS = status === 'ok' ? median(ok.map((r) => r.wallS)) : capped(status) ? last.wallS : null;
  const rss = runs.map((r) => r.peakRssMB).filter((x): x is number => x !== null);
  return {
    dump: dumpId(d.spec),
    sizeMB: d.spec.sizeMB,
    dumpBytes: d.bytes,
    tool,
    label: labelFor(tool),
    status,
    wallS,
    mbPerS: wallS ? d.bytes / 1e6 / wallS : null,
    peakRssMB: rss.length ? Math.max(...rss) : null,
    runs,
    check,
    note,
    bestWallS: ok.length ? Math.min(...ok.map((r) => r.wallS)) : null,
    loadAvg: loads,
    measuredAt: new Date().toISOString(),
    gitDescribe: GIT_DESCRIBE,
    runId: RUN_ID,
  };
}

function serveFigures(outFile: string): Partial<Measurement> {
  try {
    const j = JSON.parse(readFileSync(outFile, 'utf8')) as { firstPageS: number; peakRssMB: number | null };
    return { wallS: j.firstPageS, peakRssMB: j.peakRssMB };
  } catch {
    return {};
  }
}

/** A row for a tool that was not run on this dump, with the reason. */
function skippedRow(tool: Tool, d: DumpInfo, note: string): ToolResult {
  return {
    dump: dumpId(d.spec), sizeMB: d.spec.sizeMB, dumpBytes: d.bytes, tool, label: labelFor(tool), status: 'skipped',
    wallS: null, mbPerS: null, peakRssMB: null, runs: [], check: '', note, bestWallS: null, loadAvg: [],
    measuredAt: new Date().toISOString(), gitDescribe: GIT_DESCRIBE, runId: RUN_ID,
  };
}

/** The label of a tool's rows, saying what the triage runs really were with this CLI. */
function labelFor(tool: Tool): string {
  if (tool === 'triage' && CACHE.noCache) return 'beamscope triage --no-cache --format json';
  if (tool === 'triage-cached' && !CACHE.noCache) return 'beamscope triage, second run (no saved index in this CLI)';
  return TOOL_LABEL[tool];
}

function get(results: ToolResult[], dump: string, tool: Tool): ToolResult | undefined {
  return results.find((r) => r.dump === dump && r.tool === tool);
}

/** The size shapes' row keys, smallest first ("100 MB", ...); the classes are not among them. */
function sizeKeys(results: ToolResult[]): Array<{ key: string; sizeMB: number }> {
  const keys = new Map<string, number>();
  for (const r of results) if (!r.dump.startsWith('class ')) keys.set(r.dump, r.sizeMB);
  return [...keys].map(([key, sizeMB]) => ({ key, sizeMB })).sort((a, b) => a.sizeMB - b.sizeMB);
}

/** Orders rows: the sizes by size, then the classes by letter. */
function dumpOrder(a: ToolResult, b: ToolResult): number {
  const ca = a.dump.startsWith('class ');
  const cb = b.dump.startsWith('class ');
  if (ca !== cb) return ca ? 1 : -1;
  return ca ? a.dump.localeCompare(b.dump) : a.sizeMB - b.sizeMB;
}

function evaluate(results: ToolResult[]): Target[] {
  return [...evaluateSizes(results), ...evaluateIssue14(results), ...evaluateIssue20(results), ...evaluateIssue17(results)];
}

/** Issue 17: `report` within 1.5x of triage's time (same run), peak RSS at most 200 MB. */
function evaluateIssue17(results: ToolResult[]): Target[] {
  const targets: Target[] = [];
  for (const dump of [...new Set(results.filter((r) => r.tool === 'report').map((r) => r.dump))].sort()) {
    const r = get(results, dump, 'report')!;
    const t = get(results, dump, 'triage');
    const name = 'report within 1.5x of triage, peak RSS <= 200 MB';
    if (r.status !== 'ok' || r.wallS === null) {
      targets.push({ dump, issue: '17', name, value: `report ${r.status}: ${r.note}`, verdict: 'FAIL' });
      continue;
    }
    const ratio = t?.status === 'ok' && t.wallS ? r.wallS / t.wallS : null;
    const rss = r.peakRssMB;
    const value = `${fmt(r.wallS)} s${ratio !== null ? ` (${ratio.toFixed(2)}x triage)` : ' (triage not run)'}, ${rss !== null ? `${rss.toFixed(0)} MB` : 'RSS not measured'}`;
    const ok = (ratio === null || ratio <= 1.5) && (rss === null || rss <= 200);
    targets.push({ dump, issue: '17', name, value, verdict: ratio === null ? 'NOT RUN' : ok ? 'PASS' : 'FAIL' });
  }
  return targets;
}

/**
 * Issue 20: triage on the gzip form within 1.2x of `zcat | awk`, on the zstd form within 1.2x of
 * `zstd -dc | awk` (each pair from the same run), and on class a within the plain file's 150 MB.
 */
function evaluateIssue20(results: ToolResult[]): Target[] {
  const targets: Target[] = [];
  const dumps = [...new Set(results.filter((r) => r.tool === 'triage-gz' || r.tool === 'triage-stdin-gz' || r.tool === 'triage-zst').map((r) => r.dump))].sort();
  for (const k of dumps) {
    for (const [tool, base, what] of [['triage-gz', 'zcat-awk', 'zcat'], ['triage-stdin-gz', 'zcat-awk', 'zcat'], ['triage-zst', 'zstd-awk', 'zstd -dc']] as const) {
      const r = get(results, k, tool);
      const a = get(results, k, base);
      if (!r || r.status === 'skipped') continue;
      const rss = k === 'class a' ? 150 : null;
      const name = `${tool === 'triage-stdin-gz' ? '`zcat | triage -`' : tool.replace('triage-', 'triage on .')} <= 1.2x \`${what} | awk\`${rss ? `, peak RSS <= ${rss} MB` : ''}`;
      if (r.status !== 'ok' || r.wallS === null) { targets.push({ dump: k, issue: '20', name, value: `${tool} ${r.status}: ${r.note}`.slice(0, 160), verdict: 'FAIL' }); continue; }
      if (!a || a.status !== 'ok' || !a.wallS || (r.runId ?? '') !== (a.runId ?? '')) { targets.push({ dump: k, issue: '20', name, value: `no \`${what} | awk\` from the same run`, verdict: 'NOT RUN' }); continue; }
      const x = r.wallS / a.wallS;
      const rssOk = rss === null || (r.peakRssMB !== null && r.peakRssMB <= rss);
      const mismatch = r.check.startsWith('MISMATCH') ? ', output MISMATCH' : '';
      targets.push({ dump: k, issue: '20', name, value: `${fmt(r.wallS)} s = ${x.toFixed(2)}x (${fmt(a.wallS)} s), peak RSS ${fmt(r.peakRssMB, 0)} MB${mismatch}`, verdict: x <= 1.2 && rssOk && !mismatch ? 'PASS' : 'FAIL' });
    }
  }
  return targets;
}

/** `proc --format json` of the process asked for. */
function checkPid(stdout: string, pid: string): string {
  const j = JSON.parse(stdout) as { pid?: string };
  return `${j.pid === pid ? 'ok' : 'MISMATCH'}: ${String(j.pid)}`;
}

/** The gzip, zstd or xz form of a dump beside it (DUMP.gz, DUMP.zst, DUMP.xz), made when missing or older than the dump. */
function ensureCompressed(d: DumpInfo, form: CompressedForm): boolean {
  const out = `${d.path}.${form}`;
  if (existsSync(out) && statSync(out).size > 0 && statSync(out).mtimeMs >= statSync(d.path).mtimeMs) return true;
  const cmd = `${formOf(form).make} ${shellQuote(d.path)}`;
  log(`making ${out} (${cmd})`);
  const r = spawnSync('sh', ['-c', `${cmd} > ${shellQuote(`${out}.tmp`)} && mv ${shellQuote(`${out}.tmp`)} ${shellQuote(out)}`], { stdio: 'inherit' });
  return r.status === 0;
}

/** The targets of issues 2 and 3, over the three size shapes (not the classes). */
function evaluateSizes(results: ToolResult[]): Target[] {
  const sizes = sizeKeys(results);
  const targets: Target[] = [];
  if (!sizes.length) return targets;
  const T = (dump: string | null, name: string, value: string, verdict: Target['verdict']) =>
    targets.push({ dump, issue: '2/3', name, value, verdict });
  for (const { key: s } of sizes) {
    const t = get(results, s, 'triage');
    const a = get(results, s, 'awk');
    const c = get(results, s, 'cdv');
    const triageOk = t?.status === 'ok' && t.wallS !== null;
    // 1. no slower than awk
    if (triageOk && a?.status === 'ok' && a.wallS) {
      const ratio = t.wallS! / a.wallS;
      T(s, 'triage no slower than awk', `triage/awk time = ${ratio.toFixed(2)}`, ratio <= 1 ? 'PASS' : 'FAIL');
    } else {
      T(s, 'triage no slower than awk', 'not measured', 'NOT RUN');
    }
    // 2. 20x faster than crashdump_viewer (load + process list)
    if (triageOk && c && c.wallS !== null && (c.status === 'ok' || capped(c.status))) {
      const speedup = c.wallS / t.wallS!;
      const lower = capped(c.status) ? '>= ' : '';
      T(s, '20x faster than crashdump_viewer', `${lower}${speedup.toFixed(1)}x${capped(c.status) ? ` (viewer ${c.note.split(';')[0]})` : ''}`,
        speedup >= 20 ? 'PASS' : capped(c.status) ? 'NOT RUN' : 'FAIL');
    } else {
      T(s, '20x faster than crashdump_viewer', c ? `viewer ${c.status}` : 'not measured', 'NOT RUN');
    }
    // 3. peak RSS <= 150 MB
    if (triageOk && t.peakRssMB !== null) {
      T(s, 'triage peak RSS <= 150 MB', `${t.peakRssMB.toFixed(0)} MB`, t.peakRssMB <= 150 ? 'PASS' : 'FAIL');
    } else {
      T(s, 'triage peak RSS <= 150 MB', 'not measured', 'NOT RUN');
    }
  }
  // Issue 3: proc on the big mailbox under 300 MB peak RSS, "seconds", next to proc_details.
  for (const { key: s } of sizes) {
    const p = get(results, s, 'proc');
    if (!p) continue;
    if (p.status === 'ok' && p.peakRssMB !== null) {
      T(s, 'proc on the big mailbox: peak RSS < 300 MB (issue 3)', `${p.peakRssMB.toFixed(0)} MB, ${fmt(p.wallS)} s`, p.peakRssMB < 300 ? 'PASS' : 'FAIL');
    } else {
      T(s, 'proc on the big mailbox: peak RSS < 300 MB (issue 3)', `proc ${p.status}: ${p.note}`, 'FAIL');
    }
  }
  // 4. flat: across the sizes measured, the highest peak RSS at most 1.25x the lowest.
  const tr = sizes.map(({ key }) => get(results, key, 'triage')).filter((r): r is ToolResult => r?.status === 'ok' && r.peakRssMB !== null);
  if (tr.length >= 2) {
    const lo = tr.reduce((a, b) => (b.peakRssMB! < a.peakRssMB! ? b : a));
    const hi = tr.reduce((a, b) => (b.peakRssMB! > a.peakRssMB! ? b : a));
    const growth = hi.peakRssMB! / lo.peakRssMB!;
    T(null, 'triage peak RSS flat as the dump grows (highest/lowest over the sizes <= 1.25)',
      tr.map((r) => `${r.peakRssMB!.toFixed(0)} MB at ${(r.dumpBytes / 1e6).toFixed(0)} MB`).join(', ') + ` (x${growth.toFixed(2)})`,
      growth <= 1.25 ? 'PASS' : 'FAIL');
  } else {
    T(null, 'triage peak RSS flat as the dump grows', 'needs two sizes', 'NOT RUN');
  }
  // 4b. The same between the sizes with the same number of processes (800 MB and 3 GB: 100,000
  // each), where only the bytes grow: the reader's memory follows processes, not bytes.
  const sameProcs = sizes.filter(({ sizeMB }) => specFor(sizeMB).procs === 100_000).map(({ key }) => get(results, key, 'triage'))
    .filter((r): r is ToolResult => r?.status === 'ok' && r.peakRssMB !== null);
  if (sameProcs.length >= 2) {
    const rss = sameProcs.map((r) => r.peakRssMB!);
    const growth = Math.max(...rss) / Math.min(...rss);
    T(null, 'triage peak RSS flat as the bytes grow, processes the same (100,000; highest/lowest <= 1.25)',
      sameProcs.map((r) => `${r.peakRssMB!.toFixed(0)} MB at ${(r.dumpBytes / 1e6).toFixed(0)} MB`).join(', ') + ` (x${growth.toFixed(2)})`,
      growth <= 1.25 ? 'PASS' : 'FAIL');
  }
  return targets;
}

/** The 3 GB size shape's row key, if it was measured (the reference for the flat-memory targets). */
const THREE_GB = '3000 MB';

/**
 * Issue 14's targets, per dump, from the same run: a tool's time is compared with the awk pass
 * measured next to it (interleaved, in the same invocation); rows from different runs (one
 * carried over from results.json) are NOT RUN.
 */
function evaluateIssue14(results: ToolResult[]): Target[] {
  const targets: Target[] = [];
  const T = (dump: string | null, name: string, value: string, verdict: Target['verdict']) =>
    targets.push({ dump, issue: '14', name, value, verdict });
  const dumps = [...new Set(results.map((r) => r.dump))].filter((k) => k.startsWith('class ') || k === THREE_GB)
    .sort((x, y) => (x === THREE_GB ? -1 : y === THREE_GB ? 1 : x.localeCompare(y)));
  // time at most `ratio` x the awk pass, peak RSS at most `rssMB`
  const vsAwk = (dump: string, tool: Tool, ratio: number, rssMB: number | null, name: string) => {
    const r = get(results, dump, tool);
    const a = get(results, dump, 'awk');
    if (!r || r.status === 'skipped') return;
    if (r.status !== 'ok' || r.wallS === null) return T(dump, name, `${tool} ${r.status}: ${r.note}`.slice(0, 160), 'FAIL');
    if (!a || a.status !== 'ok' || !a.wallS) return T(dump, name, 'no awk pass to compare with', 'NOT RUN');
    if ((r.runId ?? '') !== (a.runId ?? '')) return T(dump, name, `${tool} and awk from different runs`, 'NOT RUN');
    const x = r.wallS / a.wallS;
    const rssOk = rssMB === null || (r.peakRssMB !== null && r.peakRssMB <= rssMB);
    const extra = r.check.startsWith('MISMATCH') ? ', output MISMATCH' : '';
    T(dump, name, `${fmt(r.wallS)} s = ${x.toFixed(2)}x awk (${fmt(a.wallS)} s)${rssMB !== null ? `, peak RSS ${fmt(r.peakRssMB, 0)} MB` : ''}${extra}`,
      x <= ratio && rssOk && !extra ? 'PASS' : 'FAIL');
  };
  for (const k of dumps) {
    const cls = k.startsWith('class ') ? (k.slice(6) as DumpClass) : null;
    if (cls === 'a' || k === THREE_GB) vsAwk(k, 'triage', 1.0, 150, 'triage <= 1.0x awk, peak RSS <= 150 MB');
    if (cls === 'b' || cls === 'c') {
      vsAwk(k, 'triage', 1.5, 300, 'triage <= 1.5x awk, peak RSS <= 300 MB');
      vsAwk(k, 'procs', 1.5, 300, 'procs <= 1.5x awk, peak RSS <= 300 MB');
    }
    vsAwk(k, 'alloc', 1.0, 100, 'alloc <= 1.0x awk, peak RSS <= 100 MB');
    if (cls === 'a') {
      const p = get(results, k, 'proc');
      if (p && p.status !== 'skipped') {
        const ok = p.status === 'ok' && p.wallS !== null && p.wallS < 10 && p.peakRssMB !== null && p.peakRssMB <= 300 && p.check.startsWith('ok');
        T(k, 'proc of the 3,000,000-message process < 10 s, peak RSS <= 300 MB',
          p.status === 'ok' ? `${fmt(p.wallS)} s, peak RSS ${fmt(p.peakRssMB, 0)} MB; ${p.check}` : `proc ${p.status}: ${p.note}`.slice(0, 160), ok ? 'PASS' : 'FAIL');
      }
      vsAwk(k, 'leak', 3.0, 300, 'leak <dump> <= 3x awk, peak RSS <= 300 MB');
    }
    const tc = get(results, k, 'triage-cached');
    if (tc && tc.status !== 'skipped') {
      const name = `second triage (saved index and report) <= 0.5x awk${tc.label.includes('no saved index') ? ' [this CLI has no saved index: a second plain run]' : ''}`;
      vsAwk(k, 'triage-cached', 0.5, null, name);
    }
    const ti = get(results, k, 'triage-index');
    if (ti && ti.status !== 'skipped') vsAwk(k, 'triage-index', 0.5, null, 'second triage from the saved index alone (no saved report) <= 0.5x awk');
    // the checks of the output that the issue asks for on class a
    if (cls === 'a' || cls === 'e') {
      const t = get(results, k, 'triage');
      if (t && t.status === 'ok') T(k, 'triage names the 3,000,000-message process first, with its message shape', t.check, t.check.startsWith('ok') ? 'PASS' : 'FAIL');
      const l = get(results, k, 'leak');
      if (l && l.status === 'ok') T(k, 'leak finds log_shipper, which holds stale references to the binaries it sent', l.check, l.check.startsWith('ok') ? 'PASS' : 'FAIL');
    }
  }
  // the 10 GB dumps: peak RSS within 10% of the 3 GB dump's, tool by tool. The 10000 MB size holds
  // what the 3 GB dump holds (the same generator, the same processes and messages, bigger
  // payloads); class e holds class a's content.
  for (const huge of [dumpId(HUGE_SIZE), 'class e']) {
    if (!results.some((r) => r.dump === huge)) continue;
    for (const tool of ['triage', 'procs', 'alloc', 'proc', 'leak'] as Tool[]) {
      const e = get(results, huge, tool);
      const g = get(results, THREE_GB, tool);
      if (!e || e.status === 'skipped') continue;
      const name = `${tool}: peak RSS on the 10 GB dump within 10% of the 3 GB dump's`;
      if (e.status !== 'ok' || e.peakRssMB === null) { T(huge, name, `${tool} ${e.status}: ${e.note}`.slice(0, 160), 'FAIL'); continue; }
      if (!g || g.status !== 'ok' || g.peakRssMB === null) { T(huge, name, `${fmt(e.peakRssMB, 0)} MB; the 3 GB dump not measured (--sizes 3000)`, 'NOT RUN'); continue; }
      const { x, text } = peakAgainst(e.peakRssMB, e.dumpBytes, g.peakRssMB, g.dumpBytes);
      T(huge, name, text, x <= 1.1 ? 'PASS' : 'FAIL');
    }
  }
  if (results.some((r) => r.dump === 'class e')) {
    // Not the issue's target, beside it: the 3 GB dump holds no refc binary, class e 3,000,000, as
    // class a does in 14x fewer bytes. Against class a, a peak within 10% says memory follows what
    // a dump holds, not its size (both are read by the threads a sample of them asks for: one).
    for (const tool of ['triage', 'procs', 'alloc', 'proc', 'leak'] as Tool[]) {
      const e = get(results, 'class e', tool);
      const a = get(results, 'class a', tool);
      if (!e || e.status !== 'ok' || e.peakRssMB === null || !a || a.status !== 'ok' || a.peakRssMB === null) continue;
      const { x, text } = peakAgainst(e.peakRssMB, e.dumpBytes, a.peakRssMB, a.dumpBytes);
      T('class e', `${tool}: peak RSS on the 10 GB dump within 10% of class a's, the same content (a check beside the target)`, text, x <= 1.1 ? 'PASS' : 'FAIL');
    }
  }
  return targets;
}

/** A peak RSS against another dump's: the ratio, and the evidence that says it. */
function peakAgainst(peakMB: number, bytes: number, basePeakMB: number, baseBytes: number): { x: number; text: string } {
  const x = peakMB / basePeakMB;
  return { x, text: `${fmt(peakMB, 0)} MB at ${(bytes / 1e6).toFixed(0)} MB vs ${fmt(basePeakMB, 0)} MB at ${(baseBytes / 1e6).toFixed(0)} MB (x${x.toFixed(2)})` };
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function rowOrder(a: ToolResult, b: ToolResult): number {
  return dumpOrder(a, b) || ALL_TOOLS.indexOf(a.tool) - ALL_TOOLS.indexOf(b.tool);
}

/** One line per dump: where it is, its sink, how long the generator took and how much memory. */
function dumpLines(res: Results): string[] {
  return [...res.dumps]
    .sort((x, y) => (x.spec.class ? 1 : 0) - (y.spec.class ? 1 : 0) || (x.spec.class ?? '').localeCompare(y.spec.class ?? '') || x.spec.sizeMB - y.spec.sizeMB)
    .map((d) => `${dumpId(d.spec)}: ${d.path}, ${(d.bytes / 1e6).toFixed(0)} MB, sink ${d.sinkPid} (${sinkName(d.spec)}, ${d.spec.messages.toLocaleString('en-US')} messages); ` +
      `generated in ${fmt(d.generateS, 0)} s${d.generatorPeakMB ? `, generator peak RSS ${d.generatorPeakMB.toFixed(0)} MB` : ''}`);
}

function statusText(r: ToolResult): string {
  if (r.status === 'ok') return r.check + (r.note ? `; ${r.note}` : '');
  return `${r.status === 'timeout' ? 'TIMED OUT' : r.status === 'memcap' ? 'MEMORY CAP' : r.status.toUpperCase()} ${r.note}`;
}

function printTable(res: Results, carried: Set<ToolResult>): void {
  const rows = [...res.results].sort(rowOrder);
  const lw = Math.max(40, ...rows.map((r) => r.label.length + 2));
  const out: string[] = [];
  out.push('');
  out.push(`${pad('dump', 9)} ${pad('MB', 6, true)}  ${pad('tool', lw)} ${pad('wall s', 9, true)} ${pad('best s', 8, true)} ${pad('MB/s', 8, true)} ${pad('peak RSS MB', 12, true)}  status / check`);
  out.push('-'.repeat(lw + 75));
  let prev = '';
  for (const r of rows) {
    if (prev && prev !== r.dump) out.push('');
    prev = r.dump;
    const wall = capped(r.status) ? `>${fmt(r.wallS, 0)}` : fmt(r.wallS);
    const mbs = capped(r.status) ? `<${fmt(r.mbPerS, 1)}` : fmt(r.mbPerS, 0);
    const floor = res.rssFloorMB;
    const rss = r.peakRssMB !== null && floor !== null && r.peakRssMB <= floor + 0.5 ? `<=${fmt(r.peakRssMB, 0)}` : fmt(r.peakRssMB, 0);
    out.push(
      `${pad(r.dump, 9)} ${pad(fmt(r.dumpBytes / 1e6, 0), 6, true)}  ${pad(r.label + (carried.has(r) ? ' *' : ''), lw)} ${pad(wall, 9, true)} ${pad(fmt(r.bestWallS), 8, true)} ${pad(mbs, 8, true)} ${pad(rss, 12, true)}  ${statusText(r)}`,
    );
  }
  if (carried.size) out.push('* carried over from an earlier run (see measuredAt in results.json)');
  out.push(`Peak RSS via ${res.rssMethod}; "<=N" = at the method's floor of ${fmt(res.rssFloorMB, 1)} MB (see bench/README.md).`);
  out.push('');
  out.push('Dumps:');
  for (const l of dumpLines(res)) out.push(`  ${l}`);
  for (const [issue, title] of [['2/3', 'Targets (issues 2 and 3, the size shapes):'], ['14', 'Targets (issue 14, the classes users hit; ratios from the same run):'], ['20', 'Targets (issue 20, compressed dumps; ratios from the same run):'], ['17', 'Targets (issue 17, the HTML report; ratio from the same run):']] as const) {
    const ts = res.targets.filter((t) => t.issue === issue);
    if (!ts.length) continue;
    out.push('');
    out.push(title);
    for (const t of ts) out.push(`  [${t.verdict}] ${t.dump !== null ? `${t.dump}: ` : ''}${t.name}: ${t.value}`);
  }
  for (const { key: s } of sizeKeys(rows)) {
    const t = get(res.results, s, 'triage');
    const a = get(res.results, s, 'awk');
    const c = get(res.results, s, 'cdv');
    if (t?.status === 'ok' && t.wallS) {
      const parts: string[] = [];
      if (a?.wallS) parts.push(`${(a.wallS / t.wallS).toFixed(2)}x awk's speed`);
      if (c?.wallS && (c.status === 'ok' || capped(c.status))) parts.push(`${capped(c.status) ? '>=' : ''}${(c.wallS / t.wallS).toFixed(1)}x faster than crashdump_viewer`);
      if (parts.length) out.push(`  ${s}: triage is ${parts.join(', ')}`);
    }
    const p = get(res.results, s, 'proc');
    const cp = get(res.results, s, 'cdv-proc');
    if (p?.status === 'ok' && p.wallS && cp?.wallS && (cp.status === 'ok' || capped(cp.status))) {
      out.push(`  ${s}: proc is ${capped(cp.status) ? '>=' : ''}${(cp.wallS / p.wallS).toFixed(1)}x faster than crashdump_viewer proc_details on the ${p.check.includes('queue') ? 'big-mailbox' : 'same'} process`);
    } else if (cp && cp.status !== 'ok' && cp.status !== 'skipped') {
      out.push(`  ${s}: crashdump_viewer proc_details: ${cp.note}`);
    }
  }
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

function markdown(res: Results): string {
  const rows = [...res.results].sort(rowOrder);
  const m = res.machine;
  const out: string[] = [];
  out.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB RAM, ${m.os}; Node ${m.node}; OTP ${m.otp}; awk = ${m.awk}. ` +
    `Peak RSS via ${res.rssMethod} (floor ${fmt(res.rssFloorMB, 1)} MB). Page cache warm.`);
  out.push('');
  out.push('| dump | MB | tool | wall s (median) | best s | MB/s | peak RSS MB | runs | load avg | result |');
  out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const r of rows) {
    const cap = capped(r.status);
    const floor = res.rssFloorMB;
    const rss = r.peakRssMB !== null && floor !== null && r.peakRssMB <= floor + 0.5 ? `≤ ${fmt(r.peakRssMB, 0)}` : fmt(r.peakRssMB, 0);
    const result = r.status === 'ok' ? r.check + (r.note ? `; ${r.note}` : '') : `**${r.status === 'timeout' ? 'timed out' : r.status === 'memcap' ? 'memory cap' : r.status}**: ${r.note}`;
    out.push(`| ${r.dump} | ${fmt(r.dumpBytes / 1e6, 0)} | ${r.label.replace(/\|/g, '\\|')} | ${cap ? '> ' : ''}${fmt(r.wallS)} | ${fmt(r.bestWallS)} | ${cap ? '< ' : ''}${fmt(r.mbPerS, r.mbPerS !== null && r.mbPerS < 10 ? 1 : 0)} | ${rss} | ${r.runs.length} | ${(r.loadAvg ?? []).map((x) => x.toFixed(1)).join(' ')} | ${result.replace(/\|/g, '\\|')} |`);
  }
  if (res.dumps.length) {
    out.push('');
    for (const l of dumpLines(res)) out.push(`- ${l}`);
  }
  for (const issue of ['2/3', '14', '20', '17'] as const) {
    const ts = res.targets.filter((t) => t.issue === issue);
    if (!ts.length) continue;
    out.push('');
    out.push(`| target (issue ${issue}) | measured | verdict |`);
    out.push('| --- | --- | --- |');
    for (const t of ts) out.push(`| ${t.dump !== null ? `${t.dump}: ` : ''}${t.name.replace(/\|/g, '\\|')} | ${t.value.replace(/\|/g, '\\|')} | **${t.verdict}** |`);
  }
  const when = [...new Set(res.results.map((r) => r.measuredAt.slice(0, 16).replace('T', ' ')))].sort();
  const git = [...new Set(res.results.map((r) => r.gitDescribe))].join(', ');
  out.push('');
  out.push(`Measured ${when[0]}–${when[when.length - 1]} UTC on checkout ${git}.`);
  return out.join('\n') + '\n';
}

/** Rows of a results.json written before the classes: their key is the size. */
function upgradeRows(rows: ToolResult[]): ToolResult[] {
  return rows.map((r) => (r.dump ? r : { ...r, dump: `${r.sizeMB} MB` }));
}

/**
 * The dumps to measure: the sizes and classes named, or the defaults (all sizes, classes a-d and f,
 * and g, made by Elixir, where \`elixir\` is installed).
 */
function selectDumps(values: { sizes?: string; classes?: string; huge?: boolean }): DumpSpec[] {
  const neither = values.sizes === undefined && values.classes === undefined;
  const sizes = values.sizes !== undefined || neither
    ? (values.sizes ?? SPECS.map((s) => s.sizeMB).join(',')).split(',').map((s) => Number(s.trim())).filter((n) => n > 0)
    : [];
  if (values.sizes !== undefined && !sizes.length) throw new Error('--sizes: give sizes in MB, e.g. 100,800');
  const classes = (values.classes !== undefined || neither ? (values.classes ?? (sh('elixir', ['--version']).ok ? 'a,b,c,d,f,g' : 'a,b,c,d,f')) : '')
    .split(',').map((c) => c.trim().toLowerCase()).filter(Boolean).map((c) => {
      if (!(CLASSES as readonly string[]).includes(c)) throw new Error(`--classes: unknown class ${c} (${CLASSES.join(',')})`);
      return c as DumpClass;
    });
  if (values.huge && !classes.includes('e')) classes.push('e');
  if (values.huge) sizes.push(HUGE_SIZE.sizeMB);
  return [
    ...[...new Set(sizes)].sort((x, y) => x - y).map(specFor),
    ...[...new Set(classes)].sort().map((c) => CLASS_SPECS[c]),
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      classes: { type: 'string' },
      huge: { type: 'boolean', default: false },
      only: { type: 'string' },
      'skip-cdv': { type: 'boolean', default: false },
      'skip-compressed': { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      'cdv-timeout': { type: 'string', default: '600' },
      'cdv-mem-cap': { type: 'string', default: '6000' },
      'rss-method': { type: 'string', default: 'auto' },
      out: { type: 'string' },
      fresh: { type: 'boolean', default: false },
      'generate-only': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const specs = selectDumps(values);
  let tools: Tool[] = values.only
    ? values.only.split(',').map((t) => t.trim()).map((t) => {
        if (!(ALL_TOOLS as readonly string[]).includes(t)) throw new Error(`--only: unknown tool ${t} (${ALL_TOOLS.join(',')})`);
        return t as Tool;
      })
    : [...ALL_TOOLS];
  const explicit = new Set<Tool>(values.only ? tools : []);
  if (values['skip-cdv']) tools = tools.filter((t) => t !== 'cdv' && t !== 'cdv-proc');
  if (values['skip-compressed']) tools = tools.filter((t) => !COMPRESSED_TOOLS.includes(t));
  const method: RssMethod =
    values['rss-method'] === 'auto' ? defaultMethod() : (values['rss-method'] as RssMethod);
  if (method !== 'wait4' && method !== 'poll') throw new Error('--rss-method: auto, wait4 or poll');
  if (method === 'wait4' && !findPython()) throw new Error('--rss-method wait4 needs python3');
  const outDir = resolve(values.out ?? join(ROOT, 'bench', 'out'));
  const ctx: Ctx = {
    outDir,
    logDir: join(outDir, 'logs'),
    method,
    runs: Math.max(1, Number(values.runs)),
    cdvTimeoutS: Number(values['cdv-timeout']),
    cdvMemCapMB: Number(values['cdv-mem-cap']),
  };
  if (values.markdown) {
    const path = join(outDir, 'results.json');
    if (!existsSync(path)) throw new Error(`no ${relative(ROOT, path)} yet: run the bench first`);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Results;
    saved.results = upgradeRows(saved.results);
    saved.targets = evaluate(saved.results); // with the current rules
    process.stdout.write(markdown(saved));
    return;
  }
  mkdirSync(ctx.logDir, { recursive: true });

  if (!sh('erl', ['-noshell', '-eval', 'halt().']).ok) {
    log("erl is not installed: cannot generate dumps (install Debian's erlang-base erlang-observer)");
    process.exitCode = 2;
    return;
  }
  CACHE = cacheSupport();
  const cdvOk = cdvAvailable();
  const avail: Record<Tool, boolean> = {
    wc: true,
    awk: true,
    triage: cliHas('triage'),
    'triage-cached': cliHas('triage'),
    'triage-index': cliHas('triage'),
    procs: cliHas('procs'),
    alloc: cliHas('alloc'),
    proc: cliHas('proc'),
    leak: cliHas('leak'),
    report: cliHas('report'),
    'zcat-awk': sh('sh', ['-c', 'command -v zcat']).ok,
    'triage-gz': cliHas('triage'),
    'proc-gz': cliHas('proc') && CACHE.indexCommand,
    'triage-stdin-gz': cliHas('triage') && sh('sh', ['-c', 'command -v zcat']).ok,
    'zstd-awk': sh('zstd', ['--version']).ok,
    'triage-zst': cliHas('triage') && sh('zstd', ['--version']).ok,
    'proc-zst': cliHas('proc') && CACHE.indexCommand && sh('zstd', ['--version']).ok,
    'xz-awk': sh('xz', ['--version']).ok,
    'triage-xz': cliHas('triage') && sh('xz', ['--version']).ok,
    cdv: cdvOk,
    'cdv-proc': cdvOk,
    serve: cliHas('serve'),
  };
  for (const t of tools) {
    if (!avail[t]) log(`${t}: not available (${CLI_TOOLS.includes(t) ? `${relative(ROOT, CLI)} has no '${t === 'triage-cached' || t === 'triage-index' ? 'triage' : t}' command` : 'crashdump_viewer not found'}); skipped`);
  }
  if (tools.includes('triage-cached') && avail['triage-cached']) {
    log(CACHE.noCache
      ? `saved index: triage has --no-cache (the timed triage runs use it); the index is built ${CACHE.indexCommand ? "by 'beamscope index'" : 'by an untimed triage run'} before the triage-cached runs`
      : "saved index: 'triage --help' has no --no-cache, so this CLI has no saved index yet: triage-cached is a second plain triage run (labelled so)");
  }

  const resultsPath = join(outDir, 'results.json');
  let previous: ToolResult[] = [];
  let previousDumps: Results['dumps'] = [];
  if (!values.fresh && existsSync(resultsPath)) {
    try {
      const old = JSON.parse(readFileSync(resultsPath, 'utf8')) as Results;
      previous = upgradeRows(old.results ?? []);
      previousDumps = old.dumps ?? [];
    } catch {
      previous = [];
    }
  }
  const res: Results = {
    date: RUN_ID,
    machine: machine(),
    rssMethod: method,
    rssFloorMB: await rssFloor(method),
    command: ['node', relative(ROOT, process.argv[1] ?? ''), ...process.argv.slice(2)].join(' '),
    dumps: [],
    results: [],
    targets: [],
  };
  log(`machine: ${JSON.stringify(res.machine)}; peak RSS via ${method} (floor ${fmt(res.rssFloorMB, 1)} MB)`);
  const fresh: ToolResult[] = [];
  const profiles: string[] = [];
  const save = () => {
    const key = (r: ToolResult) => `${r.dump}/${r.tool}`;
    const now = new Set(fresh.map(key));
    const kept = previous.filter((r) => !now.has(key(r)));
    res.results = [...kept, ...fresh];
    const idsNow = new Set(res.dumps.map((x) => dumpId(x.spec)));
    const keptIds = new Set(kept.map((r) => r.dump));
    res.dumps = [...previousDumps.filter((x) => keptIds.has(dumpId(x.spec)) && !idsNow.has(dumpId(x.spec))), ...res.dumps];
    res.targets = evaluate(res.results);
    writeFileSync(resultsPath, JSON.stringify(res, null, 2) + '\n');
    return new Set(kept);
  };

  // One dump at a time (the sizes smallest first, then the classes): generate (or reuse), then measure.
  for (const spec of specs) {
    const id = dumpId(spec);
    const d = await ensureDump(outDir, GEN_DIR, spec, log, method);
    res.dumps = res.dumps.filter((x) => dumpId(x.spec) !== id);
    res.dumps.push({ ...d, path: relative(ROOT, d.path) });
    if (values['generate-only']) continue;
    log(`${id} dump: ${d.path} (${(d.bytes / 1e6).toFixed(0)} MB), sink ${d.sinkPid}; warming the page cache (${warm(d.path).toFixed(1)} s)`);
    // The command-line tools interleaved per run, so drift affects all alike.
    let fast = ALL_TOOLS.filter((t) => !SLOW_TOOLS.includes(t) && tools.includes(t) && avail[t]);
    if (!compressedFor(spec)) fast = fast.filter((t) => !COMPRESSED_TOOLS.includes(t));
    for (const { form, tools: ts } of COMPRESSED_FORMS) {
      if (ts.some((t) => fast.includes(t)) && !ensureCompressed(d, form)) {
        log(`could not make ${d.path}.${form}: ${ts.join(', ')} skipped`);
        fast = fast.filter((t) => !(ts as readonly Tool[]).includes(t));
      }
      if (ts.some((t) => fast.includes(t))) warm(`${d.path}.${form}`);
    }
    const notes = new Map<Tool, string>();
    if (fast.includes('triage-cached') || fast.includes('triage-index') || fast.includes('serve')) {
      const how = await prepareIndex(ctx, d, fast.includes('triage-cached'));
      notes.set('triage-cached', CACHE.noCache ? how : 'a second plain triage run: this CLI has no saved index');
      notes.set('triage-index', how);
    }
    if (fast.includes('proc-gz')) notes.set('proc-gz', await prepareIndex(ctx, { ...d, path: `${d.path}.gz` }));
    if (fast.includes('proc-zst')) notes.set('proc-zst', await prepareIndex(ctx, { ...d, path: `${d.path}.zst` }));
    const perRun = new Map<Tool, ToolResult[]>();
    let procCount: number | null = null;
    for (let i = 0; i < ctx.runs; i++) {
      for (const t of fast) {
        if (perRun.get(t)?.some((r) => r.status !== 'ok')) continue; // failed once: stop retrying
        const r = await runTool(ctx, t, d, procCount, 1);
        if (t === 'awk' && r.status === 'ok') procCount = Number(r.check.split(' ')[0]);
        perRun.set(t, [...(perRun.get(t) ?? []), r]);
      }
    }
    for (const [t, rs] of perRun) {
      const runs = rs.flatMap((r) => r.runs);
      const ok = runs.filter((r) => r.status === 'ok');
      const lastR = rs[rs.length - 1];
      const bad = rs.find((r) => r.status !== 'ok');
      const wallS = ok.length === runs.length ? median(ok.map((r) => r.wallS)) : null;
      const rss = runs.map((r) => r.peakRssMB).filter((x): x is number => x !== null);
      fresh.push({
        ...lastR,
        tool: t,
        status: bad ? bad.status : 'ok',
        note: bad ? bad.note : [lastR.note, notes.get(t)].filter(Boolean).join('; '),
        check: bad ? bad.check : lastR.check,
        wallS,
        mbPerS: wallS ? d.bytes / 1e6 / wallS : null,
        peakRssMB: rss.length ? Math.max(...rss) : null,
        bestWallS: ok.length ? Math.min(...ok.map((r) => r.wallS)) : null,
        loadAvg: rs.flatMap((r) => r.loadAvg),
        runs,
      });
    }
    for (const t of SLOW_TOOLS.filter((x) => tools.includes(x) && avail[x])) {
      if (t === 'cdv-proc' && !(avail.proc && tools.includes('proc')) && !explicit.has('cdv-proc')) {
        log('cdv-proc: skipped (runs next to beamscope proc, or when named in --only)');
        continue;
      }
      if (d.bytes > CDV_MAX_BYTES) {
        log(`${t}: skipped (the dump is over 3 GiB)`);
        fresh.push(skippedRow(t, d, `not run on a dump over 3 GiB (${(d.bytes / 1e6).toFixed(0)} MB)`));
        continue;
      }
      log(`${t}: running (cap ${ctx.cdvTimeoutS} s, ${ctx.cdvMemCapMB} MB)`);
      // Same number of runs as the others (a run that hits a cap ends the series),
      // except proc_details: minutes and gigabytes per run, so once.
      fresh.push(await runTool(ctx, t, d, procCount, t === 'cdv-proc' ? 1 : ctx.runs));
    }
    save();
    if (values['cpu-prof'] && avail.triage) {
      const prof = profileNode(cliNodeArgs(CLI, ['triage', d.path, '--format', 'json']), join(ctx.logDir, `triage-${slug(d)}-prof`));
      profiles.push(`triage on the ${id} dump (${relative(ROOT, prof.path)}):`, ...prof.lines.map((l) => `  ${l}`));
    }
  }
  if (values['generate-only']) {
    for (const d of res.dumps) {
      process.stdout.write(`${dumpId(d.spec)}\t${d.path}\t${d.bytes}\tsink ${d.sinkPid}\tgenerated in ${fmt(d.generateS, 1)} s` +
        `${d.generatorPeakMB ? `, generator peak RSS ${d.generatorPeakMB.toFixed(0)} MB` : ''}\n`);
    }
    return;
  }
  const carried = save();
  printTable(res, carried);
  if (profiles.length) process.stdout.write(`CPU profiles (untimed runs):\n${profiles.join('\n')}\n\n`);
  log(`results written to ${relative(ROOT, resultsPath)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
