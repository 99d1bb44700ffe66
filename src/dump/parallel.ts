import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DumpBuilder, DumpPart } from './builder.js';
import { claimRange, rangeCount, type RangePlan } from './read-range.js';

/**
 * Ranges of an eighth of rangeBytes at the front of the file. This thread takes ranges from the
 * front and the workers from the back (claimRange), so this thread parses the `=proc` sections
 * (most of the parsing, first in a dump) with code it has warmed up, while the workers skip heap
 * sections. Small ranges where they meet keep the last one short: on the 837 MB bench dump a
 * worker given a 16 MB range of `=proc` sections spent 214 ms on it, cold, while this thread had
 * finished and waited. With 16 of them (64 MB), both threads end within 25 ms of each other on
 * the 837 MB and 3 GB dumps.
 */
const SMALL_RANGES = 16;
/** Ranges in all at most (claimRange counts each end in 16 bits): a larger file gets larger ranges. */
const MAX_RANGES = 60_000;
// Compiled next to this file. Run from the TypeScript sources (vitest), it is not there, and the
// reader reads in one pass.
const WORKER_URL = new URL('./read-worker.js', import.meta.url);

export function canReadInParallel(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/**
 * The rest of a plain file, after the header, read by `threads` threads: this one, whose own scan
 * goes on range by range from the front (nextStop), and threads - 1 workers from the back.
 */
export class ParallelRead {
  private plan?: RangePlan;
  private into?: DumpBuilder;
  /** claimRange's word, shared with the workers through the plan. */
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly progressBuffer: SharedArrayBuffer;
  private readonly progress: Float64Array;
  private readonly parts: DumpPart[] = [];
  /** Ranges 0 to ownRanges - 1 were read by this thread's own scan (nextStop). */
  private ownRanges = 0;
  private readonly workers: Worker[];
  private readonly exits: Array<Promise<void>>;

  /**
   * Starts the workers at once: they load their code while this thread reads the header, then
   * wait for `start`.
   */
  constructor(threads: number) {
    // Workers optimise their own hot code on their own thread (the flag is read when an isolate is
    // made, so this thread keeps compiling in the background): with every core reading, V8's
    // background compiler was starved and a worker parsed processes at half this thread's speed.
    setFlagsFromString('--no-concurrent-recompilation');
    this.progressBuffer = new SharedArrayBuffer(8 * (threads - 1));
    this.progress = new Float64Array(this.progressBuffer);
    this.workers = Array.from({ length: threads - 1 }, () =>
      // A small young generation: a worker's garbage is short-lived values of lines, and the
      // default semi-spaces would be tens of MB of RSS per thread.
      new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 2 } }));
    this.exits = this.workers.map((worker) => {
      worker.on('message', (m: { k: number; part: DumpPart }) => { this.parts[m.k] = m.part; });
      return new Promise<void>((resolve) => {
        worker.once('error', () => resolve());
        worker.once('exit', () => resolve());
      });
    });
  }

  /**
   * Hands out [from, size) to the workers and returns where this thread's own scan must stop: the
   * first tag line at or after it belongs to a range.
   */
  start(into: DumpBuilder, o: { fd: number; from: number; size: number; rangeBytes: number; bufferSize: number; maxLineBytes: number }): number {
    // SMALL_RANGES ranges of an eighth of rangeBytes, then growing to rangeBytes: the skipped
    // heap sections further on go in big ranges, which cost less to hand out.
    const bounds: number[] = [];
    const largest = Math.max(o.rangeBytes, Math.ceil((o.size - o.from) / MAX_RANGES) * 2);
    let step = Math.max(1, Math.floor(largest / 8));
    for (let b = o.from, k = 0; b < o.size; b += step, k++) {
      bounds.push(b);
      if (k >= SMALL_RANGES && k % 2 === 1) step = Math.min(largest, step * 2);
    }
    bounds.push(o.size);
    this.into = into;
    this.plan = {
      fd: o.fd, bounds, wordSize: into.wordSize, bufferSize: o.bufferSize, maxLineBytes: o.maxLineBytes,
      counter: this.counter.buffer as SharedArrayBuffer, progress: this.progressBuffer,
    };
    this.workers.forEach((w, i) => w.postMessage({ plan: this.plan, slot: i }));
    return bounds[0];
  }

  /**
   * For this thread's own scan, which goes on into the next range from the front instead of
   * handing it to takeRanges: where the scan must now stop, or undefined when every range is
   * taken. The rows of the `=proc` sections thus go into the builder as they are read, not into a
   * part per range that is copied again when the parts are merged.
   */
  nextStop(): number | undefined {
    const plan = this.plan!;
    const n = rangeCount(plan);
    const k = claimRange(this.counter, n, false);
    if (k < 0) return undefined;
    this.ownRanges = k + 1;
    return k + 1 === n ? Infinity : plan.bounds[k + 1];
  }

  /** The file is not split after all (too little left after the header): the workers go. */
  cancel(): void {
    for (const w of this.workers) void w.terminate();
  }

  /** Bytes read by the workers, plus `ownBytes` (this thread's own scan). */
  bytesDone(ownBytes: number): number {
    return this.progress.reduce((a, b) => a + b, ownBytes);
  }

  /**
   * Waits for the workers and adds the parts of the ranges this thread's own scan did not take
   * to the builder, in file order. False when a part is missing (a worker failed before it).
   */
  async finish(tick?: () => void): Promise<boolean> {
    const timer = tick ? setInterval(tick, 250) : undefined;
    try {
      // The columns this thread's scan outgrew are garbage that V8 counts as external memory and
      // collects only once tens of MB of it pile up, and the merge allocates on top of them. This
      // thread usually ends before the worker and waits here anyway. 837 MB bench dump, 30
      // interleaved runs: median peak RSS 124 -> 113 MB, the same wall time.
      (globalThis as { gc?: () => void }).gc?.();
      // A worker posts a range's part only once it has read all of it: with every part here, the
      // read is whole even if a worker failed afterwards (or this thread took every range).
      await Promise.all(this.exits);
      const n = rangeCount(this.plan!);
      for (let k = this.ownRanges; k < n; k++) if (!this.parts[k]) return false;
      this.into!.absorbAll(this.parts.slice(this.ownRanges));
      this.parts.length = 0;
      // The parts are garbage now, tens of MB for a big dump: when the host lets us (the bin runs
      // node with --expose-gc), they go before the caller's analysis allocates on top of them.
      (globalThis as { gc?: () => void }).gc?.();
      return true;
    } finally {
      if (timer) clearInterval(timer);
    }
  }
}
