import { closeSync, openSync, readSync } from 'node:fs';
import { fillerOf } from './spool.js';

/**
 * Opening and reading a dump's bytes again by offset (dataPath: the file itself, or its spool),
 * for every reader of sections after the scan (heaps, stacks, lines, the leak's heap scan). One
 * place, because a gzip dump read from its saved index has a spool that is filled as it is read
 * (gzip-seek.ts): a read of bytes not yet there first inflates their spans.
 */
const filled = new Map<number, NonNullable<ReturnType<typeof fillerOf>>>();

/** openSync(path, 'r') of a dump's data. */
export function openData(path: string): number {
  const fd = openSync(path, 'r');
  const filler = fillerOf(path);
  if (filler) filled.set(fd, filler);
  return fd;
}

/** readSync at a position of a descriptor from openData. */
export function readData(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  filled.get(fd)?.fill(position, length);
  return readSync(fd, buf, offset, length, position);
}

export function closeData(fd: number): void {
  filled.delete(fd);
  closeSync(fd);
}
