/**
 * The allocator model: one shape for the allocator statistics of a BEAM node, whatever they were read
 * from (crash-dump `=allocator` sections, a recon_alloc snapshot, printed `system_info({allocator, A})`
 * output, or beamscope's JSON form). Every analyzer in src/alloc takes this model and nothing else.
 *
 * Units are in the names: `...Bytes` are bytes, counts are plain. The model is plain data and
 * JSON-serialisable (no BigInt): it is also the documented JSON input format (docs/alloc.md).
 */

/** A count of bytes. */
export type Bytes = number;

/**
 * The three columns erts prints for a statistic: the value now, the maximum since the previous
 * `system_info` call ("last max"), and the maximum since the node started. recon reads `current`
 * and `max` only.
 */
export interface Column {
  current: number;
  lastMax: number;
  max: number;
}

/** Blocks of one origin type living in this instance's carriers (OTP 23+ carrier migration). */
export interface OriginBlocks {
  origin: string;
  blocks: Column;
  blocksBytes: Column;
}

/** Statistics of one carrier kind (multiblock `mbcs` or single-block `sbcs`) of one instance. */
export interface CarrierStats {
  /** Blocks of every origin type, summed (what recon's `format_blocks` calls `blocks`). */
  blocks: Column;
  blocksBytes: Column;
  carriers: Column;
  carriersBytes: Column;
  msegCarriers?: number;
  sysAllocCarriers?: number;
  msegCarriersBytes?: Bytes;
  sysAllocCarriersBytes?: Bytes;
  /** OTP 23+: the per-origin split behind `blocks` / `blocksBytes`; absent on OTP <= 22. */
  byOrigin?: OriginBlocks[];
}

/** The abandoned-carrier pool (`mbcs_pool`, OTP 17+): current values only. */
export interface PoolStats {
  blocks: number;
  blocksBytes: Bytes;
  carriers: number;
  carriersBytes: Bytes;
  byOrigin?: Array<{ origin: string; blocks: number; blocksBytes: Bytes }>;
  /** Pool event counters (`fetch`, `skip_race`, ...), giga part folded in. */
  counters?: Record<string, number>;
}

/**
 * An option value: booleans and atoms as in `system_info`, integers as numbers. Integers beyond 2^53
 * (`mmmbc` and `mmc` are 2^64-1 by default) are kept as their exact decimal text.
 */
export type OptionValue = number | string | boolean;

/** One instance of an alloc_util allocator (`binary_alloc[1]`, `literal_alloc`, ...). */
export interface AllocatorInstance {
  /** `binary_alloc`, `eheap_alloc`, ... */
  allocator: string;
  /** 0 is the global instance (and the number of single-instance allocators); 1..S per scheduler. */
  instance: number;
  /** False when `option e` is false: the allocator is disabled and its traffic goes to sys_alloc. */
  enabled: boolean;
  options: Record<string, OptionValue>;
  /** Absent on disabled instances and on pre-alloc_util allocators (R10B `fix_alloc`). */
  mbcs?: CarrierStats;
  sbcs?: CarrierStats;
  mbcsPool?: PoolStats;
  /** Call counters by name (`binary_alloc`, `mseg_alloc`, ...): giga * 10^9 + count. */
  calls: Record<string, number>;
}

/** One mseg_alloc instance: the segment cache in front of mmap. */
export interface MsegInstance {
  instance: number;
  options: Record<string, OptionValue>;
  cachedSegments?: number;
  cacheHits?: number;
  segments?: Column;
  segmentsBytes?: Column;
  segmentsWatermark?: number;
  /** `mseg_alloc`, `mseg_dealloc`, `mseg_create`, ...: giga * 10^9 + count. */
  calls: Record<string, number>;
}

/** One erts_mmap area (`default_mmap`, `literal_mmap`, `exec_mmap`). */
export interface MmapArea {
  name: string;
  options: Record<string, OptionValue>;
  /** `os.used`, `supercarrier.total`, `supercarrier.used_sa`, `free_segs.reserved`, ...: sizes in bytes, segment counts. */
  values: Record<string, number>;
}

export type ModelSource = 'crash-dump' | 'recon-snapshot' | 'raw-snapshot' | 'system-info' | 'json';

export interface AllocatorModel {
  /** Marks the JSON form; readers check it. */
  schema: 'beamscope.alloc/1';
  source: ModelSource;
  /**
   * How block statistics were given: `per-origin` (OTP 23+ `blocks[TYPE]`), `flat` (OTP <= 22), or
   * `unknown` (no util allocator seen).
   */
  blockShape: 'per-origin' | 'flat' | 'unknown';
  /** `erlang:memory()` / the dump's `=memory`, bytes by kind, when the source has it. */
  erlangMemory?: Record<string, Bytes>;
  allocators: AllocatorInstance[];
  mseg: MsegInstance[];
  sysAllocOptions?: Record<string, OptionValue>;
  allocUtilOptions?: Record<string, OptionValue>;
  mmap: MmapArea[];
  /** Things the reader saw but does not model, e.g. `fix_alloc: proc: 6908 716` lines of R10B. */
  notes: string[];
  /**
   * A crash dump cut in its =allocator sections: the allocators are those written before the cut
   * (`lastSection`, the one it stopped in, may be partial).
   */
  cut?: { bytesRead: Bytes; lastSection?: string };
}

/** The util allocators recon's analysis is limited to (recon_alloc `?UTIL_ALLOCATORS`). */
export const RECON_UTIL_ALLOCATORS: readonly string[] = [
  'temp_alloc',
  'eheap_alloc',
  'binary_alloc',
  'ets_alloc',
  'driver_alloc',
  'sl_alloc',
  'll_alloc',
  'fix_alloc',
  'std_alloc',
];

/** The `+M<letter>` emulator flag letter of each allocator (erts_alloc(3)). */
export const ALLOCATOR_FLAG: Readonly<Record<string, string>> = {
  binary_alloc: 'B',
  std_alloc: 'D',
  ets_alloc: 'E',
  fix_alloc: 'F',
  eheap_alloc: 'H',
  literal_alloc: 'I',
  ll_alloc: 'L',
  mseg_alloc: 'M',
  driver_alloc: 'R',
  sl_alloc: 'S',
  temp_alloc: 'T',
  exec_alloc: 'X',
  sys_alloc: 'Y',
  test_alloc: 'Z',
};

export function emptyColumn(): Column {
  return { current: 0, lastMax: 0, max: 0 };
}

export function addColumns(a: Column, b: Column): Column {
  return { current: a.current + b.current, lastMax: a.lastMax + b.lastMax, max: a.max + b.max };
}

export function newModel(source: ModelSource): AllocatorModel {
  return { schema: 'beamscope.alloc/1', source, blockShape: 'unknown', allocators: [], mseg: [], mmap: [], notes: [] };
}
