/**
 * The allocator rules' thresholds (src/alloc/rule-*.ts), and the one scale of unused carrier
 * memory that alloc's findings and check's allocator rules share.
 *
 * recon and "Erlang in Anger" give only one number (mseg cache hit rate "usually above 0.80") and
 * say that usage near 100% rules fragmentation out. The others below are beamscope's own, chosen so
 * that a finding needs both a low ratio and enough bytes to matter; each finding cites the numbers
 * it rests on and the thresholds it used (in `metrics`), so a reader can judge it.
 */
import { MiB } from '../text/units.js';

export const THRESHOLDS = {
  /** A type counts as fragmented below this mbcs+sbcs usage ... */
  fragmentedUsage: 0.5,
  /** ... with at least this many unused carrier bytes. */
  minUnusedBytes: 8 * MiB,
  /** Logplex pattern: current blocks at most this share of the peak blocks, */
  logplexBlocksDrop: 0.6,
  /** while carriers stayed at least at this share of the peak carriers, */
  logplexCarriersKept: 0.7,
  /** the peak usage was at least this, */
  logplexPeakUsage: 0.7,
  /** and the current usage is at most this. */
  logplexCurrentUsage: 0.6,
  /** recon_alloc's documented floor for the mseg cache hit rate. */
  msegHitRate: 0.8,
  /** Fewer mseg_alloc calls than this say nothing about the cache. */
  msegMinCalls: 1000,
  /** Single-block carriers: sbcs bytes at least this share of the type's carrier bytes. */
  sbcsShare: 0.5,
  /** Pool: at least this many carrier bytes abandoned to the pool ... */
  poolMinBytes: 8 * MiB,
  /** ... at most this full. */
  poolUsage: 0.5,
  /** Node-wide usage at or above this rules fragmentation out ("Erlang in Anger"). */
  healthyUsage: 0.8,
} as const;

/**
 * How much unused carrier memory matters, by its bytes and by its share of all carrier memory:
 * the one scale of alloc's findings and of check's allocator rules, so that the same input gets
 * the same severity from both, and a few MiB never page anyone. Undefined below the minimum that
 * is reported at all.
 */
export function wasteSeverity(unusedBytes: number, allCarrierBytes: number): 'critical' | 'warning' | 'info' | undefined {
  if (!(unusedBytes >= THRESHOLDS.minUnusedBytes)) return undefined;
  const share = allCarrierBytes > 0 ? unusedBytes / allCarrierBytes : 0;
  if (unusedBytes >= WASTE_CRITICAL_BYTES && share >= 0.25) return 'critical';
  if (unusedBytes >= WASTE_WARNING_BYTES || share >= 0.25) return 'warning';
  return 'info';
}
/** Unused carrier bytes that can be critical (with a quarter of all carriers), and that are a warning whatever their share. */
export const WASTE_CRITICAL_BYTES = 256 * MiB;
export const WASTE_WARNING_BYTES = 64 * MiB;

/** The VM's default single-block carrier threshold (512 KiB on 64-bit). */
export const DEFAULT_SBCT = 512 * 1024;

/** mseg_alloc's most cached segments (+MMmcs). */
export const MSEG_MAX_CACHED = 30;
/** Allocation strategies that place blocks in address order (new blocks pack into the oldest carriers). */
export const ADDRESS_ORDER = new Set(['aobf', 'aoff', 'aoffcbf', 'aoffcaobf', 'ageffcaobf', 'ageffcbf']);

