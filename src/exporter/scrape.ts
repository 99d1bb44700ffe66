/**
 * One scrape of `beamscope exporter`: collect from every node at once (collect's escript in its
 * serve mode, src/exporter/collector.ts; a fresh distribution connection each time, so a node that
 * restarted or a connection that went stale costs nothing), each within a hard per-node deadline,
 * and render what came back. A node that fails is `beamscope_up 0` and one log line; the scrape
 * itself never fails for it. Files live in a temporary directory for the length of the scrape.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../check/evaluate.js';
import { type LoadedInput, loadInput } from '../check/input.js';
import { DEFAULT_MIN_MSEG_CALLS, DEFAULT_MIN_TYPE_BYTES, RULES } from '../check/rules.js';
import { resolveThresholds } from '../check/thresholds.js';
import type { ProcessSummary, ServeCollector } from './collector.js';
import type { LimitUse } from '../dump/analyze/report-types.js';
import { parseNodeName } from '../collect/options.js';
import { type NodeMetrics, renderOpenMetrics } from '../report/openmetrics.js';
import { nodeMetricsOf } from './node-metrics.js';

export interface ScrapeOptions {
  /** The nodes, `NAME@HOST` or `NAME` (this host). */
  nodes: string[];
  /** Longest time one node may take, collection and reading included. */
  timeoutSeconds: number;
  /** The process summary too (largest mailbox; processes, ports, atoms against their limits): one process_info call per process on the node. */
  processes: boolean;
  perInstance: boolean;
  /** Where a failed node's reason goes (one line, when it fails and when it answers again). */
  log: (line: string) => void;
  /** The last failure of each node, so that a node down for hours is one log line, not one a scrape. */
  failing?: Map<string, string>;
  collector: ServeCollector;
}

/** check's rules with their default thresholds, as `beamscope check` runs them. */
const CHECK = {
  rules: new Set(RULES.map((r) => r.id)),
  thresholds: resolveThresholds({}),
  minTypeBytes: DEFAULT_MIN_TYPE_BYTES,
  minMsegCalls: DEFAULT_MIN_MSEG_CALLS,
};

/** The process summary as check's input: a process snapshot's figures, with the node's own limits. */
function summaryInput(node: string, s: ProcessSummary): LoadedInput {
  const limits: LimitUse[] = [];
  for (const [id, count, limit] of [
    ['processes', s.process_count, s.process_limit],
    ['ports', s.port_count, s.port_limit],
    ['atoms', s.atom_count, s.atom_limit],
  ] as const) {
    if (count !== undefined && limit !== undefined && limit > 0) limits.push({ id, label: id, count, limit, limitSource: 'dump', share: count / limit });
  }
  const mb = s.largestMailbox;
  return {
    path: '-',
    name: `${node}/processes`,
    kind: 'process-snapshot',
    node,
    dump: { ...(mb ? { largestMailbox: { messages: mb.messages, pid: mb.pid, ...(mb.name ? { name: mb.name } : {}) } } : {}), limits },
  };
}

/** Collects from one node within the deadline; never rejects. */
export async function scrapeNode(node: string, opts: ScrapeOptions, dir: string): Promise<NodeMetrics> {
  const label = parseNodeName(node).full;
  const started = performance.now();
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), opts.timeoutSeconds * 1000);
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const out = await mkdtemp(join(dir, 'n-'));
    const sample = await opts.collector.collect({ node, out, timeoutSeconds: opts.timeoutSeconds, summary: opts.processes, signal: stop.signal });
    const loaded: LoadedInput[] = [await loadInput(sample.alloc), ...(sample.summary ? [summaryInput(label, sample.summary)] : [])];
    // The allocator snapshot and the process records of one node: one entry.
    const [n] = nodeMetricsOf(loaded, evaluate(loaded, CHECK), label);
    if (opts.failing?.delete(label)) opts.log(`${label}: collected again`);
    return { ...n, up: 1, collectSeconds: seconds() };
  } catch (e) {
    const why = stop.signal.aborted ? `no answer within ${opts.timeoutSeconds} s (--timeout)` : String((e as Error)?.message ?? e);
    if (opts.failing?.get(label) !== why) opts.log(`${label}: ${why}`);
    opts.failing?.set(label, why);
    return { node: label, up: 0, collectSeconds: seconds() };
  } finally {
    clearTimeout(deadline);
  }
}

/** Every node at once; the text of `/metrics`. */
export async function scrape(opts: ScrapeOptions): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'beamscope-exporter-'));
  try {
    const nodes = await Promise.all(opts.nodes.map((n) => scrapeNode(n, opts, dir)));
    return renderOpenMetrics(nodes, { perInstance: opts.perInstance });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
