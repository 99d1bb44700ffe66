/**
 * Findings over a series of snapshots:
 * - `trend.growth`: an allocator type's carriers (or blocks) grew in most intervals and hardly ever
 *   shrank (a leak, or a node that keeps more and more), e.g. "carriers grew in 18 of 20 intervals";
 * - `trend.logplex-pattern`: after a spike, usage stayed low while the carriers stayed: carriers
 *   filled at the peak are kept alive by a few remaining blocks (the pattern Heroku's Logplex hit).
 * Thresholds are the allocator verdict's (src/alloc/thresholds.ts THRESHOLDS) where they exist.
 */
import { THRESHOLDS } from '../alloc/verdict.js';
import type { Finding } from '../findings.js';
import { formatBytes, formatPercent } from '../text/format.js';
import type { SeriesPoint, TrendSeries } from './series.js';
import { MiB } from '../text/units.js';

export interface TrendFindingOptions {
  /** A type must have grown (or wasted) at least this many bytes to matter (default 8 MiB). */
  minBytes?: number;
}

export const TREND_THRESHOLDS = {
  /** A change counts when it is more than this share of the previous value ... */
  changeShare: 0.01,
  /** ... and more than this many bytes. */
  changeBytes: 64 * 1024,
  /** Steady growth: grew in at least this share of the intervals, */
  growIntervals: 0.6,
  /** shrank in at most this share, */
  shrinkIntervals: 0.2,
  /** and the last value is at least this multiple of the first. */
  growFactor: 1.2,
  /** Fewest intervals to call anything steady. */
  minIntervals: 4,
  /** Logplex: blocks after the spike at most this share of the spike's, */
  blocksDrop: THRESHOLDS.logplexBlocksDrop,
  /** carriers after it at least this share of the spike's, */
  carriersKept: THRESHOLDS.logplexCarriersKept,
  /** usage at the spike at least this, */
  peakUsage: THRESHOLDS.logplexPeakUsage,
  /** and usage after it at most this, in every later snapshot. */
  afterUsage: THRESHOLDS.logplexCurrentUsage,
} as const;

const T = TREND_THRESHOLDS;

export interface Changes {
  intervals: number;
  grew: number;
  shrank: number;
  first: number;
  last: number;
}

/** Counts the intervals in which `values` grew and shrank, ignoring changes below the noise floor. */
export function countChanges(values: number[]): Changes {
  let grew = 0;
  let shrank = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i] - values[i - 1];
    const floor = Math.max(T.changeBytes, Math.abs(values[i - 1]) * T.changeShare);
    if (d > floor) grew++;
    else if (d < -floor) shrank++;
  }
  return { intervals: Math.max(0, values.length - 1), grew, shrank, first: values[0] ?? 0, last: values[values.length - 1] ?? 0 };
}

function steady(c: Changes, minBytes: number): boolean {
  return (
    c.intervals >= T.minIntervals &&
    c.grew >= T.growIntervals * c.intervals &&
    c.shrank <= T.shrinkIntervals * c.intervals &&
    c.last - c.first >= minBytes &&
    c.last >= T.growFactor * c.first
  );
}

const WHO_HOLDS: Record<string, string> = {
  binary_alloc: 'refc binaries referenced by long-lived processes (recon:bin_leak, beamscope leak)',
  ets_alloc: 'ETS tables that grow and are never trimmed (ets:i/0)',
  eheap_alloc: 'process heaps or mailboxes that keep growing (beamscope triage on a dump)',
  driver_alloc: 'port and driver buffers (ports with growing queues)',
};

function growthFinding(type: string, points: SeriesPoint[], series: TrendSeries, minBytes: number): Finding | undefined {
  const carriers = countChanges(points.map((p) => p.allocatedBytes));
  const blocks = countChanges(points.map((p) => p.usedBytes));
  const cSteady = steady(carriers, minBytes);
  const bSteady = steady(blocks, minBytes);
  if (!cSteady && !bSteady) return undefined;
  const main = cSteady ? { what: 'carriers', c: carriers } : { what: 'blocks (used bytes)', c: blocks };
  const line = (what: string, c: Changes) =>
    `${what}: grew in ${c.grew} of ${c.intervals} intervals, shrank in ${c.shrank}; ${formatBytes(c.first)} -> ${formatBytes(c.last)}`;
  const first = series.snapshots[0];
  const last = series.snapshots[series.snapshots.length - 1];
  return {
    id: 'trend.growth',
    severity: 'warning',
    title: `${type} ${main.what} grew in ${main.c.grew} of ${main.c.intervals} intervals (${formatBytes(main.c.first)} -> ${formatBytes(main.c.last)})`,
    explanation:
      `Steady growth across ${series.snapshots.length} snapshots: memory that is not given back. ` +
      (bSteady
        ? `The blocks grow too, so something keeps more and more live data in ${type}${WHO_HOLDS[type] ? `: ${WHO_HOLDS[type]}` : ''}.`
        : `The blocks do not grow with them: carriers are kept while usage falls, which is fragmentation rather than a leak (see the usage chart, and beamscope alloc on the last snapshot).`),
    evidence: [
      line('carriers (allocated)', carriers),
      line('blocks (used)', blocks),
      `from ${first.name}${first.takenAt ? ` (${first.takenAt})` : ''} to ${last.name}${last.takenAt ? ` (${last.takenAt})` : ''}`,
    ],
    subject: { kind: 'allocator', id: type },
    metrics: {
      intervals: carriers.intervals,
      carriersGrewIntervals: carriers.grew,
      carriersShrankIntervals: carriers.shrank,
      blocksGrewIntervals: blocks.grew,
      blocksShrankIntervals: blocks.shrank,
      firstCarriersBytes: carriers.first,
      lastCarriersBytes: carriers.last,
      firstBlocksBytes: blocks.first,
      lastBlocksBytes: blocks.last,
      thresholdGrowIntervals: T.growIntervals,
      thresholdShrinkIntervals: T.shrinkIntervals,
    },
  };
}

function logplexFinding(type: string, points: SeriesPoint[], series: TrendSeries, minBytes: number): Finding | undefined {
  if (points.length < 3) return undefined;
  let p = 0;
  for (let i = 1; i < points.length; i++) if (points[i].usedBytes > points[p].usedBytes) p = i;
  const spike = points[p];
  const after = points.slice(p + 1);
  if (after.length < 2) return undefined; // "stays low" needs more than one look
  if (!(spike.usage >= T.peakUsage)) return undefined;
  const ok = after.every((a) => a.usedBytes <= T.blocksDrop * spike.usedBytes && a.allocatedBytes >= T.carriersKept * spike.allocatedBytes && a.usage <= T.afterUsage);
  const last = after[after.length - 1];
  if (!ok || last.allocatedBytes - last.usedBytes < minBytes) return undefined;
  const before = points.slice(0, p);
  const maxAfterUsage = Math.max(...after.map((a) => a.usage));
  const minCarriersKept = Math.min(...after.map((a) => a.allocatedBytes / spike.allocatedBytes));
  const snap = series.snapshots[p];
  return {
    id: 'trend.logplex-pattern',
    severity: 'warning',
    title: `${type}: usage stayed at or below ${formatPercent(maxAfterUsage)} in the ${after.length} snapshots after a spike to ${formatBytes(spike.usedBytes)} used (${formatPercent(spike.usage)}) at ${snap.name}`,
    explanation:
      `At the spike ${type} filled ${formatBytes(spike.allocatedBytes)} of carriers almost completely; afterwards the blocks fell to ` +
      `${formatPercent(last.usedBytes / spike.usedBytes, 0)} of the spike but the carriers stayed (${formatPercent(minCarriersKept, 0)} or more of them): ` +
      'a few long-lived blocks scattered over the carriers filled during the spike keep them from being returned to the OS. ' +
      'Heroku\'s Logplex fixed this with an address-order strategy and smaller carriers for binary_alloc (+MBas aobf, +MBlmbcs 512); see beamscope alloc on the last snapshot for the options in force.',
    evidence: [
      `spike at ${snap.name}${snap.takenAt ? ` (${snap.takenAt})` : ''}: ${formatBytes(spike.usedBytes)} used of ${formatBytes(spike.allocatedBytes)} (${formatPercent(spike.usage)})`,
      ...(before.length ? [`before it: at most ${formatBytes(Math.max(...before.map((b) => b.usedBytes)))} used`] : []),
      `after it (${after.length} snapshots): usage ${formatPercent(Math.min(...after.map((a) => a.usage)))} to ${formatPercent(maxAfterUsage)}, carriers ${formatBytes(Math.min(...after.map((a) => a.allocatedBytes)))} to ${formatBytes(Math.max(...after.map((a) => a.allocatedBytes)))}`,
      `last: ${formatBytes(last.usedBytes)} used of ${formatBytes(last.allocatedBytes)} (${formatBytes(last.allocatedBytes - last.usedBytes)} unused)`,
    ],
    subject: { kind: 'allocator', id: type, name: snap.name },
    metrics: {
      spikeIndex: p,
      spikeUsedBytes: spike.usedBytes,
      spikeAllocatedBytes: spike.allocatedBytes,
      spikeUsage: spike.usage,
      snapshotsAfter: after.length,
      maxUsageAfter: maxAfterUsage,
      minCarriersShareAfter: minCarriersKept,
      lastUsedBytes: last.usedBytes,
      lastAllocatedBytes: last.allocatedBytes,
      thresholdPeakUsage: T.peakUsage,
      thresholdUsageAfter: T.afterUsage,
      thresholdBlocksDrop: T.blocksDrop,
      thresholdCarriersKept: T.carriersKept,
    },
  };
}

/** Findings over every type of the series, Logplex before growth, largest types first. */
export function trendFindings(series: TrendSeries, opts: TrendFindingOptions = {}): Finding[] {
  const minBytes = opts.minBytes ?? 8 * MiB;
  const logplex: Finding[] = [];
  const growth: Finding[] = [];
  for (const t of series.types) {
    const l = logplexFinding(t.type, t.points, series, minBytes);
    if (l) logplex.push(l);
    const g = growthFinding(t.type, t.points, series, minBytes);
    if (g) growth.push(g);
  }
  return [...logplex, ...growth];
}
