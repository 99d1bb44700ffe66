/**
 * What the first bytes of a file say about it, as far as crash dumps go: the one place that knows
 * the magic bytes (the dump reader, the allocator and leak input sniffers all ask here).
 */

/** A crash dump's first line starts with this (format 0.1 and later, R10B on). */
export const DUMP_MAGIC = '=erl_crash_dump:';
/** The pre-R10B format's first line (Erlang before 2005), which nothing reads any more. */
export const OLD_DUMP_MAGIC = '<Erlang crash dump>';
/** Enough leading bytes for dumpMagic to decide. */
export const MAGIC_BYTES = OLD_DUMP_MAGIC.length;

/** `dump`: a plain crash dump; `gzip`: compressed (only dumps are read compressed); `old`: pre-R10B. */
export type DumpMagic = 'dump' | 'gzip' | 'old' | 'other';

/** What these leading bytes are (the VM writes no byte order mark: one before the magic is `other`). */
export function dumpMagic(head: Uint8Array): DumpMagic {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (startsWith(head, DUMP_MAGIC)) return 'dump';
  if (startsWith(head, OLD_DUMP_MAGIC)) return 'old';
  return 'other';
}

function startsWith(head: Uint8Array, magic: string): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic.charCodeAt(i)) return false;
  return true;
}
