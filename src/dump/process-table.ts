import type { ProcessRecord, ProcessTable } from './types.js';

const NUMERIC = [
  'messageQueueLength', 'reductions', 'memoryBytes', 'stackHeapBytes', 'oldHeapBytes', 'heapUnusedBytes',
  'oldHeapUnusedBytes', 'binVHeapBytes', 'oldBinVHeapBytes', 'heapFragments', 'heapFragmentBytes', 'links',
  'monitors', 'monitoredBy',
] as const;
const TEXT = ['pid', 'state', 'name', 'spawnedAs', 'spawnedBy', 'currentCall', 'programCounter', 'internalState'] as const;

export type NumericColumn = (typeof NUMERIC)[number];
export type TextColumn = (typeof TEXT)[number];

/** Builds the columnar process table row by row; numeric columns are typed arrays that double. */
export class ProcessTableBuilder {
  readonly table: ProcessTable;

  constructor(capacity = 256) {
    // One object literal with every column: an object given 20 properties one by one by name
    // (a loop over NUMERIC) becomes a dictionary, and every `t.messageQueueLength` of the parser,
    // for every line of every process, a hash lookup.
    const num = () => new Float64Array(capacity);
    this.table = {
      count: 0, pid: [], state: [], name: [], spawnedAs: [], spawnedBy: [], currentCall: [], programCounter: [],
      internalState: [], messageQueueLength: num(), reductions: num(), memoryBytes: num(),
      memoryDerived: new Uint8Array(capacity), stackHeapBytes: num(), oldHeapBytes: num(), heapUnusedBytes: num(),
      oldHeapUnusedBytes: num(), binVHeapBytes: num(), oldBinVHeapBytes: num(), heapFragments: num(),
      heapFragmentBytes: num(), links: num(), monitors: num(), monitoredBy: num(),
    } satisfies Record<NumericColumn | TextColumn | 'count' | 'memoryDerived', unknown>;
  }

  /** Starts a new row; every numeric field starts as NaN (not in the dump). */
  add(pid: string): number {
    const t = this.table;
    if (t.count === t.messageQueueLength.length) this.grow();
    const i = t.count++;
    // Spelled out: a loop over the column names is a keyed property access per cell, and this runs
    // for every process of the dump. The row's cells are set here, not when the arrays are made,
    // so that the capacity not used yet is never touched: it costs no page faults and no RSS.
    t.messageQueueLength[i] = NaN;
    t.reductions[i] = NaN;
    t.memoryBytes[i] = NaN;
    t.memoryDerived[i] = 0;
    t.stackHeapBytes[i] = NaN;
    t.oldHeapBytes[i] = NaN;
    t.heapUnusedBytes[i] = NaN;
    t.oldHeapUnusedBytes[i] = NaN;
    t.binVHeapBytes[i] = NaN;
    t.oldBinVHeapBytes[i] = NaN;
    t.heapFragments[i] = NaN;
    t.heapFragmentBytes[i] = NaN;
    t.links[i] = NaN;
    t.monitors[i] = NaN;
    t.monitoredBy[i] = NaN;
    t.pid.push(pid);
    t.state.push(undefined as unknown as string);
    t.name.push(undefined);
    t.spawnedAs.push(undefined);
    t.spawnedBy.push(undefined);
    t.currentCall.push(undefined);
    t.programCounter.push(undefined);
    t.internalState.push(undefined);
    return i;
  }

  setText(col: Exclude<TextColumn, 'pid'>, i: number, value: string): void {
    (this.table[col] as Array<string | undefined>)[i] = value;
  }

  /** Empties the table, keeping its arrays (a parallel-reader thread reuses one per range). */
  clear(): void {
    const t = this.table;
    for (const k of TEXT) (t as unknown as Record<string, unknown[]>)[k] = [];
    t.count = 0;
  }

  /**
   * The rows, copied, for a worker of the parallel reader to post. Text columns go as distinct
   * values plus codes: a structured clone copies a string once per row, and 100,000 copies of
   * "Waiting" would undo the interning.
   */
  toPart(): ProcessTablePart {
    return tableToPart(this.table);
  }

  /** Appends the rows of the following byte ranges, in order. */
  appendParts(parts: ProcessTablePart[]): void {
    const t = this.table;
    const total = parts.reduce((n, p) => n + p.count, t.count);
    if (total > t.messageQueueLength.length) this.grow(total);
    let at = t.count;
    for (const p of parts) {
      for (const k of NUMERIC) t[k].set(p.numeric[k], at);
      t.memoryDerived.set(p.memoryDerived, at);
      at += p.count;
    }
    // One concat per column: pushing row by row costs several times more for 100,000s of rows.
    t.pid = t.pid.concat(...parts.map((p) => p.pid));
    for (const k of TEXT) {
      if (k === 'pid') continue;
      (t as unknown as Record<string, unknown[]>)[k] = (t[k] as unknown[]).concat(...parts.map((p) => textColumn(p, k)));
    }
    t.count = total;
  }

  /**
   * The table with its numeric columns cut to the rows (views, no copy): code that takes a
   * column's length, or copies it, must not touch the room reserved past them.
   */
  finished(): ProcessTable {
    const t = this.table;
    for (const k of NUMERIC) t[k] = t[k].subarray(0, t.count);
    t.memoryDerived = t.memoryDerived.subarray(0, t.count);
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
    const made = NUMERIC.map(() => new Float64Array(n));
    const d = new Uint8Array(n);
    NUMERIC.forEach((k, j) => {
      made[j].set(t[k].subarray(0, t.count));
      t[k] = made[j];
    });
    d.set(t.memoryDerived.subarray(0, t.count));
    t.memoryDerived = d;
  }
}

/** A text column of a part, its codes turned back into the values. */
function textColumn(p: ProcessTablePart, k: Exclude<TextColumn, 'pid'>): Array<string | undefined> {
  const c = p.text[k];
  const col = new Array<string | undefined>(p.count);
  for (let i = 0; i < p.count; i++) col[i] = c.codes[i] < 0 ? undefined : c.values[c.codes[i]];
  return col;
}

/** A table of these rows, using the numeric arrays as they are (a saved index, index-file.ts). */
export function tableFromPart(p: ProcessTablePart): ProcessTable {
  const text = (k: Exclude<TextColumn, 'pid'>) => textColumn(p, k);
  const n = p.numeric;
  return {
    count: p.count, pid: p.pid, state: text('state') as string[], name: text('name'), spawnedAs: text('spawnedAs'),
    spawnedBy: text('spawnedBy'), currentCall: text('currentCall'), programCounter: text('programCounter'),
    internalState: text('internalState'), messageQueueLength: n.messageQueueLength, reductions: n.reductions,
    memoryBytes: n.memoryBytes, memoryDerived: p.memoryDerived, stackHeapBytes: n.stackHeapBytes, oldHeapBytes: n.oldHeapBytes,
    heapUnusedBytes: n.heapUnusedBytes, oldHeapUnusedBytes: n.oldHeapUnusedBytes, binVHeapBytes: n.binVHeapBytes,
    oldBinVHeapBytes: n.oldBinVHeapBytes, heapFragments: n.heapFragments, heapFragmentBytes: n.heapFragmentBytes,
    links: n.links, monitors: n.monitors, monitoredBy: n.monitoredBy,
  };
}

/**
 * A table's rows in transferable form: copies for a worker of the parallel reader to post, views
 * (`copy` false) for the saved index. Text columns go as distinct values plus codes: a structured clone copies a
 * string once per row, and 100,000 copies of "Waiting" would undo the interning.
 */
export function tableToPart(t: ProcessTable, copy = true): ProcessTablePart {
  const n = t.count;
  const numeric = {} as Record<NumericColumn, Float64Array>;
  // Copies to post (their buffers are transferred), views to write to a file.
  for (const k of NUMERIC) numeric[k] = copy ? t[k].slice(0, n) : t[k].subarray(0, n);
  const text = {} as ProcessTablePart['text'];
  for (const k of TEXT) {
    if (k === 'pid') continue;
    const col = t[k] as Array<string | undefined>;
    const codes = new Int32Array(n);
    const values: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v === undefined) { codes[i] = -1; continue; }
      let c = seen.get(v);
      if (c === undefined) {
        c = values.length;
        values.push(v);
        seen.set(v, c);
      }
      codes[i] = c;
    }
    text[k] = { values, codes };
  }
  return { count: n, numeric, memoryDerived: copy ? t.memoryDerived.slice(0, n) : t.memoryDerived.subarray(0, n), pid: t.pid.slice(0, n), text };
}

/** A ProcessTableBuilder's rows in transferable form. */
export interface ProcessTablePart {
  count: number;
  numeric: Record<NumericColumn, Float64Array>;
  memoryDerived: Uint8Array;
  /** Distinct in every row: sent as is. */
  pid: string[];
  /** Distinct values, and per row the value's index (-1: not in the dump). */
  text: Record<Exclude<TextColumn, 'pid'>, { values: string[]; codes: Int32Array }>;
}

/** Row i of the table as an object. */
export function processAt(t: ProcessTable, i: number): ProcessRecord {
  const rec: ProcessRecord = {
    pid: t.pid[i],
    state: t.state[i] ?? 'unknown',
    messageQueueLength: t.messageQueueLength[i],
    reductions: t.reductions[i],
    memoryBytes: t.memoryBytes[i],
    memoryDerived: t.memoryDerived[i] === 1,
    stackHeapBytes: t.stackHeapBytes[i],
    oldHeapBytes: t.oldHeapBytes[i],
    heapUnusedBytes: t.heapUnusedBytes[i],
    oldHeapUnusedBytes: t.oldHeapUnusedBytes[i],
    binVHeapBytes: t.binVHeapBytes[i],
    oldBinVHeapBytes: t.oldBinVHeapBytes[i],
    heapFragments: t.heapFragments[i],
    heapFragmentBytes: t.heapFragmentBytes[i],
    links: t.links[i],
    monitors: t.monitors[i],
    monitoredBy: t.monitoredBy[i],
  };
  const opt = { name: t.name[i], spawnedAs: t.spawnedAs[i], spawnedBy: t.spawnedBy[i], currentCall: t.currentCall[i],
    programCounter: t.programCounter[i], internalState: t.internalState[i] };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = v;
  return rec;
}

/** The row of a pid or registered name, or -1. */
export function findProcess(t: ProcessTable, pidOrName: string): number {
  for (let i = 0; i < t.count; i++) if (t.pid[i] === pidOrName) return i;
  for (let i = 0; i < t.count; i++) if (t.name[i] === pidOrName) return i;
  return -1;
}
