/**
 * Sorting and filtering the whole process table for `serve`, over its typed columns: the answer is
 * a permutation of row numbers (4 bytes a process), never an object per process. A million rows
 * sort in a native typed-array sort of 8-byte keys (key in the high word, row in the low one).
 */
import { endianness } from 'node:os';
import { topOf } from '../dump/columns.js';
import { NUMERIC_COLUMNS, TEXT_COLUMNS, type NumericColumn, type TextColumnName } from '../dump/process-table.js';
import type { ProcessTable } from '../dump/types.js';

export type ProcessSortKey = 'pid' | NumericColumn | TextColumnName;

export const PROCESS_SORT_KEYS: readonly ProcessSortKey[] = ['pid', ...NUMERIC_COLUMNS, ...TEXT_COLUMNS];

export interface ProcessQuery {
  sort: ProcessSortKey;
  descending: boolean;
  /** Case-insensitive text looked for in the pid, name, state, initial call, current function and parent. */
  filter: string;
}

/** The text columns a filter looks in (with the pid). */
const FILTERED: readonly TextColumnName[] = ['name', 'state', 'spawnedAs', 'currentCall', 'spawnedBy'];

/**
 * Sort keys: a row without a value, and one whose value is kept on the side (columns.ts: 4 Gi or
 * more, or past its cells' width), above every value a cell holds.
 */
const NONE = 0xffffffff;
const BIG = 0xfffffffe;

/** Rows of the table that match a filter, ascending; every row for an empty filter. */
export function filterRows(t: ProcessTable, filter: string): Uint32Array {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return allRows(t.count);
  // The texts are few and shared by the columns: test each once, then rows compare codes.
  const values = t.state.values;
  const hit = new Uint8Array(values.length);
  for (let c = 0; c < values.length; c++) if (values[c].toLowerCase().includes(needle)) hit[c] = 1;
  // A pid's text is made per row only when the filter could be part of one.
  const pidLike = /^[<>\d.]+$/.test(needle);
  const cols = FILTERED.map((k) => t[k].codes);
  const out = new Uint32Array(t.count);
  let n = 0;
  for (let i = 0; i < t.count; i++) {
    let ok = false;
    for (const codes of cols) {
      // A text cell is 1 + its code; 0 is no text.
      const c = codes[i];
      if (c > 0 && hit[c - 1] === 1) {
        ok = true;
        break;
      }
    }
    if (!ok && pidLike) ok = t.pid.at(i).includes(needle);
    if (ok) out[n++] = i;
  }
  return out.slice(0, n);
}

function allRows(n: number): Uint32Array {
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

/**
 * `rows` ordered by a column (ties in row order). Rows without a value come last either way, as
 * in a spreadsheet.
 */
export function sortRows(t: ProcessTable, rows: Uint32Array, key: ProcessSortKey, descending: boolean): Uint32Array {
  if (key === 'pid') return byKey(rows, pidRanks(t), descending, NONE);
  if ((TEXT_COLUMNS as readonly string[]).includes(key)) {
    const col = t[key as TextColumnName];
    const ranks = textRanks(col.values);
    const codes = col.codes;
    return byKey(rows, (i) => (codes[i] === 0 ? NONE : ranks[codes[i] - 1]), descending, NONE);
  }
  const col = t[key as NumericColumn];
  const cells = col.cells;
  // A cell is 1 + its value, 0 for none, or its width's top value for one kept on the side.
  const top = topOf(cells);
  const keyOf = (i: number) => {
    const c = cells[i];
    return c === 0 ? NONE : c === top ? BIG : c - 1;
  };
  const sorted = byKey(rows, keyOf, descending, NONE);
  // The values on the side share one key (BIG): order that run by the values themselves.
  let a = 0;
  while (a < sorted.length && keyOf(sorted[a]) !== BIG) a++;
  let b = a;
  while (b < sorted.length && keyOf(sorted[b]) === BIG) b++;
  if (b - a > 1) {
    const run = Array.from(sorted.subarray(a, b)).sort((x, y) => (col.at(x) - col.at(y)) * (descending ? -1 : 1) || x - y);
    sorted.set(run, a);
  }
  return sorted;
}

/**
 * Sorts rows by a 32-bit key: key and row in one 64-bit integer each, sorted natively. `missing`
 * is the key of rows without a value, kept last when descending too.
 */
function byKey(rows: Uint32Array, keyOf: (row: number) => number, descending: boolean, missing: number): Uint32Array {
  const n = rows.length;
  const pairs = new BigUint64Array(n);
  const words = new Uint32Array(pairs.buffer);
  const [lo, hi] = endianness() === 'LE' ? [0, 1] : [1, 0];
  for (let j = 0; j < n; j++) {
    const row = rows[j];
    const k = keyOf(row);
    words[2 * j + hi] = descending && k !== missing ? missing - 1 - k : k;
    words[2 * j + lo] = row;
  }
  pairs.sort();
  const out = new Uint32Array(n);
  for (let j = 0; j < n; j++) out[j] = words[2 * j + lo];
  return out;
}

/** The rank of each distinct text in plain string order. */
function textRanks(values: readonly string[]): Uint32Array {
  const order = values.map((_v, i) => i).sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));
  const ranks = new Uint32Array(values.length);
  order.forEach((code, rank) => (ranks[code] = rank));
  return ranks;
}

/**
 * Each row's rank among the pids: a packed pid (section-index.ts) orders as Erlang orders local
 * pids, but needs 53 bits, so rows are keyed by its rank instead; unpacked pids come last.
 */
function pidRanks(t: ProcessTable): (row: number) => number {
  const packed = Float64Array.from({ length: t.count }, (_, i) => t.pid.packedAt(i));
  const sorted = Float64Array.from(packed).sort();
  return (row) => {
    const p = packed[row];
    if (Number.isNaN(p)) return NONE;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * The last few answers, kept: paging through one sorted, filtered view asks for the same
 * permutation again and again. Each costs 4 bytes a matching row.
 */
export class ProcessQueryCache {
  private entries = new Map<string, Uint32Array>();

  constructor(private readonly table: ProcessTable, private readonly keep = 4) {}

  rows(q: ProcessQuery): Uint32Array {
    const id = JSON.stringify([q.sort, q.descending, q.filter.trim().toLowerCase()]);
    let rows = this.entries.get(id);
    if (rows) {
      this.entries.delete(id);
    } else {
      rows = sortRows(this.table, filterRows(this.table, q.filter), q.sort, q.descending);
      if (this.entries.size >= this.keep) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(id, rows);
    return rows;
  }
}
