import { openData, readData, closeData } from './data-file.js';
import type { SectionRef } from './types.js';
import { MiB } from '../text/units.js';

export interface SectionLinesOptions {
  /** Read buffer size in bytes; tests use 7 to cross every chunk boundary. */
  bufferSize?: number;
  /** Longer lines are cut to this many bytes (a 100 MB base64 binary need not be held). */
  maxLineBytes?: number;
}

/**
 * The body lines of one section of a plain dump file, read with positional reads, without the
 * line ends (LF or CRLF). Each yielded Buffer is only valid until the next one is asked for.
 */
export function* sectionLines(path: string, ref: Pick<SectionRef, 'offset' | 'length'>,
  opts: SectionLinesOptions = {}): Generator<Buffer> {
  const fd = openData(path);
  try {
    yield* linesOfRange(fd, ref.offset, ref.offset + ref.length, opts);
  } finally {
    closeData(fd);
  }
}

export function* linesOfRange(fd: number, start: number, end: number,
  opts: SectionLinesOptions = {}): Generator<Buffer> {
  // Most sections are small: a buffer the size of the range, not a megabyte per call.
  const bufferSize = Math.max(1, Math.min(opts.bufferSize ?? MiB, end - start));
  const maxLine = opts.maxLineBytes ?? 64 * MiB;
  const buf = Buffer.allocUnsafe(bufferSize);
  let carry = Buffer.allocUnsafe(Math.min(maxLine, bufferSize, 1 << 16));
  let carryLen = 0;
  let carryCut = false;
  let pos = start;
  const append = (src: Buffer, from: number, to: number): void => {
    const room = maxLine - carryLen;
    if (to - from > room) {
      to = from + room;
      carryCut = true;
    }
    if (carryLen + (to - from) > carry.length) {
      const bigger = Buffer.allocUnsafe(Math.min(maxLine, Math.max(carry.length * 2, carryLen + (to - from))));
      carry.copy(bigger, 0, 0, carryLen);
      carry = bigger;
    }
    src.copy(carry, carryLen, from, to);
    carryLen += to - from;
  };
  while (pos < end) {
    const n = readData(fd, buf, 0, Math.min(bufferSize, end - pos), pos);
    if (n <= 0) break;
    pos += n;
    let i = 0;
    while (i < n) {
      const nl = buf.indexOf(0x0a, i);
      if (nl < 0 || nl >= n) {
        if (!carryCut) append(buf, i, n);
        break;
      }
      let line: Buffer;
      if (carryLen > 0 || carryCut) {
        if (!carryCut) append(buf, i, nl);
        line = carry.subarray(0, carryLen);
      } else line = buf.subarray(i, Math.min(nl, i + maxLine));
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      yield line;
      carryLen = 0;
      carryCut = false;
      i = nl + 1;
    }
  }
  if (carryLen > 0) {
    let line = carry.subarray(0, carryLen);
    if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    yield line;
  }
}
