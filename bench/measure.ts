// Run one child process and measure its wall time and peak resident set size.
//
// Two methods (see bench/README.md, "How peak RSS is measured"):
//
// - `wait4` (used when `python3` is on PATH): a tiny inline Python script forks
//   the command, `exec`s it and reaps it with `os.wait4`, whose rusage
//   `ru_maxrss` is the kernel's own high-water mark for the child and every
//   descendant it waited for (Linux reports KiB). Exact, no sampling. The same
//   script enforces the time and memory caps, so a child killed at a cap still
//   reports its true peak. Wall time is taken inside the script around
//   fork..wait4, so interpreter start-up is not counted.
// - `poll` (no python3): Node spawns the command itself and samples
//   `/proc/<pid>/status` (VmHWM, the kernel's per-process peak, and VmRSS) for
//   the child and its descendants every 10 ms. VmHWM is a high-water mark, so a
//   sample sees every peak reached before it; only growth in the last <10 ms
//   before exit can be missed. Linux only.
//
// Node's own `process.resourceUsage().maxRSS` only covers the calling process,
// not children, so it cannot measure a child by itself.
//
// wait4 has a floor: the forked child is a copy of the (small, `python3 -S`)
// interpreter until it calls exec, and Linux keeps that copy's high-water mark
// in ru_maxrss. `rssFloor()` measures it by running `true`; a peak at the floor
// means "at most this much". Any peak above the floor is the tool's own.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';

export type RssMethod = 'wait4' | 'poll';

export interface MeasureOptions {
  /** Kill the child (and its process group) after this many seconds. */
  timeoutS?: number;
  /** Kill the child when its resident set exceeds this many MB (10^6 bytes). */
  memCapMB?: number;
  /** File for the child's stdout (default: discarded). */
  stdoutFile?: string;
  /** File for the child's stderr (default: discarded). */
  stderrFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  method: RssMethod;
}

export interface Measurement {
  /** Wall-clock seconds from start to exit (or to the kill at a cap). */
  wallS: number;
  /** Peak resident set size in MB (10^6 bytes); null if it could not be read. */
  peakRssMB: number | null;
  exitCode: number | null;
  signal: string | null;
  /** 'ok' when the child exited 0; 'timeout' / 'memcap' when killed at a cap; 'failed' otherwise. */
  status: 'ok' | 'timeout' | 'memcap' | 'failed';
  method: RssMethod;
}

let python: string | null | undefined;

/** The python3 executable if one runs, else null. */
export function findPython(): string | null {
  if (python !== undefined) return python;
  const r = spawnSync('python3', ['-c', 'import os,sys; print(hasattr(os, "wait4"))'], {
    encoding: 'utf8',
  });
  python = r.status === 0 && r.stdout.trim() === 'True' ? 'python3' : null;
  return python;
}

export function defaultMethod(): RssMethod {
  return findPython() !== null && process.platform === 'linux' ? 'wait4' : 'poll';
}

// argv: result-file timeout-s memcap-kb cmd args...
// Prints nothing; writes "wall_s maxrss_kb exitcode signal reason" to the result file.
const WAIT4_SCRIPT = String.raw`
import os, sys, time
res, timeout_s, cap_kb = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
argv = sys.argv[4:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.setpgid(0, 0)
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
import signal, threading
reason = ['']
try:
    os.setpgid(pid, pid)
except OSError:
    pass
done = threading.Event()
def rss_kb(p):
    try:
        with open('/proc/%d/status' % p) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0
def watch():
    while not done.wait(0.1):
        over_t = timeout_s > 0 and time.monotonic() - t0 > timeout_s
        over_m = cap_kb > 0 and rss_kb(pid) > cap_kb
        if over_t or over_m:
            reason[0] = 'timeout' if over_t else 'memcap'
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            return
threading.Thread(target=watch, daemon=True).start()
while True:
    try:
        _, status, ru = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
wall = time.monotonic() - t0
done.set()
try:
    os.killpg(pid, signal.SIGKILL)   # leftovers of the group (e.g. erl_child_setup)
except OSError:
    pass
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
with open(res, 'w') as f:
    f.write('%.6f %d %d %d %s\n' % (wall, ru.ru_maxrss, code, sig, reason[0] or '-'))
`;

function openOut(file: string | undefined): number | 'ignore' {
  return file ? openSync(file, 'w') : 'ignore';
}

function closeFd(fd: number | 'ignore'): void {
  if (typeof fd === 'number') closeSync(fd);
}

const KB_TO_MB = 1024 / 1e6;

/** Measure one run of `cmd args`. */
export async function measure(cmd: string, args: string[], opts: MeasureOptions): Promise<Measurement> {
  return opts.method === 'wait4' ? measureWait4(cmd, args, opts) : measurePoll(cmd, args, opts);
}

async function measureWait4(cmd: string, args: string[], opts: MeasureOptions): Promise<Measurement> {
  const py = findPython();
  if (py === null) throw new Error('wait4 method needs python3');
  const resFile = `${opts.stdoutFile ?? '/tmp/beamscope-bench'}.${process.pid}.rusage`;
  rmSync(resFile, { force: true });
  const out = openOut(opts.stdoutFile);
  const err = openOut(opts.stderrFile);
  const capKb = opts.memCapMB ? Math.round((opts.memCapMB * 1e6) / 1024) : 0;
  try {
    const child = spawn(
      py,
      ['-S', '-E', '-c', WAIT4_SCRIPT, resFile, String(opts.timeoutS ?? 0), String(capKb), cmd, ...args],
      { stdio: ['ignore', out, err], env: opts.env ?? process.env, cwd: opts.cwd },
    );
    const code: number | null = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0 || !existsSync(resFile)) {
      throw new Error(`measure (wait4) wrapper failed with exit ${code} for ${cmd}`);
    }
    const [wall, maxKb, exitCode, sig, reason] = readFileSync(resFile, 'utf8').trim().split(' ');
    const ec = Number(exitCode);
    const status: Measurement['status'] =
      reason === 'timeout' ? 'timeout' : reason === 'memcap' ? 'memcap' : ec === 0 ? 'ok' : 'failed';
    return {
      wallS: Number(wall),
      peakRssMB: Number(maxKb) * KB_TO_MB,
      exitCode: ec >= 0 ? ec : null,
      signal: Number(sig) ? `signal ${sig}` : null,
      status,
      method: 'wait4',
    };
  } finally {
    closeFd(out);
    closeFd(err);
    rmSync(resFile, { force: true });
  }
}

function statusKb(pid: number): { hwm: number; rss: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'latin1');
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    return { hwm: hwm ? Number(hwm[1]) : 0, rss: rss ? Number(rss[1]) : 0 };
  } catch {
    return { hwm: 0, rss: 0 };
  }
}

function descendants(pid: number, acc: number[] = []): number[] {
  acc.push(pid);
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return acc;
  }
  for (const t of tasks) {
    let kids: string;
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1');
    } catch {
      continue;
    }
    for (const k of kids.split(' ')) if (k.trim()) descendants(Number(k), acc);
  }
  return acc;
}

async function measurePoll(cmd: string, args: string[], opts: MeasureOptions): Promise<Measurement> {
  const out = openOut(opts.stdoutFile);
  const err = openOut(opts.stderrFile);
  let peakKb = 0;
  let reason: 'timeout' | 'memcap' | null = null;
  const t0 = process.hrtime.bigint();
  try {
    const child = spawn(cmd, args, {
      stdio: ['ignore', out, err],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: true, // own process group, so a cap kills the whole tree
    });
    const pid = child.pid;
    const kill = (why: 'timeout' | 'memcap') => {
      reason = why;
      try {
        if (pid) process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const sample = () => {
      if (!pid) return;
      let rssNow = 0;
      for (const p of descendants(pid)) {
        const s = statusKb(p);
        if (s.hwm > peakKb) peakKb = s.hwm;
        if (s.rss > rssNow) rssNow = s.rss;
      }
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      if (opts.timeoutS && elapsed > opts.timeoutS) kill('timeout');
      else if (opts.memCapMB && rssNow * KB_TO_MB > opts.memCapMB) kill('memcap');
    };
    const timer = setInterval(sample, 10);
    const res: { code: number | null; sig: NodeJS.Signals | null } = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, sig) => resolve({ code, sig }));
    });
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(timer);
    const status: Measurement['status'] = reason ?? (res.code === 0 ? 'ok' : 'failed');
    return {
      wallS,
      peakRssMB: peakKb > 0 ? peakKb * KB_TO_MB : null,
      exitCode: res.code,
      signal: res.sig,
      status,
      method: 'poll',
    };
  } finally {
    closeFd(out);
    closeFd(err);
  }
}

/** The smallest peak RSS (MB) the method can report: `true` measured under it. */
export async function rssFloor(method: RssMethod): Promise<number | null> {
  const m = await measure('true', [], { method });
  return m.peakRssMB;
}

/**
 * The environment settings (`-u NAME` unsets, `VAR=value` sets, as env's arguments) and node flags
 * of the bin's `#!/usr/bin/env -S -u NAME VAR=value node --flag` line.
 */
function shebangOf(cli: string): { vars: string[]; flags: string[] } {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0];
  const m = /^#!\S*env\s+(?:-S\s+)?((?:-u\s+\w+\s+|\w+=\S*\s+)*)node((?:\s+--\S+)*)\s*$/.exec(first);
  const words = (t: string | undefined) => (t ?? '').trim().split(/\s+/).filter(Boolean);
  return { vars: words(m?.[1]), flags: words(m?.[2]) };
}

/**
 * How the `beamscope` bin runs `args`, as an installed bin (or npx) runs it through its shebang
 * line, but with this node and without needing the file to be executable.
 */
export function cliCommand(cli: string, args: string[]): [string, string[]] {
  const { vars, flags } = shebangOf(cli);
  const node = [...flags, cli, ...args];
  return vars.length > 0 ? ['env', [...vars, process.execPath, ...node]] : [process.execPath, node];
}

/** The node arguments of cliCommand (its environment settings left out), for `node --cpu-prof`. */
export function cliNodeArgs(cli: string, args: string[]): string[] {
  return [...shebangOf(cli).flags, cli, ...args];
}
