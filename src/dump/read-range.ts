import { readSync } from 'node:fs';
import { DumpBuilder, type DumpPart } from './builder.js';
import { DumpScanner } from './scanner.js';

/**
 * The parallel reader's plan for a plain-file dump: after the header, the file is cut into byte
 * ranges that threads take one at a time (a shared counter), so that a thread that got the dense
 * `=proc` region is helped by the others instead of waited for.
 */
export interface RangePlan {
  /** An open descriptor of the dump: threads share the process's descriptors. */
  fd: number;
  /** Range k is [bounds[k], bounds[k+1]); bounds[0] is where the first thread's own scan stops. */
  bounds: number[];
  wordSize: 4 | 8;
  bufferSize: number;
  maxLineBytes: number;
  /** Int32 [0]: the next range to take. */
  counter: SharedArrayBuffer;
  /** Float64 per thread: bytes done, for the progress line. */
  progress: SharedArrayBuffer;
}

export function rangeCount(plan: RangePlan): number {
  return plan.bounds.length - 1;
}

/**
 * Takes ranges until none is left and hands each one's part to `onPart`. `slot` is this
 * thread's progress cell.
 */
export async function takeRanges(plan: RangePlan, slot: number, forPost: boolean, onPart: (k: number, part: DumpPart) => void,
  between?: () => Promise<void>): Promise<void> {
  const counter = new Int32Array(plan.counter);
  const progress = new Float64Array(plan.progress);
  const buf = Buffer.allocUnsafe(plan.bufferSize);
  const builder = new DumpBuilder(plan.wordSize);
  for (;;) {
    const k = Atomics.add(counter, 0, 1);
    if (k >= rangeCount(plan)) return;
    builder.reset();
    const scanner = new DumpScanner(builder, plan.maxLineBytes);
    const start = plan.bounds[k];
    const stopAt = k + 1 === rangeCount(plan) ? Infinity : plan.bounds[k + 1];
    scanRange(plan.fd, buf, start, stopAt, scanner, (bytes) => { progress[slot] += bytes; });
    onPart(k, builder.toPart(forPost));
    await between?.();
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
    d.rows.memoryDerived.buffer, d.binAddr.buffer, d.binSize.buffer,
    ...Object.values(d.rows.numeric).map((a) => a.buffer),
    ...Object.values(d.rows.text).flatMap((c) => (Array.isArray(c) ? [] : [c.codes.buffer])),
  ] as ArrayBuffer[];
}
