import { BytesInterner, hashNumber } from './bytes.js';
import { cellsLike, firstCells, NumberColumn, topOf, widened, type Cells } from './columns.js';
import { ID_ON_SIDE, idCell, packPid, pidOfCell, unpackPid } from './section-index.js';
import type { ProcessRecord, ProcessTable } from './types.js';

export { NumberColumn, type Cells };

export const NUMERIC_COLUMNS = [
  'messageQueueLength', 'reductions', 'memoryBytes', 'stackHeapBytes', 'oldHeapBytes', 'heapUnusedBytes',
  'oldHeapUnusedBytes', 'binVHeapBytes', 'oldBinVHeapBytes', 'heapFragments', 'heapFragmentBytes', 'links',
  'monitors', 'monitoredBy',
] as const;
const NUMERIC = NUMERIC_COLUMNS;
export const TEXT_COLUMNS = ['state', 'name', 'spawnedAs', 'spawnedBy', 'currentCall', 'programCounter', 'internalState'] as const;
const TEXT = TEXT_COLUMNS;

export type NumericColumn = (typeof NUMERIC)[number];
export type TextColumnName = (typeof TEXT)[number];

/**
 * A text column: per row 1 + a code into `values`, the distinct texts of the table (0: not in
 * the dump). A JS string per row would cost 30-40 bytes and a slot in a growing array for every
 * process; a million processes have a few hundred distinct states, initial calls and functions,
 * so the cells start at one byte each and widen (to 2, then 4) only when a code needs it.
 */
export class TextColumn {
  /** Rows below this may have a code (rows past it are zeros: see widened). */
  private used = 0;

  constructor(public codes: Cells, public readonly values: readonly string[]) {}

  at(i: number): string | undefined {
    const c = this.codes[i];
    return c === 0 ? undefined : this.values[c - 1];
  }

  /** Row i is the text of code `code` of `values`. */
  setCode(i: number, code: number): void {
    this.fit(code);
    this.codes[i] = code + 1;
    if (i >= this.used) this.used = i + 1;
  }

  /** Cells wide enough for code `code`. */
  fit(code: number): void {
    while (code + 1 > topOf(this.codes)) this.codes = widened(this.codes, this.used);
  }

  /** Rows below `rows` may now have codes written straight into `codes` (appendParts). */
  wrote(rows: number): void {
    if (rows > this.used) this.used = rows;
  }

  /** The code of a text, -1 when no row can have it: a scan of every row then compares numbers. */
  codeOf(value: string): number {
    return this.values.indexOf(value);
  }

  /** The first row whose cell is this text, or -1 (never a row without one). */
  find(value: string): number {
    const c = this.codeOf(value);
    return c < 0 ? -1 : this.codes.indexOf(c + 1);
  }
}

/**
 * The pids of the rows, packed (packPid) into one uint32 cell each as the section index keeps its
 * ids (idCell: 12 MB less than floats for 3,000,000 processes); a packed pid past 32 bits is kept
 * by row in `big`, and the few that packPid cannot hold (parts past its ranges, garbage) as text
 * by row in `other` (cell 0).
 */
export class PidColumn {
  constructor(
    public cells: Uint32Array,
    public readonly big: Map<number, number> = new Map(),
    public readonly other: Map<number, string> = new Map(),
  ) {}

  /** Row i's pid packed by packPid; NaN when it is not one (then `at` has its text). */
  packedAt(i: number): number {
    return pidOfCell(this.cells[i], this.big, i);
  }

  /** Sets row i's pid: packed by packPid, or NaN and its text. */
  set(i: number, packed: number, text: string): void {
    const cell = idCell(packed);
    this.cells[i] = cell;
    if (cell === ID_ON_SIDE) this.big.set(i, packed);
    else if (cell === 0) this.other.set(i, text);
  }

  at(i: number): string {
    const p = this.packedAt(i);
    return Number.isNaN(p) ? (this.other.get(i) ?? '') : unpackPid(p);
  }

  /**
   * A lookup of rows by packed pid (packPid; NaN finds nothing): an open-addressed table of row + 1
   * by hash, 8-16 bytes a row, where a Map of a million float keys took seconds and hundreds of MB.
   * The last row of a pid that is there twice wins.
   */
  rowFinder(): (packed: number) => number {
    const n = this.cells.length;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let i = 0; i < n; i++) {
      const id = this.packedAt(i);
      if (Number.isNaN(id)) continue;
      for (let h = hashNumber(id) & mask; ; h = (h + 1) & mask) {
        const row = slots[h] - 1;
        if (row < 0 || this.packedAt(row) === id) {
          slots[h] = i + 1;
          break;
        }
      }
    }
    return (packed) => {
      if (Number.isNaN(packed)) return -1;
      for (let h = hashNumber(packed) & mask; ; h = (h + 1) & mask) {
        const row = slots[h] - 1;
        if (row < 0 || this.packedAt(row) === packed) return row;
      }
    };
  }

  /** The row of a pid, or -1. */
  find(pid: string): number {
    const p = packPid(pid);
    if (Number.isNaN(p)) {
      for (const [row, id] of this.other) if (id === pid) return row;
      return -1;
    }
    const cell = idCell(p);
    if (cell !== ID_ON_SIDE) return this.cells.indexOf(cell);
    let first = -1;
    for (const [row, packed] of this.big) if (packed === p && (first < 0 || row < first)) first = row;
    return first;
  }
}

/** Builds the columnar process table row by row, in typed arrays reserved ahead or doubled. */
export class ProcessTableBuilder {
  readonly table: ProcessTable;
  /** The texts of every text column, one code each: the rows hold codes. */
  private readonly texts = new BytesInterner(Infinity, Infinity);

  constructor(capacity = 256) {
    // One object literal with every column: an object given 20 properties one by one by name
    // (a loop over NUMERIC) becomes a dictionary, and every `t.messageQueueLength` of the parser,
    // for every line of every process, a hash lookup.
    const num = () => new NumberColumn(new Uint8Array(capacity), new Map());
    const values = this.texts.values;
    const text = () => new TextColumn(new Uint8Array(capacity), values);
    this.table = {
      count: 0, pid: new PidColumn(new Uint32Array(capacity)), state: text(), name: text(), spawnedAs: text(),
      spawnedBy: text(), currentCall: text(), programCounter: text(), internalState: text(),
      messageQueueLength: num(), reductions: num(), memoryBytes: num(),
      memoryDerived: new Uint8Array(capacity), stackHeapBytes: num(), oldHeapBytes: num(), heapUnusedBytes: num(),
      oldHeapUnusedBytes: num(), binVHeapBytes: num(), oldBinVHeapBytes: num(), heapFragments: num(),
      heapFragmentBytes: num(), links: num(), monitors: num(), monitoredBy: num(),
    } satisfies Record<NumericColumn | TextColumnName | 'pid' | 'count' | 'memoryDerived', unknown>;
  }

  /**
   * Starts a new row for a pid packed by packPid (`pidText` is needed only when that is NaN);
   * every numeric field starts as NaN (not in the dump), every text as absent: cell 0, which rows
   * past the count always hold (new arrays are zeros; clear() zeroes the rows it drops), so the
   * capacity not used yet is never touched: it costs no page faults and no RSS.
   */
  add(packedPid: number, pidText: string): number {
    const t = this.table;
    if (t.count === t.messageQueueLength.length) this.grow();
    const i = t.count++;
    t.pid.set(i, packedPid, pidText);
    return i;
  }

  /** Sets a text cell of row i to the bytes [start, end); returns the text's code. */
  setText(col: TextColumnName, i: number, buf: Buffer, start: number, end: number): number {
    const code = this.texts.code(buf, start, end);
    this.table[col].setCode(i, code);
    return code;
  }

  /** Empties the table, keeping its arrays (a parallel-reader thread reuses one per range). */
  clear(): void {
    const t = this.table;
    for (const k of NUMERIC) {
      t[k].cells.fill(0, 0, t.count);
      t[k].big.clear();
    }
    for (const k of TEXT) t[k].codes.fill(0, 0, t.count);
    t.memoryDerived.fill(0, 0, t.count);
    t.count = 0;
    t.pid.big.clear();
    t.pid.other.clear();
  }

  /**
   * The rows, copied, for a worker of the parallel reader to post. Text columns go as codes plus
   * the texts once: a structured clone copies a string once per row, and 100,000 copies of
   * "Waiting" would undo the interning.
   */
  toPart(copy = true): ProcessTablePart {
    return tableToPart(this.table, copy);
  }

  /** Appends the rows of the following byte ranges, in order. */
  appendParts(parts: ProcessTablePart[]): void {
    const t = this.table;
    const total = parts.reduce((n, p) => n + p.count, t.count);
    // Doubling: the parallel reader appends range by range.
    if (total > t.messageQueueLength.length) this.grow(Math.max(total, t.messageQueueLength.length * 2));
    let at = t.count;
    for (const p of parts) {
      for (const k of NUMERIC) {
        const col = t[k];
        col.copyIn(p.numeric[k].cells, at);
        // The part's cells that mark a value on the side hold its top, which may be a value in
        // wider cells: set() writes each again.
        for (const [row, v] of p.numeric[k].big) col.set(at + row, v);
      }
      t.memoryDerived.set(p.memoryDerived, at);
      t.pid.cells.set(p.pid.cells, at);
      for (const [row, packed] of p.pid.big) t.pid.big.set(at + row, packed);
      for (const [row, id] of p.pid.other) t.pid.other.set(at + row, id);
      // The part's texts get this table's codes; the few distinct texts are interned once each.
      const remap = Int32Array.from(p.values, (v) => this.texts.codeOfText(v) + 1);
      const top = remap.reduce((m, c) => Math.max(m, c), 0);
      for (const k of TEXT) {
        t[k].fit(top - 1);
        remapCodes(t[k].codes, at, p.codes[k], p.count, remap);
        t[k].wrote(at + p.count);
      }
      at += p.count;
    }
    t.count = total;
  }

  /**
   * The table with its columns cut to the rows (views, no copy): code that takes a column's
   * length, or copies it, must not touch the room reserved past them.
   */
  finished(): ProcessTable {
    const t = this.table;
    const n = t.count;
    for (const k of NUMERIC) t[k].cells = t[k].cells.subarray(0, n);
    t.memoryDerived = t.memoryDerived.subarray(0, n);
    t.pid.cells = t.pid.cells.subarray(0, n);
    for (const k of TEXT) t[k].codes = t[k].codes.subarray(0, n);
    return t;
  }

  /**
   * Room for `rows` rows in all, made at once (see BinaryTableBuilder.reserve: rows not added
   * never touch their pages, while every doubling copies the columns into fresh pages).
   */
  reserve(rows: number): void {
    if (rows > this.table.messageQueueLength.length) this.grow(rows);
  }

  /** Room for `to` rows, or twice as many: the rows are copied, the rest is left untouched. */
  private grow(to?: number): void {
    const t = this.table;
    const n = to ?? t.messageQueueLength.length * 2;
    // Every column is made before any is replaced: if one allocation fails (reserve asks for a
    // lot of address space), the table keeps one capacity for all its columns.
    const made = NUMERIC.map((k) => cellsLike(t[k].cells, n));
    const pids = new Uint32Array(n);
    const codes = TEXT.map((k) => cellsLike(t[k].codes, n));
    const d = new Uint8Array(n);
    NUMERIC.forEach((k, j) => {
      made[j].set(t[k].cells.subarray(0, t.count));
      t[k].cells = made[j];
    });
    pids.set(t.pid.cells.subarray(0, t.count));
    t.pid.cells = pids;
    TEXT.forEach((k, j) => {
      codes[j].set(t[k].codes.subarray(0, t.count));
      t[k].codes = codes[j];
    });
    d.set(t.memoryDerived.subarray(0, t.count));
    t.memoryDerived = d;
  }
}

/**
 * A part's text codes, in this table's codes, into `to` from row `at`. A loop of its own: inside
 * appendParts, which runs a few times per part over a dozen columns, it made V8 compile all of
 * appendParts again and again (on-stack replacement, then deoptimisations on its rare paths:
 * 270 ms of compiling on a dump of a million processes).
 */
function remapCodes(to: Cells, at: number, from: Cells, n: number, remap: Int32Array): void {
  for (let r = 0; r < n; r++) to[at + r] = from[r] === 0 ? 0 : remap[from[r] - 1];
}

/** A table of these rows, using the arrays as they are. */
export function tableFromPart(p: ProcessTablePart): ProcessTable {
  return tableFromColumns(p.count, new PidColumn(p.pid.cells, new Map(p.pid.big), new Map(p.pid.other)), p.values, {
    numeric: (k) => p.numeric[k], codes: (k) => p.codes[k], memoryDerived: () => p.memoryDerived,
  });
}

/** Where a table's columns come from (tableFromColumns): each asked for once, when first used. */
export interface TableColumnsSource {
  numeric(k: NumericColumn): { cells: Cells; big: Array<[number, number]> };
  codes(k: TextColumnName): Cells;
  memoryDerived(): Uint8Array;
}

/**
 * A table whose columns are made from `source` when first used. A saved index (index-file.ts)
 * reads a column from the file only then: triage reads 11 of the 23 columns, and the heap sizes,
 * fragments, links and monitors (3 MB each on 3 million processes) only `proc` and `serve` show.
 */
export function tableFromColumns(count: number, pid: PidColumn, values: readonly string[], source: TableColumnsSource): ProcessTable {
  // The columns are getters on the prototype (lazyColumn), so that the table keeps one shape.
  return new LazyColumns(count, pid, values, source) as unknown as ProcessTable;
}

class LazyColumns {
  readonly made: Record<string, unknown> = {};
  constructor(readonly count: number, readonly pid: PidColumn, readonly values: readonly string[], readonly source: TableColumnsSource) {}
}

function lazyColumn(name: string, make: (t: LazyColumns) => unknown): void {
  Object.defineProperty(LazyColumns.prototype, name, {
    enumerable: true,
    get(this: LazyColumns) {
      return (this.made[name] ??= make(this));
    },
  });
}
for (const k of NUMERIC) {
  lazyColumn(k, (t) => {
    const c = t.source.numeric(k);
    return new NumberColumn(c.cells, new Map(c.big));
  });
}
for (const k of TEXT) lazyColumn(k, (t) => new TextColumn(t.source.codes(k), t.values));
lazyColumn('memoryDerived', (t) => t.source.memoryDerived());

/**
 * A table's rows in transferable form: copies for a worker of the parallel reader to post, views
 * (`copy` false) for the saved index. Every text column's codes point into the one `values`.
 */
export function tableToPart(t: ProcessTable, copy = true): ProcessTablePart {
  const n = t.count;
  const cut = <T extends Float64Array | Cells>(a: T): T => firstCells(a, n, copy);
  const numeric = {} as ProcessTablePart['numeric'];
  for (const k of NUMERIC) numeric[k] = { cells: cut(t[k].cells), big: t[k].bigEntries(n) };
  // The columns of one table share their values (ProcessTableBuilder, tableFromPart).
  const values = t.state.values;
  const codes = {} as Record<TextColumnName, Cells>;
  for (const k of TEXT) {
    if (t[k].values !== values) throw new Error(`process table: column ${k} has values of its own`);
    codes[k] = cut(t[k].codes);
  }
  const other = [...t.pid.other].filter(([row]) => row < n);
  const big = [...t.pid.big].filter(([row]) => row < n);
  return { count: n, numeric, memoryDerived: cut(t.memoryDerived), pid: { cells: cut(t.pid.cells), big, other }, values: [...values], codes };
}

/** A ProcessTableBuilder's rows in transferable form. */
export interface ProcessTablePart {
  count: number;
  /** Per column, the cells and the values that do not fit one (NumberColumn). */
  numeric: Record<NumericColumn, { cells: Cells; big: Array<[number, number]> }>;
  memoryDerived: Uint8Array;
  /** PidColumn's cells, and by row its packed pids past 32 bits and the pids not packed. */
  pid: { cells: Uint32Array; big: Array<[number, number]>; other: Array<[number, string]> };
  /** The distinct texts of every text column. */
  values: string[];
  /** Per column and row, 1 + the index of its text in `values` (0: not in the dump). */
  codes: Record<TextColumnName, Cells>;
}

/** Row i of the table as an object. */
export function processAt(t: ProcessTable, i: number): ProcessRecord {
  const rec: ProcessRecord = {
    pid: t.pid.at(i),
    state: t.state.at(i) ?? 'unknown',
    messageQueueLength: t.messageQueueLength.at(i),
    reductions: t.reductions.at(i),
    memoryBytes: t.memoryBytes.at(i),
    memoryDerived: t.memoryDerived[i] === 1,
    stackHeapBytes: t.stackHeapBytes.at(i),
    oldHeapBytes: t.oldHeapBytes.at(i),
    heapUnusedBytes: t.heapUnusedBytes.at(i),
    oldHeapUnusedBytes: t.oldHeapUnusedBytes.at(i),
    binVHeapBytes: t.binVHeapBytes.at(i),
    oldBinVHeapBytes: t.oldBinVHeapBytes.at(i),
    heapFragments: t.heapFragments.at(i),
    heapFragmentBytes: t.heapFragmentBytes.at(i),
    links: t.links.at(i),
    monitors: t.monitors.at(i),
    monitoredBy: t.monitoredBy.at(i),
  };
  const opt = { name: t.name.at(i), spawnedAs: t.spawnedAs.at(i), spawnedBy: t.spawnedBy.at(i), currentCall: t.currentCall.at(i),
    programCounter: t.programCounter.at(i), internalState: t.internalState.at(i) };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = v;
  return rec;
}

/** The row of a pid or registered name, or -1. */
export function findProcess(t: ProcessTable, pidOrName: string): number {
  const row = t.pid.find(pidOrName);
  return row >= 0 ? row : t.name.find(pidOrName);
}
