import { readSync } from 'node:fs';
import { DumpBuilder, type DumpPart } from './builder.js';
import { DumpScanner } from './scanner.js';

/**
 * The parallel reader's plan for a plain-file dump: after the header, the file is cut into byte
 * ranges that threads take one at a time from a shared counter, the first thread from the front
 * and the workers from the back (claimRange), until they meet.
 */
export interface RangePlan {
  /** An open descriptor of the dump: threads share the process's descriptors. */
  fd: number;
  /** Range k is [bounds[k], bounds[k+1]); bounds[0] is where the first thread's own scan stops. */
  bounds: number[];
  wordSize: 4 | 8;
  bufferSize: number;
  maxLineBytes: number;
  /**
   * Int32 [0]: ranges taken from the front (low 16 bits) and from the back (high 16 bits), one word
   * so that a compare-and-swap claims a range from either end without a race.
   */
  counter: SharedArrayBuffer;
  /** Float64 per worker: bytes done, for the progress line. */
  progress: SharedArrayBuffer;
}

export function rangeCount(plan: RangePlan): number {
  return plan.bounds.length - 1;
}

/**
 * A worker's loop: takes ranges from the back of the file until none is left and hands each one's
 * part to `onPart`. `slot` is this worker's progress cell. (The first thread takes ranges from the
 * front in its own scan: ParallelRead.nextStop.)
 */
export function takeRanges(plan: RangePlan, slot: number, onPart: (k: number, part: DumpPart) => void): void {
  const counter = new Int32Array(plan.counter);
  const progress = new Float64Array(plan.progress);
  const buf = Buffer.allocUnsafe(plan.bufferSize);
  const builder = new DumpBuilder(plan.wordSize);
  const n = rangeCount(plan);
  for (;;) {
    const k = claimRange(counter, n, true);
    if (k < 0) return;
    builder.reset();
    const scanner = new DumpScanner(builder, plan.maxLineBytes);
    const start = plan.bounds[k];
    const stopAt = k + 1 === n ? Infinity : plan.bounds[k + 1];
    scanRange(plan.fd, buf, start, stopAt, scanner, (bytes) => { progress[slot] += bytes; });
    onPart(k, builder.toPart());
  }
}

/**
 * The next range not yet taken, from the front of the file (the first thread) or from the back
 * (the workers; see SMALL_RANGES in parallel.ts); -1 when none is left.
 */
export function claimRange(counter: Int32Array, n: number, fromBack: boolean): number {
  // More would overflow an end's 16 bits; ParallelRead.start makes at most MAX_RANGES.
  if (n > 0xffff) throw new Error(`${n} ranges: more than the counter holds`);
  for (;;) {
    const word = Atomics.load(counter, 0);
    const front = word & 0xffff;
    const back = word >>> 16;
    if (front + back >= n) return -1;
    const next = fromBack ? word + 0x10000 : word + 1;
    if (Atomics.compareExchange(counter, 0, word, next | 0) === word) return fromBack ? n - 1 - back : front;
  }
}

/**
 * Feeds the scanner from `start` until it stops at the next range's first tag line or the file
 * ends. The scanner starts in the middle of a line, so bytes up to the first tag line at or after
 * `start` are skipped: reading from start - 1 finds a tag line that begins exactly at `start`.
 */
function scanRange(fd: number, buf: Buffer, start: number, stopAt: number, scanner: DumpScanner,
  onBytes: (n: number) => void): void {
  let pos = start - 1;
  scanner.startAt(pos);
  scanner.stopAt = stopAt;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
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
    d.index.tags.buffer, d.index.offsets.buffer, d.index.lengths.buffer, d.index.packedIds.buffer,
    d.rows.memoryDerived.buffer, d.binaries.address.buffer, d.binaries.sizeBytes.buffer, d.binaries.cpRow.buffer, d.binaries.cpOffset.buffer,
    ...Object.values(d.rows.numeric).map((a) => a.buffer),
    ...Object.values(d.rows.text).map((c) => c.codes.buffer),
  ] as ArrayBuffer[];
}
