// `npm run bench`: make benchmark crash dumps with a real Erlang VM and time
// `beamscope triage` against OTP's crashdump_viewer, one awk pass and `wc -l`.
// See bench/README.md for what is measured and how.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SPECS, ensureDump, specFor, type DumpInfo } from './dumps.js';
import { profileNode } from './profile.js';
import { cliCommand, cliNodeArgs, defaultMethod, findPython, measure, rssFloor, type Measurement, type RssMethod } from './measure.js';

// dist/bench/run.js -> repository root is two levels up; bench/run.ts (ts-node) one level.
const here = dirname(fileURLToPath(import.meta.url));
const ROOT = existsSync(join(here, '..', 'package.json')) ? resolve(here, '..') : resolve(here, '..', '..');
const GEN_SCRIPT = join(ROOT, 'bench', 'gen', 'gen_dump.escript');
const CDV_SCRIPT = join(ROOT, 'bench', 'gen', 'cdv_bench.escript');
// The bin that package.json names (the bundle), as users run it.
const CLI = join(ROOT, 'dist', 'bin', 'beamscope.js');
const GIT_DESCRIBE = (() => {
  const r = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
})();

const ALL_TOOLS = ['wc', 'awk', 'triage', 'cdv', 'proc', 'cdv-proc'] as const;
type Tool = (typeof ALL_TOOLS)[number];

const TOOL_LABEL: Record<Tool, string> = {
  wc: 'wc -l (floor)',
  awk: "awk '/^=proc:/' count",
  triage: 'beamscope triage --format json',
  cdv: 'crashdump_viewer load+processes',
  proc: 'beamscope proc <sink> --format json',
  'cdv-proc': 'crashdump_viewer proc_details(<sink>)',
};

const USAGE = `Usage: node dist/bench/run.js [options]   (or: npm run bench -- [options])

  --sizes LIST        dump sizes in MB, comma-separated (default ${SPECS.map((s) => s.sizeMB).join(',')})
  --only LIST         tools to run: ${ALL_TOOLS.join(',')} (default: all available)
  --skip-cdv          do not run crashdump_viewer (cdv, cdv-proc)
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
  sizeMB: number | null;
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

function commandFor(tool: Tool, d: DumpInfo): [string, string[]] {
  switch (tool) {
    case 'wc':
      return ['wc', ['-l', d.path]];
    case 'awk':
      return ['awk', ['/^=proc:/{n++} END{print n}', d.path]];
    case 'triage':
      return cliCommand(CLI, ['triage', d.path, '--format', 'json']);
    case 'proc':
      return cliCommand(CLI, ['proc', d.path, d.sinkPid, '--format', 'json']);
    case 'cdv':
      return ['escript', [CDV_SCRIPT, 'load', d.path]];
    case 'cdv-proc':
      return ['escript', [CDV_SCRIPT, 'proc', d.path, d.sinkPid]];
  }
}

export function shellQuote(a: string): string {
  return /^[\w./:=,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Check a run's output against what the generator put in the dump. */
function checkOutput(tool: Tool, d: DumpInfo, stdout: string, procCount: number | null): string {
  const want = d.spec.messages;
  try {
    switch (tool) {
      case 'wc':
        return `${stdout.trim().split(/\s+/)[0]} lines`;
      case 'awk':
        return `${stdout.trim()} =proc sections`;
      case 'triage': {
        const j = JSON.parse(stdout) as {
          counts?: { processes?: number };
          mailboxOutliers?: Array<{ pid?: string; messageQueueLength?: number }>;
        };
        const n = j.counts?.processes;
        const top = j.mailboxOutliers?.[0];
        const okN = procCount === null || n === procCount;
        const okQ = top?.pid === d.sinkPid && top?.messageQueueLength === want;
        return `${okN && okQ ? 'ok' : 'MISMATCH'}: ${n} processes, top queue ${top?.pid} ${top?.messageQueueLength}`;
      }
      case 'proc': {
        // Issue 3: the JSON has at least messageQueueLength and messageShapes[] {shape, count}, largest first.
        const j = JSON.parse(stdout) as Record<string, unknown>;
        const find = (o: unknown, k: string, depth = 0): unknown => {
          if (!o || typeof o !== 'object' || depth > 3) return undefined;
          if (k in (o as Record<string, unknown>)) return (o as Record<string, unknown>)[k];
          for (const v of Object.values(o as Record<string, unknown>)) {
            const r = find(v, k, depth + 1);
            if (r !== undefined) return r;
          }
          return undefined;
        };
        const q = find(j, 'messageQueueLength');
        const shapes = find(j, 'messageShapes') as Array<{ shape?: unknown; count?: number }> | undefined;
        const counted = Array.isArray(shapes) ? shapes.reduce((a, x) => a + (x.count ?? 0), 0) : null;
        const ok = q === want && (counted === null || counted === want);
        return `${ok ? 'ok' : 'MISMATCH'}: queue ${String(q)}, ${Array.isArray(shapes) ? `${shapes.length} shape(s) covering ${counted} messages` : 'no messageShapes'}`;
      }
      case 'cdv': {
        const j = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { processes: number; max_msg_q_len: number };
        const okN = procCount === null || j.processes === procCount;
        return `${okN && j.max_msg_q_len === want ? 'ok' : 'MISMATCH'}: ${j.processes} processes, top queue ${j.max_msg_q_len}`;
      }
      case 'cdv-proc': {
        const j = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { messages_decoded: number };
        return `${j.messages_decoded === want ? 'ok' : 'MISMATCH'}: ${j.messages_decoded} messages decoded`;
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
  const base = join(ctx.logDir, `${tool}-${d.spec.sizeMB}mb`);
  for (let i = 0; i < nRuns; i++) {
    loads.push(Number(loadavg()[0].toFixed(2)));
    const m = await measure(cmd, args, {
      method: ctx.method,
      stdoutFile: `${base}.out`,
      stderrFile: `${base}.err`,
      timeoutS: isCdv ? ctx.cdvTimeoutS : 3600,
      memCapMB: isCdv ? ctx.cdvMemCapMB : undefined,
    });
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
    sizeMB: d.spec.sizeMB,
    dumpBytes: d.bytes,
    tool,
    label: TOOL_LABEL[tool],
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
  };
}

function get(results: ToolResult[], size: number, tool: Tool): ToolResult | undefined {
  return results.find((r) => r.sizeMB === size && r.tool === tool);
}

function evaluate(results: ToolResult[]): Target[] {
  const sizes = [...new Set(results.map((r) => r.sizeMB))].sort((a, b) => a - b);
  const targets: Target[] = [];
  for (const s of sizes) {
    const t = get(results, s, 'triage');
    const a = get(results, s, 'awk');
    const c = get(results, s, 'cdv');
    const triageOk = t?.status === 'ok' && t.wallS !== null;
    // 1. no slower than awk
    if (triageOk && a?.status === 'ok' && a.wallS) {
      const ratio = t.wallS! / a.wallS;
      targets.push({ sizeMB: s, name: 'triage no slower than awk', value: `triage/awk time = ${ratio.toFixed(2)}`, verdict: ratio <= 1 ? 'PASS' : 'FAIL' });
    } else {
      targets.push({ sizeMB: s, name: 'triage no slower than awk', value: 'not measured', verdict: 'NOT RUN' });
    }
    // 2. 20x faster than crashdump_viewer (load + process list)
    if (triageOk && c && c.wallS !== null && (c.status === 'ok' || capped(c.status))) {
      const speedup = c.wallS / t.wallS!;
      const lower = capped(c.status) ? '>= ' : '';
      targets.push({
        sizeMB: s,
        name: '20x faster than crashdump_viewer',
        value: `${lower}${speedup.toFixed(1)}x${capped(c.status) ? ` (viewer ${c.note.split(';')[0]})` : ''}`,
        verdict: speedup >= 20 ? 'PASS' : capped(c.status) ? 'NOT RUN' : 'FAIL',
      });
    } else {
      targets.push({ sizeMB: s, name: '20x faster than crashdump_viewer', value: c ? `viewer ${c.status}` : 'not measured', verdict: 'NOT RUN' });
    }
    // 3. peak RSS <= 150 MB
    if (triageOk && t.peakRssMB !== null) {
      targets.push({ sizeMB: s, name: 'triage peak RSS <= 150 MB', value: `${t.peakRssMB.toFixed(0)} MB`, verdict: t.peakRssMB <= 150 ? 'PASS' : 'FAIL' });
    } else {
      targets.push({ sizeMB: s, name: 'triage peak RSS <= 150 MB', value: 'not measured', verdict: 'NOT RUN' });
    }
  }
  // Issue 3: proc on the big mailbox under 300 MB peak RSS, "seconds", next to proc_details.
  for (const s of sizes) {
    const p = get(results, s, 'proc');
    if (!p) continue;
    if (p.status === 'ok' && p.peakRssMB !== null) {
      targets.push({ sizeMB: s, name: 'proc on the big mailbox: peak RSS < 300 MB (issue 3)', value: `${p.peakRssMB.toFixed(0)} MB, ${fmt(p.wallS)} s`, verdict: p.peakRssMB < 300 ? 'PASS' : 'FAIL' });
    } else {
      targets.push({ sizeMB: s, name: 'proc on the big mailbox: peak RSS < 300 MB (issue 3)', value: `proc ${p.status}: ${p.note}`, verdict: 'FAIL' });
    }
  }
  // 4. flat: across the sizes measured, the highest peak RSS at most 1.25x the lowest.
  const tr = sizes.map((s) => get(results, s, 'triage')).filter((r): r is ToolResult => r?.status === 'ok' && r.peakRssMB !== null);
  if (tr.length >= 2) {
    const lo = tr.reduce((a, b) => (b.peakRssMB! < a.peakRssMB! ? b : a));
    const hi = tr.reduce((a, b) => (b.peakRssMB! > a.peakRssMB! ? b : a));
    const growth = hi.peakRssMB! / lo.peakRssMB!;
    targets.push({
      sizeMB: null,
      name: 'triage peak RSS flat as the dump grows (highest/lowest over the sizes <= 1.25)',
      value: tr.map((r) => `${r.peakRssMB!.toFixed(0)} MB at ${(r.dumpBytes / 1e6).toFixed(0)} MB`).join(', ') + ` (x${growth.toFixed(2)})`,
      verdict: growth <= 1.25 ? 'PASS' : 'FAIL',
    });
  } else {
    targets.push({ sizeMB: null, name: 'triage peak RSS flat as the dump grows', value: 'needs two sizes', verdict: 'NOT RUN' });
  }
  // 4b. The same between the sizes with the same number of processes (800 MB and 3 GB: 100,000
  // each), where only the bytes grow: the reader's memory follows processes, not bytes.
  const sameProcs = sizes.filter((s) => specFor(s).procs === 100_000).map((s) => get(results, s, 'triage'))
    .filter((r): r is ToolResult => r?.status === 'ok' && r.peakRssMB !== null);
  if (sameProcs.length >= 2) {
    const rss = sameProcs.map((r) => r.peakRssMB!);
    const growth = Math.max(...rss) / Math.min(...rss);
    targets.push({
      sizeMB: null,
      name: 'triage peak RSS flat as the bytes grow, processes the same (100,000; highest/lowest <= 1.25)',
      value: sameProcs.map((r) => `${r.peakRssMB!.toFixed(0)} MB at ${(r.dumpBytes / 1e6).toFixed(0)} MB`).join(', ') + ` (x${growth.toFixed(2)})`,
      verdict: growth <= 1.25 ? 'PASS' : 'FAIL',
    });
  }
  return targets;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function printTable(res: Results, carried: Set<ToolResult>): void {
  const rows = [...res.results].sort((a, b) => a.sizeMB - b.sizeMB || ALL_TOOLS.indexOf(a.tool) - ALL_TOOLS.indexOf(b.tool));
  const out: string[] = [];
  out.push('');
  out.push(`${pad('dump MB', 8, true)}  ${pad('tool', 40)} ${pad('wall s', 9, true)} ${pad('best s', 8, true)} ${pad('MB/s', 8, true)} ${pad('peak RSS MB', 12, true)}  status / check`);
  out.push('-'.repeat(119));
  for (const r of rows) {
    const status = r.status === 'ok' ? r.check : `${r.status === 'timeout' ? 'TIMED OUT' : r.status === 'memcap' ? 'MEMORY CAP' : r.status.toUpperCase()} ${r.note}`;
    const wall = capped(r.status) ? `>${fmt(r.wallS, 0)}` : fmt(r.wallS);
    const mbs = capped(r.status) ? `<${fmt(r.mbPerS, 1)}` : fmt(r.mbPerS, 0);
    const floor = res.rssFloorMB;
    const rss = r.peakRssMB !== null && floor !== null && r.peakRssMB <= floor + 0.5 ? `<=${fmt(r.peakRssMB, 0)}` : fmt(r.peakRssMB, 0);
    out.push(
      `${pad(fmt(r.dumpBytes / 1e6, 0), 8, true)}  ${pad(r.label + (carried.has(r) ? ' *' : ''), 40)} ${pad(wall, 9, true)} ${pad(fmt(r.bestWallS), 8, true)} ${pad(mbs, 8, true)} ${pad(rss, 12, true)}  ${status}`,
    );
  }
  if (carried.size) out.push('* carried over from an earlier run (see measuredAt in results.json)');
  out.push(`Peak RSS via ${res.rssMethod}; "<=N" = at the method's floor of ${fmt(res.rssFloorMB, 1)} MB (see bench/README.md).`);
  out.push('');
  out.push('Targets (issue 2):');
  for (const t of res.targets) {
    out.push(`  [${t.verdict}] ${t.sizeMB !== null ? `${t.sizeMB} MB: ` : ''}${t.name}: ${t.value}`);
  }
  for (const s of [...new Set(rows.map((r) => r.sizeMB))]) {
    const t = get(res.results, s, 'triage');
    const a = get(res.results, s, 'awk');
    const c = get(res.results, s, 'cdv');
    if (t?.status === 'ok' && t.wallS) {
      const parts: string[] = [];
      if (a?.wallS) parts.push(`${(a.wallS / t.wallS).toFixed(2)}x awk's speed`);
      if (c?.wallS && (c.status === 'ok' || capped(c.status))) parts.push(`${capped(c.status) ? '>=' : ''}${(c.wallS / t.wallS).toFixed(1)}x faster than crashdump_viewer`);
      if (parts.length) out.push(`  ${s} MB: triage is ${parts.join(', ')}`);
    }
    const p = get(res.results, s, 'proc');
    const cp = get(res.results, s, 'cdv-proc');
    if (p?.status === 'ok' && p.wallS && cp?.wallS && (cp.status === 'ok' || capped(cp.status))) {
      out.push(`  ${s} MB: proc is ${capped(cp.status) ? '>=' : ''}${(cp.wallS / p.wallS).toFixed(1)}x faster than crashdump_viewer proc_details on the ${p.check.includes('queue') ? 'big-mailbox' : 'same'} process`);
    } else if (cp && cp.status !== 'ok') {
      out.push(`  ${s} MB: crashdump_viewer proc_details: ${cp.note}`);
    }
  }
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

function markdown(res: Results): string {
  const rows = [...res.results].sort((a, b) => a.sizeMB - b.sizeMB || ALL_TOOLS.indexOf(a.tool) - ALL_TOOLS.indexOf(b.tool));
  const m = res.machine;
  const out: string[] = [];
  out.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB RAM, ${m.os}; Node ${m.node}; OTP ${m.otp}; awk = ${m.awk}. ` +
    `Peak RSS via ${res.rssMethod} (floor ${fmt(res.rssFloorMB, 1)} MB). Page cache warm.`);
  out.push('');
  out.push('| dump MB | tool | wall s (median) | best s | MB/s | peak RSS MB | runs | load avg | result |');
  out.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const r of rows) {
    const cap = capped(r.status);
    const floor = res.rssFloorMB;
    const rss = r.peakRssMB !== null && floor !== null && r.peakRssMB <= floor + 0.5 ? `≤ ${fmt(r.peakRssMB, 0)}` : fmt(r.peakRssMB, 0);
    const result = r.status === 'ok' ? r.check + (r.note ? `; ${r.note}` : '') : `**${r.status === 'timeout' ? 'timed out' : r.status === 'memcap' ? 'memory cap' : r.status}**: ${r.note}`;
    out.push(`| ${fmt(r.dumpBytes / 1e6, 0)} | ${r.label.replace(/\|/g, '\\|')} | ${cap ? '> ' : ''}${fmt(r.wallS)} | ${fmt(r.bestWallS)} | ${cap ? '< ' : ''}${fmt(r.mbPerS, r.mbPerS !== null && r.mbPerS < 10 ? 1 : 0)} | ${rss} | ${r.runs.length} | ${(r.loadAvg ?? []).map((x) => x.toFixed(1)).join(' ')} | ${result} |`);
  }
  out.push('');
  out.push('| target (issue 2/3) | measured | verdict |');
  out.push('| --- | --- | --- |');
  for (const t of res.targets) out.push(`| ${t.sizeMB !== null ? `${t.sizeMB} MB: ` : ''}${t.name} | ${t.value} | **${t.verdict}** |`);
  const when = [...new Set(res.results.map((r) => r.measuredAt.slice(0, 16).replace('T', ' ')))].sort();
  const git = [...new Set(res.results.map((r) => r.gitDescribe))].join(', ');
  out.push('');
  out.push(`Measured ${when[0]}–${when[when.length - 1]} UTC on checkout ${git}.`);
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      only: { type: 'string' },
      'skip-cdv': { type: 'boolean', default: false },
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
  const sizes = (values.sizes ?? SPECS.map((s) => s.sizeMB).join(','))
    .split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  if (!sizes.length) throw new Error('--sizes: give sizes in MB, e.g. 100,800');
  let tools: Tool[] = values.only
    ? values.only.split(',').map((t) => t.trim()).map((t) => {
        if (!(ALL_TOOLS as readonly string[]).includes(t)) throw new Error(`--only: unknown tool ${t} (${ALL_TOOLS.join(',')})`);
        return t as Tool;
      })
    : [...ALL_TOOLS];
  const explicit = new Set<Tool>(values.only ? tools : []);
  if (values['skip-cdv']) tools = tools.filter((t) => t !== 'cdv' && t !== 'cdv-proc');
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
  const avail: Record<Tool, boolean> = {
    wc: true,
    awk: true,
    triage: cliHas('triage'),
    proc: cliHas('proc'),
    cdv: cdvAvailable(),
    'cdv-proc': cdvAvailable(),
  };
  for (const t of tools) if (!avail[t]) log(`${t}: not available (${t === 'triage' || t === 'proc' ? `${relative(ROOT, CLI)} has no '${t}' command` : 'crashdump_viewer not found'}); skipped`);

  const resultsPath = join(outDir, 'results.json');
  let previous: ToolResult[] = [];
  let previousDumps: Results['dumps'] = [];
  if (!values.fresh && existsSync(resultsPath)) {
    try {
      const old = JSON.parse(readFileSync(resultsPath, 'utf8')) as Results;
      previous = old.results ?? [];
      previousDumps = old.dumps ?? [];
    } catch {
      previous = [];
    }
  }
  const res: Results = {
    date: new Date().toISOString(),
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
    const key = (r: ToolResult) => `${r.sizeMB}/${r.tool}`;
    const now = new Set(fresh.map(key));
    const kept = previous.filter((r) => !now.has(key(r)));
    res.results = [...kept, ...fresh];
    const sizesNow = new Set(res.dumps.map((x) => x.spec.sizeMB));
    const keptSizes = new Set(kept.map((r) => r.sizeMB));
    res.dumps = [...previousDumps.filter((x) => keptSizes.has(x.spec.sizeMB) && !sizesNow.has(x.spec.sizeMB)), ...res.dumps]
      .sort((a, b) => a.spec.sizeMB - b.spec.sizeMB);
    res.targets = evaluate(res.results);
    writeFileSync(resultsPath, JSON.stringify(res, null, 2) + '\n');
    return new Set(kept);
  };

  // One size at a time, smallest first: generate (or reuse), then measure.
  for (const size of [...sizes].sort((a, b) => a - b)) {
    const spec = specFor(size);
    const d = await ensureDump(outDir, GEN_SCRIPT, spec, log);
    res.dumps = res.dumps.filter((x) => x.spec.sizeMB !== size);
    res.dumps.push({ ...d, path: relative(ROOT, d.path) });
    if (values['generate-only']) continue;
    log(`${size} MB dump: ${d.path} (${(d.bytes / 1e6).toFixed(0)} MB), sink ${d.sinkPid}; warming the page cache (${warm(d.path).toFixed(1)} s)`);
    // wc, awk, triage (and proc) interleaved per run, so drift affects all alike.
    const fast = (['wc', 'awk', 'triage', 'proc'] as Tool[]).filter((t) => tools.includes(t) && avail[t]);
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
        note: bad ? bad.note : lastR.note,
        check: bad ? bad.check : lastR.check,
        wallS,
        mbPerS: wallS ? d.bytes / 1e6 / wallS : null,
        peakRssMB: rss.length ? Math.max(...rss) : null,
        bestWallS: ok.length ? Math.min(...ok.map((r) => r.wallS)) : null,
        loadAvg: rs.flatMap((r) => r.loadAvg),
        runs,
      });
    }
    for (const t of (['cdv', 'cdv-proc'] as Tool[]).filter((x) => tools.includes(x) && avail[x])) {
      if (t === 'cdv-proc' && !(avail.proc && tools.includes('proc')) && !explicit.has('cdv-proc')) {
        log('cdv-proc: skipped (runs next to beamscope proc, or when named in --only)');
        continue;
      }
      log(`${t}: running (cap ${ctx.cdvTimeoutS} s, ${ctx.cdvMemCapMB} MB)`);
      // Same number of runs as the others (a run that hits a cap ends the series),
      // except proc_details: minutes and gigabytes per run, so once.
      fresh.push(await runTool(ctx, t, d, procCount, t === 'cdv-proc' ? 1 : ctx.runs));
    }
    save();
    if (values['cpu-prof'] && avail.triage) {
      const prof = profileNode(cliNodeArgs(CLI, ['triage', d.path, '--format', 'json']), join(ctx.logDir, `triage-${size}mb-prof`));
      profiles.push(`triage on the ${size} MB dump (${relative(ROOT, prof.path)}):`, ...prof.lines.map((l) => `  ${l}`));
    }
  }
  if (values['generate-only']) {
    for (const d of res.dumps) process.stdout.write(`${d.path}\t${d.bytes}\tsink ${d.sinkPid}\n`);
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
