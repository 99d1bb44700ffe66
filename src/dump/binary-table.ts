import type { BinaryIndex } from './types.js';

/**
 * The `=binary:ADDR` sections of a dump, in typed arrays: a node that died with millions of refc
 * binaries queued (the Logplex shape) has millions of them, so each costs 24 bytes (address, body
 * offset, payload size) and no JS string or object. They are kept apart from the SectionIndex:
 * nothing looks a binary up by tag, only by address (BinaryLookup).
 */
export class BinaryTableBuilder {
  private address = new Float64Array(256);
  private offset = new Float64Array(256);
  private size = new Float64Array(256);
  count = 0;
  totalBytes = 0;

  /** A `=binary` section whose body starts at `bodyOffset`; its size comes with setLastSize. */
  add(address: number, bodyOffset: number): void {
    if (this.count === this.address.length) this.grow(Math.ceil(this.count * 1.5));
    this.address[this.count] = address;
    this.offset[this.count] = bodyOffset;
    // NaN until the body's `SIZE:` is read (a dump cut right after the tag line has none).
    this.size[this.count] = NaN;
    this.count++;
  }

  setLastSize(bytes: number): void {
    this.size[this.count - 1] = bytes;
    this.totalBytes += bytes;
  }

  clear(): void {
    this.count = 0;
    this.totalBytes = 0;
  }

  /** The rows as exact-length arrays (copies: this builder may be reused). */
  toPart(): BinaryTablePart {
    const n = this.count;
    return { address: this.address.slice(0, n), offset: this.offset.slice(0, n), sizeBytes: this.size.slice(0, n), totalBytes: this.totalBytes };
  }

  /** Appends the rows of the following byte ranges, in file order, sized once for all. */
  appendParts(parts: BinaryTablePart[]): void {
    const total = parts.reduce((n, p) => n + p.address.length, this.count);
    if (total > this.address.length) this.grow(total);
    for (const p of parts) {
      this.address.set(p.address, this.count);
      this.offset.set(p.offset, this.count);
      this.size.set(p.sizeBytes, this.count);
      this.count += p.address.length;
      this.totalBytes += p.totalBytes;
    }
  }

  /** The finished index; the arrays are views of the builder's (no copy of tens of MB). */
  result(): BinaryIndex {
    const n = this.count;
    return {
      count: n, totalBytes: this.totalBytes,
      address: this.address.subarray(0, n), offset: this.offset.subarray(0, n), sizeBytes: this.size.subarray(0, n),
    };
  }

  private grow(n: number): void {
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.address = grow(this.address);
    this.offset = grow(this.offset);
    this.size = grow(this.size);
  }
}

/** A BinaryTableBuilder's rows in transferable form (parallel reader). */
export interface BinaryTablePart {
  address: Float64Array;
  offset: Float64Array;
  sizeBytes: Float64Array;
  totalBytes: number;
}

/**
 * Row of a binary by address: an open-addressed table of rows (4 bytes a slot, at most half full),
 * made once per BinaryIndex. A Map of millions of numbers costs several times that, and sorting
 * copies of the columns twice it.
 */
export class BinaryLookup {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(private readonly bins: Pick<BinaryIndex, 'address'>) {
    const n = bins.address.length;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    const a = bins.address;
    for (let i = 0; i < n; i++) {
      let h = hashAddress(a[i]) & this.mask;
      // The first section of an address wins (a dump writes each binary once).
      while (this.slots[h] !== 0 && a[this.slots[h] - 1] !== a[i]) h = (h + 1) & this.mask;
      if (this.slots[h] === 0) this.slots[h] = i + 1;
    }
  }

  /** The row of this address, or -1. */
  rowOf(address: number): number {
    const a = this.bins.address;
    for (let h = hashAddress(address) & this.mask; ; h = (h + 1) & this.mask) {
      const row = this.slots[h] - 1;
      if (row < 0) return -1;
      if (a[row] === address) return row;
    }
  }
}

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
