import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { constants, crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { InputError } from '../errors.js';

/**
 * Restart points of a gzip dump, as zlib's examples/zran.c keeps them: at a deflate block boundary
 * every span of decompressed bytes, where the compressed data is and the 32 KiB of output before
 * it (deflate's window: the next blocks may copy from it). With them in the saved index, a later
 * command on the same `.gz` decompresses only the spans holding the sections it reads (`proc` of
 * one process: a few MiB) instead of the whole dump again.
 *
 * Node's zlib does not say at which bit of its last byte a block ends (zran reads it from
 * `data_type` and resumes with inflatePrime, neither of which node:zlib has), so a point keeps the
 * byte after the boundary and the CRC-32 of the first bytes after it: a restore tries the eight
 * places the block can start at (the byte itself, or one of seven bits of the byte before), each
 * with the data shifted so that it starts on a byte, and keeps the one whose output starts with
 * that CRC-32 and ends with the next point's window (a wrong one fails at once, or gives other
 * bytes). Nothing a span gives is written unless both hold: a file changed under its index is
 * refused (GzipIndexMismatch), never read wrong.
 */
export interface GzipPoints {
  /** Decompressed size of the whole dump. */
  totalBytes: number;
  /** Per point, the compressed byte after the boundary (point 0: where the deflate data starts). */
  inByte: Float64Array;
  /** Per point, its decompressed offset, ascending from 0. */
  outByte: Float64Array;
  /** Per point, crc32() of its first CHECK_BYTES decompressed bytes (fewer at the end). */
  check: Uint32Array;
  /** The windows, concatenated: point k's is windows[windowStart[k], windowStart[k + 1]). */
  windows: Uint8Array;
  windowStart: Float64Array;
}

/** The points as the first read finds them (compression.ts), before their windows are read from the spool. */
export type PointsFound = Pick<GzipPoints, 'totalBytes' | 'inByte' | 'outByte' | 'check'>;

/**
 * The points with their windows, read from `fd`, the spool holding the whole decompressed dump;
 * undefined when it cannot be read.
 */
export function withWindows(found: PointsFound, fd: number): GzipPoints | undefined {
  const n = found.outByte.length;
  const windowStart = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) windowStart[k + 1] = windowStart[k] + Math.min(WINDOW_BYTES, found.outByte[k]);
  const windows = new Uint8Array(windowStart[n]);
  for (let k = 0; k < n; k++) {
    const w = windows.subarray(windowStart[k], windowStart[k + 1]);
    for (let got = 0; got < w.length; ) {
      const r = readSync(fd, w, got, w.length - got, found.outByte[k] - w.length + got);
      if (r <= 0) return undefined;
      got += r;
    }
  }
  return { ...found, windows, windowStart };
}

/** Bytes after a point whose CRC-32 a restore checks. */
export const CHECK_BYTES = 4096;
/** Deflate's window: how far back a block may copy from. */
export const WINDOW_BYTES = 32768;

/** Thrown when a point does not give the bytes its CRC-32 says: the file is not the one indexed. */
export class GzipIndexMismatch extends InputError {}

/** Whether the arrays are consistent with each other and the sizes given (a saved index's check). */
export function pointsConsistent(p: GzipPoints, compressedBytes: number): boolean {
  const n = p.outByte.length;
  if (n === 0 || p.inByte.length !== n || p.check.length !== n || p.windowStart.length !== n + 1 || p.outByte[0] !== 0) return false;
  if (p.windowStart[0] !== 0 || p.windowStart[n] !== p.windows.length || !Number.isSafeInteger(p.totalBytes)) return false;
  for (let k = 0; k < n; k++) {
    const w = p.windowStart[k + 1] - p.windowStart[k];
    if (!(w >= 0 && w <= WINDOW_BYTES) || !(p.inByte[k] >= 1 && p.inByte[k] <= compressedBytes)) return false;
    if (k > 0 && !(p.outByte[k] > p.outByte[k - 1] && p.inByte[k] >= p.inByte[k - 1])) return false;
  }
  return p.outByte[n - 1] <= p.totalBytes;
}

/**
 * Fills a sparse file of the dump's decompressed size (the spool) span by span, as reads reach
 * them (Spool.fill): each span is inflated from its point and written at its place.
 */
export class GzipSpanFiller {
  private readonly done: Uint8Array;
  /** The bit each point's block starts at, once a restore found it (-1: not yet). */
  private readonly bits: Int8Array;

  /** `onMismatch`: called before GzipIndexMismatch is thrown (the index is removed then). */
  constructor(private readonly gzPath: string, private readonly points: GzipPoints, private readonly spoolFd: number,
    private readonly onMismatch?: () => void) {
    const n = points.outByte.length;
    this.done = new Uint8Array(n);
    this.bits = new Int8Array(n).fill(-1);
    ftruncateSync(spoolFd, points.totalBytes);
  }

  /** Makes bytes [pos, pos + length) of the spool hold the dump's bytes. */
  fill(pos: number, length: number): void {
    const { outByte, totalBytes } = this.points;
    const end = Math.min(pos + Math.max(0, length), totalBytes);
    if (end <= pos) return;
    for (let k = spanOf(outByte, pos); k < outByte.length && outByte[k] < end; k++) {
      if (!this.done[k]) this.fillSpan(k);
    }
  }

  /**
   * Whether the span's data read from `bits` starts with the `check` CRC-32, told from its first
   * PROBE_BYTES (at most 1032 times as many bytes out: deflate's longest run), so that the wrong
   * places cost little (a span is 1 to 32 MiB). True too when so few bytes cannot tell (then the
   * whole span is inflated and checked).
   */
  private probe(data: Buffer, bits: number, window: Uint8Array, checkLength: number, check: number): boolean {
    const head = shifted(data.subarray(0, Math.min(data.length, PROBE_BYTES + 1)), bits);
    const out = (probeOut ??= Buffer.allocUnsafe(CHECK_BYTES)).subarray(0, checkLength);
    const n = inflateInto(head, window, out);
    if (n < 0) return false;
    return n < checkLength || crc32(out) === check;
  }

  private fillSpan(k: number): void {
    const p = this.points;
    const from = p.outByte[k];
    const to = k + 1 < p.outByte.length ? p.outByte[k + 1] : p.totalBytes;
    // The compressed bytes to the next point's (its boundary falls in the byte before it), or to the end.
    const inEnd = k + 1 < p.inByte.length ? p.inByte[k + 1] : Infinity;
    const fd = openSync(this.gzPath, 'r');
    let data: Buffer;
    try {
      data = readFrom(fd, p.inByte[k] - 1, inEnd);
    } finally {
      closeSync(fd);
    }
    const window = p.windows.subarray(p.windowStart[k], p.windowStart[k + 1]);
    const checkLength = Math.min(CHECK_BYTES, to - from);
    const tries = this.bits[k] >= 0 ? [this.bits[k]] : k === 0 ? [0] : [0, 1, 2, 3, 4, 5, 6, 7];
    // The span's end is checked too: it is the next point's window (the last span ends the data).
    const last = k + 1 === p.outByte.length;
    const next = last ? undefined : p.windows.subarray(p.windowStart[k + 1], p.windowStart[k + 2]);
    for (const bits of tries) {
      if (tries.length > 1 && !this.probe(data, bits, window, checkLength, p.check[k])) continue;
      let got: Inflated | undefined;
      try {
        got = inflateSpanTo(this.spoolFd, from, shifted(data, bits), window, to - from, checkLength);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new InputError(`${this.gzPath}: cannot write its decompressed text to the temporary file (${code}): --spool DIR puts it where there is room`, this.gzPath);
      }
      if (!got || got.bytes < to - from || (last && got.more) || got.check !== p.check[k]) continue;
      const m = next ? Math.min(next.length, to - from) : 0;
      if (next && !got.tail.subarray(got.tail.length - m).equals(next.subarray(next.length - m))) continue;
      this.bits[k] = bits;
      this.done[k] = 1;
      return;
    }
    this.onMismatch?.();
    throw new GzipIndexMismatch(`${this.gzPath}: its data does not decompress at byte ${from} as its saved index says (the file changed after it was indexed?): the index is removed; run the command again`, this.gzPath);
  }
}

/** Compressed bytes a restore tries each bit offset on first (probe), and where the bytes out go. */
const PROBE_BYTES = 8192;
let probeOut: Buffer | undefined;

/**
 * Raw deflate data inflated with `window` as the history into `out` until it is full or the data
 * gives no more: the bytes put there, or -1 when it is not deflate data. Through zlib's handle
 * into the caller's buffer: zlib's one-call inflate makes a MiB of output pieces for each try
 * (millions of bytes of garbage per span, which `leak` over every span of a gzip dump felt).
 */
function inflateInto(data: Buffer, window: Uint8Array, out: Buffer): number {
  const inf = rawInflater(window);
  if (!inf) {
    const whole = inflateSpan(data, window, out.length);
    return whole ? whole.copy(out, 0, 0, Math.min(whole.length, out.length)) : -1;
  }
  try {
    let got = 0;
    for (let inPos = 0; got < out.length;) {
      const r = inf.write(data, inPos, out, got);
      if (!r) return -1;
      inPos += r.used;
      got += r.have;
      if (r.have === 0) break;
    }
    return got;
  } finally {
    inf.close();
  }
}

/** Inflates data[inPos..] into out[outOff..]: the input bytes used and the bytes out, or undefined when it is not deflate data. */
interface RawInflater {
  write(data: Buffer, inPos: number, out: Buffer, outOff: number): { used: number; have: number } | undefined;
  close(): void;
}

/**
 * zlib's raw inflater with `window` as the history, driven through its handle into the caller's
 * buffers (as the gunzip worker in compression.ts drives it), or undefined where this Node's
 * handle is not as expected: the callers then use zlib's one-call inflate.
 */
function rawInflater(window: Uint8Array): RawInflater | undefined {
  const z = createInflateRaw(window.length > 0 ? { dictionary: window } : {}) as unknown as ZlibHandle;
  const h = z._handle;
  const writeSync = h?.writeSync;
  if (!h || typeof writeSync !== 'function' || !(z._writeState instanceof Uint32Array)) {
    z.close();
    return undefined;
  }
  let failed = false;
  h.onerror = () => { failed = true; };
  return {
    write(data, inPos, out, outOff) {
      const avail = data.length - inPos;
      const room = out.length - outOff;
      writeSync.call(h, constants.Z_SYNC_FLUSH, data, inPos, avail, out, outOff, room);
      return failed ? undefined : { used: avail - z._writeState[1], have: room - z._writeState[0] };
    },
    close: () => z.close(),
  };
}

/** The point whose span holds byte `pos`: the last with outByte <= pos. */
function spanOf(outByte: Float64Array, pos: number): number {
  let lo = 0;
  let hi = outByte.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (outByte[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Bytes [from, to) of the file (to its end when `to` is Infinity). */
function readFrom(fd: number, from: number, to: number): Buffer {
  const chunks: Buffer[] = [];
  for (let at = from; at < to; ) {
    const b = Buffer.allocUnsafe(Math.min(to - at, 4 << 20));
    const n = readSync(fd, b, 0, b.length, at);
    if (n <= 0) break;
    chunks.push(b.subarray(0, n));
    at += n;
  }
  return Buffer.concat(chunks);
}

/**
 * The data from the block that starts `bits` bits before the end of the first byte of `data`
 * (0: at the second byte), moved so that it starts on a byte: deflate reads a byte's bits from the
 * lowest.
 */
function shifted(data: Buffer, bits: number): Buffer {
  if (bits === 0) return data.subarray(1);
  const shift = 8 - bits;
  const out = Buffer.allocUnsafe(data.length);
  const last = data.length - 1;
  for (let i = 0; i < last; i++) out[i] = (data[i] >> shift) | ((data[i + 1] << bits) & 0xff);
  // The last byte's high bits, alone.
  out[last] = data[last] >> shift;
  return out;
}

interface Inflated {
  /** Bytes written (at most the span's). */
  bytes: number;
  /** Whether the data gave more than the span (the last span must end the data). */
  more: boolean;
  /** crc32() of the first `checkLength` bytes. */
  check: number;
  /** The span's last WINDOW_BYTES (or fewer). */
  tail: Buffer;
}

/**
 * Raw deflate data inflated with `window` as the history and written to `fd` from `at`, a MiB at
 * a time (a span is up to 32 MiB: zlib's one-call inflate held it twice over, in pieces and
 * joined), at most `want` bytes; undefined when it is not deflate data.
 */
function inflateSpanTo(fd: number, at: number, data: Buffer, window: Uint8Array, want: number, checkLength: number): Inflated | undefined {
  const inf = rawInflater(window);
  if (!inf) return inflateSpanWhole(fd, at, data, window, want, checkLength);
  const out = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(checkLength, want)));
  const tail = Buffer.alloc(Math.min(WINDOW_BYTES, want));
  let bytes = 0;
  let check = 0;
  let more = false;
  try {
    // Until the data gives no more; one byte past the span ends it (`more`).
    for (let inPos = 0; !more;) {
      const r = inf.write(data, inPos, out, 0);
      if (!r) return undefined;
      inPos += r.used;
      if (r.have === 0) break;
      const keep = Math.min(r.have, want - bytes);
      more = keep < r.have;
      if (keep > 0) {
        const piece = out.subarray(0, keep);
        if (bytes < checkLength) check = crc32(piece.subarray(0, checkLength - bytes), check);
        writeAll(fd, piece, at + bytes);
        keepTail(tail, piece);
        bytes += keep;
      }
    }
  } finally {
    inf.close();
  }
  return { bytes, more, check, tail };
}

/** The last tail.length bytes of what came so far, `piece` last. */
function keepTail(tail: Buffer, piece: Buffer): void {
  if (piece.length >= tail.length) {
    piece.copy(tail, 0, piece.length - tail.length);
  } else {
    tail.copy(tail, 0, piece.length);
    piece.copy(tail, tail.length - piece.length);
  }
}

/** inflateSpanTo with zlib's one-call inflate, where Node's zlib handle is not as expected. */
function inflateSpanWhole(fd: number, at: number, data: Buffer, window: Uint8Array, want: number, checkLength: number): Inflated | undefined {
  const out = inflateSpan(data, window, want);
  if (!out) return undefined;
  const bytes = Math.min(out.length, want);
  writeAll(fd, out.subarray(0, bytes), at);
  return { bytes, more: out.length > want, check: crc32(out.subarray(0, Math.min(checkLength, bytes))), tail: Buffer.from(out.subarray(Math.max(0, bytes - WINDOW_BYTES), bytes)) };
}

/** What inflateSpanTo uses of a node:zlib stream (as the gunzip worker in compression.ts). */
interface ZlibHandle {
  _handle?: { writeSync?: (flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number) => void; onerror?: (...a: unknown[]) => void };
  _writeState: Uint32Array;
  close(): void;
}

/** Raw deflate data inflated with `window` as the history, or undefined when it is not deflate data. */
function inflateSpan(data: Buffer, window: Uint8Array, want: number): Buffer | undefined {
  try {
    // A wrong start can decode as anything, long runs too: no more than the span and a little.
    // Output in 1 MiB chunks: zlib's 16 KiB default made a 32 MiB span two thousand of them to join.
    return inflateRawSync(data, { dictionary: window, finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: want + (1 << 16), chunkSize: 1 << 20 });
  } catch {
    return undefined;
  }
}

function writeAll(fd: number, b: Buffer, at: number): void {
  for (let o = 0; o < b.length; ) o += writeSync(fd, b, o, b.length - o, at + o);
}
