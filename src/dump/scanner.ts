/**
 * The byte-level scanner under the dump reader: fed chunks of any size, it finds section tag lines
 * (`=tag:id` at the start of a line) and either hands a section's body lines to a handler or skips
 * the body with one memory search for the next "\n=". It never makes a string per line and never
 * holds more than one (capped) line besides the chunk it is given.
 */
import { MiB } from '../text/units.js';

/** Receives the body lines of one section. */
export interface LineHandler {
  /**
   * One line, bytes [start, end) of buf, without its line end (LF or CRLF). `cut` is true when the
   * line was longer than the scanner keeps and only its beginning is passed. The buffer is only
   * valid during the call.
   */
  line(buf: Buffer, start: number, end: number, cut: boolean): void;
  /** When the handler wants no more lines of this section, it may return true from this. */
  done?(): boolean;
  /**
   * The bulk form of `line`, for the sections a big dump has millions of (`=proc`): takes the
   * lines from `start` (a line start) of `buf` on, each exactly as `line` would, up to the first
   * one that starts with '=' or does not end (LF) before `end`, and returns the start of the
   * first line it left to the scanner (`start` when it took none). Reading a line's end as a
   * by-product of parsing it spares the scanner's search and dispatch per line. A handler with
   * `done` must not have it.
   */
  lines?(buf: Buffer, start: number, end: number): number;
  /**
   * With `rest`, a line longer than the scanner keeps is handed to `line` (cut) as soon as that
   * much of it is read, and its remaining bytes to `rest` as they are read (a CR before its LF
   * included), then `restEnd` at its end: a handler can count what a line of tens of MB holds (a
   * supervisor's links) without the scanner holding it.
   */
  rest?(buf: Buffer, start: number, end: number): void;
  restEnd?(): void;
}

export interface ScanSink {
  /**
   * A line starting with '='. Returns the handler for the new section's body (null to skip it), or
   * `false` when the sink decides this line is not a tag but a body line of the current section
   * (the slogan may contain "\n=" text).
   */
  tag(buf: Buffer, start: number, end: number, lineOffset: number, bodyOffset: number): LineHandler | null | false;
  /**
   * The input ended; `cutMidLine` when its last line had no line end. `inSkippedSection`: the scan
   * stopped at `stopAt` inside a section it was skipping, whose end is some later range's business.
   */
  end(endOffset: number, cutMidLine: boolean, inSkippedSection?: boolean): void;
  /**
   * True while the sink can take the next sections in bulk (`run`): after a section that usually
   * comes in long runs of the same small kind.
   */
  readonly inRun?: boolean;
  /**
   * Takes whole sections in bulk from the tag line at `start` of `buf`, as `tag` and the body
   * lines would, and returns the start of the first line it left to the scanner (`start` when it
   * took none). It takes only sections whose tag line starts before `limit` and that end within
   * [start, end); `base` is the file offset of buf[0].
   */
  run?(buf: Buffer, start: number, end: number, limit: number, base: number): number;
}

const NL = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;
const NL_EQ = Buffer.from('\n=');

/** Lines longer than this are passed cut (a base64 binary can be hundreds of MB on one line). */
export const DEFAULT_MAX_LINE_BYTES = MiB;

export class DumpScanner {
  private handler: LineHandler | null = null;
  private atLineStart = true;
  /** Bytes of the line in progress when a chunk ended inside it. */
  private carry: Buffer = Buffer.allocUnsafe(4096);
  private carryLen = 0;
  private carryCut = false;
  /** The line in progress was handed over cut, and its bytes go to the handler's `rest`. */
  private restOpen = false;
  private inLine = false;
  /** Offset of the first byte of the line in progress. */
  private lineOffset = 0;
  private base = 0;
  /**
   * A tag line at or after this offset ends the scan (`stopped`): the parallel reader gives each
   * thread the sections whose tag lines start in its byte range.
   */
  stopAt = Infinity;
  stopped = false;

  constructor(private readonly sink: ScanSink, private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /**
   * Starts the scan at `offset` of the file instead of 0, in the middle of a line: everything up to
   * the next tag line is skipped.
   */
  startAt(offset: number): void {
    this.base = offset;
    this.atLineStart = false;
  }

  /**
   * Ready for another scan, of another byte range, into the same sink (the parallel reader's
   * threads reuse one scanner for all their ranges: see RangeReader).
   */
  restart(): void {
    this.handler = null;
    this.atLineStart = true;
    this.carryLen = 0;
    this.carryCut = false;
    this.restOpen = false;
    this.inLine = false;
    this.lineOffset = 0;
    this.base = 0;
    this.stopAt = Infinity;
    this.stopped = false;
    this.searchEq = true;
    this.eqPause = 0;
  }

  /** Searching for "=" (and checking the byte before) rather than for "\n=". */
  private searchEq = true;
  /** Chunks to go before "=" is tried again after it turned out too frequent. */
  private eqPause = 0;

  /**
   * The next "\n=" at or after `from` (the position of its "\n"), or -1. A one-byte search runs
   * at memchr speed and "=" is rare in most of a dump, while a search for the two bytes stops at
   * every "\n": on the bench dumps this is 20-25 % less time. Where "=" is frequent (base64
   * padding of many small binaries), it falls back to the two-byte search for a while.
   */
  private nextTagLine(chunk: Buffer, from: number): number {
    if (this.searchEq) {
      let misses = 0;
      for (let i = from + 1; ; ) {
        const j = chunk.indexOf(EQ, i);
        if (j < 0) return -1;
        if (chunk[j - 1] === NL) return j - 1;
        if (++misses > 64) {
          this.searchEq = false;
          this.eqPause = 16;
          return chunk.indexOf(NL_EQ, j);
        }
        i = j + 1;
      }
    }
    return chunk.indexOf(NL_EQ, from);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    if (!this.searchEq && --this.eqPause <= 0) this.searchEq = true;
    let i = 0;
    while (i < n) {
      if (this.inLine) {
        // A line that began in an earlier chunk: collect up to its end.
        const nl = chunk.indexOf(NL, i);
        if (nl < 0) {
          this.append(chunk, i, n);
          break;
        }
        this.append(chunk, i, nl);
        i = nl + 1;
        this.inLine = false;
        if (this.restOpen) this.endRest();
        else this.completeLine(this.carry, 0, this.carryLen, this.carryCut, this.base + i);
        this.carryLen = 0;
        this.carryCut = false;
        this.atLineStart = true;
        if (this.stopped) return;
        continue;
      }
      if (!this.atLineStart) {
        // Skipping the rest of a line we do not want: jump to the next tag.
        const j = this.nextTagLine(chunk, i);
        if (j >= 0) {
          i = j + 1;
          this.atLineStart = true;
          continue;
        }
        if (this.stopInSkippedSection(n)) return;
        this.atLineStart = chunk[n - 1] === NL;
        break;
      }
      // At the start of a line.
      if (this.sink.inRun && chunk[i] === EQ && this.handler === null) {
        const j = this.sink.run!(chunk, i, n, Math.min(n, this.stopAt - this.base), this.base);
        if (j > i) {
          i = j;
          continue;
        }
      }
      const h = this.handler;
      if (h !== null && h.lines !== undefined && chunk[i] !== EQ) {
        const j = h.lines(chunk, i, n);
        if (j > i) {
          i = j;
          continue;
        }
      }
      if (chunk[i] !== EQ && h === null) {
        const j = this.nextTagLine(chunk, i);
        if (j >= 0) {
          i = j + 1;
          continue;
        }
        if (this.stopInSkippedSection(n)) return;
        this.atLineStart = chunk[n - 1] === NL;
        break;
      }
      const nl = chunk.indexOf(NL, i);
      if (nl < 0) {
        this.lineOffset = this.base + i;
        this.inLine = true;
        this.carryLen = 0;
        this.carryCut = false;
        this.append(chunk, i, n);
        break;
      }
      this.lineOffset = this.base + i;
      this.completeLine(chunk, i, nl, false, this.base + nl + 1);
      if (this.stopped) return;
      i = nl + 1;
    }
    this.base += n;
  }

  /** The input has ended. */
  finish(): void {
    if (this.stopped) return;
    let cutMidLine = false;
    if (this.inLine) {
      cutMidLine = true;
      this.inLine = false;
      if (this.restOpen) this.endRest();
      else this.completeLine(this.carry, 0, this.carryLen, this.carryCut, this.base);
    } else if (!this.atLineStart) {
      cutMidLine = true;
    }
    this.sink.end(this.base, cutMidLine);
  }

  /**
   * No tag line in the rest of this chunk, and the chunk reaches `stopAt`: a tag line after this
   * chunk belongs to the next range, so the scan ends here. A range inside a section of hundreds of
   * MB (the heap of a process with millions of messages) is thus read once, not by every range
   * from it to the section's end.
   */
  private stopInSkippedSection(n: number): boolean {
    if (this.goesOnPast(this.base + n)) return false;
    this.stopped = true;
    this.sink.end(this.stopAt, false, true);
    return true;
  }

  /** Whether the scan goes on at `offset`: it is before stopAt. */
  private goesOnPast(offset: number): boolean {
    return offset < this.stopAt;
  }

  private completeLine(buf: Buffer, start: number, end: number, cut: boolean, nextOffset: number): void {
    if (!cut && end > start && buf[end - 1] === CR) end--;
    if (end > start && buf[start] === EQ) {
      if (!this.goesOnPast(this.lineOffset)) {
        this.stopped = true;
        this.sink.end(this.lineOffset, false);
        return;
      }
      const h = this.sink.tag(buf, start, end, this.lineOffset, nextOffset);
      if (h !== false) {
        this.handler = h;
        return;
      }
    }
    const h = this.handler;
    if (h !== null) {
      h.line(buf, start, end, cut);
      if (h.done?.()) this.handler = null;
    }
  }

  /** The end of a line handed over in pieces (see LineHandler.rest). */
  private endRest(): void {
    this.restOpen = false;
    this.handler?.restEnd?.();
  }

  private append(src: Buffer, from: number, to: number): void {
    if (this.restOpen) {
      if (to > from) this.handler!.rest!(src, from, to);
      return;
    }
    const room = this.maxLineBytes - this.carryLen;
    if (to - from > room) {
      const h = this.handler;
      if (h?.rest && !this.carryCut && (this.carryLen > 0 ? this.carry[0] : src[from]) !== EQ) {
        // A body line over the limit, to a handler that takes the rest: its head now, cut.
        this.append(src, from, from + room);
        this.restOpen = true;
        h.line(this.carry, 0, this.carryLen, true);
        h.rest!(src, from + room, to);
        return;
      }
      to = from + Math.max(0, room);
      this.carryCut = true;
    }
    const need = this.carryLen + (to - from);
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(need, this.carry.length * 2)));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    src.copy(this.carry, this.carryLen, from, to);
    this.carryLen = need > this.maxLineBytes ? this.maxLineBytes : need;
  }
}
