import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { createInflateRaw } from 'node:zlib';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { peekStream } from '../input/open.js';
import { fileCompression } from '../input/regular-file.js';
import { DumpBuilder } from './builder.js';
import { decompress, DecompressError, gunzipToFile, gzipHeaderLength, programToFile, stdinToFile, type ToFile, type ToFileExit } from './compression.js';
import { finalSize, GrowingReader, markDone, newGrowth, type Growth } from './growing.js';
import { GzipSpanFiller, withWindows, type GzipPoints, type PointsFound } from './gzip-seek.js';
import { Spool } from './spool.js';
import { takeSpoolEarly, type EarlyStart } from './early-spool.js';
import { STDIN_FILE, stdinAfter, stdinHead, stdinKind } from './stdin.js';
import { loadIndex, removeIndex, saveIndex } from './index-file.js';
import { detectCompression, DUMP_MAGIC, dumpMagic, MAGIC_BYTES, type Compression } from './magic.js';
import { canReadInParallel, ParallelRead } from './parallel.js';
import { parallelPays, type ParallelGate } from './parallel-gate.js';
import { DumpScanner, DEFAULT_MAX_LINE_BYTES } from './scanner.js';
import type { Dump } from './types.js';

export interface ReadOptions {
  /** Read buffer size in bytes (default 128 KiB); tests use 7 to cross every chunk boundary. */
  bufferSize?: number;
  /** Lines longer than this are read cut (default 1 MiB). */
  maxLineBytes?: number;
  /** Called now and then with bytes read so far and the total when known (compressed: undefined). */
  onProgress?: (bytesRead: number, totalBytes?: number) => void;
  /**
   * Standard input, for the path "-" (tests pass their own stream), read as a Node stream. Without
   * it, the process's standard input is read at a file's speed where it can be (a file as that
   * file; a pipe, plain or gzip, copied into the spool by a worker thread, with `spool`: stdin.ts).
   */
  stdin?: NodeJS.ReadableStream;
  /**
   * Threads for a plain file (default: the available cores, at most 4, where a sample of the file
   * says a parallel read pays: parallel-gate.ts): byte ranges of the file are read at once, each by
   * its own thread, and merged in file order. 1 reads in one pass.
   */
  threads?: number;
  /** A file needs this many bytes after the header to be split (default 512 MiB; tests use less). */
  parallelMinBytes?: number;
  /** When `threads` is not given, what the sample of the file must show for a parallel read (parallel-gate.ts). */
  parallelGate?: ParallelGate;
  /** Bytes per range that a thread takes at a time (default 32 MiB; tests use less). */
  rangeBytes?: number;
  /**
   * What the caller needs (default 'all'). 'allocators': the header, `=memory`, the tables and
   * the allocator sections, which every dump writes before its processes; the read stops at the
   * first section after them, so `alloc` on a dump of any size reads a few MB.
   */
  want?: 'all' | 'allocators';
  /**
   * Use and keep a saved index (index-file.ts) for a plain file (default false: a library
   * leaves no files behind unless asked; the CLI asks unless `--no-cache`). A whole read saves
   * one; a later read of the unchanged file loads it instead of scanning.
   */
  cache?: boolean;
  /** Called with where the saved index was read from or written to. */
  onIndex?: (event: 'loaded' | 'saved', file: string) => void;
  /**
   * For a compressed dump or standard input: also write the bytes read to a temporary file in this
   * directory (true: the OS temporary directory), removed when the process ends, so that process
   * heaps can be decoded afterwards as from a plain file (default false: nothing is written, and
   * `source.seekable` is false). See spool.ts.
   */
  spool?: boolean | string;
  /** Called with the directory when a spool file is made there. */
  onSpool?: (dir: string) => void;
}

// 128 KiB rather than 1 MiB: the same speed, and a lower peak RSS on the 837 MB bench dump (2
// threads; three series of 20-30 interleaved runs): median 124-126 -> 112-124 MB, highest 133-143 ->
// 124-130 MB.
const DEFAULT_BUFFER = 128 << 10;
const PROGRESS_EVERY = 64 << 20;
const MAX_THREADS = 4;
// Below this, a worker's start-up and the merge cost about what they save (measured on 2 cores: a
// 100 MB dump reads slower on 2 threads, a 3 GB one 30 % faster).
const PARALLEL_MIN_BYTES = 512 << 20;
// Ranges are merged in file order as they are read: smaller ones keep fewer parts in flight (and
// a thread seldom waits long for the one before), larger ones cost fewer hand-overs.
const RANGE_BYTES = 8 << 20;
const COMPRESSION_RATIO_GUESS = 12;

/**
 * Reads a crash dump: a plain file (big ones on several threads, see readPlainFile), a gzip, zstd
 * or xz file (by its magic bytes) or "-" for standard input, each in one sequential pass. Throws InputError for what is not a dump; a truncated dump is read as
 * far as it goes, and `truncation` says where it stops.
 */
export async function readDump(path: string, opts: ReadOptions = {}): Promise<Dump> {
  const bufferSize = Math.max(1, opts.bufferSize ?? DEFAULT_BUFFER);
  const builder = new DumpBuilder();
  builder.earlyOnly = opts.want === 'allocators';
  const scanner = new DumpScanner(builder, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const check = new MagicCheck(path);
  let nextProgress = PROGRESS_EVERY;
  const progress = (total?: number, done = scanner.offset) => {
    if (opts.onProgress && done >= nextProgress) {
      nextProgress = done + PROGRESS_EVERY;
      opts.onProgress(done, total);
    }
  };
  const feed = (chunk: Buffer) => {
    if (!check.done) {
      const ok = check.take(chunk);
      if (!ok) return;
      for (const c of check.drain()) scanner.feed(c);
      return;
    }
    scanner.feed(chunk);
  };

  let compression: Compression | undefined;
  let stream: Readable;
  if (path === '-') {
    const c = await readStdin({ builder, scanner, check, feed, progress, bufferSize, opts });
    if ('dump' in c) return c.dump;
    ({ compression, stream } = c);
  } else {
    const fd = openInput(path);
    const cache = opts.cache === true && opts.want !== 'allocators';
    let retry = false;
    try {
      if (cache) {
        const hit = loadIndex(path, fd);
        const dump = hit && await fromIndex(path, hit, opts);
        if (hit && dump) {
          opts.onIndex?.('loaded', hit.from);
          return dump;
        }
      }
      const size = fstatSync(fd).size;
      compression = fileCompression(fd);
      if (!compression) {
        builder.fileBytes = size;
        builder.reserveFor(size);
        const r = await readPlainFile(fd, size, { builder, scanner, check, feed, progress, bufferSize, opts });
        retry = !r.ok;
        if (builder.lateReached) builder.tailEnd = endsWithEnd(fd, size);
        if (!retry) {
          const dump = builder.result({ path, gzip: false, bytes: scanner.offset, seekable: true, threads: r.threads });
          if (cache) {
            const saved = saveIndex(dump, fd);
            if (saved) opts.onIndex?.('saved', saved);
          }
          return dump;
        }
      }
    } finally {
      closeSync(fd);
    }
    if (retry) return readDump(path, { ...opts, threads: 1 });
    if (compression !== undefined && opts.spool && opts.want !== 'allocators') {
      const dump = await readIntoSpool(path, compression, { builder, scanner, check, feed, progress, bufferSize, opts });
      if (dump) return dump;
    }
    // The plain size is not known before the end: reserve for a generous ratio (dumps compress
    // 4-8x with gzip -1 and zstd -3 on the bench dumps); reserved rows cost address space only.
    // (Not fileBytes, which would reserve the binary table too: class a .gz, 5 interleaved runs,
    // peak RSS 171 -> 177 MB for 3.27 -> 3.16 s.)
    builder.reserveFor(statSync(path).size * COMPRESSION_RATIO_GUESS);
    stream = createReadStream(path, { highWaterMark: 1 << 20 });
  }
  try {
    return await readStream(stream, compression, path, { builder, scanner, check, feed, progress, bufferSize, opts });
  } catch (e) {
    // Not a dump, say: the rest of standard input is not read, nor waited for (a producer that
    // goes on writing would keep the process up until it stops).
    if (path === '-' && opts.stdin === undefined) process.stdin.destroy();
    throw e;
  }
}

type ReadContext = {
  builder: DumpBuilder; scanner: DumpScanner; check: MagicCheck; feed: (b: Buffer) => void;
  progress: (total?: number, done?: number) => void; bufferSize: number; opts: ReadOptions;
};

/**
 * How a SpoolWriter ended. `rest`: standard input only, where a write failed: the bytes not
 * written, handed over instead (see ToFileExit).
 */
interface SpoolEnd {
  bytes: number; inputError?: string; trailerError?: string; writeFailed?: string; readFailed?: string; rest?: ToFileExit['rest'];
  points?: PointsFound;
}

/** What writes a compressed dump's decompressed bytes into its spool, for readGrowingSpool. */
interface SpoolWriter {
  /** Resolves when it is done (never rejects), with the bytes written. */
  done: Promise<SpoolEnd>;
  /** Stops it (the read was given up); `done` still resolves. */
  stop(): void;
}

/**
 * A compressed file, decompressed straight into the spool file by a writer of its own: the `zstd`
 * or `xz` program, or a worker thread inflating gzip (compression.ts). It runs on a core of its
 * own and no decompressed byte crosses this thread (with the dump streamed through it, the one
 * thread that scanned it also pumped the pipe and wrote the spool: class a, 813 MB, 2.3 s against
 * 1.0 s for `zstd -dc | awk`; gzip's stream left 35-50 MB more RSS; xz through xz-decompress's
 * WebAssembly 8.1 s and 209 MB against 3.5 s for `xz -dc | awk`). Undefined when the writer cannot
 * run here or the spool cannot be made: then readStream does it.
 */
async function readIntoSpool(path: string, compression: Compression, c: ReadContext): Promise<Dump | undefined> {
  // Restart points for a gzip file whose index is to be saved (gzip-seek.ts).
  const started = await startFileSpool(path, compression, c.opts, c.opts.cache === true);
  if (!started) return undefined;
  // The writer takes a core: the threads left read. With one (2 cores), this thread reads it
  // all, which costs less CPU time than a worker reading and this thread merging (class a on 2
  // cores: 1 scanning thread 2.3-2.6 s, 2 workers 2.6-3.2 s).
  const threads = scanThreads(c.opts);
  return readGrowingSpool(path, compression, started.spool, newGrowth(), started.writer, threads > 1 ? threads : 0, c);
}

/**
 * The spool of the compressed file at `path` and its writer: a decompressor program the CLI
 * started for this file while it loaded (early-spool.ts), else a new one; for gzip a worker
 * thread, keeping restart points with `points`. Undefined as startSpoolWriter says.
 */
function startFileSpool(path: string, compression: Compression, opts: ReadOptions, points = false): ReturnType<typeof startSpoolWriter> {
  const early = compression === 'gzip' ? undefined : takeSpoolEarly(path, spoolDirOf(opts));
  return startSpoolWriter(opts, (fd) => (compression === 'gzip' ? gunzipToFile(path, fd, points) : programToFile(compression, path, fd)), early);
}

/**
 * A spool and the writer `start` gives it (the zstd program, or a worker thread inflating or
 * copying), or the ones started `early`, with how the writer ended as readGrowingSpool reads it.
 * Undefined when the spool or the writer cannot be made: then readStream does it.
 */
async function startSpoolWriter(opts: ReadOptions, start: (fd: number) => Promise<ToFile | undefined> | ToFile | undefined,
  early?: EarlyStart): Promise<{ spool: Spool; writer: SpoolWriter } | undefined> {
  const spool = early?.spool ?? makeSpool(opts);
  if (!spool) return undefined;
  let w: ToFile | undefined;
  try {
    w = await (early?.writer ?? start(spool.fd));
  } catch {
    w = undefined; // a worker that cannot start: the stream does without one
  }
  if (!w) {
    spool.discard();
    return undefined;
  }
  // `written`: standard input, whose spool may have run out of room (the rest then comes as `rest`).
  const done = w.exited.then((e): SpoolEnd => ({
    bytes: e.written ?? fstatSync(spool.fd).size, inputError: e.error?.message, trailerError: e.trailerError, writeFailed: e.writeFailed,
    readFailed: e.readFailed, rest: e.rest, points: e.points,
  }));
  return { spool, writer: { done, stop: w.stop } };
}

/**
 * Standard input at file speed where it can be (stdin.ts): a file read as one, a pipe copied or
 * inflated into the spool by a worker thread. Else (a stream of the caller's, a terminal, zstd or
 * xz, no spool) the stream to read, from its first byte, and its format.
 */
async function readStdin(c: ReadContext): Promise<{ dump: Dump } | { stream: Readable; compression: Compression | undefined }> {
  const { opts } = c;
  const kind = opts.stdin === undefined ? stdinKind() : 'stream';
  if (kind === 'regular') return { dump: await readStdinFile(opts) };
  if (kind === 'stream') {
    const peeked = await peekStream(opts.stdin ?? process.stdin, MAGIC_BYTES);
    return { stream: peeked.stream, compression: detectCompression(peeked.head) };
  }
  let head: Buffer;
  try {
    head = await stdinHead();
  } catch (e) {
    throw new InputError(`stdin: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, '-');
  }
  const compression = detectCompression(head);
  if (opts.spool && opts.want !== 'allocators' && (compression === undefined || compression === 'gzip')) {
    const dump = await readStdinIntoSpool(head, compression, c);
    if (dump) return { dump };
  }
  return { stream: stdinAfter(head), compression };
}

/**
 * Standard input in a pipe (plain, or gzip: `compression`), whose first bytes `head` were read
 * already: a worker thread copies or inflates it into the spool (compression.ts, stdinToFile),
 * and this thread reads the spool as it grows, as for a compressed file (with the dump streamed
 * through it, this one thread also pumped the pipe and wrote the spool). Undefined when the
 * spool or the worker cannot be made: then readStream does it.
 */
async function readStdinIntoSpool(head: Buffer, compression: 'gzip' | undefined, c: ReadContext): Promise<Dump | undefined> {
  // What is not a dump (nor compressed) is refused before any thread starts, with the usual line.
  if (compression === undefined && dumpMagic(head) !== 'dump') {
    const probe = new MagicCheck('-');
    probe.take(head);
    probe.finish();
  }
  const started = await startSpoolWriter(c.opts, (fd) => stdinToFile(fd, head, compression ?? 'copy'));
  if (!started) return undefined;
  // No scanning workers: a worker that failed would have the dump read again, and standard input
  // cannot be.
  return readGrowingSpool('-', compression, started.spool, newGrowth(), started.writer, 0, c);
}

/** Standard input that is a file at its first byte, read as that file (stdin.ts), named "-". */
async function readStdinFile(opts: ReadOptions): Promise<Dump> {
  let dump: Dump;
  try {
    // No saved index: it would be named after /proc/self/fd/0.
    dump = await readDump(STDIN_FILE, { ...opts, cache: false });
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.message.split(STDIN_FILE).join('-'), '-');
    throw e;
  }
  dump.source.path = '-';
  // The offsets point into the file, open as standard input for as long as the process runs.
  dump.source.spool ??= STDIN_FILE;
  return dump;
}

/** Threads to read a spool with while one core decompresses (the threads asked for, less one). */
function scanThreads(opts: ReadOptions): number {
  return Math.min(MAX_THREADS, Math.max(1, Math.floor(opts.threads ?? availableParallelism()) - 1));
}

function makeSpool(opts: ReadOptions): Spool | undefined {
  try {
    return new Spool(spoolDirOf(opts));
  } catch {
    return undefined; // readStream says why
  }
}

/**
 * A compressed dump whose decompressed bytes `writer` is writing into `spool`, read as the file
 * grows (growing.ts): the header on this thread, then, for a big dump, byte ranges on worker
 * threads as for a plain file (parallel.ts), this thread only merging them; else this thread
 * reads it all. A truncated or damaged file is read as far as the writer got.
 */
async function readGrowingSpool(path: string, compression: Compression | undefined, spool: Spool, growth: Growth, writer: SpoolWriter,
  workers: number, c: ReadContext): Promise<Dump> {
  const { builder, scanner, check, opts, bufferSize } = c;
  opts.onSpool?.(spool.dir);
  let end: Awaited<SpoolWriter['done']> | undefined;
  const written = writer.done.then((e) => {
    end = e;
    spool.bytes = e.bytes;
    markDone(growth, e.bytes);
  });
  const fd = spool.fd;
  const minBytes = opts.parallelMinBytes ?? PARALLEL_MIN_BYTES;
  // The plain size is not known before the end: a dump of a size worth splitting, and the columns'
  // reservation (see readDump), are guessed from the compressed one (standard input: nothing).
  const compressed = path === '-' ? 0 : statSync(path).size;
  if (compressed > 0) builder.reserveFor((builder.fileBytes = compressed * COMPRESSION_RATIO_GUESS));
  // Only workers read ranges of a file still being written (ParallelRead.finish).
  let parallel = workers > 0 && compressed * 8 >= minBytes && canReadInParallel() ? new ParallelRead(workers + 1) : null;
  let decided = false;
  const buf = Buffer.allocUnsafe(bufferSize);
  const reader = new GrowingReader(growth, fd, path === '-');
  let pos = 0;
  let ok = true;
  try {
    for (;;) {
      const n = await reader.read(buf, pos);
      if (n <= 0) break;
      pos += n;
      c.feed(n === bufferSize ? buf : buf.subarray(0, n));
      if (scanner.stopped) break;
      if (!decided && check.done && builder.headerDone) {
        decided = true;
        const size = finalSize(growth);
        if (parallel && (size === undefined || size - pos >= minBytes)) {
          scanner.stopAt = parallel.start(builder, { fd, from: pos, size: Infinity, growth, rangeBytes: Math.max(1, opts.rangeBytes ?? RANGE_BYTES),
            bufferSize, maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES });
        } else {
          parallel?.cancel();
          parallel = null;
        }
      }
      c.progress(undefined, parallel && decided ? parallel.bytesDone(scanner.offset) : undefined);
    }
    if (!decided && parallel) {
      parallel.cancel();
      parallel = null;
    }
    // Standard input whose spool ran out of room: the rest of it comes from the writer (`end` is
    // known once the read stopped at the end of what was written).
    if (end?.rest) await readRest(end.rest.chunks, writer, c);
    if (end?.readFailed) throw new InputError(`stdin: cannot read: ${end!.readFailed}`, path);
    check.finish(end?.inputError);
    scanner.finish();
    if (parallel) {
      const p = parallel;
      const own = scanner.offset;
      ok = await p.finish(opts.onProgress && (() => opts.onProgress!(p.bytesDone(own), undefined)));
    }
    await written;
  } catch (e) {
    writer.stop();
    parallel?.cancel();
    // Not before the writer is done: the descriptor's number may be reused once it is closed.
    await written;
    spool.discard();
    throw e;
  }
  if (end!.rest) return unspooledStdin(end!, compression, spool, c);
  if (!ok || end!.writeFailed) {
    spool.discard();
    // A worker failed (out of memory): once more on this thread alone, which says what went wrong.
    if (!ok) return readDump(path, { ...opts, threads: 1 });
    // No room for the decompressed dump: read it again without keeping it.
    const dump = await readDump(path, { ...opts, spool: false });
    dump.source.notSpooled = spoolWriteFailed(spoolDirOf(opts), end!.bytes, end!.writeFailed);
    return dump;
  }
  const dump = builder.result({
    path, gzip: compression === 'gzip', compression, bytes: scanner.offset, seekable: true, threads: parallel ? workers : 1, spool: spool.readPath,
  });
  if (end!.inputError) {
    dump.truncation.truncated = true;
    dump.truncation.compressedInputError = end!.inputError;
  }
  if (end!.trailerError) dump.truncation.compressedTrailerError = end!.trailerError;
  saveIndexOf(path, dump, end!, spool.fd, opts);
  return dump;
}

/**
 * Saves the index of the compressed dump at `path` when its file was read whole without a complaint
 * (the dump in it may be cut: the index is of what it holds), with a gzip file's restart points
 * when it has them (one member, read whole).
 */
function saveIndexOf(path: string, dump: Dump, end: SpoolEnd, spoolFd: number, opts: ReadOptions): void {
  if (opts.cache !== true || path === '-' || dump.source.compression === undefined || end.inputError || end.trailerError) return;
  const found = end.points?.totalBytes === dump.source.bytes ? end.points : undefined;
  const points = found && withWindows(found, spoolFd);
  if (found && !points) return;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    const saved = saveIndex(dump, fd, points);
    if (saved) opts.onIndex?.('saved', saved);
  } finally {
    closeSync(fd);
  }
}

/**
 * The model from a saved index, where its sections can be read back: a plain file's as it is; a
 * gzip file's with restart points from a spool filled span by span; any other compressed file's
 * (zstd, xz, gzip of several members) once decompressed whole into a spool. Undefined when that
 * cannot be done here (no spool), or the file does not decompress to what was indexed.
 */
async function fromIndex(path: string, hit: NonNullable<ReturnType<typeof loadIndex>>, opts: ReadOptions): Promise<Dump | undefined> {
  const compression = hit.dump.source.compression;
  if (compression === undefined) return hit.dump;
  if (!opts.spool) return undefined;
  return hit.gzip ? seekableGzip(path, hit.dump, hit.gzip, opts) : wholeSpool(path, hit.dump, compression, opts);
}

/**
 * A compressed dump without restart points from its saved index: decompressed whole into a spool
 * by the same writer as a first read (the zstd or xz program, or a worker thread for gzip), but
 * not scanned, which is most of a first read's CPU time (class a's zstd: the program takes 0.6 s
 * on a core of its own, the scan 1.1 s on this thread). zstd writes one frame, whose decoder
 * state at a block is not a window of text to keep, so it has no restart points (gzip-seek.ts).
 * Undefined when no spool or writer can be made, or the data is not what was indexed (its index
 * is then removed): the dump is read afresh.
 */
async function wholeSpool(path: string, dump: Dump, compression: Compression, opts: ReadOptions): Promise<Dump | undefined> {
  const started = await startFileSpool(path, compression, opts);
  if (!started) return undefined;
  const { spool, writer } = started;
  opts.onSpool?.(spool.dir);
  const total = dump.source.bytes;
  const onProgress = opts.onProgress;
  const tick = onProgress && setInterval(() => onProgress(fstatSync(spool.fd).size, total), WHOLE_SPOOL_PROGRESS_MS);
  let end: SpoolEnd;
  try {
    end = await writer.done;
  } finally {
    if (tick) clearInterval(tick);
  }
  if (end.inputError || end.trailerError || end.writeFailed || end.bytes !== total) {
    spool.discard();
    if (!end.writeFailed) removeIndex(path);
    return undefined;
  }
  dump.source.spool = spool.readPath;
  return dump;
}

/** How often the progress line moves while a dump is decompressed for its saved index. */
const WHOLE_SPOOL_PROGRESS_MS = 250;

/**
 * A gzip dump's model from its saved index: reads of its sections go to a sparse spool of its
 * decompressed size, whose spans are inflated from their restart points as they are first read
 * (gzip-seek.ts). Undefined when no spool can be made here.
 */
function seekableGzip(path: string, dump: Dump, points: GzipPoints, opts: ReadOptions): Dump | undefined {
  const spool = makeSpool(opts);
  if (!spool) return undefined;
  try {
    spool.fill = new GzipSpanFiller(path, points, spool.fd, () => removeIndex(path));
  } catch {
    spool.discard();
    return undefined;
  }
  // (Not onSpool: this spool takes only the spans read, not the whole dump.)
  dump.source.spool = spool.readPath;
  dump.source.seekable = true;
  return dump;
}

/** Standard input whose spool ran out of room: the bytes it did not take, as the writer hands them over. */
async function readRest(chunks: AsyncIterable<Buffer>, writer: SpoolWriter, c: ReadContext): Promise<void> {
  for await (const b of chunks) {
    if (c.scanner.stopped) break;
    c.feed(b);
    c.progress();
  }
  if (c.scanner.stopped) writer.stop();
}

/** The dump of standard input read partly without its spool (readRest): no heaps, and why. */
async function unspooledStdin(end: SpoolEnd, compression: Compression | undefined, spool: Spool, c: ReadContext): Promise<Dump> {
  spool.discard();
  // Standard input cannot be read again: how it ended is the writer's word after the rest.
  const rest = await end.rest!.end;
  const dump = c.builder.result({
    path: '-', gzip: compression === 'gzip', compression, bytes: c.scanner.offset, seekable: false, threads: 1,
    notSpooled: spoolWriteFailed(spoolDirOf(c.opts), end.bytes, end.writeFailed),
  });
  if (rest.error) {
    dump.truncation.truncated = true;
    dump.truncation.compressedInputError = rest.error.message;
  }
  return dump;
}

/**
 * A compressed file or standard input, front to back in one pass. With `opts.spool`, what the
 * scanner reads is also written to a temporary file (spool.ts), which the dump's offsets then
 * point into: its heaps can be decoded afterwards as a plain file's.
 */
async function readStream(stream: Readable, compression: Compression | undefined, path: string, c: {
  builder: DumpBuilder; scanner: DumpScanner; check: MagicCheck; feed: (b: Buffer) => void;
  progress: (total?: number, done?: number) => void; bufferSize: number; opts: ReadOptions;
}): Promise<Dump> {
  const { builder, scanner, check, feed, bufferSize, opts } = c;
  const enough = () => builder.lateReached;
  let spool: Spool | undefined;
  let notSpooled: string | undefined;
  if (opts.spool && opts.want !== 'allocators') {
    const dir = spoolDirOf(opts);
    try {
      spool = new Spool(dir);
      opts.onSpool?.(spool.dir);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = `${spoolDirName(dir)}: ${err.code ?? err.message}`;
      // A directory the user named must work; the default one failing leaves the heaps undecoded.
      if (dir !== undefined) throw new InputError(`cannot write the decompressed dump to ${why} (--spool names a directory with room for it)`, path);
      notSpooled = `the decompressed dump could not be written to ${why}`;
    }
  }
  let delivered = 0;
  const sink = (b: Buffer): Promise<void> | undefined => {
    delivered += b.length;
    for (let i = 0; i < b.length && !enough(); i += bufferSize) feed(b.subarray(i, Math.min(b.length, i + bufferSize)));
    return spool?.write(b);
  };
  let inputError: string | undefined;
  let trailerError: string | undefined;
  try {
    const chunks = compression ? decompress(compression, stream) : (stream as AsyncIterable<Buffer>);
    inputError = await pump(chunks, sink, () => c.progress(), enough);
    if (inputError && compression === 'gzip' && path !== '-' && TRAILER_ERROR.test(inputError)) {
      // Only the 8-byte trailer (CRC-32, length) is wrong, and zlib dropped the output of the last
      // chunk with the error: inflate the deflate data again without the gzip wrapper, skip what
      // was delivered, and read on to the end, as zcat does.
      const rest = await pumpRawDeflate(path, delivered, sink, enough);
      if (rest.ok) {
        trailerError = inputError;
        inputError = undefined;
      }
    }
    check.finish(inputError);
    scanner.finish();
    await spool?.finish();
  } catch (e) {
    spool?.discard();
    throw e;
  }
  if (spool?.error) {
    notSpooled = spoolWriteFailed(spool.dir, spool.bytes, spool.error.code ?? spool.error.message);
    spool.discard();
    spool = undefined;
  }
  const dump = builder.result({
    path, gzip: compression === 'gzip', compression, bytes: scanner.offset, seekable: spool !== undefined, threads: 1,
    ...(spool ? { spool: spool.readPath } : {}), ...(notSpooled ? { notSpooled } : {}),
  });
  if (inputError) {
    dump.truncation.truncated = true;
    dump.truncation.compressedInputError = inputError;
  }
  if (trailerError) dump.truncation.compressedTrailerError = trailerError;
  return dump;
}

function spoolDirName(dir: string | undefined): string {
  return dir ?? `${tmpdir()} (the temporary directory)`;
}

/** The spool directory asked for (`--spool DIR`); undefined: the OS temporary directory. */
function spoolDirOf(opts: ReadOptions): string | undefined {
  return typeof opts.spool === 'string' ? opts.spool : undefined;
}

/** DumpSource.notSpooled when the spool's writes failed after `bytes` (a file, standard input, the stream). */
function spoolWriteFailed(dir: string | undefined, bytes: number, why: string | undefined): string {
  return `writing the decompressed dump to ${spoolDirName(dir)} failed after ${bytes} bytes (${why})`;
}

/** zlib's complaints about a gzip member's trailer, after all of its data decompressed. */
const TRAILER_ERROR = /incorrect (data|length) check/;

/**
 * The deflate data of the gzip file's first member, inflated without the gzip wrapper (so its
 * trailer is not checked), the first `skip` bytes of output dropped. `ok` is false when the
 * header cannot be read or the deflate data itself is damaged.
 */
async function pumpRawDeflate(path: string, skip: number, sink: (b: Buffer) => Promise<void> | undefined,
  enough: () => boolean): Promise<{ ok: boolean }> {
  const fd = openSync(path, 'r');
  let start: number;
  try {
    const h = Buffer.alloc(64 << 10);
    start = gzipHeaderLength(h.subarray(0, readSync(fd, h, 0, h.length, 0)));
  } finally {
    closeSync(fd);
  }
  if (start < 0) return { ok: false };
  let seen = 0;
  const afterSkip = (b: Buffer) => {
    const from = Math.max(0, Math.min(b.length, skip - seen));
    seen += b.length;
    return from < b.length ? sink(b.subarray(from)) : undefined;
  };
  try {
    const inflate = createReadStream(path, { start, highWaterMark: 1 << 20 }).pipe(createInflateRaw({ chunkSize: 1 << 20 }));
    await pump(inflate, afterSkip, () => {}, enough);
  } catch {
    return { ok: false };
  }
  return { ok: seen >= skip };
}

/**
 * A plain file, from its start: in one pass, or, once the header is read and when enough of the
 * file is left, in byte ranges on several threads (parallel.ts) while this one reads the first.
 * `ok` is false when a worker failed (out of memory, a read error): the caller then reads again in
 * one pass, which says what went wrong, if anything.
 */
async function readPlainFile(fd: number, size: number, c: {
  builder: DumpBuilder; scanner: DumpScanner; check: MagicCheck; feed: (b: Buffer) => void;
  progress: (total?: number, done?: number) => void; bufferSize: number; opts: ReadOptions;
}): Promise<{ threads: number; ok: boolean }> {
  const { builder, scanner, check, opts, bufferSize } = c;
  const buf = Buffer.allocUnsafe(bufferSize);
  const threads = builder.earlyOnly ? 1 : Math.min(MAX_THREADS, Math.max(1, Math.floor(opts.threads ?? availableParallelism())));
  const minBytes = opts.parallelMinBytes ?? PARALLEL_MIN_BYTES;
  // Workers are started before the header is read, so that they are ready when it is.
  // With no number of threads asked for, only where a sample of the file says it pays (parallel-gate.ts).
  let parallel = threads > 1 && size >= minBytes && canReadInParallel() && (opts.threads !== undefined || parallelPays(fd, size, opts.parallelGate))
    ? new ParallelRead(threads) : null;
  let decided = false;
  let pos = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, bufferSize, pos);
      if (n <= 0) break;
      pos += n;
      // The scanner copies what it keeps, so the buffer can be reused for the next read.
      c.feed(n === bufferSize ? buf : buf.subarray(0, n));
      if (scanner.stopped || builder.lateReached) break;
      // Only once the header is behind: its slogan may hold "\n=" text that is not a tag line.
      if (!decided && check.done && builder.headerDone) {
        decided = true;
        if (parallel && size - pos >= minBytes) {
          const rangeBytes = Math.max(1, opts.rangeBytes ?? RANGE_BYTES);
          scanner.stopAt = parallel.start(builder, { fd, from: pos, size, rangeBytes,
            bufferSize, maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES });
        } else {
          parallel?.cancel();
          parallel = null;
        }
      }
      c.progress(size, parallel && decided ? parallel.bytesDone(scanner.offset) : undefined);
    }
  } catch (e) {
    parallel?.cancel();
    throw e;
  }
  if (!decided && parallel) {
    parallel.cancel();
    parallel = null;
  }
  check.finish();
  scanner.finish();
  if (!parallel) return { threads: 1, ok: true };
  const p = parallel;
  const own = scanner.offset;
  const tick = opts.onProgress && (() => opts.onProgress!(p.bytesDone(own), size));
  return { threads, ok: await p.finish(tick) };
}

/** True when the file's last line is `=end`: a whole dump, when the read stopped before it. */
function endsWithEnd(fd: number, size: number): boolean {
  const n = Math.min(64, size);
  const buf = Buffer.alloc(n);
  readSync(fd, buf, 0, n, size - n);
  return /\n=end\r?\n?$/.test(buf.toString('latin1'));
}

function openInput(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: no such file`, path);
    if (code === 'EACCES') throw new InputError(`${path}: permission denied`, path);
    if (code === 'EISDIR') throw new InputError(`${path}: is a directory, not a crash dump`, path);
    throw new InputError(`${path}: cannot open (${code ?? String(e)})`, path);
  }
  const st = fstatSync(fd);
  if (st.isDirectory()) {
    closeSync(fd);
    throw new InputError(`${path}: is a directory, not a crash dump`, path);
  }
  return fd;
}

/**
 * Hands the chunks of a stream to `sink`, waiting when it asks to (the spool's disk is behind).
 * Returns the decompressor's complaint when compressed data ends early or is corrupt: what came
 * before it is still read.
 */
async function pump(chunks: AsyncIterable<Buffer>, sink: (b: Buffer) => Promise<void> | undefined,
  progress: () => void, enough: () => boolean): Promise<string | undefined> {
  try {
    for await (const chunk of chunks) {
      const wait = sink(chunk);
      if (wait) await wait;
      progress();
      // Leaving the loop destroys the stream: the rest is not read, nor decompressed.
      if (enough()) break;
    }
  } catch (e) {
    if (e instanceof DecompressError) return e.message;
    throw e;
  }
  return undefined;
}

/**
 * Refuses what is not a crash dump before the scanner sees it: the first bytes must be
 * `=erl_crash_dump:`; `<Erlang crash dump>` is the pre-R10B format, which nothing reads any more.
 */
class MagicCheck {
  done = false;
  private held: Buffer[] = [];
  private heldLen = 0;

  constructor(private readonly path: string) {}

  /** Holds chunks until enough bytes are there to decide; true when decided (and good). */
  take(chunk: Buffer): boolean {
    this.held.push(Buffer.from(chunk));
    this.heldLen += chunk.length;
    if (this.heldLen < MAGIC_BYTES) return false;
    this.decide(Buffer.concat(this.held));
    return true;
  }

  drain(): Buffer[] {
    const h = this.held;
    this.held = [];
    return h;
  }

  /**
   * The input ended (`decompressError`: its decompressor stopped so): too soon to be a dump, or
   * not one. Data that decompressed to (almost) nothing says what the decompressor said, not
   * "empty file": a `.xz` of garbage is damaged, not empty.
   */
  finish(decompressError?: string): void {
    if (this.done) return;
    if (decompressError !== undefined && this.heldLen < MAGIC_BYTES) {
      throw new InputError(`${this.path}: cannot be decompressed (${decompressError}), ${this.heldLen === 0 ? 'no' : `only ${this.heldLen} bytes of`} dump text`, this.path);
    }
    if (this.heldLen === 0) throw new InputError(`${this.path}: empty file, not a crash dump`, this.path);
    this.decide(Buffer.concat(this.held));
  }

  private decide(head: Buffer): void {
    const magic = dumpMagic(head);
    if (magic === 'old') {
      throw new InputError(`${this.path}: a pre-R10B crash dump (Erlang before 2005); this format is not supported`, this.path);
    }
    if (magic !== 'dump') {
      throw new InputError(`${this.path}: not an Erlang crash dump (it does not start with "${DUMP_MAGIC}")`, this.path);
    }
    this.done = true;
  }
}
