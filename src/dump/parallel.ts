import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DumpBuilder, DumpPart } from './builder.js';
import { rangeCount, takeRanges, type RangePlan } from './read-range.js';

// Compiled next to this file. Run from the TypeScript sources (vitest), it is not there, and the
// reader reads in one pass.
const WORKER_URL = new URL('./read-worker.js', import.meta.url);

export function canReadInParallel(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/**
 * The rest of a plain file, from `from` on, read by `threads` threads: this one (which goes on
 * with its own scan up to `firstStop` first) and threads - 1 workers.
 */
export class ParallelRead {
  readonly firstStop: number;
  private readonly plan: RangePlan;
  private readonly progress: Float64Array;
  private readonly parts: DumpPart[] = [];
  private readonly exits: Array<Promise<boolean>>;

  constructor(private readonly into: DumpBuilder,
    o: { fd: number; from: number; size: number; threads: number; rangeBytes: number; bufferSize: number; maxLineBytes: number }) {
    // Ranges grow from an eighth of rangeBytes to rangeBytes: the `=proc` sections, most of the
    // parsing, come first in a dump, and small ranges there share them out evenly; the skipped heap
    // sections that follow go in big ranges, which cost less to hand out.
    const bounds: number[] = [];
    let step = Math.max(1, Math.floor(o.rangeBytes / 8));
    for (let b = o.from, k = 0; b < o.size; b += step, k++) {
      bounds.push(b);
      if (k % 2 === 1) step = Math.min(o.rangeBytes, step * 2);
    }
    bounds.push(o.size);
    this.firstStop = bounds[0];
    this.plan = {
      fd: o.fd, bounds, wordSize: into.wordSize, bufferSize: o.bufferSize, maxLineBytes: o.maxLineBytes,
      counter: new SharedArrayBuffer(4), progress: new SharedArrayBuffer(8 * o.threads),
    };
    this.progress = new Float64Array(this.plan.progress);
    this.exits = Array.from({ length: o.threads - 1 }, (_, w) => {
      // A small young generation: a worker's garbage is short-lived values of lines, and the
      // default semi-spaces would be tens of MB of RSS per thread.
      const worker = new Worker(WORKER_URL, { workerData: { plan: this.plan, slot: w + 1 }, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
      worker.on('message', (m: { k: number; part: DumpPart }) => { this.parts[m.k] = m.part; });
      return new Promise<boolean>((resolve) => {
        worker.once('error', () => resolve(false));
        worker.once('exit', (code) => resolve(code === 0));
      });
    });
  }

  /** Bytes read by all threads past the first thread's own scan, plus `ownBytes`. */
  bytesDone(ownBytes: number): number {
    return this.progress.reduce((a, b) => a + b, ownBytes);
  }

  /**
   * Takes ranges in this thread too, waits for the workers, and adds every range's part to the
   * builder in file order. False when a worker failed.
   */
  async finish(tick?: () => void): Promise<boolean> {
    const timer = tick ? setInterval(tick, 250) : undefined;
    try {
      // Yielding between ranges lets the progress timer run.
      await takeRanges(this.plan, 0, false, (k, part) => { this.parts[k] = part; }, () => new Promise((r) => setImmediate(r)));
      const ok = (await Promise.all(this.exits)).every(Boolean);
      const n = rangeCount(this.plan);
      for (let k = 0; k < n; k++) if (!this.parts[k]) return false;
      if (!ok) return false;
      this.into.absorbAll(this.parts);
      return true;
    } finally {
      if (timer) clearInterval(timer);
    }
  }
}
