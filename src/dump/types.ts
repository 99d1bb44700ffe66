import type { NumberColumn, PidColumn, TextColumn } from './process-table.js';
/**
 * The crash-dump model: what one sequential pass over an `erl_crash.dump` yields.
 *
 * Units are in the names. Word-sized fields of the dump are converted to bytes once, here in the
 * model, with the dump's word size; nothing downstream multiplies by the word size again.
 */

/** A count of bytes. */
export type Bytes = number;
/** A count of machine words (4 or 8 bytes); only seen inside parsers. */
export type Words = number;

export interface DumpHeader {
  /** The number on line 1, e.g. "0.5". */
  dumpVersion: string;
  /** Line 2, the `ctime()` creation time as written (local time of the crashed node). */
  created?: string;
  /** `The error occurred in file F, line N`, when present. */
  errorLocation?: string;
  slogan: string;
  systemVersion?: string;
  /** "25", "R15B02", ... as parsed from the system version. */
  otpRelease?: string;
  erts?: string;
  wordSize: 4 | 8;
  /** True when the system version did not say `[64-bit]` or was missing and 8 was assumed. */
  wordSizeAssumed: boolean;
  schedulers?: { total: number; online: number };
  dirtySchedulers?: { cpu: number; cpuOnline: number; io: number };
  jit: boolean;
  compiled?: string;
  taints: string[];
  atoms?: number;
  callingThread?: string;
}

export interface HashTableRecord {
  name: string;
  size: number;
  used: number;
  objs: number;
  depth: number;
}

export interface IndexTableRecord {
  name: string;
  size: number;
  limit: number;
  /** `entries` (R11+); `used` in R10B dumps. */
  entries: number;
}

export interface AllocatedAreaRecord {
  name: string;
  allocatedBytes: Bytes;
  usedBytes?: Bytes;
}

/**
 * One `=allocator:ID` section, kept close to the text: the allocator analysis (src/alloc) turns
 * these into its allocator model. Values are the whitespace-separated tokens after `key: `.
 */
export interface RawAllocatorSection {
  /** The section id as written: `binary_alloc[1]`, `sys_alloc`, `erts_mmap.default_mmap`. */
  id: string;
  /** `binary_alloc`, `mseg_alloc`, `erts_mmap.default_mmap` ... */
  name: string;
  /** The instance number in brackets, or null for sections without one. */
  instance: number | null;
  entries: Array<{ key: string; values: string[] }>;
}

export type ProcessState = string;

/**
 * One process as an object. The model keeps processes in columns (ProcessTable); use
 * `processAt(table, i)` to get this view of row i.
 */
export interface ProcessRecord {
  pid: string;
  state: ProcessState;
  name?: string;
  spawnedAs?: string;
  spawnedBy?: string;
  /** `Current call` or `Last scheduled in for`. */
  currentCall?: string;
  startedAt?: string;
  messageQueueLength: number;
  reductions: number;
  /** `Memory:` (dump 0.2+), else stack+heap + old heap, see memoryDerived. */
  memoryBytes: Bytes;
  memoryDerived: boolean;
  stackHeapBytes: Bytes;
  oldHeapBytes: Bytes;
  heapUnusedBytes: Bytes;
  oldHeapUnusedBytes: Bytes;
  /** Refc binary bytes referenced from the young heap (OTP 21+), NaN when not in the dump. */
  binVHeapBytes: Bytes;
  oldBinVHeapBytes: Bytes;
  heapFragments: number;
  heapFragmentBytes: Bytes;
  links: number;
  monitors: number;
  monitoredBy: number;
  programCounter?: string;
  internalState?: string;
  arity?: number;
}

export interface ProcessTable {
  count: number;
  /** Read a row's pid with `pid.at(i)`: packed into numbers, not a string per process. */
  pid: PidColumn;
  /** Text columns hold codes into their distinct values: `state.at(i)` (undefined: not in the dump). */
  state: TextColumn;
  name: TextColumn;
  spawnedAs: TextColumn;
  spawnedBy: TextColumn;
  currentCall: TextColumn;
  programCounter: TextColumn;
  internalState: TextColumn;
  messageQueueLength: NumberColumn;
  reductions: NumberColumn;
  memoryBytes: NumberColumn;
  memoryDerived: Uint8Array;
  stackHeapBytes: NumberColumn;
  oldHeapBytes: NumberColumn;
  heapUnusedBytes: NumberColumn;
  oldHeapUnusedBytes: NumberColumn;
  binVHeapBytes: NumberColumn;
  oldBinVHeapBytes: NumberColumn;
  heapFragments: NumberColumn;
  heapFragmentBytes: NumberColumn;
  links: NumberColumn;
  monitors: NumberColumn;
  monitoredBy: NumberColumn;
}

export type PortKind = 'tcp' | 'udp' | 'sctp' | 'file' | 'external process' | 'forker' | 'fd' | 'driver' | 'unknown';

export interface PortRecord {
  id: string;
  state?: string;
  slot?: number;
  connected?: string;
  name?: string;
  /** What is behind the port, from its `Port controls ...` / `Port is ...` line: `linked-in driver: tcp_inet`. */
  controls?: string;
  kind: PortKind;
  /** The driver or command name from `controls`. */
  driver?: string;
  inputBytes?: Bytes;
  outputBytes?: Bytes;
  queueBytes?: Bytes;
  links: number;
  portData?: string;
}

export interface EtsRecord {
  owner: string;
  table: string;
  name: string;
  type?: string;
  protection?: string;
  objects: number;
  /** `Words` x word size; NaN when the dump says -1. */
  memoryBytes: Bytes;
  buckets?: number;
  chainLengthMax?: number;
  compressed?: boolean;
}

export interface NodeConnection {
  kind: 'visible' | 'hidden' | 'not_connected';
  channel: string;
  name?: string;
  controller?: string;
  creation?: string;
  remoteLinks: number;
  remoteMonitors: number;
  remotelyMonitoredBy: number;
}

export interface DistributionInfo {
  /** The `=node` id, e.g. `'rabbit@host'`; undefined when the section was not reached. */
  thisNode?: string;
  /** False when `=no_distribution` was seen; undefined when unknown (truncated before). */
  distributed?: boolean;
  connections: NodeConnection[];
}

export interface ModuleRecord {
  name: string;
  currentSizeBytes: Bytes;
  oldSizeBytes: Bytes;
}

export interface SchedulerRecord {
  type: 'normal' | 'dirty_cpu' | 'dirty_io';
  id: number;
  sleepFlags?: string;
  sleepAuxWork?: string;
  currentProcess?: string;
  currentPort?: string;
  /** Max + high + normal + low run-queue lengths (processes). */
  runQueueProcesses: number;
  runQueuePorts: number;
  runQueueFlags?: string;
  currentProcessState?: string;
  currentProcessStack: string[];
  crashed: boolean;
}

export interface RunQueueRecord {
  type: 'dirty_cpu' | 'dirty_io';
  processes: number;
  flags?: string;
}

export interface BinaryIndex {
  count: number;
  totalBytes: Bytes;
  /** Addresses of the `=binary:ADDR` sections, parsed from hex (exact below 2^53), in file order. */
  address: Float64Array;
  /**
   * Where some binaries' bodies (`SIZE:DATA` lines) start: `bodyOffset[k]` is that of binary
   * `row[k]`, rows ascending, one at least every 16 binaries. A payload is found from the
   * checkpoint before it: payloads are read for a few printed terms only, and an offset per
   * binary would be 8 more bytes for each of millions.
   */
  checkpoints: { row: Float64Array; bodyOffset: Float64Array };
  /** Payload bytes (`.at(row)`); NaN when the dump was cut before the section's size. */
  sizeBytes: NumberColumn;
}

export interface TruncationInfo {
  truncated: boolean;
  /** `=abort:REASON` text when the writer stopped on purpose (ERL_CRASH_DUMP_BYTES). */
  abortReason?: string;
  /** True when the last line had no newline: the writer was cut mid-line. */
  cutMidLine: boolean;
  /** The last tag seen (other than `=abort`) and its id. */
  lastTag?: string;
  lastId?: string;
  /** Byte offset where the data stops. */
  bytesRead: number;
  /**
   * A read of the early sections only (`alloc`) that reached the first later one: the early
   * sections are whole, and lastTag is where that read stopped, not where a cut is.
   */
  earlyWhole?: true;
  /** For gzip input: why decompression stopped early (the data before it is still read). */
  compressedInputError?: string;
  /**
   * The gzip trailer (CRC-32 or length) did not match although all the data decompressed: the
   * dump was read whole, as zcat reads it, and this says what was wrong.
   */
  compressedTrailerError?: string;
}

/** Where a section lies in the (decompressed) dump: body from offset, length bytes. */
export interface SectionRef {
  tag: string;
  id: string;
  /** First byte of the body, after the tag line. */
  offset: number;
  /** Bytes of body, up to the next tag line (or the end). */
  length: number;
}

export interface DumpSource {
  /** The path, or "-" for standard input. */
  path: string;
  /** True for a gzip dump (kept beside `compression`, which says the same of every format). */
  gzip: boolean;
  /** The format a compressed dump was read from (compression.ts); absent for plain text. */
  compression?: import('./compression.js').Compression;
  /**
   * The file that the section offsets point into when it is not `path`: the decompressed copy of
   * a compressed dump or of standard input (spool.ts), there until the process ends.
   */
  spool?: string;
  /** Why a compressed dump or standard input was not spooled when that was asked (no room, ...). */
  notSpooled?: string;
  /** Bytes of dump text (after decompression). */
  bytes: number;
  /** True when the index offsets can be used to re-read sections (plain regular file). */
  seekable: boolean;
  /** Threads that read it: more than 1 when byte ranges of a big plain file were read at once. */
  threads: number;
  /**
   * What was read (ReadOptions.want): 'allocators' when the read stopped after the header,
   * `=memory` and the allocator sections, so everything else in the model is empty.
   */
  read?: 'all' | 'allocators';
  /** True when the model came from the saved index (index-file.ts) instead of a scan. */
  fromIndex?: boolean;
}

/**
 * What re-reading a section by offset needs, said for the input at hand: a file on disk, or a
 * compressed dump or standard input that was spooled to one (ReadOptions.spool, `--spool DIR`).
 */
export function notSeekableBecause(source: Pick<DumpSource, 'path'> & { gzip?: boolean; compression?: string; notSpooled?: string }): string {
  if (source.notSpooled) return `its decompressed bytes on disk, but ${source.notSpooled}: pass --spool DIR with room for them`;
  if (source.path === '-') return 'a dump file on disk: standard input is read back from a temporary copy (--spool DIR), which was not made here';
  if (source.gzip || source.compression) return `a plain file on disk: a ${source.compression ?? 'gzip'} dump is read back from a temporary decompressed copy (--spool DIR), which was not made here`;
  return 'a regular file on disk that can be read again at any offset';
}

/** The file to re-read sections from by offset: the dump itself, or its decompressed spool. */
export function dataPath(source: Pick<DumpSource, 'path' | 'spool'>): string {
  return source.spool ?? source.path;
}

/** The key of `Dump.unknown.tags` under which the unknown tags past the first 200 are counted together. */
export const OTHER_TAGS = '(other tags)';

export interface Dump {
  source: DumpSource;
  header: DumpHeader;
  /** `=memory`, bytes by kind (`total`, `processes`, `binary`, ...). */
  memory: Record<string, Bytes>;
  hashTables: HashTableRecord[];
  indexTables: IndexTableRecord[];
  allocatedAreas: AllocatedAreaRecord[];
  allocators: RawAllocatorSection[];
  processes: ProcessTable;
  ports: PortRecord[];
  ets: EtsRecord[];
  timers: { count: number; byOwner: Record<string, number> };
  distribution: DistributionInfo;
  loadedModules: { currentCodeBytes?: Bytes; oldCodeBytes?: Bytes; modules: ModuleRecord[] };
  funCount: number;
  schedulers: SchedulerRecord[];
  runQueues: RunQueueRecord[];
  persistentTermCount: number;
  binaries: BinaryIndex;
  atoms: { count: number; newest: string[] };
  /** Number of section headers per tag as they appear in the file (`proc`, `ets`, `port`, ...). */
  sectionCounts: Record<string, number>;
  /** Values no VM writes, left out of the model (NaN there): how many, and the first few. */
  corruptValues: { count: number; examples: Array<{ where: string; key: string; value: string }> };
  /** Tags the reader does not know, and `Key:` lines no parser knew, with counts. */
  /** Sections of tags and keys no VM is known to write, by name (tags past 200 under OTHER_TAGS, keys past 200 left out). */
  unknown: { tags: Record<string, number>; keys: Record<string, number> };
  truncation: TruncationInfo;
  index: import('./section-index.js').SectionIndex;
}
