/**
 * The body lines of a byte range of a plain file, handed to a callback as (buffer, start, end)
 * without a Buffer view per line: the same lines as `sectionLines` (split on LF, one trailing CR
 * dropped, a line spanning reads cut at `maxLineBytes`), for sections of millions of lines.
 */
import { openData, readData, closeData } from '../data-file.js';
import { MiB } from '../../text/units.js';
import { hexValue, parseHex } from '../bytes.js';

/**
 * Calls `fn` for each line in [offset, offset + length) of the file; the bytes are valid only
 * during the call, `next` is the file offset after the line and its line end (exact for a line
 * cut at maxLineBytes too). `fn` returns false to stop.
 */
export function forEachLine(path: string, offset: number, length: number, maxLineBytes: number,
  fn: (b: Buffer, start: number, end: number, next: number) => boolean | void, bufferSize = MiB, openFd?: number): void {
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
  const emit = (b: Buffer, s: number, e: number, next: number): boolean => {
    if (e > s && b[e - 1] === 13) e--;
    return fn(b, s, e, next) !== false;
  };
  // A caller that reads many sections passes its own descriptor: an open and a close per section
  // were a second of `proc` on a dump of 100,000 processes.
  const fd = openFd ?? openData(path);
  try {
    let pos = offset;
    while (pos < end) {
      const n = readData(fd, buf, 0, Math.min(size, end - pos), pos);
      if (n <= 0) break;
      pos += n;
      let i = 0;
      while (i < n) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= n) {
          if (!carryCut) append(i, n);
          break;
        }
        const next = pos - n + nl + 1;
        if (carryLen > 0 || carryCut) {
          if (!carryCut) append(i, nl);
          const go = emit(carry, 0, carryLen, next);
          carryLen = 0;
          carryCut = false;
          if (!go) return;
        } else if (!emit(buf, i, nl, next)) return;
        i = nl + 1;
      }
    }
    if (carryLen > 0) emit(carry, 0, carryLen, pos);
  } finally {
    if (openFd === undefined) closeData(fd);
  }
}

/**
 * Calls `fn(buf, start, end, kind)` for every line of [offset, offset + length) of the file whose
 * first colon is followed by `Yc` or `Ys` (kind 99 or 115) and a target up to the next colon in
 * the line, buf[start, end): the refc binary references of a heap section, as SequentialHeap notes
 * them while it reads. The file is searched for "Y" in one reused buffer instead of being split
 * into lines: a heap of 40,000,000 lines (bench class f) is read at memchr speed, where a native
 * search per line (or a buffer per read) cost seconds.
 */
export function forEachRefcLine(path: string, offset: number, length: number,
  fn: RefcVisit, bufferSize = MiB, openFd?: number, sized = false): void {
  const end = offset + length;
  const buf = Buffer.allocUnsafe(Math.max(64, Math.min(bufferSize, length)));
  // buf[0, have) is file bytes from a line start on; `skipping`: inside a line longer than buf,
  // whose start was looked at already, and `seeking` while its first colon is still to come.
  let have = 0;
  let skipping = false;
  let seeking = false;
  const fd = openFd ?? openData(path);
  try {
    for (let pos = offset; pos < end || have > 0; ) {
      const n = pos < end ? readData(fd, buf, have, Math.min(buf.length - have, end - pos), pos) : 0;
      pos += Math.max(0, n);
      const size = have + Math.max(0, n);
      const last = n <= 0 || pos >= end;
      let from = 0;
      if (skipping) {
        let nl = buf.indexOf(10, 0);
        if (nl >= size) nl = -1;
        if (seeking) {
          const colon = buf.indexOf(58, 0);
          if (colon >= 0 && colon < size && (nl < 0 || colon < nl)) {
            seeking = false;
            refcAtColon(buf, colon, nl < 0 ? size : nl + 1, fn, sized);
          }
        }
        if (nl < 0) {
          have = 0;
          if (last) break;
          continue;
        }
        skipping = false;
        seeking = false;
        from = nl + 1;
      }
      // Whole lines: up to the last line end (everything, at the end of the range).
      let whole = size;
      if (!last) {
        whole = buf.lastIndexOf(10, size - 1) + 1;
        if (whole <= from) {
          // One line fills the buffer: look at its start, then skip the rest of it.
          const colon = buf.indexOf(58, from);
          if (colon >= 0 && colon < size) refcAtColon(buf, colon, size, fn, sized);
          else seeking = true;
          skipping = true;
          have = 0;
          continue;
        }
      }
      for (let y = buf.indexOf(89, from); y >= 0 && y < whole; y = buf.indexOf(89, y + 1)) refcIn(buf, y, from, whole, fn, sized);
      // The partial last line goes to the front, for the next read to complete.
      buf.copy(buf, 0, whole, size);
      have = size - whole;
      if (last) break;
    }
  } finally {
    if (openFd === undefined) closeData(fd);
  }
}

/** The "Y" at buf[y] in a line of buf[floor, limit): a refc reference when the colon before it is its line's first. */
function refcIn(buf: Buffer, y: number, floor: number, limit: number, fn: RefcVisit, sized: boolean): void {
  if (y === floor || buf[y - 1] !== 58) return;
  for (let p = y - 2; p >= floor && buf[p] !== 10; p--) if (buf[p] === 58) return;
  refcAtColon(buf, y - 1, limit, fn, sized);
}

/**
 * A line's first colon at buf[colon], the line (or what is read of it) before `limit`: when `Yc`
 * or `Ys` follows, `fn` gets the target up to the next colon, buf[start, end), and the kind (99 or
 * 115). The one definition of a refc line, for the forward read of a heap (SequentialHeap) too.
 */
export function refcAtColon(buf: Buffer, colon: number, limit: number, fn: RefcVisit, sized = false): void {
  const y = colon + 1;
  if (y + 1 >= limit || buf[y] !== 89) return;
  const kind = buf[y + 1];
  if (kind !== 99 && kind !== 115) return;
  let e = y + 2;
  while (e < limit && buf[e] !== 58 && buf[e] !== 10) e++;
  if (e < limit && buf[e] === 58) fn(buf, y + 2, e, kind, sized && kind === 99 ? ycSize(buf, e, limit) : -1);
}

/**
 * What refcAtColon hands over: the target address buf[start, end), the kind (99 `Yc`, 115 `Ys`)
 * and, for `Yc` (OTP 20 on: `Yc<addr>:<offset>:<size>`) when asked (`sized`: millions of lines
 * are scanned without), the ProcBin's size: that of a binary the dump may have no `=binary`
 * section of (a cut dump); -1 when the line has none or it was not asked for.
 */
export type RefcVisit = (b: Buffer, start: number, end: number, kind: number, size: number) => void;

/** The size field after `:<offset>:` from the colon at `at`, or -1. */
function ycSize(buf: Buffer, at: number, limit: number): number {
  let q = at + 1;
  while (q < limit && hexValue(buf[q]) >= 0) q++;
  if (q >= limit || buf[q] !== 58) return -1;
  const size = parseHex(buf, q + 1, limit);
  return Number.isNaN(size) ? -1 : size;
}

/**
 * File offset of the first `text` at or after `from` and before `to`, or -1: a native search in
 * one reused buffer, reads overlapping by the text's length so that none is cut between two.
 */
export function searchFile(fd: number, text: string, from: number, to: number): number {
  const needle = Buffer.from(text, 'latin1');
  const buf = Buffer.allocUnsafe(Math.max(MiB, 2 * needle.length));
  for (let p = from; p < to; ) {
    const n = readData(fd, buf, 0, Math.min(buf.length, to - p), p);
    if (n <= 0) return -1;
    const k = buf.subarray(0, n).indexOf(needle);
    if (k >= 0) return p + k;
    if (p + n >= to) return -1;
    p += n - (needle.length - 1);
  }
  return -1;
}
