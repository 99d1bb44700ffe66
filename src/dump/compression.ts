import { spawn, type ChildProcess, type ChildProcessByStdio, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { closeSync, openSync, readSync } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { detectCompression, type Compression } from '../input/magic.js';
import type { PointsFound } from './gzip-seek.js';
import { closeStdinReads, openStdinReads, unblockStdinReads } from './stdin.js';

/**
 * Compressed dumps: their decompressed bytes as a stream. Which format a file or stream is in is
 * told by its first bytes in src/input/magic.ts (re-exported here).
 */
export { detectCompression, type Compression };

/** What a decompressor said when it stopped before the end: the data before it was still delivered. */
export class DecompressError extends Error {
  constructor(readonly compression: Compression, message: string, readonly truncated: boolean) {
    super(message);
  }
}

/**
 * The decompressed bytes of `input` (the compressed bytes, from their first byte) as Buffers that
 * are never written to again once handed out (the spool writes them later). It throws a
 * DecompressError after the last good chunk when the data ends early or is corrupt: what came
 * before is delivered first, as zcat and zstdcat print what they decoded.
 */
export async function* decompress(kind: Compression, input: Readable): AsyncGenerator<Buffer> {
  try {
    if (kind === 'gzip') yield* zlibStream(input, zlib.createGunzip(ZLIB_OPTIONS));
    else if (kind === 'zstd') yield* zstdStream(input);
    else yield* xzStream(input);
  } catch (e) {
    if (e instanceof DecompressError) throw e;
    throw describe(kind, e);
  }
}

// 1 MiB out at a time, and one such chunk may wait for the scanner while zlib makes the next on
// the libuv pool (with the default 16 KiB mark it would wait for the scanner before starting the
// next). More ahead did not pay on the shared 2-core bench machine: class a's gzip with 8 MiB
// ahead took 15% more CPU time and 6-13 MB more RSS, for no steady gain in wall time.
const ZLIB_OPTIONS = { chunkSize: 1 << 20, highWaterMark: 1 << 20 };

// Node's own zlib has zstd from 22.15 and 23.8 (native, on the libuv pool); on Node 20 fzstd does it.
type ZstdZlib = { createZstdDecompress?: (o?: { chunkSize?: number }) => zlib.Gunzip };

async function* zstdStream(input: Readable): AsyncGenerator<Buffer> {
  const native = (zlib as unknown as ZstdZlib).createZstdDecompress;
  if (typeof native === 'function') {
    yield* zlibStream(input, native(ZLIB_OPTIONS));
    return;
  }
  // BEAMSCOPE_ZSTD=js skips the zstd program (the tests read both ways).
  const child = await startProgram('zstd');
  if (child) yield* programStream('zstd', child, input);
  else yield* fzstdInWorker(input);
}

/**
 * The `zstd` or `xz` program reading a pipe and writing one, when it is on the PATH (Debian's
 * `zstd` and `xz-utils`; the hosts that make such dumps have them), else undefined. zstd decodes at
 * about 1 GB/s in its own process, where fzstd makes 150 MB/s: the difference between 6x and about
 * 1x of `zstd -dc | awk`; xz on every core for a file of several blocks, where xz-decompress's
 * WebAssembly decodes on this thread.
 */
async function startProgram(kind: 'zstd' | 'xz'): Promise<ChildProcessByStdio<Writable, Readable, Readable> | undefined> {
  return spawnProgram<ChildProcessByStdio<Writable, Readable, Readable>>(kind, [], ['pipe', 'pipe', 'pipe']);
}

/**
 * `kind`'s program decoding its standard input (decodeArgs, then `extraArgs`), once it has started;
 * undefined when it is not on the PATH (or BEAMSCOPE_ZSTD=js, BEAMSCOPE_XZ=js) or cannot start.
 */
async function spawnProgram<C extends ChildProcess>(kind: 'zstd' | 'xz', extraArgs: string[], stdio: StdioOptions, held?: (h: Held) => void): Promise<C | undefined> {
  const program = programName(kind);
  if (program === undefined) return undefined;
  let child: C;
  try {
    child = spawn(program, [...decodeArgs(kind), ...extraArgs], { stdio }) as C;
  } catch {
    return undefined;
  }
  if (held) {
    // Started ahead of its reader (early-spool.ts): until taken, it keeps the process alive no
    // more than a timer that was unref'd would, and it is killed at exit.
    const pipes = [child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
    child.unref();
    for (const p of pipes) p?.unref?.();
    held({
      kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill(); },
      attach: () => {
        child.ref();
        for (const p of pipes) p?.ref?.();
      },
    });
  }
  // 'spawn' or 'error' (ENOENT) comes first; the input is not touched until then.
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(child));
    child.once('error', () => resolve(undefined));
  });
}

/**
 * The `zstd` or `xz` program decompressing the file at `path` straight into the open file `fd` (the
 * spool: spool.ts), where the reader's threads read it as it grows (growing.ts), so that no
 * decompressed byte passes through this process's memory or event loop. Undefined when the program
 * is not on the PATH (or BEAMSCOPE_ZSTD=js, BEAMSCOPE_XZ=js). `exited` resolves when it is done:
 * with the error it stopped at (the bytes before it are written), or `writeFailed` when the file
 * could not take its output. `held`: it is started ahead of its reader (see Held).
 */
export async function programToFile(kind: 'zstd' | 'xz', path: string, fd: number, held?: (h: Held) => void): Promise<ToFile | undefined> {
  if (programName(kind) === undefined) return undefined;
  // The file as its standard input, not by name: zstd skips a name that is a symbolic link.
  const input = openSync(path, 'r');
  // --no-sparse: a sparse write seeks over zeros, leaving a hole the readers would take as written.
  const started = spawnProgram<ChildProcess & { stderr: Readable }>(kind, ['--no-sparse'], [input, fd, 'pipe'], held);
  // The program has its own copy of the descriptor once spawn() returned.
  closeSync(input);
  const child = await started;
  if (!child) return undefined;
  const complaint = firstComplaint(child.stderr);
  const exited = new Promise<ToFileExit>((resolve) => {
    child.once('close', (code, signal) => resolve(programExit(kind, code, signal, complaint)));
  });
  return { exited, stop: () => { if (child.exitCode === null) child.kill(); } };
}

/**
 * A decompressor program started with no reader yet (programToFile's `held`, for early-spool.ts):
 * it does not keep the process alive until `attach`, and `kill` stops it at once (at exit).
 */
export interface Held {
  kill(): void;
  attach(): void;
}

/** A decompressor writing a dump's decompressed bytes into its spool file, in order. */
export interface ToFile {
  exited: Promise<ToFileExit>;
  /** Resolves when the writer is gone (for the zstd program: when it exited). */
  gone?: Promise<void>;
  /** Stops it (the read was given up). */
  stop(): void;
}
/**
 * How a decompressor writing into a file ended: `error` where the compressed data stops or is
 * damaged (the bytes before it are written), `trailerError` when only a gzip trailer was wrong (all
 * of the data is written), `writeFailed` when the file could not take its output.
 */
export interface ToFileExit {
  error?: DecompressError; trailerError?: string; writeFailed?: string;
  /**
   * Standard input, which cannot be read again: the file took `written` bytes, and `rest` brings
   * the others (then read without a spool), `end` saying how the input ended.
   */
  written?: number; rest?: { chunks: AsyncIterable<Buffer>; end: Promise<ToFileExit> };
  /** Copying standard input: reading it failed so (EIO, ...). */
  readFailed?: string;
  /** A gzip file read whole without a complaint: its restart points, without their windows (gzip-seek.ts). */
  points?: PointsFound;
}

/**
 * A gzip file inflated on a worker thread straight into the open file `fd` (the spool: spool.ts),
 * where the reader reads it as it grows (growing.ts), as the zstd program's output is: no
 * decompressed byte passes through this thread's memory. Undefined when this Node's zlib lacks
 * what the worker needs (see TO_FILE_WORKER) or BEAMSCOPE_GZIP=stream: readStream does it then.
 *
 * Why not node:zlib's stream, on this thread or a worker: it hands out each output chunk as a new
 * Buffer, and V8 frees the dead ones only when their external memory (about 35 MB of them) brings
 * on a full collection, which leaves the C allocator's heap that much bigger (class a's gzip,
 * 813 MB: triage peaked at 179-188 MB, against 137 MB for the plain file). The worker inflates
 * into one buffer, over and over, through the zlib handle's writeSync, as zlib.gunzipSync does.
 */
export async function gunzipToFile(path: string, fd: number, points: boolean | { max: number } = false): Promise<ToFile | undefined> {
  if (process.env.BEAMSCOPE_GZIP === 'stream' || !zlibHandleUsable()) return undefined;
  // Where the deflate data starts: a member whose trailer alone is wrong is inflated again from
  // there without the gzip wrapper (see TO_FILE_WORKER).
  const head = Buffer.alloc(64 << 10);
  const input = openSync(path, 'r');
  let rawStart: number;
  try {
    rawStart = gzipHeaderLength(head.subarray(0, readSync(input, head, 0, head.length, 0)));
  } finally {
    closeSync(input);
  }
  return startToFileWorker({ path, fd, rawStart, mode: 'gzip', points });
}

/**
 * Standard input (a non-blocking pipe or socket: stdin.ts) written into the open file `fd` (the
 * spool) by a worker thread, as gunzipToFile does a file: copied as it comes, or, for `gzip`,
 * inflated by the same loop. `head` is what the caller read first (to tell the format), written
 * or inflated first. Standard input cannot be read twice: a gzip member whose trailer alone is
 * wrong is not read again to its end (`error` says so, as for a stream), and when the file cannot
 * take the bytes (no room) the rest comes to this thread instead (`rest` of the exit, which
 * then resolves at once with the bytes written).
 */
export function stdinToFile(fd: number, head: Buffer, mode: 'gzip' | 'copy'): ToFile | undefined {
  if (mode === 'gzip' && (process.env.BEAMSCOPE_GZIP === 'stream' || !zlibHandleUsable())) return undefined;
  const reads = openStdinReads();
  const w = startToFileWorker({ fd, head: new Uint8Array(head), mode, flow: new SharedArrayBuffer(4), rawStart: -1, input: reads.fd, blocking: reads.blocking });
  void w.exited.then(() => w.gone).then(() => closeStdinReads(reads));
  return {
    exited: w.exited,
    gone: w.gone,
    stop: () => {
      w.stop();
      // A read blocked on the pipe returns, and the thread stops there.
      unblockStdinReads();
    },
  };
}

interface ToFileData {
  fd: number; mode: 'gzip' | 'copy'; rawStart: number; path?: string; head?: Uint8Array; flow?: SharedArrayBuffer;
  /** Keep restart points (gzip-seek.ts) of a gzip file: its index is to be saved (`max`: at most so many; tests). */
  points?: boolean | { max: number };
  /** Standard input: the descriptor to read, and whether its reads block (stdin.ts). */
  input?: number; blocking?: boolean;
}

/** How many chunks of `rest` may wait for this thread before the worker waits for it. */
const REST_AHEAD = 4;

function startToFileWorker(data: ToFileData): ToFile {
  // The smallest young generation: the worker makes a few objects per megabyte.
  const worker = new Worker(TO_FILE_WORKER, { eval: true, workerData: { ...data, ahead: REST_AHEAD }, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
  let last: GunzipMsg | undefined;
  let points: PointsFound | undefined;
  // After a failed write (standard input only): the rest of the bytes, as messages.
  const queue: Buffer[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let spilled: ((e: ToFileExit) => void) | undefined;
  const flow = data.flow && new Int32Array(data.flow);
  worker.on('message', (m: GunzipMsg) => {
    if (m.data) {
      queue.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.length));
    } else if (m.points) {
      points = m.points;
    } else if (m.spilled) {
      spilled?.({ writeFailed: m.spilled.writeFailed, written: m.spilled.written, rest: { chunks: rest(), end } });
    } else {
      last = m;
    }
    wake?.();
  });
  async function* rest(): AsyncGenerator<Buffer> {
    for (;;) {
      while (queue.length) {
        yield queue.shift()!;
        // Taken: the worker may post another.
        Atomics.sub(flow!, 0, 1);
        Atomics.notify(flow!, 0);
      }
      if (ended) return;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
  }
  const end = new Promise<ToFileExit>((resolve) => {
    let crashed: Error | undefined;
    worker.once('error', (e) => { crashed = e; });
    worker.once('exit', () => {
      ended = true;
      wake?.();
      const m = last ?? { error: { message: crashed?.message ?? 'the decompressing thread stopped' } };
      if (m.writeFailed) return resolve({ writeFailed: m.writeFailed });
      // Copying standard input: reading it failed (not a format's complaint).
      if (data.mode === 'copy' && m.error) return resolve({ readFailed: m.error.message });
      const error = m.error ? describe('gzip', Object.assign(new Error(m.error.message), { code: m.error.code })) : undefined;
      const trailerError = m.trailer ? describe('gzip', new Error(m.trailer.message)).message : undefined;
      resolve({ ...(error ? { error } : {}), ...(trailerError ? { trailerError } : {}), ...(points && !error && !trailerError ? { points } : {}) });
    });
  });
  const exited = new Promise<ToFileExit>((resolve) => {
    spilled = resolve;
    void end.then(resolve);
  });
  return { exited, gone: end.then(() => undefined), stop: () => void worker.terminate() };
}

/** What the gunzip worker says when it is done: nothing when all went well (or its restart points, then nothing). */
interface GunzipMsg {
  points?: PointsFound;
  error?: { message: string; code?: unknown }; trailer?: { message: string }; writeFailed?: string;
  /** Standard input only: a write failed after `written` bytes, and `data` messages bring the rest. */
  spilled?: { writeFailed: string; written: number }; data?: Uint8Array;
}

/**
 * The zlib handle's synchronous write into a buffer of the caller's (as zlib.*Sync use it), and its
 * results array: not documented, so checked before use, with the stream as the fallback.
 */
function zlibHandleUsable(): boolean {
  const z = zlib.createGunzip() as unknown as { _handle?: { writeSync?: unknown; onerror?: unknown }; _writeState?: unknown; close(): void };
  const ok = typeof z._handle?.writeSync === 'function' && 'onerror' in z._handle && z._writeState instanceof Uint32Array;
  z.close();
  return ok;
}

// The worker's code (CommonJS, run with eval: the CLI is one bundled file). It reads the file 1 MiB
// at a time (or standard input, as much as is there) and inflates into one 256 KiB buffer, writing
// each fill to the spool at its place; mode 'copy' writes what it reads. zlib reports an error
// through the handle's onerror, during writeSync; the results of the call that failed are not
// reported, so its output is not written (as the stream drops it).
const TO_FILE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { Z_NO_FLUSH, Z_FINISH, Z_BLOCK } = zlib.constants;
const input = Buffer.allocUnsafe(1 << 20);
const out = Buffer.allocUnsafe(256 << 10);
const flow = workerData.flow && new Int32Array(workerData.flow);
const idle = new Int32Array(new SharedArrayBuffer(4));
let pos = 0;
let spilled = false;

// Where the bytes come from: the file at 'from' on, or standard input from where it is, its head
// first. Standard input is non-blocking (so that terminate() always stops this thread): read
// what is there, and when nothing is, wait a little. A pipe holds 64 KiB, which zcat fills in a
// quarter of a millisecond: waits stay that short (20 to 250 us) while data flows, and grow to
// 5 ms only after a fifth of a second without any, so a producer that pauses costs no CPU.
function source(from) {
  if (workerData.path === undefined) {
    let head = workerData.head;
    const input = workerData.input;
    return { close() {}, read(buf) {
      let got = 0;
      if (head && head.length) { buf.set(head); got = head.length; }
      head = undefined;
      // A pipe's own blocking descriptor: one read, what is there (stdin.ts unblocks it to stop).
      if (workerData.blocking) return got + fs.readSync(input, buf, got, buf.length - got, null);
      for (let wait = 0.02, waited = 0; got < buf.length; ) {
        let n;
        try {
          n = fs.readSync(input, buf, got, buf.length - got, null);
        } catch (e) {
          if (e.code !== 'EAGAIN') throw e;
          if (got > 0) return got;
          Atomics.wait(idle, 0, 0, wait);
          waited += wait;
          wait = Math.min(wait * 2, waited > 200 ? 5 : 0.25);
          continue;
        }
        if (n === 0) return got;
        got += n;
      }
      return got;
    } };
  }
  const fd = fs.openSync(workerData.path, 'r');
  let at = from;
  return { close() { fs.closeSync(fd); }, read(buf) {
    const n = fs.readSync(fd, buf, 0, buf.length, at);
    at += n;
    return n;
  } };
}

// Inflates the input from byte 'from' through 'z', writing its output from byte 'skip' on: the
// zlib error it stopped at, if any, and the bytes of output. With 'points' (gzip-seek.ts), it
// keeps restart points on the way: once a span of output has passed since the last one, it asks
// zlib to stop at the next block boundary (Z_BLOCK), where it notes the input byte and the output
// offset; the CRC-32 of the first bytes after the point follows as they come (the window before
// it is read from the spool when the index is saved).
function inflate(z, from, skip, points) {
  const h = z._handle, state = z._writeState;
  let failed;
  h.onerror = (message, errno, code) => { failed = { message, code }; };
  const src = source(from);
  let seen = 0;
  let at = from;
  let want = false;
  if (points) points.add(workerData.rawStart, 0);
  try {
    for (;;) {
      const n = src.read(input);
      let off = 0, avail = n;
      for (;;) {
        h.writeSync(n === 0 ? Z_FINISH : want ? Z_BLOCK : Z_NO_FLUSH, input, off, avail, out, 0, out.length);
        if (failed) return { failed, seen };
        const left = state[0], have = out.length - left;
        const cut = Math.min(have, Math.max(0, skip - seen));
        seen += have;
        if (cut < have) put(out.subarray(cut, have));
        off += avail - state[1];
        avail = state[1];
        // Stopped with room and input left: at a block boundary (or the end of the data, where a
        // point has no span and is dropped), and the rest of the input is inflated on.
        const atBlock = want && left !== 0 && avail !== 0;
        if (points) {
          points.output(out.subarray(0, have));
          if (atBlock) {
            points.add(at + off, seen);
            want = false;
          } else if (!want && seen - points.last >= points.span) want = true;
        }
        if (left !== 0 && !atBlock) break;
      }
      at += n;
      if (n === 0) return { seen };
    }
  } finally {
    src.close();
  }
}

// The restart points of gzip-seek.ts, at least 'span' bytes of output apart; past maxPoints (512; an
// even number), every other one goes and the span doubles (a 10 GB dump keeps 256 to 512). Their
// windows are not kept here: they are in the spool, read from there when the index is saved (reader.ts).
const CHECK = 4096;
function restartPoints(maxPoints) {
  const inByte = [], outByte = [], check = [];
  let pending = -1, pendingBytes = [], pendingLength = 0;
  return {
    span: 1 << 20, last: 0,
    add(inAt, outAt) {
      if (outAt > 0 && outAt === this.last) return;
      this.close();
      inByte.push(inAt); outByte.push(outAt);
      pending = inByte.length - 1; pendingBytes = []; pendingLength = 0;
      this.last = outAt;
      if (inByte.length > maxPoints) {
        // The point just added is the last, at an even place (maxPoints is even): it stays, its
        // CRC-32 still to come.
        for (const a of [inByte, outByte, check]) {
          let k = 0;
          for (let i = 0; i < a.length; i += 2) a[k++] = a[i];
          a.length = k;
        }
        this.span *= 2;
        pending = inByte.length - 1;
      }
    },
    output(b) {
      if (pending < 0 || pendingLength >= CHECK) return;
      const take = b.subarray(0, CHECK - pendingLength);
      pendingBytes.push(Buffer.from(take));
      pendingLength += take.length;
      if (pendingLength === CHECK) this.close();
    },
    close() {
      if (pending < 0) return;
      check[pending] = zlib.crc32(Buffer.concat(pendingBytes));
      pending = -1;
    },
    result(total) {
      this.close();
      // A point at the very end has nothing after it.
      while (outByte.length > 1 && outByte[outByte.length - 1] >= total) for (const a of [inByte, outByte, check]) a.pop();
      return { totalBytes: total, inByte: new Float64Array(inByte), outByte: new Float64Array(outByte), check: new Uint32Array(check) };
    },
  };
}

// Whether the file's last member is its only one: its trailer's ISIZE (the size mod 2^32) is the
// whole output's. A file of several members (bgzip, cat a.gz b.gz) gets no points.
function oneMember(total) {
  const fd = fs.openSync(workerData.path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const t = Buffer.alloc(4);
    return size >= 18 && fs.readSync(fd, t, 0, 4, size - 4) === 4 && t.readUInt32LE(0) === total % 4294967296;
  } finally {
    fs.closeSync(fd);
  }
}

function copy() {
  const src = source(0);
  for (let n; (n = src.read(input)) > 0; ) put(input.subarray(0, n));
}

function put(b) {
  if (!spilled) {
    for (let o = 0; o < b.length; ) {
      try {
        o += fs.writeSync(workerData.fd, b, o, b.length - o, pos + o);
      } catch (e) {
        if (!flow) throw Object.assign(new Error(e.code || e.message), { writeFailed: true });
        // Standard input cannot be read again: the reader is told how far the file goes, and
        // the rest goes to it as messages.
        parentPort.postMessage({ spilled: { writeFailed: e.code || e.message, written: pos + o } });
        spilled = true;
        b = b.subarray(o);
        break;
      }
    }
    if (!spilled) {
      pos += b.length;
      return;
    }
  }
  for (let ahead; (ahead = Atomics.load(flow, 0)) >= workerData.ahead; ) Atomics.wait(flow, 0, ahead, 50);
  const data = new Uint8Array(b);
  Atomics.add(flow, 0, 1);
  parentPort.postMessage({ data }, [data.buffer]);
}

try {
  if (workerData.mode === 'copy') {
    copy();
    parentPort.postMessage({});
  } else {
    const points = workerData.points && workerData.path !== undefined && workerData.rawStart > 0 && typeof zlib.crc32 === 'function'
      ? restartPoints(workerData.points.max ?? 512) : undefined;
    const first = inflate(zlib.createGunzip(), 0, 0, points);
    const error = first.failed;
    if (!error && points && oneMember(first.seen)) {
      const p = points.result(first.seen);
      parentPort.postMessage({ points: p }, [p.inByte.buffer, p.outByte.buffer, p.check.buffer]);
      parentPort.postMessage({});
    } else if (error && /incorrect (data|length) check/.test(error.message) && workerData.rawStart >= 0) {
      // Only the trailer (CRC-32, length) is wrong, and the output of the call that said so was not
      // written: the deflate data once more without the gzip wrapper, the bytes written skipped, to
      // its end, as zcat does.
      const written = pos;
      const again = inflate(zlib.createInflateRaw(), workerData.rawStart, written);
      parentPort.postMessage(again.failed || again.seen < written ? { error } : { trailer: error });
    } else {
      parentPort.postMessage(error ? { error } : {});
    }
  }
} catch (e) {
  parentPort.postMessage(e.writeFailed ? { writeFailed: e.message } : { error: { message: String(e && e.message || e), code: e && e.code } });
}
`;

/** Bytes of a gzip member header (RFC 1952 section 2.3), or -1 when it is not one. */
export function gzipHeaderLength(h: Buffer): number {
  if (h.length < 10 || h[0] !== 0x1f || h[1] !== 0x8b || h[2] !== 8) return -1;
  const flags = h[3];
  let at = 10;
  if (flags & 4) {
    if (at + 2 > h.length) return -1;
    at += 2 + h.readUInt16LE(at);
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    const z = h.indexOf(0, at);
    if (z < 0) return -1;
    at = z + 1;
  }
  if (flags & 2) at += 2;
  return at <= h.length ? at : -1;
}

/**
 * The program's arguments to decode standard input to standard output. xz -T0: a file of several
 * blocks (what xz -T makes) decompresses on every core, a file of one on one as before (class a's
 * xz -1 -T2, 259 blocks, 2 cores: triage 3.8-4.6 -> 2.7-3.0 s).
 */
function decodeArgs(kind: 'zstd' | 'xz'): string[] {
  return kind === 'zstd' ? ['-d', '-c', '-q'] : ['-d', '-c', '-T0'];
}

/**
 * The program to run for zstd or xz: `zstd`/`xz` from the PATH, or what BEAMSCOPE_ZSTD/BEAMSCOPE_XZ
 * names; undefined for `js` (fzstd or xz-decompress instead: the tests read both ways).
 */
function programName(kind: 'zstd' | 'xz'): string | undefined {
  const v = process.env[kind === 'zstd' ? 'BEAMSCOPE_ZSTD' : 'BEAMSCOPE_XZ'];
  if (v === 'js') return undefined;
  return v || kind;
}

/**
 * Collects what the zstd program writes on standard error (its first 4 KiB); the function gives its
 * first line that is not blank, or the exit code when there is none.
 */
function firstComplaint(stderr: Readable): (code: number | null) => string {
  let text = '';
  stderr.setEncoding('utf8');
  stderr.on('data', (t: string) => {
    if (text.length < 4096) text += t;
  });
  return (code) => text.split('\n').find((l) => l.trim()) ?? `exit code ${code}`;
}

/** The zstd program's complaint, without the file name before it, as a DecompressError. */
function zstdError(what: string): DecompressError {
  const early = /premature end|truncated/i.test(what);
  return new DecompressError('zstd', early ? 'the zstd stream ends early' : `zstd: ${what.trim()}`, early);
}

/** The xz program's complaint, without "xz: (stdin): " before it, as a DecompressError (as xz-decompress's would read). */
function xzError(what: string): DecompressError {
  const early = /unexpected end of input/i.test(what);
  return new DecompressError('xz', early ? 'the xz stream ends early' : `xz: ${what.trim()}`, early);
}

/** How a decompressing program ended, from its exit and what it wrote on standard error. */
function programExit(kind: 'zstd' | 'xz', code: number | null, signal: NodeJS.Signals | null, complaint: (code: number | null) => string): ToFileExit {
  if (code === 0) return {};
  // A file size limit (ulimit -f) kills the program where Node would have had EFBIG.
  if (signal === 'SIGXFSZ') return { writeFailed: 'File too large' };
  // zstd: "/*stdin*\ : Read error (39) : premature end", "... : Decoding error (36) : Data
  // corruption detected", "... : Write error (70) : cannot write block : No space left on device".
  // xz: "xz: (stdin): Unexpected end of input", "xz: (stdin): Compressed data is corrupt",
  // "xz: (stdout): Write error: No space left on device".
  const what = complaint(code).trim().replace(kind === 'zstd' ? /^.*?\s:\s/ : /^.*?\((?:stdin|stdout)\):\s*/, '');
  if (/^Write error/i.test(what)) return { writeFailed: what };
  return { error: kind === 'zstd' ? zstdError(what) : xzError(what) };
}

/** The decompressed bytes of `input` through the program `child` (startProgram), read from its pipe. */
async function* programStream(kind: 'zstd' | 'xz', child: ChildProcessByStdio<Writable, Readable, Readable>, input: Readable): AsyncGenerator<Buffer> {
  const complaint = firstComplaint(child.stderr);
  const exited = new Promise<ToFileExit>((resolve) => child.once('close', (code, signal) => resolve(programExit(kind, code, signal, complaint))));
  // The program may stop reading (bad data) before the input ends: that is its error to report.
  child.stdin.on('error', () => undefined);
  input.on('error', (e) => child.stdout.destroy(e));
  input.pipe(child.stdin);
  try {
    yield* child.stdout as AsyncIterable<Buffer>;
    const end = await exited;
    if (end.error) throw end.error;
    if (end.writeFailed) throw new DecompressError(kind, `${kind}: ${end.writeFailed}`, false);
  } finally {
    input.unpipe(child.stdin);
    if (child.exitCode === null) child.kill();
  }
}

/**
 * fzstd (pure JavaScript: no native module to build, no binary to download; streams block by
 * block, reads concatenated and skippable frames) on a worker thread, so that it decompresses the
 * next chunk while this thread scans the last: at about 150 MB/s it is the slow half of the pair.
 * At most two compressed chunks are in the worker at a time, so memory stays flat.
 */
async function* fzstdInWorker(input: Readable): AsyncGenerator<Buffer> {
  const fzstd = createRequire(import.meta.url).resolve('fzstd');
  // A small young generation: fzstd makes an array per 128 KiB block, garbage at once.
  const worker = new Worker(FZSTD_WORKER, { eval: true, workerData: { fzstd }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  const inbox: ZstdMsg[] = [];
  let wake: (() => void) | undefined;
  const arrive = (m: ZstdMsg) => {
    inbox.push(m);
    wake?.();
    wake = undefined;
  };
  worker.on('message', arrive);
  worker.on('error', (e) => arrive({ error: { message: e.message } }));
  let inWorker = 0;
  let done = false;
  // Hands out what has arrived; true when the worker is finished.
  const take = function* (): Generator<Buffer> {
    while (inbox.length) {
      const m = inbox.shift()!;
      if (m.data) yield Buffer.from(m.data.buffer, m.data.byteOffset, m.data.length);
      if (m.ack) inWorker--;
      if (m.error) throw describe('zstd', Object.assign(new Error(m.error.message), { code: m.error.code }));
      if (m.done) done = true;
    }
  };
  const arrived = () => new Promise<void>((resolve) => { if (inbox.length) resolve(); else wake = resolve; });
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      // In pieces (ZSTD_PIECE), copies the worker owns (read streams hand out views of pooled memory).
      for (let at = 0; at < chunk.length; at += ZSTD_PIECE) {
        const own = new Uint8Array(chunk.subarray(at, at + ZSTD_PIECE));
        worker.postMessage({ chunk: own }, [own.buffer]);
        inWorker++;
        yield* take();
        while (inWorker >= 2) {
          await arrived();
          yield* take();
        }
      }
    }
    worker.postMessage({ end: true });
    while (!done) {
      await arrived();
      yield* take();
    }
  } finally {
    void worker.terminate();
  }
}

// Pieces of 32 KiB (a few hundred KB out each): the arrays the worker hands over are freed only
// when this thread collects them, and bigger ones held more at once (class a's zstd, decompression
// alone: peak RSS 137 MB at 32 KiB, 159 at 64, 192 at 256, 251 at 1 MiB; fzstd on this thread 117).
const ZSTD_PIECE = 32 << 10;

interface ZstdMsg { data?: Uint8Array; ack?: boolean; done?: boolean; error?: { message: string; code?: unknown } }

// The worker's code (CommonJS, run with eval: the CLI is one bundled file): each compressed chunk
// in, its output out as one transferred array, then an ack; errors after the output before them.
const FZSTD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Decompress } = require(workerData.fzstd);
let parts = [];
let bytes = 0;
const d = new Decompress((b) => { if (b.length) { parts.push(b); bytes += b.length; } });
const flush = () => {
  if (!bytes) return;
  const data = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  parts = [];
  bytes = 0;
  parentPort.postMessage({ data }, [data.buffer]);
};
parentPort.on('message', (m) => {
  try {
    if (m.end) d.push(new Uint8Array(0), true);
    else d.push(m.chunk);
    flush();
    parentPort.postMessage(m.end ? { done: true } : { ack: true });
  } catch (e) {
    flush();
    parentPort.postMessage({ error: { message: String(e && e.message || e), code: e && e.code } });
  }
});
`;

async function* xzStream(input: Readable): AsyncGenerator<Buffer> {
  // BEAMSCOPE_XZ=js skips the xz program (the tests read both ways).
  const child = await startProgram('xz');
  if (child) {
    yield* programStream('xz', child, input);
    return;
  }
  // xz-decompress: xz-embedded compiled to WebAssembly, so no native module; a WHATWG stream.
  const mod = (await import('xz-decompress')) as unknown as { XzReadableStream?: XzCtor; default?: { XzReadableStream: XzCtor } };
  const Xz = mod.XzReadableStream ?? mod.default!.XzReadableStream;
  const web = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>;
  for await (const chunk of new Xz(web) as unknown as AsyncIterable<Uint8Array>) {
    // Copied: the decoder hands out views of its own memory.
    if (chunk.length) yield Buffer.from(chunk);
  }
}
type XzCtor = new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;

async function* zlibStream(input: Readable, z: zlib.Gunzip): AsyncGenerator<Buffer> {
  // Errors of the input (a read error) end the decompressor too, and so this loop.
  input.on('error', (e) => z.destroy(e));
  yield* input.pipe(z) as AsyncIterable<Buffer>;
}

/** A decompressor's complaint in one line, saying whether the data ends early. */
function describe(kind: Compression, e: unknown): DecompressError {
  const msg = String((e as Error)?.message ?? e);
  const code = (e as { code?: unknown }).code;
  if (kind === 'xz') {
    // xz-embedded's codes (xz.h): the input stops mid-stream, is damaged, or is not xz at all.
    const n = /error code (\d+)/.exec(msg)?.[1];
    if (n === '8') return new DecompressError(kind, 'the xz stream ends early', true);
    const what = { 5: 'not in the xz format', 6: 'compressed with options this reader lacks', 7: 'the compressed data is damaged', 2: 'an integrity check this reader lacks' }[Number(n)];
    if (what) return new DecompressError(kind, `xz: ${what}`, false);
  }
  // zlib: "unexpected end of file"; fzstd: code 5 (UnexpectedEOF).
  const early = /unexpected end|end of file/i.test(msg) || (kind === 'zstd' && code === 5);
  return new DecompressError(kind, early ? `the ${kind} stream ends early` : `${kind}: ${msg}`, early);
}
