// The modules, not src/alloc/index.js: triage need not load the snapshot and JSON readers.
import { allocatorModelFromDump } from '../alloc/from-dump.js';
import { allocatorFindings, summarizeByType } from '../alloc/verdict.js';
import { BINARY_HOLDERS, isBinaryHolder, isPartHolder, mailboxOutlierRows, topRows, triage, type BinaryReach, type MailboxRows, type ProcessDetails, type TopRows, type TriageOptions } from '../dump/analyze/triage.js';
import type { CallWaits, InitialCallSample, TriageReport } from '../dump/analyze/report-types.js';
import { binaryVHeapAt } from '../dump/analyze/processes.js';
import { heapBinaryTotals, mailboxShapes, processIdentity } from '../dump/terms/index.js';
import { countInitialCalls, identityRows, isProcLibSpawn, PROC_LIB_INIT, procLibRows, readIdentities, type IdentityRows } from '../dump/terms/initial-calls.js';
import { dataPath, notSeekableBecause, type Dump, type SectionRef } from '../dump/types.js';
import { DEEP_STACK_FRAMES } from '../dump/terms/process-detail.js';
import { sketchStack } from '../dump/terms/stack.js';
import { forEachLine } from '../dump/terms/lines.js';
import { atomPatterns } from '../dump/terms/atom-patterns.js';
import { timerSample } from '../dump/terms/timers.js';
import { readCallWaits } from '../dump/terms/call-waits.js';
import { formatBytes, formatCount } from '../text/format.js';
import { MiB } from '../text/units.js';
import { elixirStructs } from '../elixir/detect.js';
import { addElixirToTriage, elixirShapeRow } from '../elixir/report.js';
import { scanHeapBinaries } from '../leak/heap-scan.js';

export interface TriageDumpOptions extends Omit<TriageOptions, 'details' | 'allocators' | 'mailboxRows' | 'topRows' | 'binaryReach' | 'callWaits'> {
  /** Decode the heaps of the mailbox outliers (message shapes, ancestors); default true. */
  decode?: boolean;
  /**
   * Heap bytes triage may decode in all (default 256 MiB): a 3-million-message heap takes seconds
   * to index, and triage should answer in seconds; `beamscope proc` decodes any one process fully.
   */
  decodeBudgetBytes?: number;
  /** Messages per mailbox whose shapes are counted (default 5,000; the rest are not looked at). */
  shapeSampleMessages?: number;
  /**
   * Filled with what was decoded (identities, message shapes), for a caller that lists more
   * processes than the report does (`beamscope report`'s tables).
   */
  detailsOut?: Map<string, ProcessDetails>;
  /** Add Elixir renderings of names, shapes and findings (src/elixir/report.ts), and why. */
  elixir?: { reason: string };
  /** proc_lib processes whose dictionaries are all read (default IDENTITY_LIMIT); past it, an even sample. */
  identityLimit?: number;
}

/** Bytes of process heaps triage may read for the mailbox outliers' shapes (--decode-budget). */
const DEFAULT_BUDGET = 256 * MiB;
const DEFAULT_SAMPLE = 5000;
/**
 * Heap lines kept for references back while a queue's first messages are shaped (SequentialHeap's
 * window, 131,072 for `proc`): a message's objects are written together, and the lines of 5,000
 * messages of 832 bytes (the 10 GB bench dump's) held 20 MB with their read buffers.
 */
const SAMPLE_WINDOW_LINES = 1 << 14;
/** The tail of a heap read for a process's dictionary (its `$ancestors` and initial call) at most. */
const IDENTITY_TAIL = 16 * MiB;

/**
 * Triage with everything filled in: the allocator analysis (src/alloc) and, for a plain file whose
 * sections can be re-read, the term decoder for the mailbox outliers the report names.
 */
export function triageDump(dump: Dump, opts: TriageDumpOptions = {}): TriageReport {
  const top = opts.top ?? 10;
  const details = opts.detailsOut ?? new Map<string, ProcessDetails>();
  const notes: string[] = [];
  let mailboxRows: MailboxRows | undefined;
  let initialCallSample: InitialCallSample | undefined;
  let ranked: TopRows | undefined;
  let binaryReach: BinaryReach[] | undefined;
  let callWaits: CallWaits | undefined;
  if (opts.decode !== false && !dump.source.seekable && dump.processes.count > 0) {
    notes.push(`heaps not decoded (no message shapes): decoding needs ${notSeekableBecause(dump.source)}`);
  }
  // Elixir's structs, for the shapes of the messages and the timers.
  const isStruct = opts.elixir ? elixirStructs(dump) : undefined;
  if (opts.decode !== false && dump.source.seekable) {
    let budget = opts.decodeBudgetBytes ?? DEFAULT_BUDGET;
    const p = dump.processes;
    // Only the queues the report names: the next largest are often ordinary processes (8 messages
    // each on the 837 MB bench dump) whose heaps, decoded, were shown nowhere and used the budget.
    mailboxRows = mailboxOutlierRows(p, top);
    const outliers = mailboxRows.rows;
    const identities = identityRows(p, 'proc_lib', opts.identityLimit);
    ranked = topRows(p, top);
    // Past the identity limit, the processes the report lists are read all the same (resolveIdentities).
    const listed = identities.rows ? [] : [...ranked.memory, ...ranked.binary, ...ranked.reductions];
    const byMemory = ranked.memory;
    // The sections of every process decoded here, in resolveIdentities and in the sample, found in
    // one pass (a prepare() that misses one pass over the index again, each 0.1 s on class g).
    dump.index.prepare([...outliers, ...byMemory, ...(identities.rows ?? [...identities.sample?.rows ?? [], ...listed])].map((i) => p.pid.at(i)));
    sketchDeepStacks(dump, byMemory, details);
    countDictionaries(dump, byMemory, details);
    for (const i of outliers) {
      const pid = p.pid.at(i);
      const heap = dump.index.get('proc_heap', pid);
      const heapBytes = heap?.length ?? 0;
      // A dump cut before this process's heap has its queue length, not its messages: said so
      // (a decode would count each message as a pointer to a line not in the dump).
      if (!heap && dump.truncation.truncated) {
        details.set(pid, { ...details.get(pid), messageShapesMissing: `it stops after ${formatBytes(dump.truncation.bytesRead)}, without this process's heap` });
        continue;
      }
      if (budget <= 0) {
        notes.push(`${pid}: heap of ${formatBytes(heapBytes)} not decoded by triage (its decode budget is spent); \`beamscope proc ${dump.source.path} ${pid}\` decodes it`);
        continue;
      }
      try {
        const id = processIdentity(dump, pid, { maxTailBytes: IDENTITY_TAIL });
        // The budget bounds what is read of the heaps, not their size: the first messages of a
        // mailbox of gigabytes are near the start of its heap (the writer dumps stack, then messages).
        const sample = opts.shapeSampleMessages ?? DEFAULT_SAMPLE;
        const shapes = mailboxShapes(dump, pid, { maxMessages: sample, maxHeapReadBytes: budget, windowLines: SAMPLE_WINDOW_LINES });
        budget -= shapes.heapBytesRead ?? 0;
        // Shapes counted with a line missing could be wrong: none then, and a note says why.
        if (shapes.cutShort) {
          notes.push(`${pid}: message shapes not decoded by triage: its first ${formatCount(sample)} messages are not within ${formatBytes(shapes.heapBytesRead ?? 0)} of its ${formatBytes(heapBytes)} heap; \`beamscope proc ${dump.source.path} ${pid}\` decodes them`);
        }
        details.set(pid, {
          ancestors: id.ancestors,
          ...(id.initialCall ? { initialCall: id.initialCall } : {}),
          ...(shapes.cutShort ? {} : {
            messageShapes: shapes.shapes.slice(0, top).map((s) => ({ shape: s.shape, count: s.count, example: s.example, estimatedBytes: s.estimatedBytes,
              binaryBytes: s.binaryBytes, ...(isStruct ? { elixir: elixirShapeRow(s, 120, isStruct) } : {}) })),
            messagesSampled: shapes.messages,
            messagesBinaryBytes: shapes.shapes.reduce((a, s) => a + s.binaryBytes, 0),
          }),
        });
      } catch (e) {
        // A heap the decoder cannot read is reported, not fatal: the rest of the report stands.
        notes.push(`${pid}: heap not decoded (${(e as Error).message})`);
      }
    }
    readHeapBinaries(dump, ranked.binary.slice(0, BINARY_HOLDERS), details, notes);
    binaryReach = unaccountedBinaries(dump, outliers, details, notes);
    callWaits = readCallWaits(dump);
    resolveIdentities(dump, 'proc_lib', details, notes, identities, listed);
    initialCallSample = sampleIdentities(dump, identities);
    if (initialCallSample) notes.push(`their real initial calls in an even sample (one in ${formatCount(initialCallSample.every)}): see the group ${PROC_LIB_INIT}`);
  }
  const model = allocatorModelFromDump(dump.allocators, dump.memory);
  const { detailsOut: _out, ...triageOpts } = opts;
  const report = triage(dump, { ...triageOpts, details, mailboxRows, ...(initialCallSample ? { initialCallSample } : {}), ...(ranked ? { topRows: ranked } : {}),
    ...(binaryReach ? { binaryReach } : {}), ...(callWaits ? { callWaits } : {}),
    atomPatterns: () => atomPatterns(dump),
    timerSample: (keys) => (dump.source.seekable ? timerSample(dump, keys, undefined, undefined, isStruct ? (row) => elixirShapeRow(row, 120, isStruct) : undefined) : undefined),
    allocators: { summary: summarizeByType(model), findings: allocatorFindings(model) } });
  report.notes.push(...notes);
  return opts.elixir ? addElixirToTriage(report, opts.elixir.reason) : report;
}

/**
 * Who holds the node's refc binaries, when nothing else says: the `=binary` sections are a holder's
 * share of the node (isBinaryHolder), and the binary virtual heaps of all processes with what the
 * queues triage sampled refer to (`outliers`) count less than half of them. Then every dumped heap
 * is scanned for the binaries it reaches (leak's scan, at about 1 GB/s of heap text, HEAP_SCAN_MAX
 * at most), and the processes that reach a large share through parts of them are returned, most
 * first. A node whose binaries are counted (a mailbox of them: class a; a process that read a file;
 * connections that each took some in) is not scanned.
 */
function unaccountedBinaries(dump: Dump, outliers: readonly number[], details: Map<string, ProcessDetails>, notes: string[]): BinaryReach[] | undefined {
  const total = dump.memory.total;
  const bins = dump.binaries.totalBytes;
  if (!isBinaryHolder(bins, total)) return undefined;
  const p = dump.processes;
  let counted = 0;
  for (let i = 0; i < p.count && counted < bins; i++) counted += binaryVHeapAt(p, i);
  for (const i of outliers) {
    const d = details.get(p.pid.at(i));
    // The sample's binaries, for the whole queue (mailboxFinding says it so too).
    if (d?.messagesBinaryBytes && d.messagesSampled) counted += (d.messagesBinaryBytes * (p.messageQueueLength.at(i) || 0)) / d.messagesSampled;
  }
  if (counted >= 0.5 * bins) return undefined;
  const heapBytes = dump.index.find('proc_heap').reduce((a, ref) => a + ref.length, 0);
  if (heapBytes > HEAP_SCAN_MAX) {
    notes.push(`${formatBytes(bins)} of refc binaries that no process's binary virtual heap counts: who holds them not read by triage (${formatBytes(heapBytes)} of heaps); \`beamscope leak\` reads them`);
    return undefined;
  }
  const scan = scanHeapBinaries(dump);
  const out: BinaryReach[] = [];
  for (let i = 0; i < dump.processes.count; i++) {
    const reachableBytes = scan.reachableBytes[i];
    if (isPartHolder({ reachableBytes }, binaryVHeapAt(dump.processes, i), total)) {
      out.push({ row: i, binaries: scan.binaries[i], reachableBytes, exclusiveBytes: scan.exclusiveBytes[i] });
    }
  }
  return out.sort((a, b) => b.reachableBytes - a.reachableBytes);
}

/** Heap text triage scans at most for who holds binaries no virtual heap counts (unaccountedBinaries): about a second. */
const HEAP_SCAN_MAX = 1024 * MiB;

/** Heaps larger than this are not scanned for their binaries by triage (a pass over `Y` lines runs at about 1 GB/s). */
const HEAP_BINARIES_MAX = 256 * MiB;

/**
 * The refc binaries still referred to by the heaps of the processes with the largest binary
 * virtual heaps, when they are findings (isBinaryHolder): one pass over each one's `Yc`/`Ys` lines.
 */
function readHeapBinaries(dump: Dump, rows: readonly number[], details: Map<string, ProcessDetails>, notes: string[]): void {
  const p = dump.processes;
  for (const i of rows) {
    if (!isBinaryHolder(binaryVHeapAt(p, i), dump.memory.total)) continue;
    const pid = p.pid.at(i);
    const heap = dump.index.get('proc_heap', pid)?.length ?? 0;
    if (heap > HEAP_BINARIES_MAX) {
      notes.push(`${pid}: the binaries its heap refers to not read by triage (a heap of ${formatBytes(heap)}); \`beamscope leak\` reads them`);
      continue;
    }
    try {
      details.set(pid, { ...details.get(pid), heapBinaries: heapBinaryTotals(dump, pid) });
    } catch (e) {
      notes.push(`${pid}: binaries of its heap not read (${(e as Error).message})`);
    }
  }
}

/**
 * Dictionary sections at least this long have their entries counted: some 9,000 entries (each a
 * line `H<address>`, 14 bytes on a 64-bit node), where a normal process has a few.
 */
const LARGE_DICTIONARY_BYTES = 128 * 1024;

/** The dictionaries of the processes with the most memory, counted where large (a cache kept with put/2). */
function countDictionaries(dump: Dump, rows: readonly number[], details: Map<string, ProcessDetails>): void {
  withLargeSection(dump, rows, 'proc_dictionary', LARGE_DICTIONARY_BYTES, details, (_i, ref) => {
    let entries = 0;
    forEachLine(dataPath(dump.source), ref.offset, ref.length, 64, (_b, s, e) => void (e > s && entries++));
    return { dictionaryEntries: entries };
  });
}

/** For each row whose section `tag` has at least `minBytes`, what `look` finds added to its details. */
function withLargeSection(dump: Dump, rows: readonly number[], tag: string, minBytes: number, details: Map<string, ProcessDetails>,
  look: (row: number, ref: SectionRef) => Partial<ProcessDetails> | undefined): void {
  for (const i of rows) {
    const pid = dump.processes.pid.at(i);
    const ref = dump.index.get(tag, pid);
    if (!ref || ref.length < minBytes) continue;
    const found = look(i, ref);
    if (found) details.set(pid, { ...details.get(pid), ...found });
  }
}

/**
 * Stack sections at least this long are sketched: some 3,000-6,000 frames of a recursion (80 to
 * 170 bytes each as written), where a normal process's stack is a few KiB.
 */
const DEEP_STACK_BYTES = 512 * 1024;

/**
 * The stacks of the processes with the most memory, where deep: a runaway recursion is one of
 * them by construction (every frame holds a word at least, and usually terms on the heap).
 */
function sketchDeepStacks(dump: Dump, rows: readonly number[], details: Map<string, ProcessDetails>): void {
  const p = dump.processes;
  withLargeSection(dump, rows, 'proc_stack', DEEP_STACK_BYTES, details, (i, ref) => {
    const current = p.currentCall.at(i) ?? p.programCounter.at(i);
    const stack = sketchStack(dataPath(dump.source), ref, { current, otpRelease: dump.header.otpRelease });
    return stack.estimatedFrames >= DEEP_STACK_FRAMES ? { stack } : undefined;
  });
}

/**
 * proc_lib processes (gen_servers, supervisors, ...) are all `Spawned as: proc_lib:init_p/5` (or
 * init_p/3, spawned with a fun); their
 * real initial call and `$ancestors` are in their dictionary. `which: 'all'` decodes every
 * process's dictionary (for grouping by ancestor), up to the same limit.
 */
export function resolveIdentities(
  dump: Dump,
  which: 'proc_lib' | 'all',
  details: Map<string, ProcessDetails>,
  notes: string[],
  found: IdentityRows = identityRows(dump.processes, which),
  listed: readonly number[] = [],
): void {
  const p = dump.processes;
  let rows = found.rows;
  if (!rows) {
    // Past the limit, the processes the report lists (a few dozen) are read all the same: a top
    // process shown as `proc_lib:init_p/5` says nothing.
    const procLib = which === 'all' ? () => true : procLibRows(p);
    rows = [...new Set(listed)].filter(procLib).sort((a, b) => a - b);
    notes.push(`${formatCount(found.total)} ${which === 'all' ? '' : 'proc_lib '}processes: their dictionaries (real initial calls, ancestors) are read only up to ${formatCount(found.limit)} of them${rows.length > 0 ? `, and for the ${formatCount(rows.length)} listed here` : ''}`);
  }
  const wanted = rows.filter((i) => {
    const have = details.get(p.pid.at(i));
    return !(have?.initialCall && have.ancestors);
  });
  // A dictionary that cannot be decoded leaves the process as the =proc section describes it.
  for (const [pid, id] of readIdentities(dump, wanted).identities) {
    const have = details.get(pid);
    const initialCall = id.initialCall && !isProcLibSpawn(id.initialCall) ? id.initialCall : have?.initialCall;
    details.set(pid, { ...have, ...(initialCall ? { initialCall } : {}), ancestors: have?.ancestors ?? id.ancestors });
  }
}

/**
 * Above IDENTITY_LIMIT proc_lib processes, what they are from an even sample of their
 * dictionaries (every n-th in file order): the group `proc_lib:init_p/5` of 100,030 on an Elixir
 * node is its Agents, of 200,000 on a RabbitMQ node its queues, channels and connections in some
 * proportion, and a grouping by a part read in full would split it arbitrarily.
 */
function sampleIdentities(dump: Dump, found: IdentityRows): InitialCallSample | undefined {
  if (!found.sample) return undefined;
  // Of the group it is shown on: proc_lib:spawn of a fun (proc_lib:init_p/3) is a group of its own.
  const p = dump.processes;
  const { identities } = readIdentities(dump, found.sample.rows.filter((i) => p.spawnedAs.at(i) === PROC_LIB_INIT));
  return { groupKey: PROC_LIB_INIT, sampled: identities.size, every: found.sample.every, calls: countInitialCalls(identities.values()) };
}
