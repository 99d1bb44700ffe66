import { readSync } from 'node:fs';
import { DumpBuilder, type DumpPart } from './builder.js';
import { DumpScanner } from './scanner.js';
import { finalSize, readGrowingSync, waitPastSync, type Growth } from './growing.js';

/**
 * The parallel reader's plan for a plain-file dump: after the header, the file is cut into byte
 * ranges that every thread, this one included, takes in file order from a shared counter. The
 * first thread merges what each range read as soon as the ranges before it are merged, so that
 * what is in flight is a few ranges, never a copy of the model.
 */
export interface RangePlan {
  /** An open descriptor of the dump: threads share the process's descriptors. */
  fd: number;
  /** Range k is [bounds[k], bounds[k+1]); bounds[0] is where the first thread's own scan stops. */
  bounds: number[];
  /**
   * For a file still being written (growing.ts): `bounds` is only [where the first range starts],
   * ranges are `step` bytes, and how many there are is known once the writer is done. A range is
   * read as its bytes come.
   */
  growth?: Growth;
  step?: number;
  wordSize: 4 | 8;
  bufferSize: number;
  maxLineBytes: number;
  /** Int32 [0]: the next range not yet taken; Int32 [1]: parts posted by the workers, for Atomics.wait. */
  counter: SharedArrayBuffer;
  /** Float64 per worker: bytes done, for the progress line. */
  progress: SharedArrayBuffer;
}

/**
 * How many ranges there are; for a file still being written, Infinity until the writer is done.
 * Then every range that starts at or before the end counts: one that starts exactly at the end
 * reads the last byte only, and so ends the section that the range before it stopped in (a range
 * stops where the next one starts, and while it read, whether the file would end there was not
 * known).
 */
export function rangeCount(plan: RangePlan): number {
  if (!plan.growth) return plan.bounds.length - 1;
  const size = finalSize(plan.growth);
  return size === undefined ? Infinity : Math.max(0, Math.floor((size - plan.bounds[0]) / plan.step!) + 1);
}

/** Where range k starts (k may be the count: where the last one ends). */
export function rangeStart(plan: RangePlan, k: number): number {
  return plan.growth ? plan.bounds[0] + k * plan.step! : plan.bounds[k];
}

/**
 * A worker's loop: takes ranges until none is left and hands each one's part to `onPart`. `slot`
 * is this worker's progress cell.
 */
export function takeRanges(plan: RangePlan, slot: number, onPart: (k: number, part: DumpPart) => void): void {
  const counter = new Int32Array(plan.counter);
  const progress = new Float64Array(plan.progress);
  const reader = new RangeReader(plan);
  const onBytes = (bytes: number) => { progress[slot] += bytes; };
  for (;;) {
    const k = claimRange(counter, rangeCount(plan));
    if (k < 0) return;
    if (plan.growth) {
      // Not before its first byte is written; none at all when the file ended before it.
      waitPastSync(plan.growth, plan.fd, rangeStart(plan, k));
      if (k >= rangeCount(plan)) return;
    }
    onPart(k, reader.read(k, onBytes));
    // The lead thread may be waiting for this very part (the end of ParallelRead.finish).
    Atomics.add(counter, 1, 1);
    Atomics.notify(counter, 1);
  }
}

/** Reads ranges of a plan into one builder, reused from range to range. */
export class RangeReader {
  private readonly buf: Buffer;
  private readonly builder: DumpBuilder;
  /**
   * One scanner and one read function for every range, not one per range: optimised code holds
   * on to the objects it was made for, and a fresh scanner per range made V8 throw that code away
   * and compile it again, range after range.
   */
  private readonly scanner: DumpScanner;
  private readonly readAt: (pos: number) => number;

  constructor(private readonly plan: RangePlan) {
    this.buf = Buffer.allocUnsafe(plan.bufferSize);
    this.builder = new DumpBuilder(plan.wordSize);
    this.scanner = new DumpScanner(this.builder, plan.maxLineBytes);
    const g = plan.growth;
    const buf = this.buf;
    this.readAt = g ? (pos) => readGrowingSync(g, plan.fd, buf, pos) : (pos) => readSync(plan.fd, buf, 0, buf.length, pos);
  }

  /**
   * What range k holds, copied out of the builder (which the next range reuses); with `copy`
   * false, views of the builder's arrays, good until the next read (see copyOut).
   */
  read(k: number, onBytes: (n: number) => void, copy = true): DumpPart {
    const plan = this.plan;
    const start = rangeStart(plan, k);
    const end = rangeStart(plan, k + 1);
    this.builder.reset();
    this.scanner.restart();
    scanRange(this.readAt, this.buf, start, k + 1 >= rangeCount(plan) ? Infinity : end, this.scanner, onBytes);
    return this.builder.toPart(copy);
  }

  /** The last range read, copied out of the builder: after read(k, onBytes, false), to keep it. */
  copyOut(): DumpPart {
    return this.builder.toPart();
  }
}

/** The next range not yet taken, in file order; -1 when none is left. */
export function claimRange(counter: Int32Array, n: number): number {
  // Atomics.add past n is harmless: every later claim also sees k >= n. The cap keeps it off 2^31.
  if (Atomics.load(counter, 0) >= n) return -1;
  const k = Atomics.add(counter, 0, 1);
  return k < n ? k : -1;
}

/**
 * Feeds the scanner from `start` until it stops at the next range's first tag line or the file
 * ends. The scanner starts in the middle of a line, so bytes up to the first tag line at or after
 * `start` are skipped: reading from start - 1 finds a tag line that begins exactly at `start`.
 */
function scanRange(read: (pos: number) => number, buf: Buffer, start: number, stopAt: number, scanner: DumpScanner,
  onBytes: (n: number) => void): void {
  let pos = start - 1;
  scanner.startAt(pos);
  scanner.stopAt = stopAt;
  for (;;) {
    const n = read(pos);
    if (n <= 0) break;
    pos += n;
    scanner.feed(n === buf.length ? buf : buf.subarray(0, n));
    onBytes(n);
    if (scanner.stopped) break;
  }
  scanner.finish();
}

/** The buffers of a part, moved (not copied) when a worker posts it. */
export function transferList(part: DumpPart): ArrayBuffer[] {
  const d = part.data;
  if (!d) return [];
  return [
    d.index.tags.buffer, d.index.offsetLows.buffer, d.index.lengths.cells.buffer, d.index.ids.buffer,
    d.rows.memoryDerived.buffer, d.binaries.address.buffer, d.binaries.sizeBytes.cells.buffer, d.binaries.cpRow.buffer, d.binaries.cpOffset.buffer,
    ...Object.values(d.rows.numeric).map((a) => a.cells.buffer),
    d.rows.pid.cells.buffer, ...Object.values(d.rows.codes).map((c) => c.buffer),
  ] as ArrayBuffer[];
}
