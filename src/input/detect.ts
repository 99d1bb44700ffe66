/**
 * The one detection function: what the first bytes of an input are. Every command that takes a
 * file or `-` asks here (through open.ts's peekFile and peekStream for the bytes), and decides from
 * the answer what to do with it; what a command refuses, and how it says so, stays the command's.
 */
import { detectCompression, dumpMagic, type Compression } from './magic.js';

/**
 * - `crash-dump`: starts with `=erl_crash_dump:`;
 * - `old-crash-dump`: the pre-R10B format;
 * - `compressed`: gzip, zstd or xz (only crash dumps are read compressed: the dump reader judges what is inside);
 * - `json`: an object (`{"` or `{}`) or an array of objects (`[{"`), as JSON allocator data and process snapshots are;
 * - `binary`: a NUL byte in the head (images, archives, random bytes) and no UTF-16 byte order mark;
 * - `empty`: no bytes at all;
 * - `text`: anything else (Erlang term text such as a recon_alloc snapshot, or UTF-16 text: see `utf16`).
 */
export type InputFormat = 'crash-dump' | 'old-crash-dump' | 'compressed' | 'json' | 'binary' | 'empty' | 'text';

export interface InputFacts {
  format: InputFormat;
  /** For `compressed`: which format. */
  compression?: Compression;
  /** A UTF-16 byte order mark (Windows PowerShell 5's `>` writes one): the text is to be transcoded, then detected again. */
  utf16?: 'utf16le' | 'utf16be';
  /** The first character after a byte order mark and blanks, when it is `[` or `{` (a JSON array, or objects / JSON lines). */
  opener?: '[' | '{';
  /** Nothing but blanks (and a byte order mark) in the head, or no bytes. */
  blank: boolean;
  /** JSON whose records are processes (beamscope.procs/1, docs/leak.md) rather than an allocator model. */
  processSnapshot: boolean;
}

/** Keeps a byte order mark in the text, as Buffer's toString does (the patterns below allow for it). */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Is it any form of crash dump (plain, pre-R10B or compressed)? */
export function isDumpFormat(format: InputFormat): boolean {
  return format === 'crash-dump' || format === 'old-crash-dump' || format === 'compressed';
}

/** How many leading bytes detection looks at (a file's and a stream's alike). */
export const HEAD_BYTES = 4096;

/** What these leading bytes are: give the first HEAD_BYTES when there are that many (more are not looked at). */
export function detectInput(head: Uint8Array): InputFacts {
  const bytes = head.subarray(0, HEAD_BYTES);
  const text = UTF8.decode(bytes).replace(/^\ufeff/, '');
  const first = text.trimStart().charAt(0);
  const opener: InputFacts['opener'] = first === '[' || first === '{' ? first : undefined;
  const facts = { blank: /^[ \t\r\n]*$/.test(text), processSnapshot: false, ...(opener ? { opener } : {}) };
  if (bytes.length === 0) return { ...facts, format: 'empty' };
  const magic = dumpMagic(bytes);
  if (magic === 'compressed') return { ...facts, format: 'compressed', compression: detectCompression(bytes) };
  if (magic === 'dump') return { ...facts, format: 'crash-dump' };
  if (magic === 'old') return { ...facts, format: 'old-crash-dump' };
  const utf16 = utf16Bom(bytes);
  if (utf16) return { ...facts, format: 'text', utf16 };
  // Allocator snapshots, system_info output and JSON never hold a NUL byte; images, archives and
  // random bytes almost always do early on (without this they fail deep in a parser).
  if (bytes.includes(0)) return { ...facts, format: 'binary' };
  // JSON objects start with `{"` (or `{}`), and arrays of them with `[{"`; Erlang allocator terms never do.
  const t = text.trimStart();
  if (/^\{\s*("|\})/.test(t) || /^\[\s*\{\s*"/.test(t))
    return { ...facts, format: 'json', processSnapshot: isProcessSnapshot(UTF8.decode(bytes)) };
  return { ...facts, format: 'text' };
}

/** A beamscope.procs/1 process snapshot (docs/leak.md) rather than an allocator model? */
export function isProcessSnapshot(head: string): boolean {
  return /"schema"\s*:\s*"beamscope\.procs\/1"/.test(head) || /^\uFEFF?\s*\[?\s*\{[^\n]*?"pid"\s*:/.test(head);
}

/**
 * The encoding a UTF-16 byte order mark names. Windows PowerShell 5 writes UTF-16LE with a mark
 * when output is redirected with `>`, so a snapshot printed on a Windows node arrives this way.
 */
export function utf16Bom(head: Uint8Array): 'utf16le' | 'utf16be' | undefined {
  if (head.length < 2) return undefined;
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  return undefined;
}
