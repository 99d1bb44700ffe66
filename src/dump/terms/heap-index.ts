/**
 * Address -> file offset index over the heap lines of one section (`=proc_heap:PID`, `=literals`),
 * in typed arrays (about 20 bytes per line), plus a small block cache to read lines back on demand.
 * No line text is kept: a 10-million-line heap costs ~200 MB of index, not gigabytes of strings.
 */
import { openData, readData, closeData } from '../data-file.js';
import { hashNumber, hexValue } from '../bytes.js';
import { MiB } from '../../text/units.js';
import { searchFile } from './lines.js';

/** True for a line that starts `HEX:` (within its first 48 bytes), as the index records them. */
function isAddressLine(line: Uint8Array): boolean {
  let j = 0;
  for (; j < line.length && j < 48; j++) {
    const c = line[j];
    if (c === 58) return j > 0;
    if (hexValue(c) < 0) return false;
  }
  return false;
}

/** BlockReader.forwardView's window, and its size while ranges are far apart. */
const WINDOW_BYTES = 1 << 20;
const SMALL_WINDOW_BYTES = 32 << 10;

/** Reads byte ranges of one file through a small LRU cache of fixed-size blocks. */
export class BlockReader {
  readonly fd: number;
  private readonly blocks = new Map<number, Buffer>();
  private closed = false;
  reads = 0;
  constructor(readonly path: string, private readonly blockSize = 1 << 16, private readonly maxBlocks = 64) {
    this.fd = openData(path);
  }

  private lastNo = -1;
  private lastBuf: Buffer | undefined;

  private block(no: number): Buffer {
    if (no === this.lastNo && this.lastBuf) return this.lastBuf;
    let b = this.blocks.get(no);
    if (b) {
      this.lastNo = no;
      this.lastBuf = b;
      // Refresh LRU position.
      this.blocks.delete(no);
      this.blocks.set(no, b);
      return b;
    }
    if (this.blocks.size >= this.maxBlocks) this.evict();
    const buf = Buffer.allocUnsafe(this.blockSize);
    const n = readData(this.fd, buf, 0, this.blockSize, no * this.blockSize);
    this.reads++;
    b = n === this.blockSize ? buf : buf.subarray(0, n);
    this.blocks.set(no, b);
    this.lastNo = no;
    this.lastBuf = b;
    return b;
  }

  /** Drops the least recently used block. Buffers are never reused, so views handed out stay valid. */
  private evict(): void {
    const first = this.blocks.keys().next().value as number;
    this.blocks.delete(first);
  }

  /**
   * The line starting at `offset` (without its line end), read no further than `limit` and cut at
   * `maxBytes`. The returned buffer is a view that stays valid (blocks are never reused).
   */
  lineAt(offset: number, limit: number, maxBytes: number): { line: Buffer; cut: boolean } {
    const no = Math.floor(offset / this.blockSize);
    const b = this.block(no);
    const start = offset - no * this.blockSize;
    const stop = Math.min(b.length, start + maxBytes, limit - no * this.blockSize);
    const nl = b.indexOf(10, start);
    if (nl >= 0 && nl < stop) return { line: trimCr(b.subarray(start, nl)), cut: false };
    if (stop < b.length || b.length < this.blockSize) {
      // Hit the limit (or the end of the file) inside this block.
      return { line: trimCr(b.subarray(start, stop)), cut: stop - start >= maxBytes };
    }
    // The line spans blocks: gather into a fresh buffer.
    const parts: Buffer[] = [Buffer.from(b.subarray(start))];
    let have = b.length - start;
    let next = no + 1;
    for (;;) {
      const nb = this.block(next);
      const base = next * this.blockSize;
      const stopN = Math.min(nb.length, maxBytes - have, limit - base);
      if (stopN <= 0 || nb.length === 0) return { line: trimCr(Buffer.concat(parts)), cut: have >= maxBytes };
      const nl2 = nb.indexOf(10);
      if (nl2 >= 0 && nl2 < stopN) {
        parts.push(Buffer.from(nb.subarray(0, nl2)));
        return { line: trimCr(Buffer.concat(parts)), cut: false };
      }
      parts.push(Buffer.from(nb.subarray(0, stopN)));
      have += stopN;
      if (stopN < nb.length || nb.length < this.blockSize) return { line: trimCr(Buffer.concat(parts)), cut: have >= maxBytes };
      next++;
    }
  }

  /** The offset just after the next newline at or after `offset`, or -1 before `limit`. */
  nextLineStart(offset: number, limit: number): number {
    let no = Math.floor(offset / this.blockSize);
    let start = offset - no * this.blockSize;
    for (;;) {
      const b = this.block(no);
      const nl = b.indexOf(10, start);
      if (nl >= 0) {
        const at = no * this.blockSize + nl + 1;
        return at <= limit ? at : -1;
      }
      if (b.length < this.blockSize || (no + 1) * this.blockSize >= limit) return -1;
      no++;
      start = 0;
    }
  }

  /** Reads `length` bytes at `offset` through the block cache (small reads; a copy). */
  cachedBytesAt(offset: number, length: number): Buffer {
    if (length > this.blockSize) return this.bytesAt(offset, length);
    const out = Buffer.allocUnsafe(length);
    let have = 0;
    while (have < length) {
      const at = offset + have;
      const no = Math.floor(at / this.blockSize);
      const b = this.block(no);
      const start = at - no * this.blockSize;
      if (start >= b.length) break;
      const n = Math.min(length - have, b.length - start);
      b.copy(out, have, start, start + n);
      have += n;
    }
    return out.subarray(0, have);
  }

  /**
   * `length` bytes at `offset`, as a view of a window read forward: for many small ranges read in
   * file order (the dictionaries and heap tails of 100,000 processes), one read per window and no
   * copy. Good until the next call; a range of over half a window is read alone. The window is a
   * MiB while the ranges come close together, 32 KiB while each needs a read of its own (an even
   * sample of 2,000 processes out of 100,000: a MiB a read took 88 us a process against 11 us).
   */
  forwardView(offset: number, length: number): Buffer {
    if (length > WINDOW_BYTES / 2) return this.bytesAt(offset, length);
    const w = this.window;
    if (w && offset >= this.windowStart && offset + length <= this.windowStart + this.windowBytes) {
      this.windowHits++;
      return w.subarray(offset - this.windowStart, offset - this.windowStart + length);
    }
    this.window ??= Buffer.allocUnsafe(WINDOW_BYTES);
    const size = Math.max(length, this.windowHits >= 4 ? WINDOW_BYTES : SMALL_WINDOW_BYTES);
    const n = readData(this.fd, this.window, 0, size, offset);
    this.reads++;
    this.windowStart = offset;
    this.windowBytes = n;
    this.windowHits = 0;
    return this.window.subarray(0, Math.min(n, length));
  }

  private window: Buffer | undefined;
  private windowStart = 0;
  private windowBytes = 0;
  /** Ranges the current window served after the one that read it. */
  private windowHits = 0;

  /** Reads `length` bytes at `offset` (for binary payloads). */
  bytesAt(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    const n = readData(this.fd, out, 0, length, offset);
    return out.subarray(0, n);
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      closeData(this.fd);
      this.blocks.clear();
      this.lastBuf = undefined;
      this.window = undefined;
    }
  }
}

function trimCr(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

/**
 * Index of the heap lines of one section: `ADDR:...` lines, address -> absolute file offset of the
 * line. One sequential pass. Per line it keeps the address (48 bits as Uint32 + Uint16) and a
 * 16-bit distance from a checkpoint offset kept every 32 lines, plus an open-addressing table of
 * line numbers: about 11 bytes per line, so 12 million heap lines cost ~140 MB.
 */
export class HeapIndex {
  count = 0;
  private lo: Uint32Array;
  private hi: Uint16Array;
  /** Float64 addresses, only when some address does not fit in 48 bits (garbled input). */
  private wide?: Float64Array;
  private delta: Uint16Array;
  private checkpoints: Float64Array;
  private table: Int32Array = new Int32Array(0);
  private mask = 0;
  readonly base: number;
  readonly end: number;
  /** Lines that did not start with `HEX:` (kept for warnings). */
  badLines = 0;
  /** Smallest and largest address indexed (an empty index has min > max): a cheap filter before lookups. */
  minAddress = Infinity;
  maxAddress = -Infinity;

  constructor(private readonly path: string, offset: number, length: number, bufferSize = MiB) {
    this.base = offset;
    this.end = offset + length;
    let cap = 1024;
    this.lo = new Uint32Array(cap);
    this.hi = new Uint16Array(cap);
    this.delta = new Uint16Array(cap);
    this.checkpoints = new Float64Array(cap / 32);
    const fd = openData(path);
    try {
      const buf = Buffer.allocUnsafe(Math.max(256, bufferSize));
      let pos = offset;
      let estimated = false;
      let skipRest = false;
      while (pos < this.end) {
        const n = readData(fd, buf, 0, Math.min(buf.length, this.end - pos), pos);
        if (n <= 0) break;
        let i = 0;
        if (skipRest) {
          // Inside a line longer than the buffer: find its end first.
          const nl = buf.indexOf(10, 0);
          if (nl < 0 || nl >= n) {
            pos += n;
            continue;
          }
          i = nl + 1;
          skipRest = false;
        }
        let next = pos + n;
        while (i < n) {
          if (n - i < 48 && pos + n < this.end) {
            if (i === 0) {
              // A short read in the middle: treat as the end.
              next = this.end;
            } else next = pos + i; // the head of this line may straddle the read: read again from here
            break;
          }
          let j = i;
          const stop = Math.min(n, i + 48);
          let a = 0;
          let ok = true;
          for (; j < stop; j++) {
            const c = buf[j];
            if (c === 58) break;
            const d = hexValue(c);
            if (d < 0) { ok = false; break; }
            a = a * 16 + d;
          }
          if (!ok || j === i || j >= stop) this.badLines++;
          else {
            if (this.count === cap) {
              if (!estimated) {
                // Estimate the line count from the first lines, then grow by doubling.
                const perLine = (pos + i - offset) / this.count;
                cap = Math.max(cap * 2, Math.ceil((length / Math.max(8, perLine)) * 1.05));
                estimated = true;
              } else cap *= 2;
              this.grow(cap);
            }
            this.record(a, pos + i - offset);
          }
          // Next line: scan for the newline in JS (lines are short).
          let k = j;
          while (k < n && buf[k] !== 10) k++;
          if (k >= n) {
            skipRest = pos + n < this.end;
            break;
          }
          i = k + 1;
        }
        pos = next;
      }
    } finally {
      closeData(fd);
    }
    this.buildTable();
  }

  private grow(cap: number): void {
    const lo = new Uint32Array(cap);
    lo.set(this.lo.subarray(0, this.count));
    this.lo = lo;
    const hi = new Uint16Array(cap);
    hi.set(this.hi.subarray(0, this.count));
    this.hi = hi;
    const delta = new Uint16Array(cap);
    delta.set(this.delta.subarray(0, this.count));
    this.delta = delta;
    const cp = new Float64Array(Math.ceil(cap / 32) + 1);
    cp.set(this.checkpoints.subarray(0, Math.min(this.checkpoints.length, cp.length)));
    this.checkpoints = cp;
    if (this.wide) {
      const w = new Float64Array(cap);
      w.set(this.wide.subarray(0, this.count));
      this.wide = w;
    }
  }

  private record(address: number, rel: number): void {
    const i = this.count++;
    if (address >= 2 ** 48 && !this.wide) {
      this.wide = new Float64Array(this.lo.length);
      for (let k = 0; k < i; k++) this.wide[k] = this.hi[k] * 4294967296 + this.lo[k];
    }
    if (this.wide) this.wide[i] = address;
    this.lo[i] = address % 4294967296;
    this.hi[i] = Math.floor(address / 4294967296) & 0xffff;
    if ((i & 31) === 0) {
      this.checkpoints[i >>> 5] = rel;
      this.delta[i] = 0;
    } else {
      const d = rel - this.checkpoints[i >>> 5];
      this.delta[i] = d < 0xffff ? d : 0xffff;
    }
  }

  private addressAt(i: number): number {
    return this.wide ? this.wide[i] : this.hi[i] * 4294967296 + this.lo[i];
  }

  private buildTable(): void {
    let cap = 16;
    while (cap < this.count * 1.34) cap *= 2;
    this.table = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let i = 0; i < this.count; i++) {
      const a = this.addressAt(i);
      if (a < this.minAddress) this.minAddress = a;
      if (a > this.maxAddress) this.maxAddress = a;
      let h = hashNumber(a) & this.mask;
      let dup = false;
      while (this.table[h] !== -1) {
        // Duplicate addresses (garbled input): keep the first line.
        if (this.addressAt(this.table[h]) === a) {
          dup = true;
          break;
        }
        h = (h + 1) & this.mask;
      }
      if (!dup) this.table[h] = i;
    }
  }

  /** Line number of this address, or -1. */
  private find(address: number): number {
    let h = hashNumber(address) & this.mask;
    const lo = address % 4294967296;
    for (;;) {
      const i = this.table[h];
      if (i === -1) return -1;
      if (this.wide ? this.wide[i] === address : this.lo[i] === lo && this.addressAt(i) === address) return i;
      h = (h + 1) & this.mask;
    }
  }

  /**
   * Absolute file offset of the line for this address, or -1. A line more than 64 KiB after its
   * checkpoint is found by scanning from the checkpoint (with `reader`).
   */
  lookup(address: number, reader?: BlockReader): number {
    if (this.mask === 0 || !(address >= this.minAddress && address <= this.maxAddress)) return -1;
    const i = this.find(address);
    if (i < 0) return -1;
    const cp = this.checkpoints[i >>> 5];
    const d = this.delta[i];
    if (d !== 0xffff) return this.base + cp + d;
    // Walk lines from the checkpoint, counting only lines the index recorded (`HEX:` heads).
    const r = reader ?? new BlockReader(this.path, 1 << 16, 4);
    try {
      let off = this.base + cp;
      let k = i & ~31;
      for (;;) {
        if (off < 0 || off >= this.end) return -1;
        if (isAddressLine(r.lineAt(off, this.end, 48).line)) {
          if (k === i) return off;
          k++;
        }
        off = r.nextLineStart(off, this.end);
      }
    } finally {
      if (!reader) r.close();
    }
  }

  /** Bytes held by the index arrays. */
  get memoryBytes(): number {
    return this.lo.byteLength + this.hi.byteLength + this.delta.byteLength + this.checkpoints.byteLength + this.table.byteLength
      + (this.wide?.byteLength ?? 0);
  }
}

/** What the decoder asks of the `=literals` index. */
export type LiteralLines = Pick<HeapIndex, 'lookup' | 'end' | 'minAddress' | 'maxAddress'>;

/** A `=literals` section this large is searched for its first few lookups before it is indexed. */
const SEARCH_LITERALS_BYTES = 4 * MiB;
/** Lookups answered by a search of the section's text before the index is made. */
const SEARCHES_BEFORE_INDEX = 2;

/**
 * The `=literals` section's index, made when a term needs more of it than a few lines: the literal
 * area of a large persistent term is millions of lines (a map of 1,000,000 entries: 3.3 million,
 * 1.4 s to index), and most decodes that point into it at all (a proc_lib process's dictionary)
 * need one or two of them, each found by a native search of the text in tens of milliseconds.
 */
export class LazyHeapIndex implements LiteralLines {
  private made?: HeapIndex;
  private searches = 0;
  /** `searchBytes`: sections from this size on are searched first (tests search any). */
  constructor(private readonly path: string, private readonly offset: number, private readonly length: number,
    private readonly searchBytes = SEARCH_LITERALS_BYTES) {}

  get end(): number {
    return this.offset + this.length;
  }

  /** Whether the index is made (the searches are spent, or the section is small). */
  get indexed(): boolean {
    return this.made !== undefined;
  }

  /** Before the index is made, every address may be a literal (a filter, not an answer). */
  get minAddress(): number {
    return this.made ? this.made.minAddress : -Infinity;
  }

  get maxAddress(): number {
    return this.made ? this.made.maxAddress : Infinity;
  }

  lookup(address: number, reader?: BlockReader): number {
    if (this.made || this.length < this.searchBytes || this.searches >= SEARCHES_BEFORE_INDEX) return this.index().lookup(address, reader);
    this.searches++;
    return this.search(address);
  }

  /** The offset of the line `ADDR:...` of this address (as the writer prints it: upper-case hex), or -1. */
  private search(address: number): number {
    if (!(Number.isSafeInteger(address) && address >= 0)) return -1;
    const head = `${address.toString(16).toUpperCase()}:`;
    const fd = openData(this.path);
    try {
      const first = Buffer.alloc(head.length);
      if (readData(fd, first, 0, head.length, this.offset) === head.length && first.toString('latin1') === head) return this.offset;
      const at = searchFile(fd, `\n${head}`, this.offset, this.end);
      return at < 0 ? -1 : at + 1;
    } finally {
      closeData(fd);
    }
  }

  private index(): HeapIndex {
    return (this.made ??= new HeapIndex(this.path, this.offset, this.length));
  }
}
