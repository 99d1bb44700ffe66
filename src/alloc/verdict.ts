/**
 * The allocator verdict: per-type and per-instance summaries of carrier against block bytes, and
 * findings with advice where the numbers support it.
 *
 * Thresholds. recon and "Erlang in Anger" give only one number (mseg cache hit rate "usually above
 * 0.80") and say that usage near 100% rules fragmentation out. The others below are beamscope's own,
 * chosen so that a finding needs both a low ratio and enough bytes to matter; each finding cites the
 * numbers it rests on and the thresholds it used (in `metrics`), so a reader can judge it.
 */
import type { Finding } from '../findings.js';
import { formatBytes, formatCount, formatPercent } from '../report/format.js';
import { ALLOCATOR_FLAG, type AllocatorInstance, type AllocatorModel, type Bytes, type OptionValue, RECON_UTIL_ALLOCATORS } from './model.js';
import { cacheHitRates, containerValue, usage } from './recon.js';

export const THRESHOLDS = {
  /** A type counts as fragmented below this mbcs+sbcs usage ... */
  fragmentedUsage: 0.5,
  /** ... with at least this many unused carrier bytes. */
  minUnusedBytes: 8 * 1024 * 1024,
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
  poolMinBytes: 8 * 1024 * 1024,
  /** ... at most this full. */
  poolUsage: 0.5,
  /** Node-wide usage at or above this rules fragmentation out ("Erlang in Anger"). */
  healthyUsage: 0.8,
} as const;

export interface TypeSummary {
  /** `binary_alloc`, ... */
  type: string;
  instances: number;
  /** Whether recon_alloc counts this type (its nine util allocators). */
  inReconScope: boolean;
  /** Current carriers (mbcs + mbcs_pool + sbcs), bytes. */
  carriersBytes: Bytes;
  /** Current blocks in those carriers, bytes. */
  blocksBytes: Bytes;
  unusedBytes: Bytes;
  /** blocksBytes / carriersBytes (1 when both are 0). */
  usage: number;
  mbcsCarriersBytes: Bytes;
  mbcsBlocksBytes: Bytes;
  poolCarriersBytes: Bytes;
  poolBlocksBytes: Bytes;
  sbcsCarriersBytes: Bytes;
  sbcsBlocksBytes: Bytes;
  /** Sums of per-instance max-ever values (an upper bound: maxima need not coincide). */
  maxCarriersBytes: Bytes;
  maxBlocksBytes: Bytes;
  maxUsage: number;
  /** The same maxima split by carrier kind (the pool has no max), for check's current-vs-max and OpenMetrics. */
  mbcsMaxCarriersBytes: Bytes;
  mbcsMaxBlocksBytes: Bytes;
  sbcsMaxCarriersBytes: Bytes;
  sbcsMaxBlocksBytes: Bytes;
  blocks: number;
  sbcsBlocks: number;
}

export interface InstanceSummary {
  allocator: string;
  instance: number;
  carriersBytes: Bytes;
  blocksBytes: Bytes;
  unusedBytes: Bytes;
  usage: number;
  maxCarriersBytes: Bytes;
  maxBlocksBytes: Bytes;
  maxUsage: number;
  poolCarriersBytes: Bytes;
}

function withStats(model: AllocatorModel): AllocatorInstance[] {
  return model.allocators.filter((a) => a.enabled && a.mbcs);
}

function instanceSummary(i: AllocatorInstance): InstanceSummary {
  const cur = (k: 'blocksBytes' | 'carriersBytes') => containerValue(i, 'current', 'mbcs', k) + containerValue(i, 'current', 'sbcs', k);
  const max = (k: 'blocksBytes' | 'carriersBytes') => containerValue(i, 'max', 'mbcs', k) + containerValue(i, 'max', 'sbcs', k);
  const carriersBytes = cur('carriersBytes');
  const blocksBytes = cur('blocksBytes');
  const maxCarriersBytes = max('carriersBytes');
  const maxBlocksBytes = max('blocksBytes');
  return {
    allocator: i.allocator,
    instance: i.instance,
    carriersBytes,
    blocksBytes,
    unusedBytes: carriersBytes - blocksBytes,
    usage: usage(blocksBytes, carriersBytes),
    maxCarriersBytes,
    maxBlocksBytes,
    maxUsage: usage(maxBlocksBytes, maxCarriersBytes),
    poolCarriersBytes: i.mbcsPool?.carriersBytes ?? 0,
  };
}

/** Per-instance carriers against blocks, most unused bytes first. */
export function summarizeInstances(model: AllocatorModel): InstanceSummary[] {
  return withStats(model)
    .map(instanceSummary)
    .sort((a, b) => b.unusedBytes - a.unusedBytes || (a.allocator < b.allocator ? -1 : a.allocator > b.allocator ? 1 : a.instance - b.instance));
}

/**
 * Per allocator type (all enabled alloc_util types, not only recon's nine): carriers, blocks and usage,
 * current and peak; sorted by unused bytes, largest first.
 */
export function summarizeByType(model: AllocatorModel): TypeSummary[] {
  const by = new Map<string, TypeSummary>();
  for (const i of withStats(model)) {
    const t =
      by.get(i.allocator) ??
      ({
        type: i.allocator,
        instances: 0,
        inReconScope: RECON_UTIL_ALLOCATORS.includes(i.allocator),
        carriersBytes: 0,
        blocksBytes: 0,
        unusedBytes: 0,
        usage: 1,
        mbcsCarriersBytes: 0,
        mbcsBlocksBytes: 0,
        poolCarriersBytes: 0,
        poolBlocksBytes: 0,
        sbcsCarriersBytes: 0,
        sbcsBlocksBytes: 0,
        maxCarriersBytes: 0,
        maxBlocksBytes: 0,
        maxUsage: 1,
        mbcsMaxCarriersBytes: 0,
        mbcsMaxBlocksBytes: 0,
        sbcsMaxCarriersBytes: 0,
        sbcsMaxBlocksBytes: 0,
        blocks: 0,
        sbcsBlocks: 0,
      } satisfies TypeSummary);
    t.instances++;
    t.mbcsCarriersBytes += i.mbcs!.carriersBytes.current;
    t.mbcsBlocksBytes += i.mbcs!.blocksBytes.current;
    t.poolCarriersBytes += i.mbcsPool?.carriersBytes ?? 0;
    t.poolBlocksBytes += i.mbcsPool?.blocksBytes ?? 0;
    t.sbcsCarriersBytes += i.sbcs?.carriersBytes.current ?? 0;
    t.sbcsBlocksBytes += i.sbcs?.blocksBytes.current ?? 0;
    t.mbcsMaxCarriersBytes += containerValue(i, 'max', 'mbcs', 'carriersBytes');
    t.mbcsMaxBlocksBytes += containerValue(i, 'max', 'mbcs', 'blocksBytes');
    t.sbcsMaxCarriersBytes += containerValue(i, 'max', 'sbcs', 'carriersBytes');
    t.sbcsMaxBlocksBytes += containerValue(i, 'max', 'sbcs', 'blocksBytes');
    t.blocks += containerValue(i, 'current', 'mbcs', 'blocks') + containerValue(i, 'current', 'sbcs', 'blocks');
    t.sbcsBlocks += containerValue(i, 'current', 'sbcs', 'blocks');
    by.set(i.allocator, t);
  }
  const out = [...by.values()];
  for (const t of out) {
    t.maxCarriersBytes = t.mbcsMaxCarriersBytes + t.sbcsMaxCarriersBytes;
    t.maxBlocksBytes = t.mbcsMaxBlocksBytes + t.sbcsMaxBlocksBytes;
    t.carriersBytes = t.mbcsCarriersBytes + t.poolCarriersBytes + t.sbcsCarriersBytes;
    t.blocksBytes = t.mbcsBlocksBytes + t.poolBlocksBytes + t.sbcsBlocksBytes;
    t.unusedBytes = t.carriersBytes - t.blocksBytes;
    t.usage = usage(t.blocksBytes, t.carriersBytes);
    t.maxUsage = usage(t.maxBlocksBytes, t.maxCarriersBytes);
  }
  return out.sort((a, b) => b.unusedBytes - a.unusedBytes || (a.type < b.type ? -1 : 1));
}

export interface MemoryTotalCheck {
  /** Σ current block bytes (mbcs + mbcs_pool + sbcs) over every enabled instance. */
  blocksBytes: Bytes;
  /** `=memory` / `erlang:memory()` total. */
  memoryTotalBytes: Bytes;
  /** memoryTotalBytes - blocksBytes. */
  differenceBytes: Bytes;
}

/**
 * The sum of current block sizes over all enabled instances against `erlang:memory(total)`. The
 * reference (crash-dump-format.md 3.6) measured them equal in R13B04, R16B02 and OTP 17 dumps and
 * within 64 KiB in OTP 20.2 and 22; later releases count memory outside the allocators in `total`.
 */
export function blocksAgainstMemoryTotal(model: AllocatorModel): MemoryTotalCheck | undefined {
  const total = model.erlangMemory?.total;
  if (total === undefined || !Number.isFinite(total)) return undefined;
  let blocks = 0;
  for (const i of withStats(model)) blocks += containerValue(i, 'current', 'mbcs', 'blocksBytes') + containerValue(i, 'current', 'sbcs', 'blocksBytes');
  return { blocksBytes: blocks, memoryTotalBytes: total, differenceBytes: total - blocks };
}

function opt(i: AllocatorInstance | undefined, k: string): OptionValue | undefined {
  return i?.options[k];
}

/** Options of the first instance that has them, as `as=aoffcbf, lmbcs=5242880, ...`. */
function optionsInForce(model: AllocatorModel, type: string, keys: string[]): { text: string; first?: AllocatorInstance } {
  const first = model.allocators.find((a) => a.allocator === type && a.instance > 0) ?? model.allocators.find((a) => a.allocator === type);
  const parts = keys.filter((k) => opt(first, k) !== undefined).map((k) => `${k}=${String(opt(first, k))}`);
  return { text: parts.join(', '), first };
}

/**
 * Unused carrier memory that is mostly in single-block carriers: blocks over the single-block
 * carrier threshold each get a carrier of their own, rounded up, and the setting that put them
 * there is sbct (a VM started with +MBsbct 4 had 3.6 GiB of carriers for 34 MiB of blocks). Smaller
 * multiblock carriers, the fix for fragmentation, would change nothing here.
 */
function sbcsCulpritFinding(t: TypeSummary, unusedSbcs: number, sbct: number, flag: string, total: number, opts: string, worstText: string[]): Finding {
  const lowSbct = Number.isFinite(sbct) && sbct < DEFAULT_SBCT;
  const share = total > 0 ? t.unusedBytes / total : 0;
  return {
    id: 'alloc.sbcs-unused',
    severity: wasteSeverity(t.unusedBytes, total) ?? 'info',
    title: `${t.type}: ${formatBytes(unusedSbcs)} unused in single-block carriers (${formatBytes(t.sbcsBlocksBytes)} of blocks in ${formatBytes(t.sbcsCarriersBytes)})` +
      (lowSbct ? `: sbct is ${formatBytes(sbct)}` : ''),
    explanation:
      `Of ${formatBytes(t.unusedBytes)} of ${t.type} carrier memory not in use, ${formatPercent(unusedSbcs / Math.max(1, t.unusedBytes), 0)} is in single-block carriers: ` +
      `every block over the single-block carrier threshold (sbct${Number.isFinite(sbct) ? `, now ${formatBytes(sbct)}` : ''}) gets a carrier of its own, rounded up to whole pages or segments, and ${formatCount(t.sbcsBlocks)} blocks have one. ` +
      (lowSbct
        ? `Raise +M${flag}sbct back towards the default (${formatBytes(DEFAULT_SBCT)}), so that these blocks share multiblock carriers; keep +M${flag}lmbcs above the new sbct. Smaller multiblock carriers would not help: the memory is not in them.`
        : `If such large blocks are common, raise +M${flag}sbct and +M${flag}lmbcs so they fit in multiblock carriers (recon_alloc:sbcs_to_mbcs says how many would).`),
    evidence: [
      `single-block carriers: ${formatCount(t.sbcsBlocks)} blocks, ${formatBytes(t.sbcsBlocksBytes)} in ${formatBytes(t.sbcsCarriersBytes)}`,
      `multiblock carriers: ${formatBytes(t.mbcsBlocksBytes)} in ${formatBytes(t.mbcsCarriersBytes)}; pool: ${formatBytes(t.poolBlocksBytes)} in ${formatBytes(t.poolCarriersBytes)}`,
      ...worstText,
      ...(opts ? [`options in force: ${opts}`] : []),
    ],
    subject: { kind: 'allocator', id: t.type },
    metrics: { unusedBytes: t.unusedBytes, unusedInSbcsBytes: unusedSbcs, sbcsCarriersBytes: t.sbcsCarriersBytes, sbcsBlocksBytes: t.sbcsBlocksBytes, sbcsBlocks: t.sbcsBlocks, ...(Number.isFinite(sbct) ? { sbctBytes: sbct } : {}), shareOfAllocated: share },
  };
}

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
export const WASTE_CRITICAL_BYTES = 256 * 1024 * 1024;
export const WASTE_WARNING_BYTES = 64 * 1024 * 1024;

/** The VM's default single-block carrier threshold (512 KiB on 64-bit). */
const DEFAULT_SBCT = 512 * 1024;

/** mseg_alloc's most cached segments (+MMmcs). */
const MSEG_MAX_CACHED = 30;
const ADDRESS_ORDER = new Set(['aobf', 'aoff', 'aoffcbf', 'aoffcaobf', 'ageffcaobf', 'ageffcbf']);

/** Findings over the model, most important first is left to sortFindings (same-severity order kept). */
export function allocatorFindings(model: AllocatorModel): Finding[] {
  const out: Finding[] = [];
  const types = summarizeByType(model);
  const total = types.reduce((s, t) => s + t.carriersBytes, 0);
  const totalBlocks = types.reduce((s, t) => s + t.blocksBytes, 0);
  const T = THRESHOLDS;
  const instances = summarizeInstances(model);

  const sbcsCulprits = new Set<string>();
  for (const t of types) {
    const flag = ALLOCATOR_FLAG[t.type] ?? '?';
    const { text: opts, first } = optionsInForce(model, t.type, ['as', 'lmbcs', 'smbcs', 'mbcgs', 'sbct', 'acul']);
    const blocksDrop = t.maxBlocksBytes > 0 ? t.blocksBytes / t.maxBlocksBytes : 1;
    const carriersKept = t.maxCarriersBytes > 0 ? t.carriersBytes / t.maxCarriersBytes : 1;
    const worst = instances.filter((i) => i.allocator === t.type && i.carriersBytes > 0).slice(0, 3);
    const worstText = worst.map((i) => `${t.type}[${i.instance}]: ${formatBytes(i.blocksBytes)} of ${formatBytes(i.carriersBytes)} used (${formatPercent(i.usage)})`);
    const lowUsage = t.usage < T.fragmentedUsage || (t.usage <= T.logplexCurrentUsage && blocksDrop <= T.logplexBlocksDrop);
    if (t.unusedBytes < T.minUnusedBytes || !lowUsage) continue;

    const as = String(opt(first, 'as') ?? '');
    const lmbcs = Number(opt(first, 'lmbcs'));
    const sbct = Number(opt(first, 'sbct'));
    // Where the unused memory is decides the culprit: when it is mostly in single-block carriers
    // (each block over sbct has one of its own), not the pool nor the multiblock carriers.
    const unusedSbcs = Math.max(0, t.sbcsCarriersBytes - t.sbcsBlocksBytes);
    const mostly = unusedSbcs >= t.unusedBytes / 2 && unusedSbcs >= t.poolCarriersBytes - t.poolBlocksBytes
      && unusedSbcs >= t.mbcsCarriersBytes - t.mbcsBlocksBytes;
    if (mostly) {
      sbcsCulprits.add(t.type);
      out.push(sbcsCulpritFinding(t, unusedSbcs, sbct, flag, total, opts, worstText));
      continue;
    }
    const advice: string[] = [];
    const addressOrder = ADDRESS_ORDER.has(as);
    const bigCarriers = Number.isFinite(lmbcs) && lmbcs > 1024 * 1024;
    if (as && !addressOrder) advice.push(`switch to an address-order strategy (+M${flag}as aobf or aoffcaobf; now ${as}) so new blocks pack into the oldest carriers and the others can empty and be returned`);
    if (bigCarriers) advice.push(`use smaller multiblock carriers (+M${flag}lmbcs, now ${formatBytes(lmbcs)}; the Logplex fix went to 512 KiB) so a few live blocks pin less memory`);
    if (addressOrder && !bigCarriers) {
      // Never advise what is set already: say so, and what is left.
      const acul = opt(first, 'acul');
      const inForce = [`address-order strategy (${as})`, ...(Number.isFinite(lmbcs) ? [`multiblock carriers of ${formatBytes(lmbcs)}`] : [])];
      const left = [
        ...(acul === undefined || Number(acul) === 0 ? [`let nearly empty carriers migrate to the pool for other instances to fill (+M${flag}acul de, or 50; now ${acul === undefined ? 'not shown' : String(acul)})`] : []),
        ...(as === 'aobf' ? [`+M${flag}as aoffcbf (address order among carriers, best fit within one), which keeps new blocks out of the emptiest carriers`] : []),
        `fewer instances (+M${flag}t false), so that remnants of all schedulers share carriers`,
      ];
      const small = total > 0 && t.unusedBytes / total < 0.1;
      advice.push(`the usual fixes are in force (${inForce.join(', ')}); what is left: ${left.join('; ')}${small ? `; or nothing: the unused ${formatBytes(t.unusedBytes)} is under a tenth of the node's carriers` : ''}`);
    }
    if (t.poolCarriersBytes > 0 && opt(first, 'acul') !== undefined) advice.push(`carriers abandoned to the pool (acul=${String(opt(first, 'acul'))}) hold ${formatBytes(t.poolCarriersBytes)}`);

    const logplex =
      t.maxBlocksBytes > 0 &&
      blocksDrop <= T.logplexBlocksDrop &&
      carriersKept >= T.logplexCarriersKept &&
      t.maxUsage >= T.logplexPeakUsage &&
      t.usage <= T.logplexCurrentUsage;
    const metrics = {
      carriersBytes: t.carriersBytes,
      blocksBytes: t.blocksBytes,
      unusedBytes: t.unusedBytes,
      usage: t.usage,
      maxCarriersBytes: t.maxCarriersBytes,
      maxBlocksBytes: t.maxBlocksBytes,
      maxUsage: t.maxUsage,
      shareOfAllocated: total > 0 ? t.unusedBytes / total : 0,
      thresholdUsage: logplex ? T.logplexCurrentUsage : T.fragmentedUsage,
      thresholdUnusedBytes: T.minUnusedBytes,
    };
    const evidence = [
      `${t.type}: ${formatBytes(t.blocksBytes)} of blocks in ${formatBytes(t.carriersBytes)} of carriers (${formatPercent(t.usage)} used, ${formatBytes(t.unusedBytes)} unused) over ${t.instances} instances`,
      `peak (sum of per-instance max): ${formatBytes(t.maxBlocksBytes)} of blocks in ${formatBytes(t.maxCarriersBytes)} of carriers (${formatPercent(t.maxUsage)})`,
      ...worstText,
      ...(opts ? [`options in force: ${opts}`] : []),
    ];
    const severity = wasteSeverity(t.unusedBytes, total) ?? 'info';
    if (logplex) {
      out.push({
        id: 'alloc.logplex-pattern',
        // The pattern is worth a look at any size; how urgent it is follows the waste.
        severity: severity === 'info' ? 'warning' : severity,
        title: `${t.type}: carriers filled at a peak are kept alive by remnants (${formatPercent(t.usage)} used now, ${formatPercent(t.maxUsage)} at peak)`,
        explanation:
          `Blocks fell to ${formatPercent(blocksDrop, 0)} of their peak while carriers stayed at ${formatPercent(carriersKept, 0)}: ` +
          `a few long-lived blocks scattered over many carriers keep them from being returned to the OS (the pattern Heroku's Logplex hit). ` +
          (advice.length ? `What to try: ${advice.join('; ')}.` : ''),
        evidence,
        subject: { kind: 'allocator', id: t.type },
        metrics: { ...metrics, blocksShareOfPeak: blocksDrop, carriersShareOfPeak: carriersKept },
      });
    } else {
      out.push({
        id: 'alloc.fragmented',
        severity,
        title: `${t.type}: ${formatBytes(t.unusedBytes)} of carrier memory unused (${formatPercent(t.usage)} used)`,
        explanation:
          `Carriers of ${t.type} are mostly empty: memory the VM holds from the OS but does not use for data. ` +
          (t.maxUsage - t.usage > 0.2 ? `Usage was ${formatPercent(t.maxUsage)} at peak, so this is left over from a spike. ` : '') +
          (advice.length ? `What to try: ${advice.join('; ')}.` : ''),
        evidence,
        subject: { kind: 'allocator', id: t.type },
        metrics,
      });
    }
  }

  // Pool carriers: abandoned carriers waiting for reuse.
  for (const t of types) {
    if (t.poolCarriersBytes < T.poolMinBytes) continue;
    const pu = usage(t.poolBlocksBytes, t.poolCarriersBytes);
    if (pu > T.poolUsage) continue;
    const { text: opts } = optionsInForce(model, t.type, ['acul', 'acnl', 'acfml']);
    out.push({
      id: 'alloc.pool-carriers',
      severity: 'info',
      title: `${t.type}: ${formatBytes(t.poolCarriersBytes)} of abandoned carriers in the pool, ${formatPercent(pu)} used`,
      explanation:
        'Carriers whose usage fell below the abandon threshold (acul) go to the carrier pool to be reused by other schedulers. ' +
        'Many near-empty pool carriers mean allocation has moved on and they are kept by a few blocks.',
      evidence: [`pool: ${formatBytes(t.poolBlocksBytes)} of blocks in ${formatBytes(t.poolCarriersBytes)} of carriers`, ...(opts ? [`options in force: ${opts}`] : [])],
      subject: { kind: 'allocator', id: t.type },
      metrics: { poolCarriersBytes: t.poolCarriersBytes, poolBlocksBytes: t.poolBlocksBytes, poolUsage: pu, thresholdPoolUsage: T.poolUsage },
    });
  }

  // Single-block against multiblock carriers (a type whose unused memory they are is named above).
  for (const t of types) {
    if (sbcsCulprits.has(t.type)) continue;
    if (t.carriersBytes === 0 || t.sbcsCarriersBytes / t.carriersBytes < T.sbcsShare || t.sbcsCarriersBytes < T.minUnusedBytes) continue;
    const flag = ALLOCATOR_FLAG[t.type] ?? '?';
    const { text: opts } = optionsInForce(model, t.type, ['sbct', 'lmbcs', 'mmsbc']);
    out.push({
      id: 'alloc.sbcs-heavy',
      severity: 'info',
      title: `${t.type}: ${formatPercent(t.sbcsCarriersBytes / t.carriersBytes)} of its carrier memory is in single-block carriers`,
      explanation:
        `Blocks above the single-block carrier threshold (sbct) each get their own carrier, one mmap/malloc call apiece. ` +
        `If they are common, raise +M${flag}sbct and +M${flag}lmbcs so they fit in multiblock carriers (recon_alloc:sbcs_to_mbcs).`,
      evidence: [`sbcs: ${t.sbcsBlocks} blocks, ${formatBytes(t.sbcsBlocksBytes)} in ${formatBytes(t.sbcsCarriersBytes)} of carriers`, ...(opts ? [`options in force: ${opts}`] : [])],
      subject: { kind: 'allocator', id: t.type },
      metrics: { sbcsCarriersBytes: t.sbcsCarriersBytes, carriersBytes: t.carriersBytes, sbcsBlocks: t.sbcsBlocks, thresholdShare: T.sbcsShare },
    });
  }

  // mseg cache hit rate, recon's 0.80.
  for (const r of cacheHitRates(model)) {
    if (r.calls < T.msegMinCalls || !(r.hit_rate < T.msegHitRate)) continue;
    const m = model.mseg.find((x) => x.instance === r.instance);
    const mcs = m?.options.mcs;
    out.push({
      id: 'alloc.mseg-cache',
      // recon's line is 0.80; a missing cache costs mmap calls, not memory: never more than a warning
      // (check's mseg-hit-rate, with its defaults, says the same).
      severity: 'warning',
      title: `mseg_alloc[${r.instance}]: segment cache hit rate ${formatPercent(r.hit_rate)} (recon: usually above 80%)`,
      explanation:
        'Most carrier allocations missed the segment cache and went to the OS (mmap/munmap). Unless memory use is expected to be spiky, ' +
        // amcbf and rmcbf are the cache's "bad fit": how much larger than the request a cached
        // segment may be and still be reused (OTP's erts_alloc: defaults 4096 KB and 20%).
        (mcs !== undefined && Number(mcs) >= MSEG_MAX_CACHED
          ? `the number of cached segments is at its maximum already (+MMmcs ${String(mcs)}): what is left is how much larger than the request a cached segment may be and still be reused (+MMamcbf, now ${m?.options.amcbf !== undefined ? formatBytes(Number(m.options.amcbf)) : 'not shown'}, default 4 MiB; +MMrmcbf, now ${m?.options.rmcbf !== undefined ? `${String(m.options.rmcbf)}%` : 'not shown'}, default 20%), or fewer carrier allocations (larger +M<S>smbcs, +M<S>mbcgs).`
          : `raise the number of cached segments first (+MMmcs${mcs !== undefined ? `, now ${String(mcs)}` : ''}, at most ${MSEG_MAX_CACHED}), then how much larger than the request a cached segment may be and still be reused (+MMrmcbf %, +MMamcbf KB).`),
      evidence: [`${r.hits} hits in ${r.calls} mseg_alloc calls`, ...(m ? [`options in force: ${Object.entries(m.options).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`] : [])],
      subject: { kind: 'allocator', id: `mseg_alloc[${r.instance}]` },
      metrics: { hitRate: r.hit_rate, hits: r.hits, calls: r.calls, thresholdHitRate: T.msegHitRate },
    });
  }

  // Usage near 100%: not fragmentation, just memory in use ("Erlang in Anger" 7.4 step 1).
  const nodeUsage = usage(totalBlocks, total);
  if (total > 0 && nodeUsage >= T.healthyUsage && !out.some((f) => f.id === 'alloc.fragmented' || f.id === 'alloc.logplex-pattern')) {
    out.push({
      id: 'alloc.not-fragmented',
      severity: 'info',
      title: `Allocators are ${formatPercent(nodeUsage)} used: no fragmentation to speak of`,
      explanation: 'Carrier memory is nearly all in use by blocks; if the node is large, it is holding data, not wasting carriers.',
      evidence: [`${formatBytes(totalBlocks)} of blocks in ${formatBytes(total)} of carriers over all allocator types`],
      metrics: { usage: nodeUsage, carriersBytes: total, blocksBytes: totalBlocks, thresholdUsage: T.healthyUsage },
    });
  }
  return out;
}
