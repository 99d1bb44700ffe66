import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';

/**
 * Compressed dumps: which format a file or stream is in, by its first bytes, and its
 * decompressed bytes as a stream. The one place that knows the formats; the reader only asks.
 */
export type Compression = 'gzip' | 'zstd' | 'xz';

/** Bytes of the input needed to tell the formats apart (the xz magic is the longest). */
export const MAGIC_BYTES = 6;

const GZIP = [0x1f, 0x8b];
// RFC 8878 section 3.1.1: a frame starts with 0xFD2FB528 little-endian; a skippable frame
// (0x184D2A50-0x184D2A5F, section 3.1.2) may come first, as seekable zstd files start with one.
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** The format of a compressed input from its first bytes (at least MAGIC_BYTES when there are), or undefined for anything else. */
export function detectCompression(head: Uint8Array): Compression | undefined {
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, ZSTD)) return 'zstd';
  if (head.length >= 4 && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  if (startsWith(head, XZ)) return 'xz';
  return undefined;
}

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
  // fzstd: pure JavaScript, no native module to build or download, streams block by block (each
  // block is a new array), and reads concatenated and skippable frames. It runs on this thread.
  const { Decompress } = await import('fzstd');
  let out: Uint8Array[] = [];
  const d = new Decompress((chunk) => { if (chunk.length) out.push(chunk); });
  const flush = function* (): Generator<Buffer> {
    const parts = out;
    out = [];
    for (const p of parts) yield Buffer.from(p.buffer, p.byteOffset, p.length);
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      d.push(chunk);
      yield* flush();
    }
    d.push(new Uint8Array(0), true);
  } catch (e) {
    yield* flush();
    throw describe('zstd', e);
  }
  yield* flush();
}

async function* xzStream(input: Readable): AsyncGenerator<Buffer> {
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
