import { fstatSync, readSync } from 'node:fs';

/**
 * A file that a writer is still appending to: the spool of a compressed dump (spool.ts) while the
 * decompressor writes it. The reader's threads read it as it grows, each byte range once the bytes
 * are there, instead of waiting for the whole file (reader.ts, readGrowingSpool).
 *
 * The writer appends in order (the zstd program writing to its standard output, --no-sparse), so
 * every byte before the file's size is written: readers ask the system for the size. What the
 * threads share (a SharedArrayBuffer, posted to the workers with the plan):
 * - Int32 [0]: 0 while the writer runs, 1 once it is done (Atomics.wait/notify on it);
 * - Float64 [1]: the file's final size, once done.
 */
export interface Growth {
  state: SharedArrayBuffer;
}

const DONE = 0;
const FINAL = 1;
/** How long a reader sleeps before asking again whether more was written. */
export const POLL_MS = 2;

export function newGrowth(): Growth {
  return { state: new SharedArrayBuffer(16) };
}

/** The writer is done: the file is `size` bytes. Wakes every reader waiting for more. */
export function markDone(g: Growth, size: number): void {
  const f = new Float64Array(g.state);
  f[FINAL] = size;
  const i = new Int32Array(g.state);
  Atomics.store(i, DONE, 1);
  Atomics.notify(i, DONE);
}

/** The final size once the writer is done, else undefined. */
export function finalSize(g: Growth): number | undefined {
  return Atomics.load(new Int32Array(g.state), DONE) === 1 ? new Float64Array(g.state)[FINAL] : undefined;
}

/** Bytes that may be read now. */
export function available(g: Growth, fd: number): number {
  return finalSize(g) ?? fstatSync(fd).size;
}

/**
 * Reads at `pos` what is there (up to buf.length), waiting on this thread for the writer when
 * nothing is yet; 0 only at the end of the finished file. For worker threads: it blocks.
 */
export function readGrowingSync(g: Growth, fd: number, buf: Buffer, pos: number): number {
  const done = new Int32Array(g.state);
  for (;;) {
    // The done flag is read before the file: a writer done before this read wrote everything it read.
    const wasDone = Atomics.load(done, DONE) === 1;
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n > 0 || wasDone) return n;
    Atomics.wait(done, DONE, 0, POLL_MS);
  }
}

/**
 * readGrowingSync for the event loop's thread, which waits without blocking it, and for a whole
 * buffer unless the writer is done: where this thread's reads end (the header's end, from where the
 * ranges start) does not depend on how fast the writer was.
 */
export class GrowingReader {
  /** Bytes known to be there: the file's size is asked only when a read would go past them. */
  private known = 0;

  /**
   * `partial`: return what is there, not a whole buffer (no threads read ranges: standard input,
   * where a small input that is not a dump is refused before its producer closes the pipe).
   */
  constructor(private readonly g: Growth, private readonly fd: number, private readonly partial = false) {}

  async read(buf: Buffer, pos: number): Promise<number> {
    const done = new Int32Array(this.g.state);
    const want = this.partial ? 1 : buf.length;
    for (;;) {
      const wasDone = Atomics.load(done, DONE) === 1;
      if (!wasDone && this.known < pos + want) this.known = available(this.g, this.fd);
      if (wasDone || this.known >= pos + want) return readSync(this.fd, buf, 0, buf.length, pos);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

/** Waits on this thread until the file holds more than `pos` bytes or the writer is done. */
export function waitPastSync(g: Growth, fd: number, pos: number): void {
  const done = new Int32Array(g.state);
  while (Atomics.load(done, DONE) === 0 && available(g, fd) <= pos) Atomics.wait(done, DONE, 0, POLL_MS);
}
