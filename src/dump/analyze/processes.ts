import { cellOrZero, topOf } from '../columns.js';
import { CellFilter, ID_ON_SIDE, idCell, packPid } from '../section-index.js';
import type { ProcessTable } from '../types.js';
import type { HeapBinaries, MessageShape, ProcessGroup, ProcessSummary, StackSketch } from './report-types.js';
import { topIndices, topSumIndices } from './stats.js';

/** What the term decoder found for a process (ancestors, real initial call, message shapes). */
export interface ProcessDetails {
  ancestors?: string[];
  initialCall?: string;
  messageShapes?: MessageShape[];
  /** How many messages the shapes were counted over (a sample of a long queue). */
  messagesSampled?: number;
  /** Why there are no message shapes, when the dump cannot give them (a cut before the heap). */
  messageShapesMissing?: string;
  /** Refc binary payload bytes those messages refer to. */
  messagesBinaryBytes?: number;
  /** A deep stack, sketched (src/dump/terms/stack.ts). */
  stack?: StackSketch;
  /** The refc binaries its dumped heap refers to (triage reads them for a process with a large BinVHeap). */
  heapBinaries?: HeapBinaries;
  /** Entries of a large process dictionary (triage counts them for the processes with the most memory). */
  dictionaryEntries?: number;
}

/** Row i's binary virtual heap in bytes, BinVHeap + OldBinVHeap (what `topProcessRows(p, 'binary')` ranks by). */
export function binaryVHeapAt(p: ProcessTable, i: number): number {
  return (p.binVHeapBytes.at(i) || 0) + (p.oldBinVHeapBytes.at(i) || 0);
}

/** Row i as the reports show it: who it is and its numbers. */
export function processSummary(p: ProcessTable, i: number, details: Map<string, ProcessDetails>): ProcessSummary {
  const d = details.get(p.pid.at(i));
  const s: ProcessSummary = {
    pid: p.pid.at(i),
    state: p.state.at(i) ?? 'unknown',
    messageQueueLength: p.messageQueueLength.at(i),
    memoryBytes: p.memoryBytes.at(i),
    binaryBytes: binaryVHeapAt(p, i),
    reductions: p.reductions.at(i),
  };
  if (p.name.at(i) !== undefined) s.name = p.name.at(i);
  const initial = d?.initialCall ?? p.spawnedAs.at(i);
  if (initial !== undefined) s.initialCall = initial;
  const current = p.currentCall.at(i) ?? p.programCounter.at(i);
  if (current !== undefined) s.currentFunction = current;
  if (p.spawnedBy.at(i) !== undefined) s.spawnedBy = p.spawnedBy.at(i);
  if (d?.stack) s.stack = d.stack;
  if (d?.heapBinaries) s.heapBinaries = d.heapBinaries;
  if (d?.dictionaryEntries !== undefined) s.dictionaryEntries = d.dictionaryEntries;
  return s;
}

/** `worker_17` and `worker_18` are one pattern: digit runs become N. Null for a name without digits. */
export function namePattern(name: string): string | null {
  const pattern = name.replace(/\d+/g, 'N');
  return pattern === name ? null : pattern;
}

export type GroupBy = 'auto' | 'initial-call' | 'name' | 'ancestor';

/**
 * Processes grouped, largest group first. `auto` (triage's choice): a registered-name pattern when
 * several processes share it, else the initial call. `ancestor`: the first entry of `$ancestors`
 * (the supervisor), from decoded dictionaries; processes without one group by parent pid.
 * `sampledAs`: the `Spawned as` of a group whose members' initial calls were read for a sample
 * only (InitialCallSample.groupKey); its members stay in it.
 */
export function groupProcesses(p: ProcessTable, by: GroupBy, details: Map<string, ProcessDetails>, sampledAs?: string): ProcessGroup[] {
  // Keys come from text columns, whose rows hold codes: what a key depends on (a name's pattern,
  // the group of an initial call) is worked out once per code, not once per process: a string, a
  // regular expression and a Map lookup per row were most of a million-process triage's analysis.
  const nameCodes = p.name.codes;
  const texts = p.name.values;
  const sharedPattern = sharedNamePatterns(p);
  const detailOf = detailsByRow(p, details);
  // One map per kind of key, and in front of it the group of each code of the column the key
  // comes from (name, initial call or parent), for the rows whose key is that code's text.
  const groups = { name: new Map<string, GroupAcc>(), 'initial-call': new Map<string, GroupAcc>(), ancestor: new Map<string, GroupAcc>() };
  const byCode: Record<ProcessGroup['by'], Array<GroupAcc | undefined>> = { name: [], 'initial-call': [], ancestor: [] };
  const created: GroupAcc[] = [];
  const groupOf = (kind: ProcessGroup['by'], key: string): GroupAcc => {
    const kindGroups = groups[kind];
    let a = kindGroups.get(key);
    if (!a) {
      const g: ProcessGroup = { key, by: kind, count: 0, memoryBytes: 0, maxMemoryBytes: 0, messageQueueLength: 0, maxMessageQueueLength: 0, reductions: 0, binaryBytes: 0 };
      a = { g, index: created.length, spawner: 0, spawnerVotes: 0, current: 0, currentVotes: 0 };
      kindGroups.set(key, a);
      created.push(a);
    }
    return a;
  };
  /** The group of a key that is the text of `code` in `column` (`fallback` for no text). */
  const groupOfCode = (kind: ProcessGroup['by'], column: { codes: ArrayLike<number>; values: readonly string[] }, i: number, fallback: string): GroupAcc => {
    const code = column.codes[i];
    const cache = byCode[kind];
    return (cache[code] ??= groupOf(kind, code === 0 ? fallback : column.values[code - 1]));
  };
  // The numbers straight from the columns' cells, as `at(i) || 0` reads them: five method calls
  // per row were most of this loop before it was compiled (a triage runs it once).
  const mem = p.memoryBytes;
  const queue = p.messageQueueLength;
  const reds = p.reductions;
  const bin = p.binVHeapBytes;
  const oldBin = p.oldBinVHeapBytes;
  const memCells = mem.cells, queueCells = queue.cells, redsCells = reds.cells, binCells = bin.cells, oldBinCells = oldBin.cells;
  const memTop = topOf(memCells), queueTop = topOf(queueCells), redsTop = topOf(redsCells), binTop = topOf(binCells), oldBinTop = topOf(oldBinCells);
  const memBig = mem.big, queueBig = queue.big, redsBig = reds.big, binBig = bin.big, oldBinBig = oldBin.big;
  const spawnedCodes = p.spawnedAs.codes;
  const spawnedTexts = p.spawnedAs.values;
  const initialByCode = byCode['initial-call'];
  // The group of a sample (`proc_lib:init_p/5` past IDENTITY_LIMIT) keeps all its members: the
  // real initial calls read for the processes a report lists would split a few off it.
  const sampled = sampledAs === undefined ? -1 : p.spawnedAs.codeOf(sampledAs);
  const sampledCode = sampled < 0 ? -1 : sampled + 1;
  // Who spawned a group's members and where they are, when most of them share one (a majority
  // vote per group as the rows pass, then the winner counted): who makes 300,000 processes of
  // `erlang:apply/2`, and the fun they wait in, is what they are.
  const spawnerCodes = p.spawnedBy.codes;
  const callCodes = p.currentCall.codes;
  const pcCodes = p.programCounter.codes;
  // Each row's group, for the traits' second pass: two bytes a row while there are fewer than
  // 65,536 groups (a table of 3,000,000 processes has a few dozen), four past that.
  let rowGroup: Uint16Array | Int32Array = new Uint16Array(p.count);
  for (let i = 0; i < p.count; i++) {
    const nameCode = nameCodes[i];
    const pattern = nameCode === 0 ? null : sharedPattern(nameCode);
    const d = detailOf(i);
    let a: GroupAcc;
    if (by === 'ancestor') {
      const ancestor = d?.ancestors?.[0];
      a = ancestor !== undefined ? groupOf('ancestor', ancestor) : groupOfCode('ancestor', p.spawnedBy, i, 'none');
    } else if (by === 'name' || (by === 'auto' && pattern !== null)) {
      a = nameCode === 0 ? groupOf('name', '(not registered)') : groupOf('name', by === 'name' ? (namePattern(texts[nameCode - 1]) ?? texts[nameCode - 1]) : pattern!);
    } else {
      const initial = spawnedCodes[i] === sampledCode ? undefined : d?.initialCall;
      if (initial !== undefined) a = groupOf('initial-call', initial);
      else {
        const code = spawnedCodes[i];
        a = initialByCode[code] ??= groupOf('initial-call', code === 0 ? 'unknown' : spawnedTexts[code - 1]);
      }
    }
    if (a.index > 0xffff && rowGroup instanceof Uint16Array) rowGroup = Int32Array.from(rowGroup);
    rowGroup[i] = a.index;
    vote(a, spawnerCodes[i], currentCode(callCodes[i], pcCodes[i]));
    const g = a.g;
    g.count++;
    const m = cellOrZero(memCells, memTop, memBig, i);
    g.memoryBytes += m;
    if (m > g.maxMemoryBytes) g.maxMemoryBytes = m;
    const q = cellOrZero(queueCells, queueTop, queueBig, i);
    g.messageQueueLength += q;
    if (q > g.maxMessageQueueLength) g.maxMessageQueueLength = q;
    g.reductions += cellOrZero(redsCells, redsTop, redsBig, i);
    g.binaryBytes += cellOrZero(binCells, binTop, binBig, i) + cellOrZero(oldBinCells, oldBinTop, oldBinBig, i);
  }
  sharedTraits(p, created, rowGroup);
  const out = created.map((x) => x.g);
  return out.sort((a, b) => b.count - a.count || b.memoryBytes - a.memoryBytes);
}

/** A group being counted, with the majority votes of its members' spawner and current function. */
interface GroupAcc {
  g: ProcessGroup;
  index: number;
  spawner: number;
  spawnerVotes: number;
  current: number;
  currentVotes: number;
}

/** Groups this small are not worth a line on who spawned them. */
const TRAIT_MIN_COUNT = 100;

/** The code of a row's current function: `Current call`'s (positive), else `Program counter`'s (negative); 0 for none. */
function currentCode(call: number, pc: number): number {
  return call !== 0 ? call : -pc;
}

/** One step of the Boyer-Moore majority vote on the group's spawner and current function. */
function vote(a: GroupAcc, spawner: number, current: number): void {
  if (a.spawnerVotes === 0) a.spawner = spawner;
  a.spawnerVotes += a.spawner === spawner ? 1 : -1;
  if (a.currentVotes === 0) a.current = current;
  a.currentVotes += a.current === current ? 1 : -1;
}

/**
 * The votes' winners counted, and kept on the groups (of TRAIT_MIN_COUNT and more) that more than
 * half of whose members share them: `spawnedBy` with the spawner's registered name, `currentFunction`.
 */
function sharedTraits(p: ProcessTable, accs: GroupAcc[], rowGroup: Uint16Array | Int32Array): void {
  const spawners = new Int32Array(accs.length);
  const currents = new Int32Array(accs.length);
  const spawnerCodes = p.spawnedBy.codes;
  const callCodes = p.currentCall.codes;
  const pcCodes = p.programCounter.codes;
  for (let i = 0; i < p.count; i++) {
    const a = accs[rowGroup[i]];
    if (a.g.count < TRAIT_MIN_COUNT) continue;
    if (spawnerCodes[i] === a.spawner) spawners[a.index]++;
    if (currentCode(callCodes[i], pcCodes[i]) === a.current) currents[a.index]++;
  }
  for (const a of accs) {
    const g = a.g;
    if (g.count < TRAIT_MIN_COUNT) continue;
    if (a.spawner !== 0 && 2 * spawners[a.index] > g.count) {
      const pid = p.spawnedBy.values[a.spawner - 1];
      const name = registeredName(p, pid);
      g.spawnedBy = { pid, ...(name ? { name } : {}), count: spawners[a.index] };
    }
    const fn = a.current > 0 ? p.currentCall.values[a.current - 1] : a.current < 0 ? p.programCounter.values[-a.current - 1] : undefined;
    if (fn !== undefined && 2 * currents[a.index] > g.count) g.currentFunction = { function: fn, count: currents[a.index] };
  }
}

/**
 * The registered name of the process `pid`, if it has one: found by its packed pid in the column
 * (a map of every named process, made to name a few, took 0.6 s on a node of 500,000 named ones).
 */
export function registeredName(p: Pick<ProcessTable, 'pid' | 'name'>, pid: string): string | undefined {
  const row = p.pid.find(pid);
  return row < 0 ? undefined : p.name.at(row);
}

/**
 * Per name code (not 0): the name's pattern (worker_17 -> worker_N) when several processes share
 * it, else null; worked out once per code.
 */
function sharedNamePatterns(p: ProcessTable): (code: number) => string | null {
  const nameCodes = p.name.codes;
  const texts = p.name.values;
  /** Per name code: its pattern when it has digits, else null. */
  const patternOf: Array<string | null | undefined> = [];
  const patternFor = (code: number): string | null => {
    let pattern = patternOf[code];
    if (pattern === undefined) pattern = patternOf[code] = namePattern(texts[code - 1]);
    return pattern;
  };
  // A name pattern is a group only when several processes share it (worker_1, worker_2, ...).
  const patterns = new Map<string, number>();
  for (let i = 0; i < p.count; i++) {
    const code = nameCodes[i];
    if (code === 0) continue;
    const pattern = patternFor(code);
    if (pattern !== null) patterns.set(pattern, (patterns.get(pattern) ?? 0) + 1);
  }
  const sharedOf: Array<string | null | undefined> = [];
  return (code) => {
    let shared = sharedOf[code];
    if (shared === undefined) {
      const candidate = patternFor(code);
      shared = sharedOf[code] = candidate !== null && (patterns.get(candidate) ?? 0) > 1 ? candidate : null;
    }
    return shared;
  };
}

/**
 * The details of row i, if any: `details` holds the few processes decoded (by pid text), and a
 * pid text per row of millions was most of the cost of asking it, so rows are matched by packed
 * pid, behind a bitmap of their pid cells' hashes that nearly every row misses: read from the
 * column's cells with one multiplication, not a method call and a hash function per row (a third
 * of groupProcesses on a million processes).
 */
function detailsByRow(p: ProcessTable, details: Map<string, ProcessDetails>): (i: number) => ProcessDetails | undefined {
  if (details.size === 0) return () => undefined;
  const byPacked = new Map<number, ProcessDetails>();
  const filter = new CellFilter(details.size);
  for (const [pid, d] of details) {
    const packed = packPid(pid);
    if (Number.isNaN(packed)) continue;
    byPacked.set(packed, d);
    filter.add(idCell(packed));
  }
  const cells = p.pid.cells;
  return (i) => {
    const cell = cells[i];
    // Cell 0: a pid kept as text; ID_ON_SIDE: a packed pid kept on the side. Any other is packed + 1.
    if (cell === 0) return details.get(p.pid.at(i));
    if (cell !== ID_ON_SIDE && !filter.has(cell)) return undefined;
    return byPacked.get(p.pid.packedAt(i));
  };
}

export type SortKey = 'mailbox' | 'memory' | 'binary' | 'reductions';

/** The top processes by one measure, largest first. */
export function topProcesses(p: ProcessTable, sort: SortKey, top: number, details: Map<string, ProcessDetails>): ProcessSummary[] {
  return topProcessRows(p, sort, top).map((i) => processSummary(p, i, details));
}

/** The rows of the `top` processes by `sort`, largest first. */
export function topProcessRows(p: ProcessTable, sort: SortKey, top: number): number[] {
  if (sort === 'mailbox') return topIndices(p.messageQueueLength, top, p.count);
  if (sort === 'memory') return topIndices(p.memoryBytes, top, p.count);
  if (sort === 'reductions') return topIndices(p.reductions, top, p.count);
  // Summed per row as asked, not into an array: 24 MB for a table of 3,000,000 processes, at
  // the end of a triage whose peak memory is the table's.
  return topSumIndices(p.binVHeapBytes, p.oldBinVHeapBytes, top, p.count);
}
