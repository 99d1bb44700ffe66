/**
 * What `beamscope collect` takes, checked before anything runs: the node name (short or long names
 * told from the host part, the host filled in as `erl -sname` does when missing), the timeout, the
 * series, and the escript's KEY=VALUE arguments built from them.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';

export interface CollectOptions {
  /** `name@host`, or `name` alone for `name@<this host's short name>` (as `erl -sname name`). */
  node: string;
  /** The node's cookie; default: the BEAMSCOPE_COOKIE environment variable, else ~/.erlang.cookie. */
  cookie?: string;
  /** Longest wait for any one answer of the node (connecting, a call, the next batch of records). Default 30. */
  timeoutSeconds?: number;
  /** Directory the files are written into (created if missing). */
  out: string;
  /** Process records (default true). */
  processes?: boolean;
  /** Also read every process, garbage-collect it and read it again (recon:bin_leak's procedure). */
  binLeak?: boolean;
  /** Samples to take (default 1) and the seconds from the start of one to the start of the next. */
  count?: number;
  intervalSeconds?: number;
  /** A process's binary references are listed one by one up to this many, else only counted (default 1000). */
  maxBinaryList?: number;
  /** The `escript` program; default BEAMSCOPE_ESCRIPT, else `escript` on PATH. */
  escript?: string;
  /** Called with each event the collector reports (connected, progress, sample). */
  onEvent?: (event: CollectEvent) => void;
  /** Stops the collection (the escript is terminated; the node unloads the module by itself). */
  signal?: AbortSignal;
}

export type CollectEvent =
  | { event: 'connected'; node: string; otpRelease: string; schedulers: number }
  | { event: 'progress'; phase: 'processes' | 'bin-leak'; records: number }
  | { event: 'sample'; index: number; count: number; takenAt: string; stamp: string; processes: number | null; files: Record<string, string> }
  | { event: 'done' }
  | { event: 'error'; kind: string; message: string };

export type NameType = 'short' | 'long';

export interface NodeName {
  /** `name@host`. */
  full: string;
  name: string;
  host: string;
  /** Long names have a dot in the host part (a domain, an IPv4 address) or are IPv6 addresses. */
  names: NameType;
}

const NAME_PART = /^[A-Za-z0-9_-]+$/;

/** Splits and checks a node name; a missing host is this machine's short host name. */
export function parseNodeName(node: string, localHost: string = hostname()): NodeName {
  const at = node.indexOf('@');
  const name = at < 0 ? node : node.slice(0, at);
  const host = at < 0 ? localHost.split('.')[0] : node.slice(at + 1);
  if (!NAME_PART.test(name)) throw new UsageError(`--node ${JSON.stringify(node)}: the name before @ may only have letters, digits, _ and - (e.g. myapp@db1)`);
  if (host === '' || /[\s@]/.test(host)) throw new UsageError(`--node ${JSON.stringify(node)}: expected NAME@HOST, e.g. myapp@db1 (short names) or myapp@db1.example.com (long names)`);
  const names: NameType = host.includes('.') || host.includes(':') ? 'long' : 'short';
  return { full: `${name}@${host}`, name, host, names };
}

export interface ResolvedOptions {
  node: NodeName;
  timeoutMs: number;
  out: string;
  processes: boolean;
  binLeak: boolean;
  count: number;
  intervalMs: number;
  maxBinaryList: number;
}

function positive(v: number | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new UsageError(`${flag} takes a number of seconds above 0 (got ${String(v)})`);
  return v;
}

/** Checks the options (UsageError on the first bad one) and fills in the defaults. */
export function resolveOptions(o: CollectOptions): ResolvedOptions {
  if (!o.node) throw new UsageError('--node is required: the node to collect from, e.g. myapp@db1');
  if (!o.out) throw new UsageError('--out is required: the directory to write the snapshots into');
  const node = parseNodeName(o.node);
  const timeoutMs = Math.round(positive(o.timeoutSeconds, '--timeout', 30) * 1000);
  const count = o.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count takes a whole number of samples, 1 or more (got ${String(o.count)})`);
  if (count > 1 && o.intervalSeconds === undefined) throw new UsageError('--count N needs --interval S (seconds between samples)');
  if (o.intervalSeconds !== undefined && o.count === undefined) throw new UsageError('--interval S needs --count N (how many samples)');
  const intervalMs = Math.round(positive(o.intervalSeconds, '--interval', 1) * 1000);
  const maxBinaryList = o.maxBinaryList ?? 1000;
  if (!Number.isInteger(maxBinaryList) || maxBinaryList < 0) throw new UsageError(`--binary-list takes a whole number, 0 or more (got ${String(o.maxBinaryList)})`);
  return {
    node,
    timeoutMs,
    out: resolve(o.out),
    processes: o.processes ?? true,
    binLeak: o.binLeak ?? false,
    count,
    intervalMs: count > 1 ? intervalMs : 0,
    maxBinaryList,
  };
}

/** The escript's arguments (the cookie goes in the environment, never on a command line). */
export function escriptArgs(r: ResolvedOptions): string[] {
  return [
    `node=${r.node.full}`,
    `names=${r.node.names}`,
    `timeout=${r.timeoutMs}`,
    `out=${r.out}`,
    `processes=${r.processes}`,
    `bin_leak=${r.binLeak}`,
    `count=${r.count}`,
    `interval=${r.intervalMs}`,
    `max_binary_list=${r.maxBinaryList}`,
  ];
}
