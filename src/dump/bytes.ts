/** Byte-level helpers for the section parsers: numbers and keys read without making strings. */

const COLON = 0x3a;
const SPACE = 0x20;

/** A decimal integer (optionally negative) at [start, end), ignoring surrounding spaces; NaN if none. */
export function parseDecimal(buf: Buffer, start: number, end: number): number {
  while (start < end && buf[start] === SPACE) start++;
  let neg = false;
  if (buf[start] === 0x2d) {
    neg = true;
    start++;
  }
  let v = 0;
  let digits = 0;
  for (; start < end; start++) {
    const c = buf[start] - 0x30;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    digits++;
  }
  if (digits === 0) return NaN;
  return neg ? -v : v;
}

/** The value of one hex digit byte, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** A hexadecimal number (no prefix) at the start of [start, end); NaN if none. Exact below 2^53. */
export function parseHex(buf: Uint8Array, start: number, end: number): number {
  let v = 0;
  let digits = 0;
  for (; start < end; start++) {
    const d = hexValue(buf[start]);
    if (d < 0) break;
    v = v * 16 + d;
    digits++;
  }
  return digits === 0 ? NaN : v;
}

/**
 * The hexadecimal number that is all of [start, end), at most 13 digits (exact: under 2^52); NaN
 * when a byte is not a hex digit, or there are no digits or more (a `=binary` address or size).
 */
export function parseHexExact(buf: Uint8Array, start: number, end: number): number {
  return end - start > 13 ? NaN : parseHexBytes(buf, start, end);
}

/**
 * The hexadecimal number that is all of [start, end) (a heap address); NaN when a byte is not a
 * hex digit or there are none. Exact below 2^53; longer addresses are folded, which only risks a miss.
 */
export function parseHexBytes(buf: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let p = start; p < end; p++) {
    const d = hexValue(buf[p]);
    if (d < 0) return NaN;
    v = v * 16 + d;
  }
  return end > start ? v : NaN;
}

/**
 * Where the key of a `Key: value` line ends: the first ": " or a ":" ending the line.
 * Returns -1 when the line has no such colon.
 */
export function keyEnd(buf: Buffer, start: number, end: number): number {
  // Keys are short: a plain loop beats a native indexOf call per line.
  for (let i = start; i < end; i++) {
    if (buf[i] === COLON && (i + 1 === end || buf[i + 1] === SPACE)) return i;
  }
  return -1;
}

/** Start of the value after `Key:` and its space(s). */
export function valueStart(buf: Buffer, colon: number, end: number): number {
  let v = colon + 1;
  while (v < end && buf[v] === SPACE) v++;
  return v;
}

/**
 * Maps the keys a section parser knows to small integers, comparing bytes only: a key's length,
 * first and last bytes pick a slot of a small open-addressed table, so a lookup is an array read
 * and one byte comparison (this runs for every line of every parsed section).
 */
export class KeyMatcher {
  private readonly slots: Int32Array;
  private readonly keys: Buffer[];
  private readonly mask: number;

  constructor(keys: readonly string[]) {
    this.keys = keys.map((k) => Buffer.from(k, 'latin1'));
    let size = 64;
    while (size < keys.length * 4) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    this.keys.forEach((bytes, id) => {
      let h = this.slotOf(bytes, 0, bytes.length);
      while (this.slots[h] >= 0) h = (h + 1) & this.mask;
      this.slots[h] = id;
    });
  }

  /** The id of the key at [start, end), or -1. */
  match(buf: Buffer, start: number, end: number): number {
    if (end <= start) return -1;
    for (let h = this.slotOf(buf, start, end); ; h = (h + 1) & this.mask) {
      const id = this.slots[h];
      if (id < 0) return -1;
      if (sameBytes(this.keys[id], buf, start, end)) return id;
    }
  }

  /**
   * keyEnd() for a line expected to start with key `id`: the colon's position when it does
   * (followed by a space or the line's end), else -1. Costs one comparison of the key's bytes.
   */
  keyEndIf(id: number, buf: Buffer, start: number, end: number): number {
    const c = start + this.keys[id].length;
    if (c >= end || buf[c] !== COLON || (c + 1 < end && buf[c + 1] !== SPACE)) return -1;
    return sameBytes(this.keys[id], buf, start, c) ? c : -1;
  }

  private slotOf(buf: Buffer, start: number, end: number): number {
    const len = end - start;
    return (Math.imul(len, 31) ^ Math.imul(buf[start], 7) ^ Math.imul(buf[end - 1], 131) ^ (len > 2 ? buf[start + 2] : 0)) & this.mask;
  }
}

/** a equals buf[start, end): a JS loop, cheaper than Buffer.compare's native call for short keys. */
function sameBytes(a: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/**
 * Strings that repeat across millions of lines (states, initial calls, parent pids) are made once:
 * the bytes are hashed and compared, and only a new value becomes a new string. The known values'
 * bytes live in one growing buffer and the table is open-addressed typed arrays: a Buffer and an
 * object per value would be ~150 bytes each, and a real node has tens of thousands of parents.
 */
export class BytesInterner {
  private slots = new Int32Array(1024).fill(-1);
  private hashes: number[] = [];
  private starts: number[] = [];
  private lengths: number[] = [];
  private strs: string[] = [];
  private store = Buffer.allocUnsafe(16 << 10);
  private used = 0;
  private lastHash = 0;
  private lastSlot = 0;

  constructor(private readonly maxEntries = 100_000, private readonly maxLength = 256) {}

  get(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len > this.maxLength) return text(buf, start, end);
    const e = this.lookup(buf, start, end);
    if (e >= 0) return this.strs[e];
    const str = text(buf, start, end);
    if (this.strs.length < this.maxEntries) this.add(str, buf, start, end);
    return str;
  }

  /**
   * The code of the text [start, end): its index in `values`, given one on first sight whatever
   * maxEntries says (a table of codes needs every text to have one).
   */
  code(buf: Buffer, start: number, end: number): number {
    const e = this.lookup(buf, start, end);
    if (e >= 0) return e;
    this.add(text(buf, start, end), buf, start, end);
    return this.strs.length - 1;
  }

  /** code() of a string. */
  codeOfText(s: string): number {
    const b = Buffer.from(s, 'utf8');
    return this.code(b, 0, b.length);
  }

  /** The interned texts, by code (grows as texts are added). */
  get values(): readonly string[] {
    return this.strs;
  }

  /** The entry of [start, end), or -1; `lastHash`/`lastSlot` are left where it would go. */
  private lookup(buf: Buffer, start: number, end: number): number {
    const len = end - start;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 16777619);
    const mask = this.slots.length - 1;
    let slot = h & mask;
    for (let e = this.slots[slot]; e >= 0; e = this.slots[slot]) {
      if (this.hashes[e] === h && this.lengths[e] === len && this.sameAsStored(this.starts[e], buf, start, end)) return e;
      slot = (slot + 1) & mask;
    }
    this.lastHash = h;
    this.lastSlot = slot;
    return -1;
  }

  private sameAsStored(at: number, buf: Buffer, start: number, end: number): boolean {
    const s = this.store;
    for (let i = start; i < end; i++) if (s[at++] !== buf[i]) return false;
    return true;
  }

  /** Adds the text lookup() just failed to find. */
  private add(str: string, buf: Buffer, start: number, end: number): void {
    const len = end - start;
    const h = this.lastHash;
    const slot = this.lastSlot;
    if (this.used + len > this.store.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.store.length * 2, this.used + len));
      this.store.copy(bigger, 0, 0, this.used);
      this.store = bigger;
    }
    // By hand for short texts: Buffer.copy's call costs more than the copy (a node of 500,000
    // distinct registered names spent 0.2 s in it).
    if (len <= 64) {
      const s = this.store;
      for (let i = 0, at = this.used; i < len; i++) s[at + i] = buf[start + i];
    } else buf.copy(this.store, this.used, start, end);
    const e = this.strs.length;
    this.hashes.push(h);
    this.starts.push(this.used);
    this.lengths.push(len);
    this.strs.push(str);
    this.used += len;
    this.slots[slot] = e;
    // At most half full, so that probes stay short.
    if (this.strs.length * 2 > this.slots.length) this.rehash();
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let e = 0; e < this.strs.length; e++) {
      let slot = this.hashes[e] & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = e;
    }
    this.slots = slots;
  }
}

/** Text of [start, end) as UTF-8 (atoms are UTF-8 from OTP 20; older dumps are ASCII). */
export function text(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start, end);
}

/**
 * A 32-bit hash of a whole number below 2^53 (a heap address, a packed pid): murmur3's finaliser
 * over (low word ^ mixed high word), full avalanche, so the low bits used as a table index are
 * well spread even for word-strided addresses and pids that differ in their middle bits.
 */
export function hashNumber(a: number): number {
  let h = ((a % 4294967296) ^ Math.imul(Math.floor(a / 4294967296) | 0, 0x27d4eb2d)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
