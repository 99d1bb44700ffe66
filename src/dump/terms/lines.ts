/**
 * The body lines of a byte range of a plain file, handed to a callback as (buffer, start, end)
 * without a Buffer view per line: the same lines as `sectionLines` (split on LF, one trailing CR
 * dropped, a line spanning reads cut at `maxLineBytes`), for sections of millions of lines.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { MiB } from '../../text/units.js';

/**
 * Calls `fn` for each line in [offset, offset + length) of the file; the bytes are valid only
 * during the call. `fn` returns false to stop.
 */
export function forEachLine(path: string, offset: number, length: number, maxLineBytes: number,
  fn: (b: Buffer, start: number, end: number) => boolean | void, bufferSize = MiB, openFd?: number): void {
  const end = offset + length;
  const size = Math.max(1, Math.min(bufferSize, length));
  const buf = Buffer.allocUnsafe(size);
  let carry = Buffer.allocUnsafe(Math.min(maxLineBytes, size, 1 << 16));
  let carryLen = 0;
  let carryCut = false;
  const append = (from: number, to: number): void => {
    const room = maxLineBytes - carryLen;
    if (to - from > room) {
      to = from + room;
      carryCut = true;
    }
    if (carryLen + (to - from) > carry.length) {
      const bigger = Buffer.allocUnsafe(Math.min(maxLineBytes, Math.max(carry.length * 2, carryLen + (to - from))));
      carry.copy(bigger, 0, 0, carryLen);
      carry = bigger;
    }
    buf.copy(carry, carryLen, from, to);
    carryLen += to - from;
  };
  const emit = (b: Buffer, s: number, e: number): boolean => {
    if (e > s && b[e - 1] === 13) e--;
    return fn(b, s, e) !== false;
  };
  // A caller that reads many sections passes its own descriptor: an open and a close per section
  // were a second of `proc` on a dump of 100,000 processes.
  const fd = openFd ?? openSync(path, 'r');
  try {
    let pos = offset;
    while (pos < end) {
      const n = readSync(fd, buf, 0, Math.min(size, end - pos), pos);
      if (n <= 0) break;
      pos += n;
      let i = 0;
      while (i < n) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= n) {
          if (!carryCut) append(i, n);
          break;
        }
        if (carryLen > 0 || carryCut) {
          if (!carryCut) append(i, nl);
          const go = emit(carry, 0, carryLen);
          carryLen = 0;
          carryCut = false;
          if (!go) return;
        } else if (!emit(buf, i, nl)) return;
        i = nl + 1;
      }
    }
    if (carryLen > 0) emit(carry, 0, carryLen);
  } finally {
    if (openFd === undefined) closeSync(fd);
  }
}
