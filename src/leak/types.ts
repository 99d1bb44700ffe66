/**
 * The reports of `beamscope/leak`: refc-binary holders and stale references in a crash dump,
 * bin_leak deltas and growth between process snapshots, and what grew between two dumps.
 * Every field is JSON-serialisable; bytes and counts carry their unit in the name.
 */
import type { Finding } from '../findings.js';

export type Bytes = number;

// ---- from a crash dump ------------------------------------------------------------------------

export interface BinaryHolder {
  pid: string;
  /** Registered name, null when none. */
  name: string | null;
  /** `Spawned as`, or the real initial call of a proc_lib process when its dictionary was read. */
  initialCall: string | null;
  /** Bytes of the distinct refc binaries its dumped heap references (sizes from `=binary`). */
  reachableBytes: Bytes;
  /** Of those, bytes of binaries no other heap (nor `=literals`) references. */
  exclusiveBytes: Bytes;
  sharedBytes: Bytes;
  /** Distinct binaries referenced. */
  binaries: number;
  /** `Yc`/`Ys` lines pointing at them (one binary can be referenced many times). */
  references: number;
  /** `BinVHeap` + `OldBinVHeap` in bytes (NaN when the dump has no such fields). */
  vheapBytes: Bytes;
  /** With `--syntax elixir`: the name and initial call as Elixir writes them (src/elixir). */
  elixir?: ElixirNames;
}

/** Names as Elixir writes them (`--syntax elixir`). */
export interface ElixirNames {
  name?: string;
  initialCall?: string;
}

export interface StaleEstimate {
  pid: string;
  /** Registered name, null when none. */
  name: string | null;
  initialCall: string | null;
  /**
   * vheapBytes - reachableAccountedBytes - queuedToPortsBytes (never below 0): what a garbage
   * collection would likely release.
   */
  staleBytes: Bytes;
  /** `BinVHeap` + `OldBinVHeap`, bytes: refc binary bytes the VM accounts to the process. */
  vheapBytes: Bytes;
  binVHeapBytes: Bytes;
  oldBinVHeapBytes: Bytes;
  reachableBytes: Bytes;
  /** reachableBytes as the vheap counts them: once per ProcBin (`Yc` line), so a binary held twice counts twice. */
  reachableAccountedBytes: Bytes;
  /**
   * What the output queues of the ports it owns (is the connected process of) hold: binaries it sent
   * stay there until written, whatever its GC, though its BinVHeap counts them until it collects.
   */
  queuedToPortsBytes: Bytes;
  /** staleBytes / `=memory` binary. */
  shareOfBinaryMemory: number;
  /** False when the process has no heap in the dump: then reachable is unknown and staleBytes an upper bound. */
  heapDumped: boolean;
  /**
   * False when what its heap reaches is not all in the dump (no heap; a dump cut in its heap, or
   * before the =binary sections it refers to): reachable is then too small, staleBytes an upper bound.
   */
  reachableKnown: boolean;
  /** Large in bytes and in share of binary memory (see LeakThresholds). */
  flagged: boolean;
  /** With `--syntax elixir`: the name and initial call as Elixir writes them. */
  elixir?: ElixirNames;
}

export interface StaleGroup {
  /** The initial call shared by the group. */
  key: string;
  count: number;
  staleBytes: Bytes;
  vheapBytes: Bytes;
  reachableBytes: Bytes;
  shareOfBinaryMemory: number;
  /** The member with the most stale bytes. */
  largest: { pid: string; name: string | null; staleBytes: Bytes };
  /** With `--syntax elixir`: the key and the largest member's name in Elixir syntax. */
  elixir?: { key: string; largestName?: string };
  /**
   * What the members not flagged one by one hold: a group finding is made of this only, so that
   * no stale byte is counted in two findings.
   */
  unflagged: { count: number; staleBytes: Bytes; shareOfBinaryMemory: number };
  flagged: boolean;
}

export interface BinaryAccounting {
  /** `=memory` `binary`, bytes (undefined when the dump has no `=memory`). */
  memoryBinaryBytes?: Bytes;
  /** Sum of the `=binary` sections' sizes and their number. */
  binarySectionsBytes: Bytes;
  binarySections: number;
  /** Of the `=binary` sections: referenced by a process heap, only by `=literals`, by nobody. */
  heldByProcessesBytes: Bytes;
  literalOnlyBytes: Bytes;
  unreferencedBytes: Bytes;
  /** memoryBinaryBytes - binarySectionsBytes: binary memory the dump does not show (stale references, ETS, ports, processes without a deep dump). */
  notInDumpBytes?: Bytes;
  /**
   * What =memory binary counts for the =binary sections beyond their bytes: each one's header and
   * rounding (binary-headers.ts: 40 bytes and up to 8, as OTP 25 on 64 bits counts them), an
   * estimate; part of notInDumpBytes. Absent for a 32-bit dump.
   */
  headerEstimateBytes?: Bytes;
  /** Sum of all processes' stale estimates (heap-dumped processes only): the part of notInDumpBytes a GC of every process would likely free. */
  staleEstimateBytes: Bytes;
  /** Sum of `BinVHeap` + `OldBinVHeap` over all processes. */
  vheapBytes: Bytes;
  /** The ports' output queues (`Queue:` of `=port`), in all, and the ports with any: binaries no heap refers to, part of notInDumpBytes. */
  portQueueBytes: Bytes;
  portQueues: number;
}

/** What the dump leak rules read: the report (its lists complete, before they are cut to `top`) and how many rows to flag. */
export interface LeakFacts {
  report: DumpLeakReport;
  top: number;
}

export interface LeakThresholds {
  /** A stale estimate (process or group) is flagged at this many bytes or more (default 512 KiB)... */
  staleMinBytes: Bytes;
  /** ...and at least this share of `=memory` binary (default 0.05). */
  staleMinShare: number;
  /** ...and critical at this share (default 0.5). */
  staleCriticalShare: number;
  /** Binary memory not in the dump is worth a finding from this share of `=memory` binary (default 0.2) and 1 MiB. */
  notInDumpMinShare: number;
}

export interface DumpLeakReport {
  schemaVersion: 1;
  kind: 'dump';
  source: { path: string; bytes: Bytes };
  wordSize: number;
  /** False for dumps older than OTP 21 (no `BinVHeap` fields): no stale estimates. */
  hasBinVHeap: boolean;
  processes: { total: number; heapDumped: number; withVHeap: number };
  /**
   * Present when the dump is cut: where, whether before the end of its =binary sections, and how
   * many processes with a heap in it reach what the dump does not have (StaleEstimate.reachableKnown).
   */
  truncation?: { bytesRead: Bytes; binariesCut: boolean; reachUnknown: number };
  binaries: BinaryAccounting;
  /** By reachableBytes, largest first (top N). */
  holders: BinaryHolder[];
  /** By staleBytes, largest first (top N, only > 0). */
  staleEstimates: StaleEstimate[];
  /** Processes grouped by initial call, by staleBytes, largest first (top N). */
  groups: StaleGroup[];
  thresholds: LeakThresholds;
  heapScan: { sections: number; bytes: Bytes; seconds?: number };
  notes: string[];
  findings: Finding[];
  /** Set when names are also given in Elixir syntax (`--syntax`); absent for Erlang. */
  syntax?: { name: 'elixir'; reason: string };
}

// ---- between process snapshots ----------------------------------------------------------------

/** One process of a snapshot, reduced to what the comparison needs. */
export interface ProcessBinarySummary {
  pid: string;
  name?: string;
  initialCall?: string;
  currentFunction?: string;
  /** Entries of `process_info(P, binary)`: references, not distinct binaries. */
  refs: number;
  /** Sum of their sizes (recon's `binary_memory`). */
  bytes: Bytes;
  memoryBytes?: Bytes;
  messageQueueLen?: number;
}

export interface SnapshotMeta {
  path: string;
  format: 'jsonl' | 'json-array';
  processes: number;
  refs: number;
  bytes: Bytes;
  /** The optional first record without a pid (`schema`, `node`, `phase`, `takenAt`, ...). */
  meta?: Record<string, unknown>;
}

export interface ProcessDelta {
  pid: string;
  /** Registered name, null when none. */
  name: string | null;
  initialCall: string | null;
  refsBefore: number;
  refsAfter: number;
  bytesBefore: Bytes;
  bytesAfter: Bytes;
  /** refsBefore - refsAfter: recon bin_leak's value with the sign turned (positive = freed). */
  freedRefs: number;
  freedBytes: Bytes;
}

export interface ProcessGrowth {
  pid: string;
  /** Registered name, null when none. */
  name: string | null;
  initialCall: string | null;
  refsBefore: number;
  refsAfter: number;
  bytesBefore: Bytes;
  bytesAfter: Bytes;
  growthRefs: number;
  growthBytes: Bytes;
  memoryBytesBefore?: Bytes;
  memoryBytesAfter?: Bytes;
  /** Present only in the after snapshot. */
  isNew: boolean;
}

export interface GroupGrowth {
  /** Initial call. */
  key: string;
  countBefore: number;
  countAfter: number;
  refsBefore: number;
  refsAfter: number;
  bytesBefore: Bytes;
  bytesAfter: Bytes;
  growthRefs: number;
  growthBytes: Bytes;
  memoryBytesBefore: Bytes;
  memoryBytesAfter: Bytes;
}

export interface SnapshotLeakReport {
  schemaVersion: 1;
  kind: 'snapshots';
  before: SnapshotMeta;
  after: SnapshotMeta;
  /** Processes in both snapshots, only in before (exited), only in after (new). */
  matched: number;
  onlyBefore: number;
  onlyAfter: number;
  totals: { freedRefs: number; freedBytes: Bytes; growthRefs: number; growthBytes: Bytes };
  /** bin_leak: processes in both snapshots with freedRefs > 0, largest first (top N). */
  deltas: ProcessDelta[];
  /** Processes whose referenced bytes grew, largest first (top N). */
  growth: ProcessGrowth[];
  /** By initial call, largest growth first (top N). */
  groups: GroupGrowth[];
  notes: string[];
  findings: Finding[];
}

// ---- between two dumps --------------------------------------------------------------------------

export interface DiffValue {
  before: number;
  after: number;
  delta: number;
}

export interface GroupDiff {
  /** Initial call (`Spawned as`), or a registered-name pattern such as `worker_N`. */
  key: string;
  by: 'initial-call' | 'name';
  count: DiffValue;
  memoryBytes: DiffValue;
  messageQueueLength: DiffValue;
  binVHeapBytes: DiffValue;
}

export interface EtsDiff {
  /** Table name (tables of the same name are summed). */
  name: string;
  tables: DiffValue;
  objects: DiffValue;
  memoryBytes: DiffValue;
}

export interface AllocatorDiff {
  type: string;
  carriersBytes: DiffValue;
  blocksBytes: DiffValue;
}

export interface DumpDiffReport {
  schemaVersion: 1;
  kind: 'diff';
  a: { path: string; created?: string; slogan: string; node?: string; systemVersion?: string };
  b: { path: string; created?: string; slogan: string; node?: string; systemVersion?: string };
  /** `=memory` by kind, largest growth first. */
  memory: Array<{ kind: string } & DiffValue>;
  processes: { count: DiffValue; memoryBytes: DiffValue; messageQueueLength: DiffValue };
  /** Largest growth in memory first (top N), plus groups whose count or queue grew the most. */
  groups: GroupDiff[];
  ets: EtsDiff[];
  binaries: { sections: DiffValue; sectionsBytes: DiffValue; memoryBinaryBytes: DiffValue };
  atoms: DiffValue;
  allocators: AllocatorDiff[];
  notes: string[];
  findings: Finding[];
}

// ---- one process snapshot -----------------------------------------------------------------------

export interface SnapshotHolder {
  pid: string;
  name: string | null;
  initialCall: string | null;
  /** References in `process_info(P, binary)` and the sum of their sizes (recon's binary_memory). */
  refs: number;
  bytes: Bytes;
  memoryBytes: Bytes | null;
}

export interface SnapshotHoldersReport {
  schemaVersion: 1;
  kind: 'snapshot';
  snapshot: SnapshotMeta;
  /** Largest bytes first (top N). */
  holders: SnapshotHolder[];
  /** Largest refs first (top N): where bin_leak would look. */
  byRefs: SnapshotHolder[];
  /** By initial call, largest bytes first (top N). */
  groups: Array<{ key: string; count: number; refs: number; bytes: Bytes }>;
  notes: string[];
  findings: import('../findings.js').Finding[];
}

/** Process snapshot records as the leak analyses take them: an array, or a stream (openSnapshot). */
export type SnapshotSource = Iterable<ProcessBinarySummary> | AsyncIterable<ProcessBinarySummary>;
