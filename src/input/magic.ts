/**
 * What the first bytes of a file say about it, as far as crash dumps go: the one place that knows
 * the magic bytes. detect.ts builds the one description of an input on it; the dump reader asks
 * here directly.
 */

/** A crash dump's first line starts with this (format 0.1 and later, R10B on). */
export const DUMP_MAGIC = '=erl_crash_dump:';
/** The pre-R10B format's first line (Erlang before 2005), which nothing reads any more. */
export const OLD_DUMP_MAGIC = '<Erlang crash dump>';
/** Enough leading bytes for dumpMagic to decide. */
export const MAGIC_BYTES = OLD_DUMP_MAGIC.length;

/** `dump`: a plain crash dump; `compressed`: gzip, zstd or xz (only dumps are read compressed); `old`: pre-R10B. */
export type DumpMagic = 'dump' | 'compressed' | 'old' | 'other';

/** The compressed formats a dump is read in (src/dump/compression.ts decompresses them). */
export type Compression = 'gzip' | 'zstd' | 'xz';

const GZIP = [0x1f, 0x8b];
// RFC 8878 section 3.1.1: a frame starts with 0xFD2FB528 little-endian; a skippable frame
// (0x184D2A50-0x184D2A5F, section 3.1.2) may come first, as seekable zstd files start with one.
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** What these leading bytes are (the VM writes no byte order mark: one before the magic is `other`). */
export function dumpMagic(head: Uint8Array): DumpMagic {
  if (detectCompression(head)) return 'compressed';
  if (startsWith(head, DUMP_MAGIC)) return 'dump';
  if (startsWith(head, OLD_DUMP_MAGIC)) return 'old';
  return 'other';
}

/** The format of a compressed input from its first bytes (MAGIC_BYTES of them when there are), or undefined for anything else. */
export function detectCompression(head: Uint8Array): Compression | undefined {
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, ZSTD)) return 'zstd';
  if (head.length >= 4 && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18)
    return 'zstd';
  if (startsWith(head, XZ)) return 'xz';
  return undefined;
}

function startsWith(head: Uint8Array, magic: string | number[]): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++)
    if (head[i] !== (typeof magic === 'string' ? magic.charCodeAt(i) : magic[i])) return false;
  return true;
}
