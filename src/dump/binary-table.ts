import { cellsLike, firstCells, NumberColumn, type Cells } from './columns.js';
import type { BinaryIndex } from './types.js';

/** At most this many binaries from one checkpoint (BinaryIndex.checkpoints) to the next. */
export const BINARY_CHECKPOINT_EVERY = 16;

/**
 * The `=binary:ADDR` sections of a dump, in typed arrays: a node that died with millions of refc
 * binaries queued (the Logplex shape) has millions of them, so each costs 10-13 bytes (address,
 * payload size in 1 to 4 bytes (NumberColumn), and a sixteenth of a checkpoint) and no JS string or object. Fresh memory costs a
 * page fault per 4 KiB, much of the time of building these arrays, so a byte less is time too.
 * They are kept apart from the SectionIndex: nothing looks a binary up by tag, only by address.
 */
export class BinaryTableBuilder {
  private address = new Float64Array(256);
  private size = new NumberColumn(new Uint8Array(256), new Map());
  private cpRow = new Float64Array(16);
  private cpOffset = new Float64Array(16);
  private cpCount = 0;
  count = 0;
  totalBytes = 0;

  /** A `=binary` section whose body starts at `bodyOffset`; its size comes with setLastSize. */
  add(address: number, bodyOffset: number): void {
    if (this.count === this.address.length) this.grow(this.count * 2);
    if (this.cpCount === 0 || this.count - this.cpRow[this.cpCount - 1] >= BINARY_CHECKPOINT_EVERY) this.checkpoint(this.count, bodyOffset);
    // The size stays NaN (cell 0, as every row past the count) until the body's `SIZE:` is read: a
    // dump cut right after the tag line has none.
    this.address[this.count] = address;
    this.count++;
  }

  setLastSize(bytes: number): void {
    this.size.set(this.count - 1, bytes);
    this.totalBytes += bytes;
  }

  clear(): void {
    this.size.cells.fill(0, 0, this.count);
    this.size.big.clear();
    this.count = 0;
    this.totalBytes = 0;
    this.cpCount = 0;
  }

  /**
   * The rows as exact-length arrays: copies (this builder may be reused for the next range), or
   * views with `copy` false (good until the builder adds rows again).
   */
  toPart(copy = true): BinaryTablePart {
    const n = this.count;
    return {
      address: firstCells(this.address, n, copy), sizeBytes: { cells: firstCells(this.size.cells, n, copy), big: this.size.bigEntries(n) },
      totalBytes: this.totalBytes, cpRow: firstCells(this.cpRow, this.cpCount, copy), cpOffset: firstCells(this.cpOffset, this.cpCount, copy),
    };
  }

  /** Appends the rows of the following byte ranges, in file order, sized once for all. */
  appendParts(parts: BinaryTablePart[]): void {
    const total = parts.reduce((n, p) => n + p.address.length, this.count);
    // Doubling: the parallel reader appends range by range.
    if (total > this.address.length) this.grow(Math.max(total, this.address.length * 2));
    for (const p of parts) {
      for (let k = 0; k < p.cpRow.length; k++) this.checkpoint(this.count + p.cpRow[k], p.cpOffset[k]);
      this.address.set(p.address, this.count);
      this.size.copyIn(p.sizeBytes.cells, this.count);
      for (const [row, v] of p.sizeBytes.big) this.size.set(this.count + row, v);
      this.count += p.address.length;
      this.totalBytes += p.totalBytes;
    }
  }

  /** The finished index; the arrays are views of the builder's (no copy of tens of MB). */
  result(): BinaryIndex {
    const n = this.count;
    return {
      count: n, totalBytes: this.totalBytes, address: this.address.subarray(0, n),
      sizeBytes: new NumberColumn(this.size.cells.subarray(0, n), new Map(this.size.bigEntries(n))),
      checkpoints: { row: this.cpRow.subarray(0, this.cpCount), bodyOffset: this.cpOffset.subarray(0, this.cpCount) },
    };
  }

  private checkpoint(row: number, bodyOffset: number): void {
    if (this.cpCount === this.cpRow.length) {
      this.cpRow = copyInto(new Float64Array(this.cpCount * 2), this.cpRow, this.cpCount);
      this.cpOffset = copyInto(new Float64Array(this.cpCount * 2), this.cpOffset, this.cpCount);
    }
    this.cpRow[this.cpCount] = row;
    this.cpOffset[this.cpCount++] = bodyOffset;
  }

  /**
   * Room for `n` rows in all, made at once. The pages are touched only as rows are added, so an
   * estimate too high costs address space, not memory, while growing by copies costs a page
   * fault per 4 KiB of every copy and, for a moment, both copies.
   */
  reserve(n: number): void {
    if (n > this.address.length) this.grow(Math.min(n, 2 ** 28));
  }

  private grow(n: number): void {
    // Both made before either is replaced: a failed allocation leaves one capacity for both.
    const address = new Float64Array(n);
    const size = cellsLike(this.size.cells, n);
    this.address = copyInto(address, this.address, this.count);
    size.set(this.size.cells.subarray(0, this.count));
    this.size.cells = size;
  }
}

function copyInto<T extends Float64Array>(to: T, from: Float64Array, n: number): T {
  to.set(from.subarray(0, n));
  return to;
}

/** A BinaryTableBuilder's rows in transferable form (parallel reader); checkpoint rows are the part's own. */
export interface BinaryTablePart {
  address: Float64Array;
  /** NumberColumn's cells and the values on its side. */
  sizeBytes: { cells: Cells; big: Array<[number, number]> };
  totalBytes: number;
  cpRow: Float64Array;
  cpOffset: Float64Array;
}

/** The checkpoint at or before `row`: the row it is of and where its body starts. */
export function checkpointBefore(bins: Pick<BinaryIndex, 'checkpoints'>, row: number): { row: number; bodyOffset: number } | undefined {
  const rows = bins.checkpoints.row;
  let lo = 0;
  let hi = rows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid] <= row) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? undefined : { row: rows[found], bodyOffset: bins.checkpoints.bodyOffset[found] };
}

/**
 * Where a BinaryIndex's rows can be read a window at a time instead of from its columns: a saved
 * index's file (index-file.ts), whose 3,000,000 addresses of class a are 24 MB to read, check and
 * page in (0.12 s of a 0.6 s triage from the index) when triage looks up a few thousand of them.
 */
export interface BinaryRowSource {
  readonly count: number;
  /**
   * Copies the addresses of rows [first, first + address.length) into `address`, and when asked
   * their sizes as NumberColumn.at gives them (NaN: not known) into `size`, of the same length.
   */
  read(first: number, address: Float64Array, size?: Float64Array): void;
}

const rowSources = new WeakMap<object, BinaryRowSource>();

/** Lookups of `bins` read its rows from `source` (see BinaryRowSource) until they need the columns. */
export function readRowsFrom(bins: object, source: BinaryRowSource): void {
  rowSources.set(bins, source);
}

/** Where the rows of `bins` are read from by its lookups, if not from its columns. */
export function rowSourceOf(bins: object): BinaryRowSource | undefined {
  return rowSources.get(bins);
}

/**
 * Row of a binary by address. A process's heap refers to its binaries mostly in the order the
 * dump wrote them, so a lookup first tries the rows next to the last one found, then a linear
 * scan; only after LINEAR_LOOKUPS misses is an open-addressed table (4 bytes a slot, at most 3/4
 * full) built. On 3,000,000 binaries the table costs 270 ms of random writes, while triage's few
 * thousand lookups of one mailbox are almost all next to the one before.
 *
 * With a BinaryRowSource, rows are read from it a window of WINDOW_ROWS at a time, for as long as
 * the lookups stay in a few places and read little of the table: after one linear scan more,
 * FAR_READS windows away from the last, or windows of an eighth of the rows, the columns are read
 * and used as above (`proc` of a mailbox of 3,000,000 decodes every message, then looks for the
 * binaries in every other heap: 0.35 s more through windows; each row a window was 3 minutes).
 */
export class BinaryLookup {
  private slots?: Int32Array;
  private mask = 0;
  private last = -1;
  private linear = 0;
  readonly count: number;
  private window?: { first: number; address: Float64Array; size: Float64Array };
  private farReads = 0;
  private rowsRead = 0;

  constructor(private readonly bins: Pick<BinaryIndex, 'address' | 'sizeBytes'>, private source?: BinaryRowSource) {
    this.count = source ? source.count : bins.address.length;
  }

  /** The row of this address, or -1. */
  rowOf(address: number): number {
    if (this.slots) return this.probe(address);
    if (this.source) {
      const row = this.rowOfRead(address);
      if (row !== undefined) return row;
    }
    const a = this.bins.address;
    for (let d = 1; d <= NEAR; d++) {
      const up = this.last + d;
      if (up < a.length && a[up] === address) return (this.last = up);
      const down = this.last - d;
      if (down >= 0 && a[down] === address) return (this.last = down);
    }
    if (this.last >= 0 && a[this.last] === address) return this.last;
    if (++this.linear > LINEAR_LOOKUPS) {
      this.build();
      return this.probe(address);
    }
    const row = a.indexOf(address);
    if (row >= 0) this.last = row;
    return row;
  }

  /** The address of row `row` (< count). */
  addressAt(row: number): number {
    const w = this.source && this.rows(row);
    return w ? w.address[row - w.first] : this.bins.address[row];
  }

  /** The payload size of row `row` (< count), NaN when not known. */
  sizeAt(row: number): number {
    const w = this.source && this.rows(row);
    return w ? w.size[row - w.first] : this.bins.sizeBytes.at(row);
  }

  /** rowOf from windows read from the source, or undefined once the columns are to be used instead. */
  private rowOfRead(address: number): number | undefined {
    const n = this.count;
    for (let d = 1; d <= NEAR; d++) {
      const up = this.last + d;
      if (up < n && this.addressAt(up) === address) return (this.last = up);
      const down = this.last - d;
      if (down >= 0 && this.addressAt(down) === address) return (this.last = down);
    }
    if (this.last >= 0 && this.addressAt(this.last) === address) return this.last;
    if (!this.source || this.linear++ > 0) {
      this.leaveSource();
      return undefined;
    }
    // Addresses only, in larger pieces than a window: the first lookup of a mailbox whose binaries
    // are the last of 3,000,000 read 366 windows (40 ms).
    const piece = new Float64Array(Math.min(n, SCAN_ROWS));
    for (let first = 0; first < n; first += piece.length) {
      const part = piece.subarray(0, Math.min(piece.length, n - first));
      this.source.read(first, part);
      const k = part.indexOf(address);
      if (k >= 0) return (this.last = first + k);
    }
    return -1;
  }

  /**
   * The window holding `row`, read (from a little before the row) when it does not; undefined once
   * the lookups have gone too far too often (then the columns are used).
   */
  private rows(row: number): BinaryLookup['window'] {
    const w = this.window;
    if (w && row >= w.first && row < w.first + w.address.length) return w;
    const far = w !== undefined && (row < w.first - WINDOW_ROWS || row >= w.first + 2 * WINDOW_ROWS);
    if ((far && ++this.farReads > FAR_READS) || (this.rowsRead += WINDOW_ROWS) > this.count / 8) {
      this.leaveSource();
      return undefined;
    }
    const len = Math.min(WINDOW_ROWS, this.count);
    const first = Math.max(0, Math.min(row - (WINDOW_ROWS >> 3), this.count - len));
    const next = w ?? { first, address: new Float64Array(len), size: new Float64Array(len) };
    next.first = first;
    this.source!.read(first, next.address, next.size);
    return (this.window = next);
  }

  /** Lookups all over the table are to come (every heap's binaries): the columns from now on. */
  useColumns(): this {
    this.leaveSource();
    return this;
  }

  private leaveSource(): void {
    this.source = undefined;
    this.window = undefined;
    this.linear = 0;
  }

  private probe(address: number): number {
    const a = this.bins.address;
    const slots = this.slots!;
    for (let h = hashAddress(address) & this.mask; ; h = (h + 1) & this.mask) {
      const row = slots[h] - 1;
      if (row < 0) return -1;
      if (a[row] === address) return row;
    }
  }

  private build(): void {
    const a = this.bins.address;
    const n = a.length;
    let cap = 16;
    while (cap * 3 < n * 4) cap *= 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let i = 0; i < n; i++) {
      let h = hashAddress(a[i]) & mask;
      // The first section of an address wins (a dump writes each binary once).
      while (slots[h] !== 0 && a[slots[h] - 1] !== a[i]) h = (h + 1) & mask;
      if (slots[h] === 0) slots[h] = i + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** Rows on either side of the last one found that a lookup tries first. */
const NEAR = 4;
/** Linear scans (a few ms each on millions of binaries) before the table is built. */
const LINEAR_LOOKUPS = 32;
/** Rows of a window read from a BinaryRowSource: 128 KiB. */
const WINDOW_ROWS = 1 << 13;
/** Windows read far from the one before (see BinaryLookup) before the columns are read instead. */
const FAR_READS = 8;
/** Rows of the addresses read at a time from a BinaryRowSource by a linear scan: 1 MiB. */
const SCAN_ROWS = 1 << 17;

const lookups = new WeakMap<object, BinaryLookup>();

/** The lookup of a BinaryIndex, made on first use and kept as long as the index is. */
export function binaryLookup(bins: Pick<BinaryIndex, 'address' | 'sizeBytes'>): BinaryLookup {
  let l = lookups.get(bins);
  if (!l) {
    l = new BinaryLookup(bins, rowSourceOf(bins));
    lookups.set(bins, l);
  }
  return l;
}

/** Addresses are 8- or 16-byte aligned: mix the high bits down before masking (int32 maths only). */
function hashAddress(a: number): number {
  // ToUint32 is `a mod 2^32` for any integral double: the low word, without a float modulo.
  const lo = a >>> 0;
  const hi = ((a - lo) / 4294967296) | 0;
  let h = Math.imul((lo >>> 3) ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The body of a `=binary` section is one `SIZE:DATA` line: at most this many bytes. */
export function binaryBodyBound(sizeBytes: number, base64: boolean): number {
  const data = base64 ? Math.ceil(sizeBytes / 3) * 4 : sizeBytes * 2;
  return 16 + 1 + data + 2;
}
