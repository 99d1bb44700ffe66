import { keyEnd, KeyMatcher, parseDecimal, text, valueStart } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import { unpackPid } from '../section-index.js';
import type { EtsRecord } from '../types.js';
import type { ParseContext } from './context.js';

const KEYS = [
  'Slot', 'Table', 'Name', 'Buckets', 'Ordered set (AVL tree), Elements', 'Objects', 'Words', 'Type',
  'Protection', 'Compressed', 'Chain Length Avg', 'Chain Length Max', 'Chain Length Min', 'Chain Length Std Dev',
  'Chain Length Expected Std Dev', 'Fixed', 'Write Concurrency', 'Read Concurrency',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K { Slot, Table, Name, Buckets, Ordered, Objects, Words, Type, Protection, Compressed, ChainAvg, ChainMax }
/** The "key" before a section's first line, for the follow table. */
const FIRST = KEYS.length;
/** Keys whose value is a whole number read by `lines` in place (digits up to the line end). */
const NUMBER = Uint8Array.from(KEYS, (_, k) => (k === K.Buckets || k === K.Objects || k === K.Words || k === K.ChainMax ? 1 : 0));
/** Keys whose text value is most often the one the table before had (the name of a table made per connection, `set`, `public`). */
const REPEATED = Uint8Array.from(KEYS, (_, k) => (k === K.Name || k === K.Type || k === K.Protection ? 1 : 0));
/** Longer repeated values are not remembered. */
const MEMO_BYTES = 256;
/** Owners remembered at most (a node's processes; past it, a string per table again). */
const MAX_OWNERS = 1 << 20;
const NL = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;

/**
 * `=ets:OWNER` (and `=internal_ets`): one table each. `Words` becomes bytes; -1 (unknown) becomes
 * NaN. Only what a report shows is kept (the slot and the chain statistics but the longest are
 * not).
 *
 * One parser serves every table of a dump (`begin` moves it to the next), and reads a table's
 * lines in bulk (`lines`), as the process parser does: a node that makes a table per session has
 * hundreds of thousands of them (500,000 tables, 182 MB: triage 2.44 s and 332 MB with a
 * closure, a generic key-value parse and six strings per table, before this parser).
 */
export class EtsParser implements LineHandler {
  private e: EtsRecord = { owner: '', table: '', name: '', objects: NaN, memoryBytes: NaN };
  private ws: 4 | 8 = 8;
  /** follow[k]: the key that came after key k last time (-1: not seen yet), as in ProcParser. */
  private readonly follow = new Int8Array(KEYS.length + 1).fill(-1);
  private prev: number = FIRST;
  /** Per REPEATED key, the last value's bytes and its string, shared by the tables that have it too. */
  private readonly memo = new Uint8Array(KEYS.length * MEMO_BYTES);
  private readonly memoLength = new Int32Array(KEYS.length).fill(-1);
  private readonly memoText: string[] = new Array<string>(KEYS.length).fill('');

  constructor(private readonly ctx: ParseContext) {}

  /** The owners' pids as text, by packed pid: one string per owner, not per table. */
  private readonly owners = new Map<number, string>();

  /** A new table of the owner packed by packPid (`ownerText` is read only when that is NaN), added to `tables`. */
  begin(packedOwner: number, ownerText: string, tables: EtsRecord[]): this {
    let owner = ownerText;
    if (!Number.isNaN(packedOwner)) {
      owner = this.owners.get(packedOwner) ?? unpackPid(packedOwner);
      if (this.owners.size < MAX_OWNERS) this.owners.set(packedOwner, owner);
    }
    // Every field from the start, in one order: one object shape for all tables (fields added as
    // their lines come made shapes per order of lines, and slower code).
    this.e = { owner, table: '', name: '', objects: NaN, memoryBytes: NaN, type: undefined, protection: undefined, buckets: undefined, chainLengthMax: undefined, compressed: undefined };
    tables.push(this.e);
    this.prev = FIRST;
    this.ws = this.ctx.wordSize();
    return this;
  }

  line(buf: Buffer, start: number, end: number): void {
    const guess = this.follow[this.prev];
    const g = guess >= 0 ? matcher.keyEndIf(guess, buf, start, end) : -1;
    if (g >= 0) {
      this.prev = guess;
      this.value(guess, buf, valueStart(buf, g, end), end);
      return;
    }
    const k = keyEnd(buf, start, end);
    const id = k >= 0 ? matcher.match(buf, start, k) : -1;
    if (id >= 0) {
      this.follow[this.prev] = id;
      this.prev = id;
      this.value(id, buf, valueStart(buf, k, end), end);
    } else if (end > start) this.ctx.unknownKey('ets', buf.toString('latin1', start, k >= 0 ? k : Math.min(end, start + 40)));
  }

  /**
   * The lines from `start` on, each as line() would take it, up to the first that starts with '='
   * or does not end before `end` (LineHandler.lines). A line whose key is the one that followed
   * the key before and whose value is plain digits, or the text the key had last time, is read
   * here; any other line is found and handed to line().
   */
  lines(buf: Buffer, start: number, end: number): number {
    let p = start;
    while (p < end && buf[p] !== EQ) {
      const guess = this.follow[this.prev];
      const c = guess >= 0 ? matcher.keyEndIf(guess, buf, p, end) : -1;
      if (c >= 0) {
        const v = valueStart(buf, c, end);
        const next = NUMBER[guess] === 1 ? this.plainNumber(guess, buf, v, end) : REPEATED[guess] === 1 ? this.repeatedText(guess, buf, v, end) : -1;
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

  /** Digits at v up to the line end: set as value() sets them; the next line's start, or -1 for any other value. */
  private plainNumber(id: number, buf: Buffer, v: number, end: number): number {
    let n = 0;
    let q = v;
    for (; q < end; q++) {
      const d = buf[q] - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (q === v || q >= end) return -1;
    const e = buf[q] === CR ? q + 1 : q;
    if (e >= end || buf[e] !== NL) return -1;
    this.setNumber(id, n);
    return e + 1;
  }

  /** The value this key had last time, up to the line end: its string again; the next line's start, or -1. */
  private repeatedText(id: number, buf: Buffer, v: number, end: number): number {
    const len = this.memoLength[id];
    if (len < 0 || v + len >= end) return -1;
    const at = id * MEMO_BYTES;
    for (let k = 0; k < len; k++) if (buf[v + k] !== this.memo[at + k]) return -1;
    const e = buf[v + len] === CR ? v + len + 1 : v + len;
    if (e >= end || buf[e] !== NL) return -1;
    this.setText(id, this.memoText[id]);
    return e + 1;
  }

  private value(id: number, buf: Buffer, v: number, end: number): void {
    if (NUMBER[id] === 1) {
      this.setNumber(id, parseDecimal(buf, v, end));
      return;
    }
    const e = this.e;
    switch (id) {
      case K.Table: e.table = text(buf, v, end); break;
      case K.Name: case K.Type: case K.Protection: {
        const t = text(buf, v, end);
        this.setText(id, t);
        // Remembered unless it ends with CR (the line ended CR CR LF; the same bytes before a
        // plain LF would be a shorter value).
        if (end - v <= MEMO_BYTES && !(end > v && buf[end - 1] === CR)) {
          buf.copy(this.memo, id * MEMO_BYTES, v, end);
          this.memoLength[id] = end - v;
          this.memoText[id] = t;
        }
        break;
      }
      case K.Ordered: e.type ??= 'ordered_set'; break;
      case K.Compressed: e.compressed = text(buf, v, end) === 'true'; break;
      default: break; // the slot, the chain statistics but the longest, Fixed, concurrency
    }
  }

  private setNumber(id: number, n: number): void {
    const e = this.e;
    switch (id) {
      case K.Buckets: e.buckets = n; break;
      case K.Objects: e.objects = n; break;
      case K.Words: e.memoryBytes = n < 0 ? NaN : n * this.ws; break;
      case K.ChainMax: e.chainLengthMax = n; break;
      default: break;
    }
  }

  private setText(id: number, t: string): void {
    if (id === K.Name) this.e.name = t;
    else if (id === K.Type) this.e.type = t;
    else this.e.protection = t;
  }
}
