import { openSync, readSync, statSync } from 'node:fs';
import { detectCompression, MAGIC_BYTES, type Compression } from './magic.js';

/**
 * The path opened for reading when it is a regular file, else undefined (missing, unreadable, a
 * directory, a pipe or a device). A pipe or a device is not even opened: opening a named pipe waits
 * for its writer, and closing the reader of `<(zcat ...)` or /dev/stdin would stop its writer
 * before the command reads it.
 */
export function openRegularFile(path: string): number | undefined {
  try {
    return statSync(path).isFile() ? openSync(path, 'r') : undefined;
  } catch {
    return undefined;
  }
}

/** The compressed format that the first bytes of the open file say (magic.ts), or undefined. */
export function fileCompression(fd: number): Compression | undefined {
  const head = Buffer.alloc(MAGIC_BYTES);
  return detectCompression(head.subarray(0, readSync(fd, head, 0, MAGIC_BYTES, 0)));
}
