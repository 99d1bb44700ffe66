/**
 * Typed-array columns whose cells are as narrow as their values allow: the process table's
 * counts and sizes and text codes, the binary table's sizes. Millions of rows of a big dump each
 * cost a few bytes, and fresh memory costs a page fault per 4 KiB, so a byte less is time too.
 */
/** Cells of a column: as narrow as its values allow (see NumberColumn, TextColumn). */
export type Cells = Uint8Array | Uint16Array | Uint32Array;

/**
 * The next wider cells than `a`, of the same length, with its first `used` cells copied: the rest
 * are zeros in both, and a copy of them would touch every page of a capacity reserved ahead (a
 * table of 7 million rows' room for a 1.8 GB dump) that no row has used yet.
 */
export function widened(a: Cells, used: number): Cells {
  const w = a instanceof Uint8Array ? new Uint16Array(a.length) : new Uint32Array(a.length);
  w.set(a.subarray(0, Math.min(used, a.length)));
  return w;
}

/**
 * A NumberColumn's value at row i as `at(i) || 0` reads it (0 where the dump has none), from its
 * cells, their top value (topOf) and its values on the side: for loops over millions of rows of
 * several columns, a small function they inline instead of a method call per column and row.
 */
export function cellOrZero(cells: Cells, top: number, big: ReadonlyMap<number, number>, i: number): number {
  return cellValueOrZero(cells[i], top, big, i);
}

/** The same, from cell value `c` of row i (read on its own: a saved index's cell read from the file). */
export function cellValueOrZero(c: number, top: number, big: ReadonlyMap<number, number>, i: number): number {
  return c === 0 ? 0 : c < top ? c - 1 : (big.get(i) || 0);
}

/**
 * The first n cells of a table's array for its part (toPart): a copy, to post to another thread or
 * keep past the builder's next range, or a view (`copy` false) of the builder's own.
 */
export function firstCells<T extends Float64Array | Cells>(a: T, n: number, copy: boolean): T {
  return (copy ? a.slice(0, n) : a.subarray(0, n)) as T;
}

/** The marker of the widest cell value of these cells: 0xff, 0xffff or 0xffffffff. */
export function topOf(a: Cells): number {
  return topOfWidth(a.BYTES_PER_ELEMENT);
}

/** The same, for cells of this many bytes (1, 2 or 4): a saved index's cells read one at a time. */
export function topOfWidth(bytes: number): number {
  return bytes === 1 ? 0xff : bytes === 2 ? 0xffff : 0xffffffff;
}

/** The same kind of cells as `like`, of length n. */
export function cellsLike(like: Cells, n: number): Cells {
  return like instanceof Uint8Array ? new Uint8Array(n) : like instanceof Uint16Array ? new Uint16Array(n) : new Uint32Array(n);
}

/**
 * Values past a column's cells kept on the side before the column widens: a few big processes
 * (one 2 GB mailbox among 3,000,000 processes of 3 KB) stay in a small Map, while a column
 * whose values are mostly wide gets wide cells. 4,096 entries are well under 1 MB.
 */
const MAX_SIDE_VALUES = 4096;
/**
 * ...and a column widens sooner when a sixteenth of its rows or more are on the side, past this
 * many: a parallel reader's part of 3,000 binaries of 2,700 bytes would otherwise keep every size
 * in the Map (1 s more of a class e triage). The first rows of a process table, the system's few
 * big processes, stay under it.
 */
const MIN_SIDE_TO_WIDEN_EARLY = 256;

/**
 * A numeric column: per row 1 + the value (0: the dump did not write it), in cells of 1, 2 or 4
 * bytes: counts and sizes of most processes are small, and 3,000,000 processes times 14
 * columns of 4 bytes (168 MB) was half the memory of a scan of such a dump. A value that does
 * not fit the cells (a big process; 4 Gi or more, or not a whole number, whatever the width)
 * has the cells' top value and is kept by row on the side; when the side holds more than
 * MAX_SIDE_VALUES (or a sixteenth of the rows), the cells widen and take back what now fits.
 * `at(i)` is NaN where the dump has no value.
 */
export class NumberColumn {
  /** The cells' top value (the marker of a value on the side); cells keep their width when replaced. */
  private top: number;
  /** Rows below this may have been set (rows past it are zeros: see widened). */
  private used = 0;

  constructor(public cells: Cells, public readonly big: Map<number, number>) {
    this.top = topOf(cells);
  }

  get length(): number {
    return this.cells.length;
  }

  at(i: number): number {
    const c = this.cells[i];
    if (c === 0) return NaN;
    return c < this.top ? c - 1 : (this.big.get(i) ?? NaN);
  }

  set(i: number, v: number): void {
    if (i >= this.used) this.used = i + 1;
    const top = this.top;
    if (v >>> 0 === v && v + 1 < top) this.cells[i] = v + 1;
    else if (Number.isNaN(v)) this.cells[i] = 0;
    else {
      this.cells[i] = top;
      this.big.set(i, v);
      const side = this.big.size;
      if (top !== 0xffffffff && (side > MAX_SIDE_VALUES || (side > MIN_SIDE_TO_WIDEN_EARLY && side * 16 > this.used))) this.widen();
    }
  }

  /** Wider cells; the values on the side that now fit go into them. */
  private widen(): void {
    const old = this.top;
    this.cells = widened(this.cells, this.used);
    const top = (this.top = topOf(this.cells));
    for (const [row, v] of this.big) {
      // An entry whose row was set again since (to a value that fits) is stale.
      if (this.cells[row] !== old) {
        this.big.delete(row);
        continue;
      }
      if (v >>> 0 === v && v + 1 < top) {
        this.cells[row] = v + 1;
        this.big.delete(row);
      } else this.cells[row] = top;
    }
  }

  /**
   * Copies a part's cells in at row `at` (the parallel reader appends parts), first widening to
   * theirs; then the part's values on the side must be set() (their cells hold the part's top).
   */
  copyIn(cells: Cells, at: number): void {
    while (this.top < topOf(cells)) this.widen();
    this.cells.set(cells, at);
    this.used = Math.max(this.used, at + cells.length);
  }

  /** The values that do not fit a cell, for rows below n. */
  bigEntries(n: number): Array<[number, number]> {
    const top = this.top;
    return [...this.big].filter(([row]) => row < n && this.cells[row] === top);
  }
}
