/**
 * One scrape of `beamscope exporter`: collect from every node at once (collect's escript, a fresh
 * distribution connection each time, so a node that restarted or a connection that went stale
 * costs nothing), each within a hard per-node deadline, and render what came back. A node that
 * fails is `beamscope_up 0` and one log line; the scrape itself never fails for it.
 */
import { evaluate } from '../check/evaluate.js';
import { type LoadedInput, loadInput } from '../check/input.js';
import { DEFAULT_MIN_MSEG_CALLS, DEFAULT_MIN_TYPE_BYTES, RULES } from '../check/rules.js';
import { resolveThresholds } from '../check/thresholds.js';
import { collectForCheck } from '../collect/check.js';
import { parseNodeName } from '../collect/options.js';
import { type NodeMetrics, renderOpenMetrics } from '../report/openmetrics.js';
import { nodeMetricsOf } from './node-metrics.js';

export interface ScrapeOptions {
  /** The nodes, `NAME@HOST` or `NAME` (this host). */
  nodes: string[];
  cookie?: string;
  /** Longest time one node may take, collection and reading included. */
  timeoutSeconds: number;
  /** Process records too (largest mailbox, process count); a walk of every process on the node. */
  processes: boolean;
  perInstance: boolean;
  /** Where a failed node's reason goes (one line). */
  log: (line: string) => void;
}

/** check's rules with their default thresholds, as `beamscope check` runs them. */
const CHECK = {
  rules: new Set(RULES.map((r) => r.id)),
  thresholds: resolveThresholds({}),
  minTypeBytes: DEFAULT_MIN_TYPE_BYTES,
  minMsegCalls: DEFAULT_MIN_MSEG_CALLS,
};

/** Collects from one node within the deadline; never rejects. */
export async function scrapeNode(node: string, opts: ScrapeOptions): Promise<NodeMetrics> {
  const label = parseNodeName(node).full;
  const started = performance.now();
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), opts.timeoutSeconds * 1000);
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const snap = await collectForCheck({ node, cookie: opts.cookie, timeoutSeconds: opts.timeoutSeconds, processes: opts.processes, signal: stop.signal });
    let loaded: LoadedInput[];
    try {
      loaded = [];
      for (const p of snap.paths) loaded.push(await loadInput(p));
    } finally {
      await snap.cleanup();
    }
    // The allocator snapshot and the process records of one node: one entry.
    const [n] = nodeMetricsOf(loaded, evaluate(loaded, CHECK), label);
    return { ...n, up: 1, collectSeconds: seconds() };
  } catch (e) {
    const why = stop.signal.aborted ? `no answer within ${opts.timeoutSeconds} s (--timeout)` : String((e as Error)?.message ?? e);
    opts.log(`${label}: ${why}`);
    return { node: label, up: 0, collectSeconds: seconds() };
  } finally {
    clearTimeout(deadline);
  }
}

/** Every node at once; the text of `/metrics`. */
export async function scrape(opts: ScrapeOptions): Promise<string> {
  const nodes = await Promise.all(opts.nodes.map((n) => scrapeNode(n, opts)));
  return renderOpenMetrics(nodes, { perInstance: opts.perInstance });
}
