/** Small statistics helpers for analyzers. */
import { cellOrZero, NumberColumn, topOf } from '../columns.js';

/**
 * Numbers read by index: a typed array, or a column of the process table (NumberColumn), whose
 * cells are not plain numbers. Both have `at`.
 */
export interface Numbers {
  readonly length: number;
  at(i: number): number | undefined;
}

/** The p-th percentile (0..1) of values, nearest-rank; NaN for none. */
export function percentile(values: Numbers, p: number, count = values.length): number {
  if (values instanceof NumberColumn && !(values.cells instanceof Uint32Array)) return columnPercentile(values, p, count);
  // A typed copy: the selection below reorders it, and it holds no boxed numbers.
  const all = new Float64Array(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const v = values.at(i)!;
    if (Number.isFinite(v)) all[n++] = v;
  }
  if (n === 0) return NaN;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  return select(all.subarray(0, n), rank);
}

/**
 * percentile() of a column of 1- or 2-byte cells, from a histogram of its cells and its few values
 * on the side, without a copy: a million-row column through `at` (a call and a test per row) took
 * a tenth of a second per percentile. Values on the side are the big ones, and the odd negative or
 * fractional one, so they are merged in order with the cells' values.
 */
function columnPercentile(col: NumberColumn, p: number, count: number): number {
  const cells = col.cells;
  const top = topOf(cells);
  const rows = Math.min(count, cells.length);
  const hist = new Float64Array(top + 1);
  for (let i = 0; i < rows; i++) hist[cells[i]]++;
  const side: number[] = [];
  if (hist[top] > 0) {
    for (const [row, v] of col.big) if (row < rows && cells[row] === top && Number.isFinite(v)) side.push(v);
  }
  side.sort((a, b) => a - b);
  let n = side.length;
  for (let c = 1; c < top; c++) n += hist[c];
  if (n === 0) return NaN;
  let k = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  let s = 0;
  for (let c = 1; c < top; c++) {
    while (s < side.length && side[s] < c - 1) {
      if (k === 0) return side[s];
      k--;
      s++;
    }
    if (k < hist[c]) return c - 1;
    k -= hist[c];
  }
  return side[s + k];
}

/**
 * The k-th smallest of a (which it reorders), in linear time: sorting the queue lengths of a
 * million processes to read one of them took 70 ms. Three-way partitions, because most queue
 * lengths are 0; after 2 log2(n) rounds without an answer (a pathological order) the rest is
 * sorted, so the worst case is n log n.
 */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  for (let rounds = 2 * Math.ceil(Math.log2(a.length + 1)); lo < hi; rounds--) {
    if (rounds === 0) {
      a.subarray(lo, hi + 1).sort();
      return a[k];
    }
    const pivot = median3(a[lo], a[(lo + hi) >>> 1], a[hi]);
    // a[lo, lt) < pivot, a[lt, i) == pivot, a(gt, hi] > pivot.
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return a[k];
}

function median3(x: number, y: number, z: number): number {
  return x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
}

/** Indices of the n largest finite values, largest first (ties keep table order). */
export function topIndices(values: Numbers, n: number, count = values.length): number[] {
  if (n <= 0) return [];
  if (values instanceof NumberColumn) return columnTopIndices(values, n, count);
  // A small sorted buffer: n is a report size (tens), the table can be millions of rows. The kept
  // values are copied beside it: a column's `at` is a function call.
  const idx: number[] = [];
  const kept: number[] = [];
  if (values instanceof Float64Array) {
    // Indexed, not through TypedArray.prototype.at (a builtin call per row).
    for (let i = 0, rows = Math.min(count, values.length); i < rows; i++) {
      const v = values[i];
      if (Number.isFinite(v) && (idx.length < n || v > kept[n - 1])) keepTop(idx, kept, n, i, v);
    }
    return idx;
  }
  for (let i = 0; i < count; i++) {
    const v = values.at(i)!;
    if (!Number.isFinite(v)) continue;
    if (idx.length === n && v <= kept[n - 1]) continue;
    keepTop(idx, kept, n, i, v);
  }
  return idx;
}

/**
 * topIndices() over a column's cells (see columnPercentile): a cell below the top is 1 + the value,
 * 0 is no value, and only the top cell asks the side table.
 */
function columnTopIndices(col: NumberColumn, n: number, count: number): number[] {
  const cells = col.cells;
  const top = topOf(cells);
  const rows = Math.min(count, cells.length);
  const idx: number[] = [];
  const kept: number[] = [];
  // Cells at or below `floor` cannot be kept: 0 (no value) and, once n rows are kept, every cell
  // whose value (c - 1) is not above the n-th kept. Most rows of a big table are decided by
  // this one comparison. The top cell (a value on the side) is never below it.
  let floor = 0;
  for (let i = 0; i < rows; i++) {
    const c = cells[i];
    if (c <= floor) continue;
    const v = c < top ? c - 1 : (col.big.get(i) ?? NaN);
    if (!Number.isFinite(v) || (idx.length === n && v <= kept[n - 1])) continue;
    keepTop(idx, kept, n, i, v);
    if (idx.length === n) floor = Math.max(0, Math.min(kept[n - 1] + 1, top - 1));
  }
  return idx;
}

/**
 * topIndices() of the per-row sums (a.at(i) || 0) + (b.at(i) || 0), from the two columns' cells
 * (see columnTopIndices): through a function per row, a table of 100,000 processes took ten times
 * as long, most of it before the loop was compiled.
 */
export function topSumIndices(a: NumberColumn, b: NumberColumn, n: number, count: number): number[] {
  if (n <= 0) return [];
  const ac = a.cells;
  const bc = b.cells;
  const aTop = topOf(ac);
  const bTop = topOf(bc);
  const idx: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < count; i++) {
    // A row past a column's cells has no value there (NaN, counted as 0), as `at` says.
    const v = (i < ac.length ? cellOrZero(ac, aTop, a.big, i) : 0) + (i < bc.length ? cellOrZero(bc, bTop, b.big, i) : 0);
    if (!Number.isFinite(v) || (idx.length === n && v <= kept[n - 1])) continue;
    keepTop(idx, kept, n, i, v);
  }
  return idx;
}

/** Puts row i (value v, over the n-th kept) into the sorted buffer of at most n rows. */
function keepTop(idx: number[], kept: number[], n: number, i: number, v: number): void {
  let j = idx.length < n ? idx.length : n - 1;
  if (idx.length < n) {
    idx.push(i);
    kept.push(v);
  }
  while (j > 0 && kept[j - 1] < v) {
    idx[j] = idx[j - 1];
    kept[j] = kept[j - 1];
    j--;
  }
  idx[j] = i;
  kept[j] = v;
}

export function sum(values: Numbers, count = values.length): number {
  if (values instanceof NumberColumn) {
    const cells = values.cells;
    const top = topOf(cells);
    const rows = Math.min(count, cells.length);
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const c = cells[i];
      if (c === 0) continue;
      if (c < top) s += c - 1;
      else {
        const v = values.big.get(i) ?? NaN;
        if (Number.isFinite(v)) s += v;
      }
    }
    return s;
  }
  let s = 0;
  for (let i = 0; i < count; i++) {
    const v = values.at(i)!;
    if (Number.isFinite(v)) s += v;
  }
  return s;
}
