import type { TypeSummary } from '../../alloc/index.js';
import type { Finding } from '../../findings.js';
import type { Bytes, DumpHeader, PortKind } from '../types.js';
import type { SloganCause } from './slogan.js';

/** One process as the reports show it: who it is and the number that put it in the list. */
export interface ProcessSummary {
  pid: string;
  name?: string;
  /** `Spawned as`, or the real initial call of a proc_lib process when its dictionary was decoded. */
  initialCall?: string;
  currentFunction?: string;
  state: string;
  messageQueueLength: number;
  memoryBytes: Bytes;
  binaryBytes: Bytes;
  reductions: number;
  spawnedBy?: string;
  /** A stack of more than DEEP_STACK_FRAMES frames (a runaway recursion), for the processes triage lists. */
  stack?: StackSketch;
  /** The refc binaries its dumped heap refers to: read by triage for the process with the most binary memory, when large. */
  heapBinaries?: HeapBinaries;
  /** Entries in its process dictionary, counted by triage when the dictionary is large (a cache in the dictionary). */
  dictionaryEntries?: number;
  /**
   * With `--syntax elixir`: the names above as Elixir writes them (src/elixir), and the process's
   * role among Elixir's usual suspects (Logger, Task, Broadway, GenStage, Phoenix.PubSub) when it has one.
   */
  elixir?: { name?: string; initialCall?: string; currentFunction?: string; role?: string };
}

/**
 * The refc binaries a process's dumped heap refers to (`Yc`/`Ys` lines), distinct, with their sizes
 * from `=binary`: what a garbage collection would keep of its binary virtual heap.
 */
export interface HeapBinaries {
  binaries: number;
  bytes: Bytes;
}

/** Processes waiting in a synchronous call and whom they wait for (src/dump/terms/call-waits.ts). */
export interface CallWaits {
  /** The function they wait in (`gen:do_call/4`). */
  function: string;
  /** Processes whose current function it is. */
  waiting: number;
  /** Of them (and of the ones they wait for), the `=proc` sections read. */
  read: number;
  /** Who waits for whom, for those read whose one monitor says. */
  edges: Array<{ caller: string; target: string }>;
}

/**
 * A deep stack as triage sees it without reading it all (src/dump/terms/stack.ts: sketchStack):
 * `beamscope proc` counts every frame.
 */
export interface StackSketch {
  /** Bytes of the `=proc_stack` section. */
  sectionBytes: Bytes;
  /** Frames: counted when `exact`, else estimated from the section's size at the bytes per frame of its first lines. */
  estimatedFrames: number;
  exact: boolean;
  /** Frames read from the top of the stack, and the functions they are in, most first. */
  sampledFrames: number;
  functions: Array<{ function: string; frames: number }>;
  /** The functions of the bottom frames, innermost first, alike ones in a row as one: how the process got there. */
  calledFrom: string[];
}

export interface MessageShape {
  shape: string;
  count: number;
  example: string;
  estimatedBytes: Bytes;
  /** Refc binary payload bytes these messages refer to (off the heap; a payload several refer to counts in each). */
  binaryBytes?: Bytes;
  /** With `--syntax elixir`: the shape and the example in Elixir syntax. */
  elixir?: { shape: string; example: string };
}

export interface MailboxOutlier extends ProcessSummary {
  /** This queue's share of all queued messages on the node. */
  shareOfQueuedMessages: number;
  /** Filled when the process's heap was decoded (src/dump/terms); absent otherwise. */
  ancestors?: string[];
  messageShapes?: MessageShape[];
  /** The shapes were counted over this many messages (the first ones of a long queue). */
  messagesSampled?: number;
  /** Why there are no message shapes when the dump cannot give them: it stops before the process's heap. */
  messageShapesMissing?: string;
  /** Refc binary payload bytes the sampled messages refer to, every shape (a queue of 2,000 chunks of 256 KiB holds 500 MiB off its heap). */
  messagesBinaryBytes?: Bytes;
}

export interface ProcessGroup {
  /** `cowboy_stream_h:request_process/3`, or a registered-name pattern such as `worker_N`. */
  key: string;
  by: 'initial-call' | 'name' | 'ancestor';
  count: number;
  memoryBytes: Bytes;
  /** The largest member's. */
  maxMemoryBytes: Bytes;
  messageQueueLength: number;
  maxMessageQueueLength: number;
  reductions: number;
  /** Refc binary bytes referenced (binary virtual heaps), summed. */
  binaryBytes: Bytes;
  /** With `--syntax elixir`: the key in Elixir syntax, and the group's role among Elixir's usual suspects. */
  elixir?: { key: string; role?: string };
  /** The process that spawned more than half of the group (of 100 or more), and how many. */
  spawnedBy?: { pid: string; name?: string; count: number };
  /** The current function (`Current call`, else `Program counter`'s) of more than half of the group (of 100 or more). */
  currentFunction?: { function: string; count: number };
  /**
   * For the group of proc_lib processes (gen_servers, supervisors, Agents: all `Spawned as:
   * proc_lib:init_p/5`) when there were too many to read every dictionary: the real initial calls
   * of an even sample of them.
   */
  sampledInitialCalls?: InitialCallSample;
}

/** The real initial calls (from `$initial_call`) of an even sample of a group's processes, most first. */
export interface InitialCallSample {
  /** The group's key: `proc_lib:init_p/5`. */
  groupKey: string;
  /** Dictionaries read (every `every`-th process of the group, in file order). */
  sampled: number;
  every: number;
  calls: Array<{ initialCall: string; count: number }>;
}

export interface LimitUse {
  id: 'processes' | 'ports' | 'atoms' | 'ets' | 'exports' | 'modules' | 'timers';
  label: string;
  count: number;
  limit?: number;
  /**
   * Where the limit comes from: the dump itself, the slogan, or the VM's default (not recorded in
   * dumps); `raised`: the count is over the default, so the node ran with a higher limit that the
   * input does not record (no `limit`, no `share`); `pids`: the live processes' pids prove a table
   * of at least `limit` slots (src/dump/analyze/process-slots.ts), so `share` is the most it can be.
   */
  limitSource?: 'dump' | 'slogan' | 'default' | 'raised' | 'pids';
  share?: number;
  /**
   * A dump cut before the end of these sections: `count` is what was read before the cut (`at
   * least`: some were read; `not in the file`: none, the count is not known).
   */
  cut?: 'at least' | 'not in the file';
  /** For atoms near the limit: what the table is full of, by shape (src/dump/terms/atom-patterns.ts). */
  patterns?: AtomPattern[];
}

/** Atoms of one shape: numbers as `N` (`session_N`; src/dump/terms/atom-patterns.ts), with the newest of them. */
export interface AtomPattern {
  pattern: string;
  count: number;
  newest: string;
}

/** An owner of ETS tables: how many, their objects and memory, and the name most of them have. */
export interface EtsOwner {
  owner: string;
  ownerName?: string;
  tables: number;
  objects: number;
  memoryBytes: Bytes;
  /** The name the most of its tables have, how many have it, and their memory. */
  commonName: { name: string; tables: number; memoryBytes: Bytes };
}

/** Processes counted, with the current functions most of them are in. */
export interface ProcessesByFunction {
  processes: number;
  byFunction: Array<{ function: string; processes: number }>;
}

/** The tables of one name (`Name:` of `=ets`), over all their owners. */
export interface EtsName {
  name: string;
  tables: number;
  objects: number;
  memoryBytes: Bytes;
  /** Distinct owners of these tables. */
  owners: number;
}

/** An owner of pending BIF timers (`=timer:OWNER` sections). */
export interface TimerOwner {
  /** A pid, or the registered name the timers were started with. */
  owner: string;
  /** The owner's registered name, when the owner is a pid that has one. */
  name?: string;
  timers: number;
}

/** What the first timers of one owner will deliver, by message shape (src/dump/terms/timers.ts). */
export interface TimerSample {
  owner: string;
  /** The owner's timers, all counted. */
  timers: number;
  /** Timers read (the owner's first, in file order). */
  sampled: number;
  shapes: MessageShape[];
  /** Timers read whose message was too long or not readable as a term (in `sampled`, in no shape). */
  unreadable: number;
  /** Least and most time left of the timers read, in milliseconds. */
  timeLeftMs?: { min: number; max: number };
}

export interface MemoryKind {
  kind: string;
  bytes: Bytes;
  /** Share of `total`. */
  share: number;
}

export interface TriageReport {
  /** Bumped when a field changes meaning. */
  schemaVersion: 1;
  /** `compression`: the format the dump was decompressed from, null for a plain one. */
  source: { path: string; gzip: boolean; compression: 'gzip' | 'zstd' | 'xz' | null; bytes: Bytes };
  header: DumpHeader;
  slogan: string;
  cause: SloganCause;
  truncated: boolean;
  truncation: { abortReason?: string; cutMidLine: boolean; lastTag?: string; lastId?: string; bytesRead: Bytes; hides: string[] };
  /** Numbers of sections in the file. */
  counts: {
    processes: number; ports: number; etsTables: number; timers: number; funs: number; modules: number;
    binaries: number; atoms?: number; nodes: number; allocators: number;
  };
  memory: {
    totalBytes?: Bytes;
    kinds: MemoryKind[];
    /** Sum of the per-process `Memory` lines, against `=memory` `processes`. */
    processesSumBytes: Bytes;
    /** Sum of the `=binary` sections, against `=memory` `binary`. */
    binarySectionsBytes: Bytes;
  };
  mailbox: { typicalQueueLength: number; thresholdQueueLength: number; totalQueuedMessages: number };
  mailboxOutliers: MailboxOutlier[];
  topProcesses: { byMemory: ProcessSummary[]; byBinary: ProcessSummary[]; byReductions: ProcessSummary[] };
  groups: ProcessGroup[];
  limits: LimitUse[];
  ets: Array<{ owner: string; ownerName?: string; table: string; name: string; type?: string; objects: number; memoryBytes: Bytes }>;
  /** ETS tables by owner, most tables first, with the name most of an owner's tables share. */
  etsOwners: EtsOwner[];
  /** ETS tables by name, most memory first: a name many owners give their tables (a table per process). */
  etsNames: EtsName[];
  /** Pending BIF timers: the owners with the most, and what the largest owner's first ones deliver (when it has enough for a finding). */
  timers: { owners: TimerOwner[]; sample?: TimerSample };
  ports: {
    byKind: Partial<Record<PortKind, number>>;
    largestQueues: Array<{ id: string; kind: PortKind; driver?: string; connected?: string; connectedName?: string; queueBytes: Bytes }>;
    /** All ports with output queued, and how much (a queue counts the binaries it refers to, one queued twice twice). */
    queued: { ports: number; bytes: Bytes };
    /** Processes waiting for a port's answer to what they sent (a busy port holds it back): their count, by function. */
    sendersWaiting: ProcessesByFunction;
  };
  schedulers: {
    normal: number; dirtyCpu: number; dirtyIo: number;
    /**
     * Where the counts come from: the `=scheduler`/`=dirty_*_scheduler` sections, or, for a kind the
     * dump has no sections of (dumps before OTP 18; dirty schedulers before OTP 21), the System
     * version line's `[smp:N:N]` and `[ds:C:C:I]`; 'unknown' when neither says.
     */
    countsFrom: { normal: SchedulerCountSource; dirty: SchedulerCountSource };
    runQueueProcesses: number; runQueuePorts: number;
    busy: Array<{ type: string; id: number; currentProcess?: string; currentFunction?: string }>;
    /** Processes whose state is Scheduled, Runnable or Running, and the current functions most of them are in. */
    runnable: ProcessesByFunction;
  };
  nodes: { thisNode?: string; distributed?: boolean; visible: number; hidden: number; notConnected: number; connected: string[] };
  /** Carriers against blocks per allocator type (src/alloc's summary, current values). */
  allocators: TypeSummary[];
  unknown: { tags: Record<string, number>; keys: Record<string, number> };
  /** What the report could not do, and why (a heap too large to decode here, ...). */
  notes: string[];
  findings: Finding[];
  /** Set when names and terms are also given in Elixir syntax (`--syntax`, src/elixir); absent for Erlang. */
  syntax?: { name: 'elixir'; reason: string };
}

export type SchedulerCountSource = 'sections' | 'system version' | 'unknown';
