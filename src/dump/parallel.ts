import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { DumpBuilder, DumpPart } from './builder.js';
import type { Growth } from './growing.js';
import { claimRange, rangeCount, RangeReader, transferList, type RangePlan } from './read-range.js';

/** Atomics.waitAsync (Node 16+; in TypeScript's lib from es2024 on). */
interface AtomicsWaitAsync {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Bytes of parts merged between two garbage collections (see mergeReady). */
const GC_EVERY_BYTES = 16 << 20;
/** Ranges in all at most: a larger file gets larger ranges. */
const MAX_RANGES = 60_000;
// Compiled next to this file. Run from the TypeScript sources (vitest), it is not there, and the
// reader reads in one pass.
const WORKER_URL = new URL('./read-worker.js', import.meta.url);

export function canReadInParallel(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

/**
 * The rest of a plain file, after the header, read in byte ranges by `threads` threads: this one
 * and threads - 1 workers take the ranges in file order, and this one merges each range's part
 * into the builder as soon as every range before it is merged.
 *
 * Merged in order as they come, the parts in flight are a few ranges' worth. (The reader used to
 * give the workers the ranges from the back of the file and merge their parts at the end: all of
 * them were held until then, next to the builder's copy of them, and a dump of 3,000,000 processes
 * peaked 330 MB above its one-thread read.)
 */
export class ParallelRead {
  private plan?: RangePlan;
  private into?: DumpBuilder;
  /** [0] the next range to take, [1] parts posted (RangePlan.counter). */
  private readonly counter = new Int32Array(new SharedArrayBuffer(8));
  private readonly progressBuffer: SharedArrayBuffer;
  private readonly progress: Float64Array;
  /** Parts read and not merged yet, by range. */
  private readonly parts = new Map<number, DumpPart>();
  /** The next range to merge. */
  private next = 0;
  private readonly workers: Worker[];
  private readonly ports: MessagePort[];
  private exited = 0;
  private ownBytes = 0;
  /** Bytes of the parts merged since the last collection. */
  private mergedSinceGc = 0;

  /**
   * Starts the workers at once: they load their code while this thread reads the header, then
   * wait for `start`.
   */
  constructor(threads: number) {
    // Workers optimise their own hot code on their own thread (the flag is read when an isolate is
    // made, so this thread keeps compiling in the background): with every core reading, V8's
    // background compiler was starved and a worker parsed processes at half this thread's speed.
    setFlagsFromString('--no-concurrent-recompilation');
    this.progressBuffer = new SharedArrayBuffer(8 * Math.max(1, threads - 1));
    this.progress = new Float64Array(this.progressBuffer);
    this.workers = Array.from({ length: threads - 1 }, () =>
      // A small young generation: a worker's garbage is short-lived values of lines, and the
      // default semi-spaces would be tens of MB of RSS per thread.
      new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 2 } }));
    this.ports = [];
    for (const w of this.workers) {
      const exit = () => { this.exited++; };
      w.once('error', exit);
      w.once('exit', exit);
    }
  }

  /**
   * Makes the ranges of [from, size) and hands the plan to the workers; returns where this thread's
   * own scan must stop. With `growth`, the file is still being written (growing.ts): `size` is not
   * known, the ranges are `rangeBytes` each, and only the workers read them (see finish).
   */
  start(into: DumpBuilder, o: { fd: number; from: number; size: number; rangeBytes: number; bufferSize: number; maxLineBytes: number; growth?: Growth }): number {
    const bounds: number[] = [];
    const step = o.growth ? Math.max(1, o.rangeBytes) : Math.max(1, o.rangeBytes, Math.ceil((o.size - o.from) / MAX_RANGES));
    if (o.growth) bounds.push(o.from);
    else {
      for (let b = o.from; b < o.size; b += step) bounds.push(b);
      bounds.push(o.size);
    }
    this.into = into;
    this.plan = {
      fd: o.fd, bounds, wordSize: into.wordSize, bufferSize: o.bufferSize, maxLineBytes: o.maxLineBytes,
      counter: this.counter.buffer as SharedArrayBuffer, progress: this.progressBuffer,
      ...(o.growth ? { growth: o.growth, step } : {}),
    };
    this.workers.forEach((w, i) => {
      const { port1, port2 } = new MessageChannel();
      this.ports.push(port1);
      w.postMessage({ plan: this.plan, slot: i, port: port2 }, [port2]);
    });
    return bounds[0];
  }

  /** The file is not split after all (too little left after the header): the workers go. */
  cancel(): void {
    for (const w of this.workers) void w.terminate();
  }

  /** Bytes read by the workers, plus `ownBytes` (this thread's scan of the header) and this thread's ranges. */
  bytesDone(ownBytes: number): number {
    return this.progress.reduce((a, b) => a + b, ownBytes + this.ownBytes);
  }

  /**
   * Takes ranges on this thread too, merging every part into the builder in file order, then
   * waits for the workers' last parts. False when a part is missing (a worker failed before it).
   */
  async finish(tick?: () => void): Promise<boolean> {
    const plan = this.plan!;
    let lastTick = 0;
    try {
      // A file still being written: this thread takes no range, as a read of one may have to wait
      // for the writer, and the writer's end is seen here, on the event loop (the workers sleep
      // meanwhile: growing.ts).
      const onBytes = (bytes: number) => { this.ownBytes += bytes; };
      for (let reader = plan.growth ? undefined : new RangeReader(plan); reader; ) {
        this.mergeReady();
        const k = claimRange(this.counter, rangeCount(plan));
        if (k < 0) break;
        // Read into views of this thread's builder and merged from them when every range before
        // it is merged by now (the worker's range before it is usually done first: 39 of this
        // thread's 49 ranges of class b); a range that has to wait is copied out, as a worker's
        // part is. The copies were fresh memory to fill and then garbage: 5 interleaved runs of
        // class c (3,000,000 processes), 7.2 -> 6.5 s of CPU, 3.9 -> 3.5 s.
        const part = reader.read(k, onBytes, false);
        this.mergeReady();
        if (this.next === k) this.mergeNext(part);
        else this.parts.set(k, reader.copyOut());
        if (tick && Date.now() - lastTick > 250) {
          lastTick = Date.now();
          tick();
        }
      }
      // The workers' last ranges: wait for them without holding the event loop (their exit events).
      // A worker posts its parts before it exits, so once all have exited every part is in.
      for (;;) {
        this.mergeReady();
        if (this.next >= rangeCount(plan)) return true;
        if (this.exited === this.workers.length) return false;
        const seen = Atomics.load(this.counter, 1);
        const w = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.counter, 1, seen, 100);
        if (w.async) {
          // The wait alone does not keep the process alive: when the last worker has exited
          // between two waits, nothing else would.
          const alive = setTimeout(() => {}, 1000);
          await w.value;
          clearTimeout(alive);
        }
        tick?.();
      }
    } finally {
      for (const port of this.ports) port.close();
      this.parts.clear();
      // The parts merged are garbage now: when the host lets us (the bin runs node with
      // --expose-gc), they go before the caller's analysis allocates on top of them.
      (globalThis as { gc?: () => void }).gc?.();
    }
  }

  /** Merges the part of range `next` into the builder: the next range is merged next. */
  private mergeNext(part: DumpPart): void {
    this.into!.absorbAll([part]);
    this.next++;
  }

  /** Takes the parts the workers posted, and merges every part that is next in file order. */
  private mergeReady(): void {
    for (const port of this.ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const { k, part } = m.message as { k: number; part: DumpPart };
        this.parts.set(k, part);
      }
    }
    for (let p = this.parts.get(this.next); p; p = this.parts.get(this.next)) {
      this.parts.delete(this.next);
      this.mergeNext(p);
      this.mergedSinceGc += transferList(p).reduce((n, b) => n + b.byteLength, 0);
    }
    // A merged part's arrays are garbage that V8 frees only when it collects, and it counts them as
    // external memory, which lets tens of MB of them pile up first: a collection now and then (when
    // the host lets us: the bin runs node with --expose-gc) keeps that down. Each full collection
    // also throws away optimised code that held on to what it freed, and recompiling it cost more
    // than the collecting did (one every 8 parts, about 4 MB of them, was 14 collections on class b).
    // Every 16 MB, 8 interleaved runs on class b (1,000,000 processes, 2 threads): 2.13 s and
    // 154 MB -> 1.98 s and 159 MB (none at all: 1.93 s, 167 MB); class c, 5 runs: 4.49 s and 269
    // MB -> 4.04 s and 277 MB (none: 4.00 s, 289 MB, its budget being 300); the 3 GB dump and
    // class e within 3 MB of before.
    if (this.mergedSinceGc >= GC_EVERY_BYTES) {
      this.mergedSinceGc = 0;
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
}
