import { openSync, statSync } from 'node:fs';

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
