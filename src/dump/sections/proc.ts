import { keyEnd, KeyMatcher, parseDecimal, valueStart } from '../bytes.js';
import { unpackPid } from '../section-index.js';
import type { NumberColumn, NumericColumn, ProcessTableBuilder, TextColumn, TextColumnName } from '../process-table.js';
import type { LineHandler } from '../scanner.js';
import type { ParseContext } from './context.js';
import { digitsToLineEnd } from './bulk-parser.js';
import { LinkListReader, type LinkLists } from '../terms/link-list.js';

const KEYS = [
  'State', 'Name', 'Spawned as', 'Spawned by', 'Started', 'Message queue length', 'Number of heap fragments',
  'Heap fragment data', 'Link list', 'Reductions', 'Stack+heap', 'OldHeap', 'Heap unused', 'OldHeap unused',
  'BinVHeap', 'OldBinVHeap', 'BinVHeap unused', 'OldBinVHeap unused', 'Memory', 'Program counter', 'CP',
  'Internal State', 'Current call', 'Last scheduled in for', 'Last calls', 'Run queue', 'New heap start',
  'New heap top', 'Stack top', 'Stack end', 'Old heap start', 'Old heap top', 'Old heap end', 'Dictionary',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K {
  State, Name, SpawnedAs, SpawnedBy, Started, MsgQ, HeapFrags, HeapFragData, LinkList, Reductions, StackHeap,
  OldHeap, HeapUnused, OldHeapUnused, BinVHeap, OldBinVHeap, BinVHeapUnused, OldBinVHeapUnused, Memory,
  ProgramCounter, CP, InternalState, CurrentCall, LastScheduled,
}
const ARITY = Buffer.from('arity = ');
const COUNT_MAX = 2 ** 40;
const WORDS_MAX = 2 ** 47;
/** The "key" before a section's first line, for the follow table. */
const FIRST = KEYS.length;
const NL = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;

/**
 * The keys whose value is a count or size: its column, the bound `checked` holds it to, and
 * whether it is in words (the column keeps bytes).
 */
interface NumberKey { column: NumericColumn; max: number; words: boolean }
const NUMBER_KEYS: Array<NumberKey | undefined> = new Array(KEYS.length).fill(undefined);
NUMBER_KEYS[K.MsgQ] = { column: 'messageQueueLength', max: COUNT_MAX, words: false };
NUMBER_KEYS[K.HeapFrags] = { column: 'heapFragments', max: COUNT_MAX, words: false };
NUMBER_KEYS[K.HeapFragData] = { column: 'heapFragmentBytes', max: WORDS_MAX, words: true };
NUMBER_KEYS[K.Reductions] = { column: 'reductions', max: Infinity, words: false };
NUMBER_KEYS[K.StackHeap] = { column: 'stackHeapBytes', max: WORDS_MAX, words: true };
NUMBER_KEYS[K.OldHeap] = { column: 'oldHeapBytes', max: WORDS_MAX, words: true };
NUMBER_KEYS[K.HeapUnused] = { column: 'heapUnusedBytes', max: WORDS_MAX, words: true };
NUMBER_KEYS[K.OldHeapUnused] = { column: 'oldHeapUnusedBytes', max: WORDS_MAX, words: true };
NUMBER_KEYS[K.BinVHeap] = { column: 'binVHeapBytes', max: WORDS_MAX, words: true };
NUMBER_KEYS[K.OldBinVHeap] = { column: 'oldBinVHeapBytes', max: WORDS_MAX, words: true };
// Already bytes (dump 0.2+).
NUMBER_KEYS[K.Memory] = { column: 'memoryBytes', max: WORDS_MAX * 8, words: false };

/** The keys whose value value() makes a text cell of, from the value's bytes alone, and that cell's column. */
const TEXT_KEYS: Array<TextColumnName | undefined> = new Array(KEYS.length).fill(undefined);
TEXT_KEYS[K.State] = 'state';
TEXT_KEYS[K.Name] = 'name';
TEXT_KEYS[K.SpawnedAs] = 'spawnedAs';
TEXT_KEYS[K.SpawnedBy] = 'spawnedBy';
TEXT_KEYS[K.InternalState] = 'internalState';
TEXT_KEYS[K.ProgramCounter] = 'programCounter';
TEXT_KEYS[K.CurrentCall] = 'currentCall';
TEXT_KEYS[K.LastScheduled] = 'currentCall';
/** 1 for the keys whose lines value() reads nothing from: no column, and not the link list (counted). */
const IGNORED = Uint8Array.from(KEYS, (_, k) => (NUMBER_KEYS[k] === undefined && TEXT_KEYS[k] === undefined && k !== K.LinkList ? 1 : 0));
/** Longer text values are not remembered by `lines` (they are rare, and each key keeps room for them). */
const MEMO_BYTES = 128;
/** Values remembered per text key. */
const MEMO_SLOTS = 4;


/**
 * `=proc:PID`: one row of the process table. Word-sized fields become bytes here. `Memory` is
 * already bytes (dump 0.2+); older dumps get stack+heap + old heap, marked as derived.
 *
 * One parser object serves every process of a dump (`begin` moves it to the next row): a dump can
 * have millions of processes, and a closure per process is garbage the reader does not need.
 */
export class ProcParser implements LineHandler {
  private i = -1;
  /**
   * A dump writes the keys of every process in the same order: follow[k] is the key that came
   * after key k last time (-1: not seen yet), so most lines are recognised by comparing their
   * start with one key, without finding the colon and hashing (20 lines a process, millions of
   * processes).
   */
  private readonly follow = new Int8Array(KEYS.length + 1).fill(-1);
  private prev: number = FIRST;
  /** The dump's word size, read once a process (the header knows it by the first `=proc`). */
  private ws: 4 | 8 = 8;
  /** The section's pid, packed (packPid), and as text when it could not be packed. */
  private packedPid = NaN;
  private pidText = '';
  /** The numeric column of each key in NUMBER_KEYS (the table's column objects stay for good). */
  private readonly numberColumns: Array<NumberColumn | undefined>;
  /** The text column of each key in TEXT_KEYS. */
  private readonly textColumns: Array<TextColumn | undefined>;
  /**
   * Per text key, the last MEMO_SLOTS values `lines` saw and the codes they set: most processes of
   * a big dump share their state, initial call, function and internal state with one of the
   * processes just before (the bench's class b alternates two functions), and one comparison
   * with such a value both recognises it and finds the line's end, where the
   * interner would hash the bytes and compare them again after the scanner searched for the end.
   * A value's code depends on its bytes alone, so the same bytes may take the same code.
   */
  private readonly memo = new Uint8Array(KEYS.length * MEMO_SLOTS * MEMO_BYTES);
  private readonly memoLength = new Int32Array(KEYS.length * MEMO_SLOTS).fill(-1);
  private readonly memoCode = new Int32Array(KEYS.length * MEMO_SLOTS);
  /** The slot of each key that the next value to remember takes. */
  private readonly memoNext = new Uint8Array(KEYS.length);

  /**
   * A count or size as the VM can write it, else NaN, noted as corrupt: not negative, counts under
   * 2^40 (a trillion messages), words under 2^47 (a pebibyte). Reductions only need to be >= 0.
   */
  private checked(buf: Buffer, v: number, end: number, max: number, key: string): number {
    const n = parseDecimal(buf, v, end);
    if (Number.isNaN(n) || (n >= 0 && n < max)) return n;
    this.ctx.corrupt(Number.isNaN(this.packedPid) ? this.pidText : unpackPid(this.packedPid), key, buf.toString('latin1', v, end));
    return NaN;
  }

  constructor(private readonly rows: ProcessTableBuilder, private readonly ctx: ParseContext) {
    this.numberColumns = NUMBER_KEYS.map((n) => (n ? rows.table[n.column] : undefined));
    this.textColumns = TEXT_KEYS.map((c) => (c ? rows.table[c] : undefined));
  }

  /** Moves to a new row, for the pid packed by packPid (`pidText` is read only when that is NaN). */
  begin(packedPid: number, pidText: string): this {
    this.i = this.rows.add(packedPid, pidText);
    this.packedPid = packedPid;
    this.pidText = pidText;
    this.prev = FIRST;
    this.ws = this.ctx.wordSize();
    return this;
  }

  /**
   * The Link list being counted (links, monitors held, monitors on it), and whether its line was
   * cut: a supervisor of 300,000 children writes its links on one line of 4 MB, which the scanner
   * hands over cut at 1 MiB, then the rest (rest, restEnd); counted from the cut line alone, its
   * links were 83,686.
   */
  private readonly links = new LinkListReader(0);
  private linksOpen = false;
  private lineCut = false;

  line(buf: Buffer, start: number, end: number, cut = false): void {
    this.lineCut = cut;
    this.keyLine(buf, start, end);
    this.lineCut = false;
  }

  /** The bytes of a cut line after those line() had (LineHandler.rest). */
  rest(buf: Buffer, start: number, end: number): void {
    if (this.linksOpen) this.links.feed(buf, start, end);
  }

  restEnd(): void {
    if (!this.linksOpen) return;
    this.linksOpen = false;
    if (this.i >= 0) setLinkCounts(this.rows.table, this.i, this.links.finish().counts);
  }

  private keyLine(buf: Buffer, start: number, end: number): void {
    const guess = this.follow[this.prev];
    const g = guess >= 0 ? matcher.keyEndIf(guess, buf, start, end) : -1;
    if (g >= 0) {
      this.prev = guess;
      this.value(guess, buf, valueStart(buf, g, end), end);
      return;
    }
    const k = keyEnd(buf, start, end);
    if (k >= 0) {
      const id = matcher.match(buf, start, k);
      if (id >= 0) {
        this.follow[this.prev] = id;
        this.prev = id;
        this.value(id, buf, valueStart(buf, k, end), end);
        return;
      }
    }
    // `arity = N` has no colon; `Last calls` continues on the following lines without a key.
    if (isArityLine(buf, start, end)) return;
    if (k >= 0 && end > start) this.ctx.unknownKey('proc', buf.toString('latin1', start, k));
  }

  /**
   * The lines of this section from `start` of `buf` on, each as line() would take it, up to the
   * first that starts with '=' or does not end before `end` (LineHandler.lines). A line whose key
   * is the one that followed the key before (see `follow`) and whose value is plain (digits, or
   * the text the line of this key had last time) is read here, its end found as the value is;
   * any other line's end is searched for and the line handed to line() itself.
   */
  lines(buf: Buffer, start: number, end: number): number {
    let p = start;
    while (p < end && buf[p] !== EQ) {
      const guess = this.follow[this.prev];
      // The bound is the chunk's end, not the line's: a key has no line end in it, so it matches
      // exactly where line() would match it in the line (and where the key ends the line, it
      // does not match here, and line() takes it).
      const c = guess >= 0 ? matcher.keyEndIf(guess, buf, p, end) : -1;
      if (c >= 0) {
        const v = valueStart(buf, c, end);
        const next = NUMBER_KEYS[guess] !== undefined ? this.plainNumber(guess, buf, v, end)
          : TEXT_KEYS[guess] !== undefined ? this.rememberedText(guess, buf, v, end) : -1;
        if (next >= 0) {
          this.prev = guess;
          p = next;
          continue;
        }
      }
      const nl = buf.indexOf(NL, p);
      if (nl < 0 || nl >= end) break;
      // Lines line() would read and drop, dropped here without matching their key again: a key
      // of no column (BinVHeap unused, OldBinVHeap unused: two lines of every process of OTP 21+),
      // and `arity = N`. Class c: 9,000,000 of its 66,000,000 lines.
      if (c >= 0 && IGNORED[guess] === 1) {
        this.prev = guess;
        p = nl + 1;
        continue;
      }
      if (c < 0 && isArityLine(buf, p, nl)) {
        p = nl + 1;
        continue;
      }
      // As the scanner hands a line over: without its LF, and without one CR before it.
      this.line(buf, p, nl > p && buf[nl - 1] === CR ? nl - 1 : nl);
      p = nl + 1;
    }
    return p;
  }

  /**
   * A value of a NUMBER_KEYS key at v that is digits up to the line end and within its bound:
   * set, as value() would set it; returns the next line's start. -1 for any other value.
   */
  private plainNumber(id: number, buf: Buffer, v: number, end: number): number {
    const n = digitsToLineEnd(buf, v, end, this.next);
    const key = NUMBER_KEYS[id]!;
    // NaN (not plain digits up to the line end) fails here too.
    if (!(n < key.max)) return -1;
    this.numberColumns[id]!.set(this.i, key.words ? n * this.ws : n);
    return this.next.next;
  }

  /** Where digitsToLineEnd says the next line starts. */
  private readonly next = { next: 0 };

  /**
   * A value of a TEXT_KEYS key at v: when it is the one this key had last time, its code is set
   * at once; else the line's end is searched for, value() sets the cell and the value is
   * remembered. Returns the next line's start, -1 when the line does not end before `end`.
   */
  private rememberedText(id: number, buf: Buffer, v: number, end: number): number {
    const m = this.memo;
    for (let slot = id * MEMO_SLOTS; slot < (id + 1) * MEMO_SLOTS; slot++) {
      const len = this.memoLength[slot];
      if (len < 0 || v + len >= end) continue;
      // The line must end right after the value: a value of another length fails here, before a
      // comparison of its bytes (functions' addresses share their first 10-12 bytes). Class c,
      // one thread, 5 interleaved runs: 5.62 -> 5.29 s.
      const after = buf[v + len];
      if (after !== NL && after !== CR) continue;
      const at = slot * MEMO_BYTES;
      let k = 0;
      while (k < len && buf[v + k] === m[at + k]) k++;
      if (k < len) continue;
      // Remembered values never end with CR, so a CR after one is the line's (see below).
      const e = buf[v + len] === CR ? v + len + 1 : v + len;
      if (e < end && buf[e] === NL) {
        this.textColumns[id]!.setCode(this.i, this.memoCode[slot]);
        return e + 1;
      }
    }
    const nl = buf.indexOf(NL, v);
    if (nl < 0 || nl >= end) return -1;
    const lineEnd = nl > v && buf[nl - 1] === CR ? nl - 1 : nl;
    const code = this.value(id, buf, v, lineEnd);
    // A value that ends with CR (the line ended CR CR LF) is not remembered: the same bytes
    // before a plain LF would be a shorter value (the scanner drops one CR).
    if (code >= 0 && lineEnd - v <= MEMO_BYTES && !(lineEnd > v && buf[lineEnd - 1] === CR)) {
      // The slots of a key are taken in turn: the oldest value goes.
      const slot = id * MEMO_SLOTS + this.memoNext[id];
      this.memoNext[id] = (this.memoNext[id] + 1) % MEMO_SLOTS;
      // A loop, not buf.copy: values are short, and a native call costs more.
      for (let k = 0, at = slot * MEMO_BYTES; k < lineEnd - v; k++) m[at + k] = buf[v + k];
      this.memoLength[slot] = lineEnd - v;
      this.memoCode[slot] = code;
    }
    return nl + 1;
  }

  /** Reads the value of key `id` at [v, end) into the row; for a text key, returns the code set (else -1). */
  private value(id: number, buf: Buffer, v: number, end: number): number {
    const { rows, i, ws } = this;
    const t = rows.table;
    const num = NUMBER_KEYS[id];
    if (num !== undefined) {
      const n = this.checked(buf, v, end, num.max, KEYS[id]);
      this.numberColumns[id]!.set(i, num.words ? n * ws : n);
      return -1;
    }
    switch (id) {
      case K.State: return rows.setText('state', i, buf, v, end);
      case K.Name: return end > v ? rows.setText('name', i, buf, v, end) : -1;
      case K.SpawnedAs: return rows.setText('spawnedAs', i, buf, v, end);
      case K.SpawnedBy: return end > v && buf[v] !== 0x5b ? rows.setText('spawnedBy', i, buf, v, end) : -1;
      case K.LinkList:
        this.links.reset().feed(buf, v, end);
        // A line cut by the scanner: the rest comes in pieces (rest), then restEnd.
        if (this.lineCut) this.linksOpen = true;
        else setLinkCounts(t, i, this.links.finish().counts);
        return -1;
      case K.ProgramCounter: return setFunction(rows, 'programCounter', i, buf, v, end);
      case K.InternalState: return rows.setText('internalState', i, buf, v, end);
      case K.CurrentCall:
      case K.LastScheduled: return setFunction(rows, 'currentCall', i, buf, v, end);
      default: return -1; // known keys we do not keep (Started, CP, raw heap pointers of Garbing processes)
    }
  }

  /** The section ended: derive what older dumps do not write. */
  finish(): void {
    this.restEnd();
    const t = this.rows.table;
    const i = this.i;
    if (i < 0) return;
    if (Number.isNaN(t.memoryBytes.at(i))) {
      const sh = t.stackHeapBytes.at(i);
      if (!Number.isNaN(sh)) {
        const old = t.oldHeapBytes.at(i);
        t.memoryBytes.set(i, sh + (Number.isNaN(old) ? 0 : old));
        t.memoryDerived[i] = 1;
      }
    }
    // Spelled out: a loop over the names is an array and three keyed accesses per process.
    if (Number.isNaN(t.links.at(i))) t.links.set(i, 0);
    if (Number.isNaN(t.monitors.at(i))) t.monitors.set(i, 0);
    if (Number.isNaN(t.monitoredBy.at(i))) t.monitoredBy.set(i, 0);
    this.i = -1;
  }
}

/** `arity = N` (from `start` to the line's end): a line of no column, read by neither path. */
function isArityLine(buf: Buffer, start: number, end: number): boolean {
  return buf[start] === ARITY[0] && end - start > ARITY.length && sameStart(buf, start, ARITY);
}

function sameStart(buf: Buffer, start: number, prefix: Buffer): boolean {
  for (let k = 0; k < prefix.length; k++) if (buf[start + k] !== prefix[k]) return false;
  return true;
}

/**
 * Sets a cell to the function in `0x00007f98aaf926f4 (mkdump:sink/0 + 68)`: `mkdump:sink/0`, read from the bytes.
 * Returns the text's code.
 */
function setFunction(rows: ProcessTableBuilder, col: TextColumnName, i: number, buf: Buffer, start: number, end: number): number {
  if (buf[end - 1] !== 0x29 /* ) */) return rows.setText(col, i, buf, start, end);
  // Usually "0x" and 16 hex digits, then " (": found without scanning the name (twice a process).
  let open = start + 19;
  if (!(end > open && buf[open] === 0x28 && buf[open - 1] === 0x20 && buf[start + 1] === 0x78 /* x */)) {
    open = -1;
    for (let p = end - 1; p >= start; p--) if (buf[p] === 0x28 /* ( */) { open = p; break; }
    if (open < 0) return rows.setText(col, i, buf, start, end);
  }
  // " + 68)": back over the offset's digits from the end.
  let close = end - 1;
  let p = end - 2;
  while (p > open && buf[p] >= 0x30 && buf[p] <= 0x39) p--;
  if (p < end - 2 && p - 2 > open && buf[p] === 0x20 && buf[p - 1] === 0x2b && buf[p - 2] === 0x20) close = p - 2;
  return rows.setText(col, i, buf, open + 1, close);
}

/** "0x00007f98aaf926f4 (mkdump:sink/0 + 68)" -> "mkdump:sink/0"; other text is kept as it is. */
export function functionOf(s: string): string {
  const m = /\(([^()]+?)(?: \+ \d+)?\)\s*$/.exec(s);
  return m ? m[1] : s;
}

/** A Link list's counts into row i of the table. */
function setLinkCounts(t: { links: NumberColumn; monitors: NumberColumn; monitoredBy: NumberColumn }, i: number, c: LinkLists['counts']): void {
  t.links.set(i, c.links);
  t.monitors.set(i, c.monitors);
  t.monitoredBy.set(i, c.monitoredBy);
}
