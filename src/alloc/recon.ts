/**
 * recon_alloc parity: the numbers `recon_alloc` (ferd/recon 2.5.x) gives, computed from the allocator
 * model with recon's formulas, scope and ordering, so that they can be compared number for number.
 *
 * recon's definitions (reference recon-and-allocators.md section 2):
 * - scope: only the nine allocators of `?UTIL_ALLOCATORS` (literal_alloc, exec_alloc, mseg, sys_alloc
 *   and erts_mmap are left out);
 * - `container_value`: sbcs -> the sbcs column; mbcs/current -> mbcs current + mbcs_pool;
 *   mbcs/max -> the mbcs max column (the pool has no max);
 * - `usage(0, 0) = 1.0`, otherwise B / C.
 * Floating-point arithmetic is done in the same order as recon's so that weights, and therefore the
 * sort order, are bit-identical (both use IEEE doubles).
 */
import { type AllocatorInstance, type AllocatorModel, RECON_UTIL_ALLOCATORS } from './model.js';

export type Keyword = 'current' | 'max';
/** A carrier or block figure of an allocator instance, as recon names it. */
export type ContainerKey = 'blocks' | 'blocksBytes' | 'carriers' | 'carriersBytes';

export interface FragmentationEntry {
  allocator: string;
  instance: number;
  sbcs_usage: number;
  mbcs_usage: number;
  sbcs_block_size: number;
  sbcs_carriers_size: number;
  mbcs_block_size: number;
  mbcs_carriers_size: number;
}

export interface CacheHitRateEntry {
  instance: number;
  hit_rate: number;
  hits: number;
  calls: number;
}

export interface SbcsToMbcsEntry {
  allocator: string;
  instance: number;
  /** sbcs blocks / mbcs blocks; 0 when both are 0; the string "infinity" when only mbcs is 0. */
  ratio: number | 'infinity';
}

export interface ReconMemory {
  used: number;
  allocated: number;
  unused: number;
  usage: number;
  allocated_types: Record<string, number>;
  allocated_instances: Record<string, number>;
}

/** The `recon` object of `beamscope alloc --format json`: the shape of the oracle's expected.json. */
export interface ReconReport {
  memory: ReconMemory;
  fragmentation: { current: FragmentationEntry[]; max: FragmentationEntry[] };
  cache_hit_rates: CacheHitRateEntry[];
  average_block_sizes: { current: Record<string, { mbcs: number | null; sbcs: number | null }>; max: Record<string, { mbcs: number | null; sbcs: number | null }> };
  sbcs_to_mbcs: { current: SbcsToMbcsEntry[]; max: SbcsToMbcsEntry[] };
}

/** recon's `util_alloc()`: the instances of the nine util allocators that have carrier statistics, in source order. */
export function reconUtilInstances(model: AllocatorModel): AllocatorInstance[] {
  return model.allocators.filter((a) => RECON_UTIL_ALLOCATORS.includes(a.allocator) && a.mbcs && a.sbcs);
}

export function containerValue(inst: AllocatorInstance, kw: Keyword, kind: 'sbcs' | 'mbcs', key: ContainerKey): number {
  if (kind === 'sbcs') return inst.sbcs ? inst.sbcs[key][kw] : 0;
  if (!inst.mbcs) return 0;
  if (kw === 'max') return inst.mbcs[key].max;
  return inst.mbcs[key].current + (inst.mbcsPool ? inst.mbcsPool[key] : 0);
}

export function containerSize(inst: AllocatorInstance, kw: Keyword, key: ContainerKey): number {
  return containerValue(inst, kw, 'sbcs', key) + containerValue(inst, kw, 'mbcs', key);
}

/**
 * recon's `usage/2`. With carriers 0 and blocks > 0 recon divides by zero and crashes; beamscope
 * returns NaN there (null in JSON) instead.
 */
export function usage(blocks: number, carriers: number): number {
  if (blocks === 0 && carriers === 0) return 1.0;
  if (carriers === 0) return NaN;
  return blocks / carriers;
}

export function reconMemory(model: AllocatorModel, kw: Keyword = 'current'): ReconMemory {
  const insts = reconUtilInstances(model);
  let used = 0;
  let allocated = 0;
  const types: Record<string, number> = {};
  const instances = new Map<number, number>();
  for (const i of insts) {
    used += containerSize(i, kw, 'blocksBytes');
    const c = containerSize(i, kw, 'carriersBytes');
    allocated += c;
    types[i.allocator] = (types[i.allocator] ?? 0) + c;
    instances.set(i.instance, (instances.get(i.instance) ?? 0) + c);
  }
  // orddicts: sorted by allocator name / by instance number.
  const allocated_types: Record<string, number> = {};
  for (const k of Object.keys(types).sort(cmpText)) allocated_types[k] = types[k];
  const allocated_instances: Record<string, number> = {};
  for (const k of [...instances.keys()].sort((a, b) => a - b)) allocated_instances[String(k)] = instances.get(k)!;
  return { used, allocated, unused: allocated - used, usage: used / allocated, allocated_types, allocated_instances };
}

/** recon's `memory(Key, Keyword)` for one key. */
export function memory(model: AllocatorModel, key: keyof ReconMemory, kw: Keyword = 'current'): ReconMemory[typeof key] {
  return reconMemory(model, kw)[key];
}

export function fragmentation(model: AllocatorModel, kw: Keyword): FragmentationEntry[] {
  const rows = reconUtilInstances(model).map((i) => {
    const bs = containerValue(i, kw, 'sbcs', 'blocksBytes');
    const cs = containerValue(i, kw, 'sbcs', 'carriersBytes');
    const bm = containerValue(i, kw, 'mbcs', 'blocksBytes');
    const cm = containerValue(i, kw, 'mbcs', 'carriersBytes');
    const su = usage(bs, cs);
    const mu = usage(bm, cm);
    // recon: Weight = (1.00 - SbcsUsage)*SbcsCarrierSize + (1.00 - MbcsUsage)*MbcsCarrierSize.
    let weight = (1.0 - su) * cs + (1.0 - mu) * cm;
    if (Number.isNaN(weight)) weight = 0;
    const entry: FragmentationEntry = {
      allocator: i.allocator,
      instance: i.instance,
      sbcs_usage: su,
      mbcs_usage: mu,
      sbcs_block_size: bs,
      sbcs_carriers_size: cs,
      mbcs_block_size: bm,
      mbcs_carriers_size: cm,
    };
    return { weight, entry };
  });
  // lists:reverse(lists:sort([{Weight, {Alloc, N}, Vals}])): descending weight, then key descending.
  rows.sort((a, b) => b.weight - a.weight || cmpKey(b.entry, a.entry));
  return rows.map((r) => r.entry);
}

export function cacheHitRates(model: AllocatorModel): CacheHitRateEntry[] {
  const rows = model.mseg
    .filter((m) => m.cacheHits !== undefined && m.calls.mseg_alloc !== undefined)
    .map((m) => {
      const hits = m.cacheHits!;
      const calls = m.calls.mseg_alloc;
      const hit_rate = usage(hits, calls);
      const weight = (1.0 - hit_rate) * calls;
      return { weight, entry: { instance: m.instance, hit_rate, hits, calls } };
    });
  rows.sort((a, b) => b.weight - a.weight || b.entry.instance - a.entry.instance);
  return rows.map((r) => r.entry);
}

export function averageBlockSizes(model: AllocatorModel, kw: Keyword): Record<string, { mbcs: number | null; sbcs: number | null }> {
  const acc = new Map<string, { mc: number; ms: number; sc: number; ss: number }>();
  for (const i of reconUtilInstances(model)) {
    const a = acc.get(i.allocator) ?? { mc: 0, ms: 0, sc: 0, ss: 0 };
    a.sc += containerValue(i, kw, 'sbcs', 'blocks');
    a.ss += containerValue(i, kw, 'sbcs', 'blocksBytes');
    a.mc += containerValue(i, kw, 'mbcs', 'blocks');
    a.ms += containerValue(i, kw, 'mbcs', 'blocksBytes');
    acc.set(i.allocator, a);
  }
  // recon: {0,0} -> 0, else Size/Count (a count of 0 with a size would crash recon; null here).
  const avg = (size: number, count: number): number | null => (size === 0 && count === 0 ? 0 : count === 0 ? null : size / count);
  const out: Record<string, { mbcs: number | null; sbcs: number | null }> = {};
  for (const k of [...acc.keys()].sort(cmpText)) {
    const a = acc.get(k)!;
    out[k] = { mbcs: avg(a.ms, a.mc), sbcs: avg(a.ss, a.sc) };
  }
  return out;
}

export function sbcsToMbcs(model: AllocatorModel, kw: Keyword): SbcsToMbcsEntry[] {
  const rows: SbcsToMbcsEntry[] = reconUtilInstances(model).map((i) => {
    const s = containerValue(i, kw, 'sbcs', 'blocks');
    const m = containerValue(i, kw, 'mbcs', 'blocks');
    const ratio: number | 'infinity' = s === 0 && m === 0 ? 0 : m === 0 ? 'infinity' : s / m;
    return { allocator: i.allocator, instance: i.instance, ratio };
  });
  // Erlang term order puts the atom `infinity` above every number; then key descending.
  const rank = (r: number | 'infinity') => (r === 'infinity' ? Infinity : r);
  rows.sort((a, b) => rank(b.ratio) - rank(a.ratio) || cmpKey(b, a) || 0);
  return rows;
}

/** Everything recon gives, in the keys and shapes of the oracle's expected.json. */
export function reconReport(model: AllocatorModel): ReconReport {
  return {
    memory: reconMemory(model, 'current'),
    fragmentation: { current: fragmentation(model, 'current'), max: fragmentation(model, 'max') },
    cache_hit_rates: cacheHitRates(model),
    average_block_sizes: { current: averageBlockSizes(model, 'current'), max: averageBlockSizes(model, 'max') },
    sbcs_to_mbcs: { current: sbcsToMbcs(model, 'current'), max: sbcsToMbcs(model, 'max') },
  };
}

/** Atom order: Erlang compares atoms by their characters. */
function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `{Alloc, N}` in Erlang term order. */
function cmpKey(a: { allocator: string; instance: number }, b: { allocator: string; instance: number }): number {
  return cmpText(a.allocator, b.allocator) || a.instance - b.instance;
}
