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
 * Row of a binary by address. A process's heap refers to its binaries mostly in the order the
 * dump wrote them, so a lookup first tries the rows next to the last one found, then a linear
 * scan; only after LINEAR_LOOKUPS misses is an open-addressed table (4 bytes a slot, at most 3/4
 * full) built. On 3,000,000 binaries the table costs 270 ms of random writes, while triage's few
 * thousand lookups of one mailbox are almost all next to the one before.
 */
export class BinaryLookup {
  private slots?: Int32Array;
  private mask = 0;
  private last = -1;
  private linear = 0;

  constructor(private readonly bins: Pick<BinaryIndex, 'address'>) {}

  /** The row of this address, or -1. */
  rowOf(address: number): number {
    const a = this.bins.address;
    if (this.slots) return this.probe(address);
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

const lookups = new WeakMap<object, BinaryLookup>();

/** The lookup of a BinaryIndex, made on first use and kept as long as the index is. */
export function binaryLookup(bins: Pick<BinaryIndex, 'address'>): BinaryLookup {
  let l = lookups.get(bins);
  if (!l) {
    l = new BinaryLookup(bins);
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
