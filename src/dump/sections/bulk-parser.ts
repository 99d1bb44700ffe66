import { keyEnd, type KeyMatcher, valueStart } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { ParseContext } from './context.js';

const NL = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;
/** Longer repeated values are not remembered. */
const MEMO_BYTES = 256;

/**
 * Digits at v up to the line end (LF, or CR LF): the number, and the next line's start in `at`;
 * NaN for anything else (a sign, a space, no digits, no line end before `end`). The bulk parsers'
 * reading of a count in place (ProcParser, EtsParser, PortParser).
 */
export function digitsToLineEnd(buf: Buffer, v: number, end: number, at: { next: number }): number {
  let n = 0;
  let q = v;
  for (; q < end; q++) {
    const d = buf[q] - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (q === v || q >= end) return NaN;
  const e = buf[q] === CR ? q + 1 : q;
  if (e >= end || buf[e] !== NL) return NaN;
  at.next = e + 1;
  return n;
}

/**
 * A parser of `Key: value` sections that a dump can have hundreds of thousands of (ETS tables,
 * ports): one object serves every section (the subclass's `begin` moves it to the next), and
 * `lines` reads a section's lines in bulk, as ProcParser does for processes. A dump writes the
 * keys of every section in the same order, so `follow[k]` (the key that came after key k last
 * time) recognises most lines by one comparison; a value of digits, or of a REPEATED key whose
 * text is the one it had last time (a table's type, a port's driver), is taken in place, without
 * a search for the line's end nor a new string.
 */
export abstract class BulkParser implements LineHandler {
  private readonly follow: Int8Array;
  private readonly first: number;
  private prev: number;
  private readonly memo: Uint8Array;
  private readonly memoLength: Int32Array;
  /** Per REPEATED key, what `value` made of the last value remembered (its `remember` argument). */
  private readonly memoValue: unknown[];
  private readonly next = { next: 0 };

  constructor(
    private readonly section: string,
    private readonly matcher: KeyMatcher,
    private readonly number: Uint8Array,
    private readonly repeated: Uint8Array,
    protected readonly ctx: ParseContext,
  ) {
    const keys = number.length;
    this.first = keys;
    this.prev = keys;
    this.follow = new Int8Array(keys + 1).fill(-1);
    this.memo = new Uint8Array(keys * MEMO_BYTES);
    this.memoLength = new Int32Array(keys).fill(-1);
    this.memoValue = new Array<unknown>(keys).fill(undefined);
  }

  /** A value of key `id` read in full: set it, and for a REPEATED key, `remember` what to set the next time it comes. */
  protected abstract value(id: number, buf: Buffer, v: number, end: number): void;
  /** A NUMBER key's digits read in place. */
  protected abstract setNumber(id: number, n: number): void;
  /** A REPEATED key's value as it was last time: what `value` remembered. */
  protected abstract setRepeated(id: number, made: unknown): void;

  /** The next section starts: keys follow from the top again. */
  protected restart(): void {
    this.prev = this.first;
  }

  line(buf: Buffer, start: number, end: number): void {
    const guess = this.follow[this.prev];
    const g = guess >= 0 ? this.matcher.keyEndIf(guess, buf, start, end) : -1;
    if (g >= 0) {
      this.prev = guess;
      this.take(guess, buf, valueStart(buf, g, end), end);
      return;
    }
    const k = keyEnd(buf, start, end);
    const id = k >= 0 ? this.matcher.match(buf, start, k) : -1;
    if (id >= 0) {
      this.follow[this.prev] = id;
      this.prev = id;
      this.take(id, buf, valueStart(buf, k, end), end);
    } else if (end > start) this.ctx.unknownKey(this.section, buf.toString('latin1', start, k >= 0 ? k : Math.min(end, start + 40)));
  }

  /**
   * The lines from `start` on, each as line() would take it, up to the first that starts with '='
   * or does not end before `end` (LineHandler.lines).
   */
  lines(buf: Buffer, start: number, end: number): number {
    let p = start;
    while (p < end && buf[p] !== EQ) {
      const guess = this.follow[this.prev];
      const c = guess >= 0 ? this.matcher.keyEndIf(guess, buf, p, end) : -1;
      if (c >= 0) {
        const v = valueStart(buf, c, end);
        const next = this.number[guess] === 1 ? this.plainNumber(guess, buf, v, end) : this.repeated[guess] === 1 ? this.repeatedValue(guess, buf, v, end) : -1;
        if (next >= 0) {
          this.prev = guess;
          p = next;
          continue;
        }
      }
      const nl = buf.indexOf(NL, p);
      if (nl < 0 || nl >= end) break;
      this.line(buf, p, nl > p && buf[nl - 1] === CR ? nl - 1 : nl);
      p = nl + 1;
    }
    return p;
  }

  private plainNumber(id: number, buf: Buffer, v: number, end: number): number {
    const n = digitsToLineEnd(buf, v, end, this.next);
    if (Number.isNaN(n)) return -1;
    this.setNumber(id, n);
    return this.next.next;
  }

  private repeatedValue(id: number, buf: Buffer, v: number, end: number): number {
    const len = this.memoLength[id];
    if (len < 0 || v + len >= end) return -1;
    const at = id * MEMO_BYTES;
    for (let k = 0; k < len; k++) if (buf[v + k] !== this.memo[at + k]) return -1;
    const e = buf[v + len] === CR ? v + len + 1 : v + len;
    if (e >= end || buf[e] !== NL) return -1;
    this.setRepeated(id, this.memoValue[id]);
    return e + 1;
  }

  private take(id: number, buf: Buffer, v: number, end: number): void {
    this.readBuf = buf;
    this.readFrom = v;
    this.readTo = end;
    this.value(id, buf, v, end);
  }

  /** The value being read (take), for remember. */
  private readBuf: Buffer | undefined;
  private readFrom = 0;
  private readTo = 0;

  /** From value(), for a REPEATED key: what setRepeated is given when the same bytes come again. */
  protected remember(id: number, made: unknown): void {
    const { readBuf: buf, readFrom: v, readTo: end } = this;
    // Not a value that ends with CR (its line ended CR CR LF; the same bytes before a plain LF
    // would be a shorter value).
    if (!buf || end - v > MEMO_BYTES || (end > v && buf[end - 1] === CR)) return;
    buf.copy(this.memo, id * MEMO_BYTES, v, end);
    this.memoLength[id] = end - v;
    this.memoValue[id] = made;
  }
}
