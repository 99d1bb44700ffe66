/**
 * Address -> file offset index over the heap lines of one section (`=proc_heap:PID`, `=literals`),
 * in typed arrays (about 20 bytes per line), plus a small block cache to read lines back on demand.
 * No line text is kept: a 10-million-line heap costs ~200 MB of index, not gigabytes of strings.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Hex digits -> number (exact below 2^53; longer addresses are folded, which only risks a miss). */
export function parseHexBytes(b: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else return NaN;
    v = v * 16 + d;
  }
  return end > start ? v : NaN;
}

function hashAddress(a: number): number {
  const lo = (a / 8) >>> 0;
  const hi = (a / 4294967296) >>> 0;
  let h = Math.imul(lo ^ (hi * 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca6b) >>> 0;
}

/** Reads byte ranges of one file through a small LRU cache of fixed-size blocks. */
export class BlockReader {
  private readonly fd: number;
  private readonly blocks = new Map<number, Buffer>();
  private closed = false;
  reads = 0;
  constructor(readonly path: string, private readonly blockSize = 1 << 16, private readonly maxBlocks = 64) {
    this.fd = openSync(path, 'r');
  }

  private block(no: number): Buffer {
    let b = this.blocks.get(no);
    if (b) {
      // Refresh LRU position.
      this.blocks.delete(no);
      this.blocks.set(no, b);
      return b;
    }
    const buf = this.blocks.size >= this.maxBlocks ? this.evict() : Buffer.allocUnsafe(this.blockSize);
    const n = readSync(this.fd, buf, 0, this.blockSize, no * this.blockSize);
    this.reads++;
    b = n === this.blockSize ? buf : buf.subarray(0, n);
    this.blocks.set(no, b);
    return b;
  }

  private evict(): Buffer {
    const first = this.blocks.keys().next().value as number;
    const b = this.blocks.get(first)!;
    this.blocks.delete(first);
    return b.length === this.blockSize ? b : Buffer.allocUnsafe(this.blockSize);
  }

  /**
   * The line starting at `offset` (without its line end), read no further than `limit` and cut at
   * `maxBytes`. The returned buffer is valid until the next call.
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

  /** Reads `length` bytes at `offset` (for binary payloads). */
  bytesAt(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    const n = readSync(this.fd, out, 0, length, offset);
    return out.subarray(0, n);
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
      this.blocks.clear();
    }
  }
}

function trimCr(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

/**
 * Index of the heap lines of one section: `ADDR:...` lines, address -> absolute file offset of the
 * line. Built with two sequential passes (count, then fill) so arrays are allocated once.
 */
export class HeapIndex {
  readonly count: number;
  private readonly addrs: Float64Array;
  private readonly offsets: Float64Array | Uint32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  readonly base: number;
  readonly end: number;
  /** Lines that did not start with `HEX:` (kept for warnings). */
  readonly badLines: number;

  constructor(path: string, offset: number, length: number, bufferSize = 1 << 20) {
    this.base = offset;
    this.end = offset + length;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.max(64, bufferSize));
      // Pass 1: count lines.
      let lines = 0;
      let pos = offset;
      let lastWasNl = true;
      while (pos < this.end) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, this.end - pos), pos);
        if (n <= 0) break;
        let i = buf.indexOf(10, 0);
        while (i >= 0 && i < n) {
          lines++;
          i = buf.indexOf(10, i + 1);
        }
        lastWasNl = buf[n - 1] === 10;
        pos += n;
      }
      if (!lastWasNl) lines++;
      this.addrs = new Float64Array(lines);
      this.offsets = length < 2 ** 32 ? new Uint32Array(lines) : new Float64Array(lines);
      // Pass 2: record the address of each line start. Every read starts at a line start.
      let count = 0;
      let bad = 0;
      pos = offset;
      while (pos < this.end && count < lines) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, this.end - pos), pos);
        if (n <= 0) break;
        let i = 0;
        let next = pos + n;
        let skipRest = false;
        for (;;) {
          if (i > 0 && n - i < 40 && pos + n < this.end) {
            next = pos + i; // the head of this line may straddle the read: read again from here
            break;
          }
          let colon = -1;
          const stop = Math.min(n, i + 40);
          for (let j = i; j < stop; j++) {
            const c = buf[j];
            if (c === 58) { colon = j; break; }
            if (c === 10) break;
          }
          const a = colon > i ? parseHexBytes(buf, i, colon) : NaN;
          if (Number.isNaN(a)) bad++;
          else if (count < lines) {
            this.addrs[count] = a;
            this.offsets[count] = pos + i - offset;
            count++;
          }
          const nl = buf.indexOf(10, i);
          if (nl < 0 || nl >= n) {
            skipRest = pos + n < this.end;
            break;
          }
          i = nl + 1;
          if (i >= n) break;
        }
        pos = next;
        if (skipRest) {
          // A line longer than the buffer: find its end.
          for (;;) {
            const m = readSync(fd, buf, 0, Math.min(buf.length, this.end - pos), pos);
            if (m <= 0) { pos = this.end; break; }
            const nl = buf.indexOf(10, 0);
            if (nl >= 0 && nl < m) { pos += nl + 1; break; }
            pos += m;
          }
        }
      }
      this.count = count;
      this.badLines = bad;
    } finally {
      closeSync(fd);
    }
    let cap = 16;
    while (cap < this.count * 1.5) cap *= 2;
    this.table = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let i = 0; i < this.count; i++) {
      let h = hashAddress(this.addrs[i]) & this.mask;
      while (this.table[h] !== -1) {
        // Duplicate addresses (garbled input): keep the first line.
        if (this.addrs[this.table[h]] === this.addrs[i]) break;
        h = (h + 1) & this.mask;
      }
      if (this.table[h] === -1) this.table[h] = i;
    }
  }

  /** Absolute file offset of the line for this address, or -1. */
  lookup(address: number): number {
    let h = hashAddress(address) & this.mask;
    for (;;) {
      const i = this.table[h];
      if (i === -1) return -1;
      if (this.addrs[i] === address) return this.base + this.offsets[i];
      h = (h + 1) & this.mask;
    }
  }

  /** Bytes held by the index arrays. */
  get memoryBytes(): number {
    return this.addrs.byteLength + this.offsets.byteLength + this.table.byteLength;
  }
}
