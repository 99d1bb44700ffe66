import { closeSync, existsSync, openSync, unlinkSync, write } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The decompressed bytes of a compressed dump (or of standard input), written to a temporary file
 * while the one streaming pass reads them: the section index's offsets then point into it, so the
 * heaps of a process can be decoded afterwards as from a plain file (triage's message shapes,
 * `proc`, `leak`), without holding the dump in memory.
 *
 * On Linux the file is unlinked as soon as it is open and read back through /proc/self/fd: it
 * takes no name in the directory and its blocks go back when the process ends, however it ends
 * (kill -9 included). Elsewhere it is removed at exit.
 */
export class Spool {
  /** The path to open to read the spooled bytes (a /proc/self/fd link on Linux). */
  readonly readPath: string;
  /** Bytes handed to write() so far. */
  bytes = 0;
  /** Why spooling stopped (a write failed: no room, say); the read goes on without it. */
  error?: NodeJS.ErrnoException;
  /** The open file (read and write): another writer may be given it (the zstd program: compression.ts). */
  readonly fd: number;
  /**
   * A spool filled as it is read (a gzip dump from its saved index: gzip-seek.ts): makes bytes
   * [pos, pos + length) hold the dump's before they are read (data-file.ts).
   */
  fill?: { fill(pos: number, length: number): void };
  private name?: string;
  private inflight = 0;
  private waiters: Array<() => void> = [];
  private stage: Buffer | undefined;
  private staged = 0;

  /** Creates the file in `dir` (default: the OS temporary directory). Throws when it cannot. */
  constructor(readonly dir: string = tmpdir()) {
    const name = join(dir, `beamscope-spool-${process.pid}-${randomBytes(4).toString('hex')}.dump`);
    this.fd = openSync(name, 'wx+', 0o600);
    const link = `/proc/self/fd/${this.fd}`;
    if (process.platform === 'linux' && existsSync(link)) {
      unlinkSync(name);
      this.readPath = link;
    } else {
      this.name = name;
      this.readPath = name;
      live.add(this);
      if (live.size === 1) process.once('exit', removeAll);
    }
    byPath.set(this.readPath, this);
  }

  /**
   * Appends `chunk` (never modified by the caller afterwards): big chunks are written as they are,
   * small ones gathered first. Returns a promise when too much is waiting to be written, so the
   * caller waits for the disk instead of holding the dump in memory.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.error || chunk.length === 0) return undefined;
    if (this.staged === 0 && chunk.length >= WRITE_BYTES / 2) {
      this.put(chunk, this.bytes);
    } else {
      let from = 0;
      while (from < chunk.length) {
        this.stage ??= Buffer.allocUnsafe(WRITE_BYTES);
        const n = chunk.copy(this.stage, this.staged, from);
        this.staged += n;
        from += n;
        if (this.staged === WRITE_BYTES) this.flushStage(this.bytes + from - this.staged);
      }
    }
    this.bytes += chunk.length;
    if (this.inflight <= MAX_INFLIGHT) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when every byte is on its way to the disk (or spooling failed: see `error`). */
  async finish(): Promise<void> {
    if (this.staged > 0) this.flushStage(this.bytes - this.staged);
    while (this.inflight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Closes and removes the file; reads of readPath fail after this. */
  discard(): void {
    byPath.delete(this.readPath);
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
    if (this.name) {
      try {
        unlinkSync(this.name);
      } catch {
        // gone already
      }
      live.delete(this);
    }
  }

  private flushStage(at: number): void {
    const b = this.stage!.subarray(0, this.staged);
    this.stage = undefined;
    this.staged = 0;
    this.put(b, at);
  }

  // Positional writes on the libuv pool: the order they finish in does not matter.
  private put(b: Buffer, at: number): void {
    this.inflight += b.length;
    write(this.fd, b, 0, b.length, at, (err, n) => {
      this.inflight -= b.length;
      if (!err && n < b.length) {
        // A short write (rare on regular files): the rest, in order.
        this.put(b.subarray(n), at + n);
      } else if (err && !this.error) {
        this.error = err;
      }
      if (this.inflight <= MAX_INFLIGHT || this.error) {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      }
    });
  }
}

// 1 MiB writes, at most 8 MiB waiting: the disk keeps up with decompression, and a slow one holds
// the read back instead of filling memory.
const WRITE_BYTES = 1 << 20;
const MAX_INFLIGHT = 8 << 20;

const live = new Set<Spool>();
const byPath = new Map<string, Spool>();

/**
 * Gives back the disk of a dump's spool (DumpSource.spool) before the process ends: a program that
 * reads many compressed dumps calls it when done with each. Heaps cannot be decoded after it.
 */
export function releaseSpool(source: { spool?: string; seekable?: boolean; notSpooled?: string }): void {
  if (!source.spool) return;
  byPath.get(source.spool)?.discard();
  // The descriptor's number may be reused by the next file opened: nothing may read it again.
  delete source.spool;
  source.seekable = false;
  source.notSpooled = 'its temporary copy was released (releaseSpool)';
}
/** The spool read at `path` when it is filled as it is read (Spool.fill), else undefined. */
export function fillerOf(path: string): Spool['fill'] {
  return byPath.get(path)?.fill;
}

function removeAll(): void {
  for (const s of [...live]) s.discard();
}
