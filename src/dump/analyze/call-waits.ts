/**
 * Findings from who waits in a call for whom (src/dump/terms/call-waits.ts): processes that wait
 * for each other (a deadlock: none answers until a call times out, and with `infinity` never), and
 * a process many wait for (a server everyone calls, slow or stuck).
 */
import type { Finding } from '../../findings.js';
import { countOf, formatCount, who } from '../../text/format.js';
import type { CallWaits, ProcessSummary } from './report-types.js';

/** Processes waiting for one are a finding (or a line of its mailbox finding) from this many. */
const WAITERS_MIN = 100;
/** Longest chain of calls followed for a cycle. */
const MAX_CHAIN = 16;

export interface CallWaitFindings {
  findings: Finding[];
  /** Lines for the mailbox finding of a process many wait for, by its pid (its queue holds their calls). */
  mailboxEvidence: Map<string, string[]>;
}

/**
 * `about` gives a process as the report shows it; `queued` are the pids of the mailbox findings,
 * which get a line instead of a finding of their own.
 */
export function callWaitFindings(w: CallWaits | undefined, about: (pid: string) => ProcessSummary | undefined, queued: ReadonlySet<string>, monitoredBy: (pid: string) => number | undefined = () => undefined): CallWaitFindings {
  const out: CallWaitFindings = { findings: [], mailboxEvidence: new Map() };
  if (!w || w.edges.length === 0) return out;
  const next = new Map(w.edges.map((e) => [e.caller, e.target]));
  const cycles = findCycles(next);
  const inCycle = new Set(cycles.flat());
  const waiters = new Map<string, number>();
  for (const e of w.edges) if (!inCycle.has(e.caller)) waiters.set(e.target, (waiters.get(e.target) ?? 0) + 1);
  for (const cycle of cycles) out.findings.push(deadlockFinding(cycle, w, about, cycle.reduce((n, pid) => n + (waiters.get(pid) ?? 0), 0)));
  for (const [target, n] of waiters) {
    if (n < WAITERS_MIN || inCycle.has(target)) continue;
    const m = monitoredBy(target);
    const lines = [`${howMany(n, w, m)} processes wait in ${w.function} for it: ${named(n, w)}`, ...bound(n, w, m)];
    if (queued.has(target)) out.mailboxEvidence.set(target, lines);
    else out.findings.push(bottleneckFinding(target, n, w, about, m));
  }
  return out;
}

/**
 * The callers of one process, from the n of those read that name it: all there are; or, when only
 * the first were read, about as many of all those in a call as their share of the ones read when
 * it is at least LIKELY_SHARE (a server 300,000 processes call: all 1,000 read name it), else at
 * least n. A caller monitors the process it calls, so no more wait for it than the processes its
 * `=proc` says monitor it (`monitors`, when known and not fewer than the callers read).
 */
function howMany(n: number, w: CallWaits, monitors?: number): string {
  if (w.read >= w.waiting) return formatCount(n);
  if (n / w.read < LIKELY_SHARE) return `at least ${formatCount(n)}`;
  const likely = Math.round((n / w.read) * w.waiting);
  return `likely about ${formatCount(bounds(n, monitors) ? Math.min(likely, monitors!) : likely)}`;
}

/** Whether the count of a process's monitors bounds its callers (it cannot be fewer than the n read). */
function bounds(n: number, monitors: number | undefined): boolean {
  return monitors !== undefined && Number.isFinite(monitors) && monitors >= n;
}

/** When only the first callers were read: the line that says what the process's monitors bound. */
function bound(n: number, w: CallWaits, monitors: number | undefined): string[] {
  if (w.read >= w.waiting || !bounds(n, monitors)) return [];
  return [`${countOf(monitors!, 'process', 'processes')} monitor it, and a caller monitors the process it calls: no more wait for it`];
}

/** Half or more of the callers read name one process: the rest are taken to be alike. */
const LIKELY_SHARE = 0.5;

/** How the callers were told. */
function named(n: number, w: CallWaits): string {
  if (w.read >= w.waiting) return "their calls' monitors name it";
  const of = n === w.read ? 'all' : `${formatCount(n)} of the`;
  return `${of} ${formatCount(w.read)} callers read (the first of the ${formatCount(w.waiting)} processes in ${w.function}) name it in their calls' monitors`;
}

/** Every cycle of `next` (caller -> the one it waits for), each once, from its first member met. */
function findCycles(next: ReadonlyMap<string, string>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  for (const start of next.keys()) {
    const path: string[] = [];
    for (let at: string | undefined = start; at !== undefined && path.length <= MAX_CHAIN && !done.has(at); at = next.get(at)) {
      const k = path.indexOf(at);
      if (k >= 0) {
        cycles.push(path.slice(k));
        break;
      }
      path.push(at);
    }
    for (const pid of path) done.add(pid);
  }
  return cycles;
}

/** A process as findings name it: its registered name, else its initial call. */
function label(pid: string, about: (pid: string) => ProcessSummary | undefined): string {
  const s = about(pid);
  return who({ pid, name: s?.name || s?.initialCall });
}

function deadlockFinding(cycle: string[], w: CallWaits, about: (pid: string) => ProcessSummary | undefined, waiting: number): Finding {
  const names = cycle.map((pid) => label(pid, about));
  const title = cycle.length === 2
    ? `${names[0]} and ${names[1]} wait in ${w.function} for each other: a deadlock`
    : `${cycle.length} processes wait in ${w.function} for each other in a cycle: a deadlock`;
  return {
    id: 'process.call-deadlock',
    severity: 'critical',
    title,
    explanation: 'Each is in a synchronous call (gen_server:call, gen_statem:call, GenServer.call) to the next, which cannot answer while it waits itself: none moves until a call times out, and with a timeout of infinity never, while calls to them queue up. A server must not call, directly or through others, a process that may be calling it: make one of the calls a cast or a message, or answer later (gen_server:reply/2) from a process of its own.',
    evidence: [
      ...cycle.map((pid, k) => `${names[k]} calls ${names[(k + 1) % cycle.length]}; ${queueOf(about(pid))}`),
      ...(waiting > 0 ? [`${howMany(waiting, w)} other ${waiting === 1 ? 'process waits' : 'processes wait'} in ${w.function} for them`] : []),
    ],
    subject: { kind: 'process', id: cycle[0], ...(about(cycle[0])?.name ? { name: about(cycle[0])!.name! } : {}) },
    metrics: { processes: cycle.length, waiting },
  };
}

function bottleneckFinding(target: string, n: number, w: CallWaits, about: (pid: string) => ProcessSummary | undefined, monitors: number | undefined): Finding {
  const s = about(target);
  return {
    id: 'process.call-bottleneck',
    severity: 'warning',
    title: `${howMany(n, w, monitors)} processes wait in a call (${w.function}) for ${label(target, about)}`,
    explanation: 'Processes call this one synchronously and wait for its answers: it is slow to answer (long work in handle_call), blocked itself, called by too many, or it keeps their calls to answer later and has not (a pool with no worker free: its queue is then short). Its current function says where it is. Do slow work outside the call (answer later with gen_server:reply/2, or in a worker), bound how long callers wait (a timeout, not infinity), or spread them over several processes.',
    evidence: [
      named(n, w),
      ...bound(n, w, monitors),
      s ? `its current function: ${s.currentFunction ?? '?'}; state: ${s.state}; ${queueOf(s)}` : `${target} is not a process of this node's dump`,
    ],
    subject: { kind: 'process', id: target, ...(s?.name ? { name: s.name } : {}) },
    metrics: { waiting: n },
  };
}

function queueOf(s: ProcessSummary | undefined): string {
  return s ? `its queue: ${countOf(s.messageQueueLength, 'message')}` : 'not a process of this dump';
}
