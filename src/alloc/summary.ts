/**
 * Per-type and per-instance summaries of carrier against block bytes: what the allocator rules
 * (src/alloc/rule-*.ts) and the reports read.
 */
import { type AllocatorInstance, type AllocatorModel, type Bytes, type OptionValue, RECON_UTIL_ALLOCATORS } from './model.js';
import { containerValue, usage } from './recon.js';

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

export function opt(i: AllocatorInstance | undefined, k: string): OptionValue | undefined {
  return i?.options[k];
}

/** Options of the first instance that has them, as `as=aoffcbf, lmbcs=5242880, ...`. */
export function optionsInForce(model: AllocatorModel, type: string, keys: string[]): { text: string; first?: AllocatorInstance } {
  const first = model.allocators.find((a) => a.allocator === type && a.instance > 0) ?? model.allocators.find((a) => a.allocator === type);
  const parts = keys.filter((k) => opt(first, k) !== undefined).map((k) => `${k}=${String(opt(first, k))}`);
  return { text: parts.join(', '), first };
}


/** What every allocator rule reads: the model and its summaries, computed once. */
export interface AllocatorFacts {
  model: AllocatorModel;
  /** summarizeByType: most unused bytes first. */
  types: TypeSummary[];
  /** summarizeInstances: most unused bytes first. */
  instances: InstanceSummary[];
  /** All carrier bytes of the node (every type). */
  carriersBytes: Bytes;
  /** All block bytes of the node. */
  blocksBytes: Bytes;
}

export function allocatorFacts(model: AllocatorModel): AllocatorFacts {
  const types = summarizeByType(model);
  return {
    model,
    types,
    instances: summarizeInstances(model),
    carriersBytes: types.reduce((s, t) => s + t.carriersBytes, 0),
    blocksBytes: types.reduce((s, t) => s + t.blocksBytes, 0),
  };
}
