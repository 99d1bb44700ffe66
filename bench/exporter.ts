// Bench of `beamscope exporter`: one scrape of N local `erl -sname` nodes (default 10), its wall
// time and the exporter's RSS (the node process's VmHWM, and the peak of it plus the collector
// escripts it runs, sampled every 20 ms); with --million, one scrape of a node holding 1,000,000
// idle processes, with the process walk (--processes) and without it.
//
//   npm run build && node dist/bench/exporter.js [--nodes 10] [--million] [--scrapes 2]
//
// Needs erl and escript. Starts and stops everything itself (by pid).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '..', 'bin', 'beamscope.js');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const nodesWanted = opt('--nodes', 10);
const scrapes = opt('--scrapes', 2);
const million = args.includes('--million');
const tag = String(process.pid);
const COOKIE = `b18bench_${tag}`;
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-bench-exporter-'));
const started: ChildProcess[] = [];
const osPids: number[] = [];

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startNode(name: string, processes = 0): Promise<void> {
  const ready = join(tmp, `${name}.pid`);
  const spawnAll = processes > 0 ? `[spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, ${processes})], ` : '';
  const expr = `${spawnAll}ok = file:write_file("${ready}.tmp", os:getpid()), ok = file:rename("${ready}.tmp", "${ready}").`;
  const child = spawn('erl', ['-sname', name, '-setcookie', COOKIE, '-noshell', '-noinput', '+S', '1:1', ...(processes > 0 ? ['+P', String(processes * 2)] : []), '-eval', expr], { stdio: 'ignore' });
  started.push(child);
  osPids.push(await until(`${name}`, 300_000, () => (existsSync(ready) ? Number(readFileSync(ready, 'utf8')) : undefined)));
}

function kb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** pid and every descendant (through /proc/<pid>/task/<pid>/children). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const c of readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // gone
    }
  }
  return out;
}

async function exporter(nodes: string[], extra: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'exporter', ...nodes.flatMap((n) => ['--node', n]), '--cookie', COOKIE, '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => {
    log += c.toString();
    if (process.env.BENCH_VERBOSE) process.stderr.write(c);
  });
  const port = await until('the exporter', 30_000, () => {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
    return m ? Number(m[1]) : undefined;
  });
  return { child, port };
}

async function scrapeOnce(pid: number, port: number): Promise<{ wallS: number; up: string; bytes: number; peakTreeMB: number }> {
  let peakTree = 0;
  const sampler = setInterval(() => {
    const sum = tree(pid).reduce((s, p) => s + kb(p, 'VmRSS'), 0);
    if (sum > peakTree) peakTree = sum;
  }, 20);
  const t0 = performance.now();
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wallS = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const ups = [...text.matchAll(/^beamscope_up\{[^}]*\} (\d)$/gm)].map((m) => m[1]);
  return { wallS, up: `${ups.filter((u) => u === '1').length}/${ups.length} up`, bytes: text.length, peakTreeMB: peakTree / 1024 };
}

async function run(label: string, nodes: string[], extra: string[]): Promise<void> {
  const { child, port } = await exporter(nodes, extra);
  for (let i = 1; i <= scrapes; i++) {
    const r = await scrapeOnce(child.pid!, port);
    console.log(`${label}, scrape ${i}: ${r.wallS.toFixed(2)} s, ${r.up}, ${(r.bytes / 1024).toFixed(0)} KiB of metrics; exporter RSS ${(kb(child.pid!, 'VmRSS') / 1024).toFixed(0)} MB (peak ${(kb(child.pid!, 'VmHWM') / 1024).toFixed(0)} MB), with its collector escripts at most ${r.peakTreeMB.toFixed(0)} MB`);
  }
  child.kill('SIGTERM');
  await until('the exporter to stop', 10_000, () => (child.exitCode !== null || child.signalCode !== null ? true : undefined));
}

try {
  const names = Array.from({ length: nodesWanted }, (_, i) => `b18bench${i}_${tag}`);
  if (names.length > 0) {
    await Promise.all(names.map((n) => startNode(n)));
    await run(`${nodesWanted} nodes`, names, ['--timeout', '30']);
    await run(`${nodesWanted} nodes, --no-processes`, names, ['--timeout', '30', '--no-processes']);
  }
  if (million) {
    const big = `b18benchm_${tag}`;
    const t0 = performance.now();
    await startNode(big, 1_000_000);
    console.log(`node with 1,000,000 processes up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await run('1,000,000 processes', [big], ['--timeout', '120']);
    await run('1,000,000 processes, --no-processes', [big], ['--timeout', '30', '--no-processes']);
  }
} finally {
  for (const p of osPids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
