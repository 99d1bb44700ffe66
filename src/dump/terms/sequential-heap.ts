/**
 * Heap lines for streaming a process: the writer prints a heap in the order stack objects,
 * messages, dictionary, each depth first, so decoding in that order finds nearly every object
 * just ahead of a sequential read. This source reads the heap section forward, keeps the lines
 * read but not yet used in a bounded window, and remembers the last few thousand used lines (for
 * sharing inside a message or across stack slots). Only when an address is not found ahead does
 * it build the full address index (HeapIndex) and use that from then on, so memory stays at a
 * few megabytes for the common case and correctness never depends on the order.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { BlockReader, HeapIndex } from './heap-index.js';

export interface HeapLines {
  /** The line of this heap address (without its line end), or undefined. */
  line(address: number): { line: Buffer; cut: boolean } | undefined;
}

const RECENT = 8192;

export class SequentialHeap implements HeapLines {
  private fd: number | undefined;
  private pos: number;
  private readonly end: number;
  private carry: Buffer | undefined;
  private carryCut = false;
  /** Read ahead, not used yet: address -> line. Insertion order = file order. */
  private window = new Map<number, Buffer>();
  private recent = new Map<number, Buffer>();
  private index: HeapIndex | undefined;
  /** True once the full index had to be built. */
  fellBack = false;

  constructor(private readonly path: string, offset: number, length: number, private readonly reader: BlockReader,
    private readonly opts: { chunkBytes?: number; maxWindowLines?: number; maxLineBytes?: number } = {}) {
    this.pos = offset;
    this.end = offset + length;
    this.baseOffset = offset;
    this.length = length;
  }
  private readonly baseOffset: number;
  private readonly length: number;

  line(address: number): { line: Buffer; cut: boolean } | undefined {
    if (this.index) {
      const off = this.index.lookup(address, this.reader);
      return off < 0 ? undefined : this.reader.lineAt(off, this.index.end, this.opts.maxLineBytes ?? 16 << 20);
    }
    const r = this.recent.get(address);
    if (r) return { line: r, cut: false };
    let l = this.window.get(address);
    if (l === undefined) l = this.readUntil(address);
    if (l === undefined) {
      // Not ahead: a back reference past the recent lines, or a line that is not there at all.
      this.fallBack();
      return this.line(address);
    }
    this.window.delete(address);
    this.recent.set(address, l);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value as number);
    return { line: l, cut: false };
  }

  private fallBack(): void {
    this.fellBack = true;
    this.window.clear();
    this.recent.clear();
    this.close();
    this.index = new HeapIndex(this.path, this.baseOffset, this.length);
  }

  /** Reads forward until `address` is read (returned) or the section ends (undefined). */
  private readUntil(address: number): Buffer | undefined {
    if (this.fd === undefined) {
      if (this.pos >= this.end) return undefined;
      this.fd = openSync(this.path, 'r');
    }
    const chunk = this.opts.chunkBytes ?? 1 << 20;
    const maxWindow = this.opts.maxWindowLines ?? 1 << 20;
    const maxLine = this.opts.maxLineBytes ?? 16 << 20;
    let found: Buffer | undefined;
    while (found === undefined && this.pos < this.end) {
      const buf = Buffer.allocUnsafe(Math.min(chunk, this.end - this.pos));
      const n = readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) {
        this.pos = this.end;
        break;
      }
      this.pos += n;
      let i = 0;
      for (;;) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= n) {
          // Keep the partial line for the next chunk (cut at maxLine).
          const rest = buf.subarray(i, n);
          if (this.carry) {
            if (!this.carryCut) {
              const room = maxLine - this.carry.length;
              this.carry = Buffer.concat([this.carry, rest.subarray(0, Math.max(0, room))]);
              if (rest.length > room) this.carryCut = true;
            }
          } else this.carry = rest.length > maxLine ? ((this.carryCut = true), rest.subarray(0, maxLine)) : rest;
          break;
        }
        let line: Buffer;
        if (this.carry) {
          line = this.carryCut ? this.carry : Buffer.concat([this.carry, buf.subarray(i, nl)]);
          this.carry = undefined;
          this.carryCut = false;
        } else line = buf.subarray(i, nl);
        i = nl + 1;
        const a = this.add(line);
        if (a === address) found = line;
      }
      if (this.pos >= this.end && this.carry) {
        const a = this.add(this.carry);
        if (a === address) found = this.carry;
        this.carry = undefined;
      }
      // Bound the window: the oldest unused lines go (a later need for them falls back).
      while (this.window.size > maxWindow) this.window.delete(this.window.keys().next().value as number);
    }
    if (found !== undefined) this.window.delete(address);
    return found;
  }

  private add(line: Buffer): number {
    if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    let a = 0;
    let j = 0;
    for (; j < line.length && j < 40; j++) {
      const c = line[j];
      if (c === 58) break;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 65 && c <= 70) d = c - 55;
      else if (c >= 97 && c <= 102) d = c - 87;
      else return NaN;
      a = a * 16 + d;
    }
    if (j === 0 || line[j] !== 58) return NaN;
    if (!this.window.has(a)) this.window.set(a, line);
    return a;
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
