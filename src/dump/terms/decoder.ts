/**
 * The heap-encoding decoder (reference section 4): elements, heap lines, pointers into the
 * process heap and `=literals`, binaries, maps, external-format lines. One instance decodes the
 * terms of one process against an address index; nothing is read until a pointer is followed.
 *
 * Guarantees, whatever the bytes: no exception escapes, recursion is bounded by SEGMENT_DEPTH, every
 * decode is bounded by `maxNodes` (so cycles and exponential sharing end), and every pointer to a
 * line that is not there becomes an `incomplete` marker.
 */
import { binaryBodyBound, binaryLookup, checkpointBefore, type BinaryLookup } from '../binary-table.js';
import { NumberColumn } from '../columns.js';
import type { BinaryIndex } from '../types.js';
import { decodeEtf } from './etf.js';
import { hexValue, parseHexBytes } from '../bytes.js';
import { BlockReader, HeapIndex, type LiteralLines } from './heap-index.js';
import { NIL, marker, type BinaryTerm, type Term } from './model.js';
import type { HeapLines } from './sequential-heap.js';
import { MiB } from '../../text/units.js';

export interface DecodeLimits {
  /** Nesting limit for tuples, list heads, maps (default: none; see SEGMENT_DEPTH). */
  maxDepth?: number;
  /** Terms one top-level decode may produce (default 2,000,000). */
  maxNodes?: number;
  /** Bytes of each refc binary payload to load (default 0: sizes only). */
  binaryBytes?: number;
  /** Heap lines longer than this are cut (default 16 MiB). */
  maxLineBytes?: number;
  /**
   * Remember decoded process-heap objects, so shared sub-terms decode once (default true).
   * Literal objects are always remembered. Mailbox streaming turns this off: messages do not
   * share heap objects, and the memo would only cost time.
   */
  memoHeap?: boolean;
}

/**
 * Levels of nesting decoded on one run of the JS stack. An object deeper than this below the
 * run's start is left as a placeholder and decoded afterwards, from a work list, in a run of its
 * own (the placeholder then becomes it): any depth decodes, within maxNodes, and no depth
 * overflows the stack (each level is several frames: resolve, object, list, element). Deep
 * iolists are ordinary.
 */
const SEGMENT_DEPTH = 200;

/** No nesting limit by default (see SEGMENT_DEPTH); the printer elides past its own. */
export const DEFAULT_MAX_DEPTH = Infinity;
/** Nesting followed inside one external-format (`E`) heap line, whose decoder recurses. */
const ETF_MAX_DEPTH = 500;

/**
 * Where the `=binary:ADDR` sections are: the dump's BinaryIndex, looked up by address through
 * its hash table (binaryLookup), with no copy of its columns. A payload's place is found from the
 * index's checkpoint before it, walking the few `=binary` sections in between.
 */
export class BinaryLocator {
  private readonly lookup: BinaryLookup;
  constructor(private readonly bins: Pick<BinaryIndex, 'address' | 'sizeBytes' | 'checkpoints'>, private readonly base64 = true) {
    this.lookup = binaryLookup(bins);
  }
  get count(): number {
    return this.lookup.count;
  }
  has(address: number): boolean {
    return this.lookup.rowOf(address) >= 0;
  }
  /** The row of this address in the BinaryIndex, or -1. */
  rowOf(address: number): number {
    return this.lookup.rowOf(address);
  }
  /** The body of this binary's section (its `SIZE:DATA` line), or undefined when it is not found. */
  section(address: number, reader: BlockReader): { offset: number; length: number; index: number } | undefined {
    const i = this.lookup.rowOf(address);
    if (i < 0) return undefined;
    const cp = checkpointBefore(this.bins, i);
    if (!cp) return undefined;
    // Every binary has a tag line and one body line; other sections may lie between (not in
    // dumps seen so far), so each tag line is checked for the address, up to the checkpoint after.
    let body = cp.bodyOffset;
    for (let row = cp.row; row < i; ) {
      const tag = reader.nextLineStart(body, Infinity);
      if (tag < 0) return undefined;
      const line = reader.lineAt(tag, Infinity, 32).line;
      body = reader.nextLineStart(tag, Infinity);
      if (body < 0) return undefined;
      if (line.length > 8 && line[0] === 0x3d && line.toString('latin1', 1, 8) === 'binary:') row++;
    }
    const size = this.lookup.sizeAt(i);
    // The body is one `SIZE:DATA` line, whose length follows from the size; reads stop at its end.
    return { offset: body, length: Number.isNaN(size) ? 64 : binaryBodyBound(size, this.base64), index: i };
  }
  /** The payload size in bytes, or undefined. */
  size(address: number): number | undefined {
    const i = this.lookup.rowOf(address);
    const size = i < 0 ? NaN : this.lookup.sizeAt(i);
    return Number.isNaN(size) ? undefined : size;
  }
  /** The address and the payload size (NaN: not known) of row `row` (below count). */
  addressAt(row: number): number {
    return this.lookup.addressAt(row);
  }
  sizeAt(row: number): number {
    return this.lookup.sizeAt(row);
  }
}

/** A locator of no binaries (a TermDump without a BinaryIndex). */
export const NO_BINARIES: Pick<BinaryIndex, 'address' | 'sizeBytes' | 'checkpoints'> = {
  address: new Float64Array(0), sizeBytes: new NumberColumn(new Uint8Array(0), new Map()), checkpoints: { row: new Float64Array(0), bodyOffset: new Float64Array(0) },
};

export interface DecoderSources {
  reader: BlockReader;
  heap?: HeapIndex;
  literals?: LiteralLines;
  binaries?: BinaryLocator;
  /** Dump version >= 0.5: base64 payloads; else hex. */
  base64: boolean;
  /** Another source of process-heap lines (streaming), used instead of `heap`. */
  heapLines?: HeapLines;
  /** Heap lines already at hand (address -> line), looked up before the index. */
  extraLines?: { get(address: number): Buffer | undefined };
}

/** Warnings counted by kind; each kind keeps its first example. */
export class Warnings {
  readonly counts = new Map<string, { count: number; example: string }>();
  add(kind: string, example: string): void {
    const w = this.counts.get(kind);
    if (w) w.count++;
    else this.counts.set(kind, { count: 1, example });
  }
  list(): string[] {
    return [...this.counts].map(([kind, w]) => (w.count > 1 ? `${kind} (${w.count} times; first: ${w.example})` : `${kind}: ${w.example}`));
  }
}

const MEMO_MAX = 100_000;

class LineCursor {
  p = 0;
  constructor(public b: Uint8Array, public end: number) {}
}

export class TermDecoder {
  readonly warnings = new Warnings();
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  private readonly binaryBytes: number;
  private readonly maxLineBytes: number;
  private readonly memoHeap: boolean;
  private nodes = 0;
  private limitHits = 0;
  private memo = new Map<number, Term>();
  private lastHexOf = NaN;
  private lastHex = '';
  private inProgress = new Set<number>();
  /** Objects left for later by resolve (SEGMENT_DEPTH): the placeholder to fill, and where. */
  private deferred: Array<{ holder: Term; address: number; depth: number }> = [];
  /** Depth at which the current run of the JS stack started. */
  private segmentBase = 0;
  /** Off-heap binaries met while decoding: address -> largest referenced size. */
  readonly refcSeen = new Map<number, number>();

  constructor(private readonly src: DecoderSources, limits: DecodeLimits = {}) {
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxNodes = limits.maxNodes ?? 2_000_000;
    this.binaryBytes = limits.binaryBytes ?? 0;
    this.maxLineBytes = limits.maxLineBytes ?? 16 * MiB;
    this.memoHeap = limits.memoHeap ?? true;
  }

  /** Decodes one element written inline (a stack slot, a dictionary line, a message). */
  decodeElement(text: Uint8Array, start = 0, end = text.length): Term {
    this.nodes = 0;
    try {
      const c = new LineCursor(text, end);
      c.p = start;
      return this.finish(this.element(c, 0));
    } catch (e) {
      this.deferred.length = 0;
      return marker('malformed', e instanceof Error ? e.message : String(e));
    }
  }

  /** Decodes the object at an address (heap, then literals). */
  decodeAddress(address: number): Term {
    this.nodes = 0;
    try {
      return this.finish(this.resolve(address, 0));
    } catch (e) {
      this.deferred.length = 0;
      return marker('malformed', e instanceof Error ? e.message : String(e));
    }
  }

  /** Like decodeElement, but returns where the element ended (-1 if it could not be parsed). */
  decodeElementAt(text: Uint8Array, start: number): { term: Term; next: number } {
    this.nodes = 0;
    const c = new LineCursor(text, text.length);
    c.p = start;
    try {
      const term = this.finish(this.element(c, 0));
      return { term, next: c.p };
    } catch (e) {
      this.deferred.length = 0;
      return { term: marker('malformed', e instanceof Error ? e.message : String(e)), next: -1 };
    }
  }

  /**
   * Decodes the objects resolve left for later, each in a run of the stack of its own, and puts
   * each in its placeholder's place; returns `term`, now whole. Deepest first (a stack): a
   * placeholder's own run may leave more.
   */
  private finish(term: Term): Term {
    try {
      for (let d = this.deferred.pop(); d; d = this.deferred.pop()) {
        this.segmentBase = d.depth;
        const got = this.resolve(d.address, d.depth);
        // The placeholder object is already in its parent (a tuple's slot, a list's head): it
        // becomes the decoded term, field by field.
        const holder = d.holder as unknown as Record<string, unknown>;
        for (const k of Object.keys(holder)) delete holder[k];
        Object.assign(holder, got);
      }
    } finally {
      this.segmentBase = 0;
    }
    return term;
  }

  private budget(): boolean {
    if (++this.nodes > this.maxNodes) {
      this.limitHits++;
      return false;
    }
    return true;
  }

  // ---- elements ----------------------------------------------------------------------------

  private element(c: LineCursor, depth: number): Term {
    const b = c.b;
    if (c.p >= c.end) throw new Error('element expected, line ends');
    const ch = b[c.p];
    switch (ch) {
      case 72: { // H pointer
        c.p++;
        const s = c.p;
        while (c.p < c.end && isHex(b[c.p])) c.p++;
        const a = parseHexBytes(b, s, c.p);
        if (Number.isNaN(a)) throw new Error('bad pointer');
        return this.resolve(a, depth);
      }
      case 78: // N
        c.p++;
        return NIL;
      case 73: { // I small integer
        c.p++;
        return { t: 'int', v: this.decimal(c) };
      }
      case 65: { // A atom: A<hexlen>:<bytes>
        c.p++;
        const s = c.p;
        while (c.p < c.end && b[c.p] !== 58) c.p++;
        const len = parseHexBytes(b, s, c.p);
        if (Number.isNaN(len) || c.p >= c.end) throw new Error('bad atom length');
        c.p++;
        if (c.p + len > c.end) throw new Error('atom cut');
        const v = Buffer.from(b.buffer, b.byteOffset + c.p, len).toString('utf8');
        c.p += len;
        return { t: 'atom', v };
      }
      case 80: case 112: { // P<a.b.c> pid, p<a.b> port
        const s = c.p + 1;
        let e = s;
        while (e < c.end && b[e] !== 62) e++;
        if (e >= c.end || b[s] !== 60) throw new Error('bad pid/port');
        const text = Buffer.from(b.buffer, b.byteOffset + s, e + 1 - s).toString('latin1');
        c.p = e + 1;
        return ch === 80 ? { t: 'pid', v: text } : { t: 'port', v: `#Port${text}` };
      }
      default:
        throw new Error(`unknown element '${String.fromCharCode(ch)}'`);
    }
  }

  private decimal(c: LineCursor): number | bigint {
    const b = c.b;
    const s = c.p;
    if (b[c.p] === 45) c.p++;
    const ds = c.p;
    while (c.p < c.end && b[c.p] >= 48 && b[c.p] <= 57) c.p++;
    if (c.p === ds) throw new Error('digits expected');
    const text = Buffer.from(b.buffer, b.byteOffset + s, c.p - s).toString('latin1');
    return c.p - ds > 15 ? toInt(BigInt(text)) : Number(text);
  }

  // ---- pointers ----------------------------------------------------------------------------

  private lineFor(address: number): { line: Buffer; cut: boolean; literal?: boolean } | undefined {
    const extra = this.src.extraLines?.get(address);
    if (extra) return { line: extra, cut: false };
    if (this.src.heapLines) {
      // Literals first: a streaming source would read to the end looking for them.
      const loff = this.src.literals ? this.src.literals.lookup(address, this.src.reader) : -1;
      if (loff >= 0) {
        const got = this.src.reader.lineAt(loff, this.src.literals!.end, this.maxLineBytes);
        return { line: got.line, cut: got.cut, literal: true };
      }
      return this.src.heapLines.line(address);
    }
    let off = this.src.heap ? this.src.heap.lookup(address, this.src.reader) : -1;
    let limit = this.src.heap?.end ?? 0;
    let literal = false;
    if (off < 0 && this.src.literals) {
      off = this.src.literals.lookup(address, this.src.reader);
      limit = this.src.literals.end;
      literal = true;
    }
    if (off < 0) return undefined;
    const got = this.src.reader.lineAt(off, limit, this.maxLineBytes);
    return literal ? { line: got.line, cut: got.cut, literal } : got;
  }

  private resolve(address: number, depth: number): Term {
    const hit = this.memo.get(address);
    if (hit) return hit;
    if (depth > this.maxDepth) {
      this.limitHits++;
      return marker('too-deep');
    }
    if (depth - this.segmentBase > SEGMENT_DEPTH) {
      // Decoded after this run (finish): the placeholder is filled in then.
      const holder = marker('too-deep');
      this.deferred.push({ holder, address, depth });
      return holder;
    }
    if (this.inProgress.has(address)) {
      this.limitHits++;
      this.warnings.add('pointer cycle in heap', hex(address));
      return marker('too-deep', 'cycle');
    }
    if (!this.budget()) return marker('truncated');
    const got = this.lineFor(address);
    if (!got) {
      this.warnings.add('pointer to a heap line that was not dumped', hex(address));
      return marker('incomplete');
    }
    // A view: the block cache never reuses its buffers.
    const line = got.line;
    const colon = line.indexOf(58);
    if (colon < 0) return marker('malformed', 'heap line without address');
    const hits = this.limitHits;
    this.inProgress.add(address);
    let term: Term;
    try {
      const c = new LineCursor(line, line.length);
      c.p = colon + 1;
      term = this.object(c, address, depth, got.cut);
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        // A term nested deeper than the JS stack follows (a deep iolist is ordinary): not a
        // malformed line, and not memoised, so that a shallower path to it may still decode it.
        this.limitHits++;
        term = marker('too-deep');
      } else {
        this.warnings.add('malformed heap line', `${hex(address)}: ${e instanceof Error ? e.message : String(e)}`);
        term = marker('malformed', e instanceof Error ? e.message : String(e));
      }
    } finally {
      this.inProgress.delete(address);
    }
    if (hits === this.limitHits && (this.memoHeap || got.literal)) {
      if (this.memo.size >= MEMO_MAX) this.memo.clear();
      this.memo.set(address, term);
    }
    return term;
  }

  // ---- heap objects ------------------------------------------------------------------------

  private object(c: LineCursor, address: number, depth: number, cut: boolean): Term {
    const b = c.b;
    if (c.p >= c.end) throw new Error('empty heap object');
    const tag = b[c.p++];
    switch (tag) {
      case 116: { // t ARITY: elements
        const n = this.hexUntil(c, 58);
        c.p++;
        if (n > c.end) throw new Error('tuple arity larger than line');
        const elements = c.p;
        const v: Term[] = [];
        for (let i = 0; i < n; i++) {
          if (i > 0) {
            if (b[c.p] !== 44) {
              v.push(marker('malformed', 'tuple cut'));
              continue;
            }
            c.p++;
          }
          if (c.p >= c.end) {
            v.push(marker('malformed', 'tuple cut'));
            continue;
          }
          if (!this.budget()) {
            v.push(marker('truncated'));
            break;
          }
          if (b[c.p] === 72) this.src.heapLines?.siblings?.(b, elements, n);
          v.push(this.element(c, depth + 1));
        }
        return { t: 'tuple', v };
      }
      case 108: // l HEAD|TAIL
        return this.list(c, depth);
      case 70: { // F LEN:TEXT
        const n = this.hexUntil(c, 58);
        c.p++;
        const text = Buffer.from(b.buffer, b.byteOffset + c.p, Math.max(0, Math.min(n, c.end - c.p))).toString('latin1');
        const v = Number.parseFloat(text);
        if (Number.isNaN(v) && !/nan/i.test(text)) throw new Error('bad float');
        return { t: 'float', v };
      }
      case 66: { // B bignum
        const text = Buffer.from(b.buffer, b.byteOffset + c.p, c.end - c.p).toString('latin1');
        const m = /^(-?)(?:16#([0-9A-Fa-f]+)|(\d+))$/.exec(text);
        if (!m) throw new Error('bad bignum');
        let v = m[2] !== undefined ? BigInt(`0x${m[2]}`) : BigInt(m[3]);
        if (m[1]) v = -v;
        return { t: 'int', v };
      }
      case 69: { // E LEN:DATA
        const n = this.hexUntil(c, 58);
        c.p++;
        const data = this.payload(b.subarray(c.p, c.end), n);
        if (!data || cut) {
          this.warnings.add('external term line cut', hex(address));
          return marker('bad-etf', 'cut');
        }
        const t = decodeEtf(data, { maxDepth: Math.max(1, Math.min(ETF_MAX_DEPTH, this.maxDepth - depth)) });
        if (t.t === 'marker') this.warnings.add('undecodable external term', `${hex(address)}: ${t.detail ?? ''}`);
        return t;
      }
      case 89: // Y binaries
        return this.binary(c, address, depth);
      case 77: // M maps
        return this.map(c, depth);
      case 80: case 112: { // external pid / port object
        c.p--;
        return this.element(c, depth);
      }
      default: {
        const what = Buffer.from(b.buffer, b.byteOffset + c.p - 1, Math.min(12, c.end - c.p + 1)).toString('latin1');
        this.warnings.add(`unknown heap object tag '${String.fromCharCode(tag)}${tag === 82 ? String.fromCharCode(b[c.p] ?? 32) : ''}'`, `${hex(address)}:${what}`);
        return marker('unknown', what);
      }
    }
  }

  private hexUntil(c: LineCursor, stop: number): number {
    const s = c.p;
    while (c.p < c.end && c.b[c.p] !== stop) c.p++;
    const v = parseHexBytes(c.b, s, c.p);
    if (Number.isNaN(v) || c.p >= c.end) throw new Error('bad hex field');
    return v;
  }

  private list(c: LineCursor, depth: number): Term {
    const v: Term[] = [];
    let cur = c;
    // Brent's cycle detection over the tail addresses: O(1) memory.
    let tortoise = NaN;
    let power = 1;
    let lam = 0;
    for (;;) {
      if (!this.budget()) {
        v.push(marker('truncated'));
        return { t: 'list', v };
      }
      v.push(this.element(cur, depth + 1));
      if (cur.b[cur.p] !== 124) throw new Error("'|' expected in cons cell");
      cur.p++;
      // Follow the tail without recursion while it points at another cons cell.
      if (cur.b[cur.p] !== 72) {
        const tail = this.element(cur, depth + 1);
        return tail.t === 'nil' ? { t: 'list', v } : { t: 'list', v, tail };
      }
      const s = cur.p + 1;
      let e = s;
      while (e < cur.end && isHex(cur.b[e])) e++;
      const a = parseHexBytes(cur.b, s, e);
      if (a === tortoise) {
        this.limitHits++;
        this.warnings.add('pointer cycle in heap', hex(a));
        return { t: 'list', v, tail: marker('too-deep', 'cycle') };
      }
      if (++lam === power) {
        tortoise = a;
        power *= 2;
        lam = 0;
      }
      const memoTail = this.memo.get(a);
      const got = memoTail ? undefined : this.lineFor(a);
      if (memoTail || !got || got.line.indexOf(58) < 0 || got.line[got.line.indexOf(58) + 1] !== 108) {
        const tail = this.resolve(a, depth + 1);
        if (tail.t === 'nil') return { t: 'list', v };
        if (tail.t === 'list') return tail.tail ? { t: 'list', v: v.concat(tail.v), tail: tail.tail } : { t: 'list', v: v.concat(tail.v) };
        return { t: 'list', v, tail };
      }
      const line = got.line;
      cur = new LineCursor(line, line.length);
      cur.p = line.indexOf(58) + 2;
    }
  }

  private map(c: LineCursor, depth: number): Term {
    const b = c.b;
    const kind = b[c.p++];
    if (kind === 102) { // Mf SIZE:KEYS:VALUES
      const n = this.hexUntil(c, 58);
      c.p++;
      const keys = this.element(c, depth + 1);
      if (b[c.p] !== 58) throw new Error("':' expected after flatmap keys");
      c.p++;
      const pairs: Array<[Term, Term]> = [];
      const ks = keys.t === 'tuple' ? keys.v : [];
      const values = c.p;
      for (let i = 0; i < n && i <= c.end; i++) {
        if (i > 0) {
          if (b[c.p] !== 44) break;
          c.p++;
        }
        if (c.p >= c.end) break;
        if (!this.budget()) break;
        if (b[c.p] === 72) this.src.heapLines?.siblings?.(b, values, n);
        pairs.push([ks[i] ?? (keys.t === 'marker' ? keys : marker('malformed', 'flatmap keys')), this.element(c, depth + 1)]);
      }
      return { t: 'map', v: pairs };
    }
    if (kind === 104 || kind === 110) { // Mh SIZE:COUNT:NODES, Mn COUNT:NODES
      if (kind === 104) {
        this.hexUntil(c, 58);
        c.p++;
      }
      const pairs: Array<[Term, Term]> = [];
      this.hamtNodes(c, depth, pairs);
      return { t: 'map', v: pairs };
    }
    throw new Error(`unknown map kind '${String.fromCharCode(kind)}'`);
  }

  private hamtNodes(c: LineCursor, depth: number, out: Array<[Term, Term]>): void {
    const b = c.b;
    const n = this.hexUntil(c, 58);
    c.p++;
    const nodes = c.p;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        if (b[c.p] !== 44) break;
        c.p++;
      }
      if (c.p >= c.end || !this.budget()) break;
      if (b[c.p] !== 72) {
        out.push([this.element(c, depth + 1), marker('malformed', 'map node')]);
        continue;
      }
      const s = c.p + 1;
      c.p++;
      while (c.p < c.end && isHex(b[c.p])) c.p++;
      const a = parseHexBytes(b, s, c.p);
      this.src.heapLines?.siblings?.(b, nodes, n);
      this.hamtNode(a, depth + 1, out);
    }
  }

  private hamtNode(address: number, depth: number, out: Array<[Term, Term]>): void {
    if (depth > this.maxDepth || this.inProgress.has(address)) {
      this.limitHits++;
      out.push([marker('too-deep'), marker('too-deep')]);
      return;
    }
    const got = this.lineFor(address);
    if (!got) {
      this.warnings.add('pointer to a heap line that was not dumped', hex(address));
      out.push([marker('incomplete'), marker('incomplete')]);
      return;
    }
    const line = got.line;
    const c = new LineCursor(line, line.length);
    c.p = line.indexOf(58) + 1;
    if (c.p <= 0) throw new Error('map node line without address');
    this.inProgress.add(address);
    try {
      if (line[c.p] === 108) { // leaf: lKEY|VALUE
        c.p++;
        const k = this.element(c, depth + 1);
        if (line[c.p] !== 124) throw new Error("'|' expected in map leaf");
        c.p++;
        out.push([k, this.element(c, depth + 1)]);
      } else if (line[c.p] === 77 && line[c.p + 1] === 110) { // Mn
        c.p += 2;
        this.hamtNodes(c, depth, out);
      } else {
        out.push([marker('malformed', 'map node'), marker('malformed', 'map node')]);
      }
    } finally {
      this.inProgress.delete(address);
    }
  }

  // ---- binaries ----------------------------------------------------------------------------

  /** Decodes a `Yh` payload (base64 or hex) of n bytes; undefined if it is not that long. */
  private payload(text: Uint8Array, n: number): Uint8Array | undefined {
    return payloadBytes(text, n, this.src.base64);
  }

  private binary(c: LineCursor, address: number, depth: number): Term {
    const b = c.b;
    const kind = b[c.p++];
    if (kind === 104) { // Yh SIZE:DATA
      const n = this.hexUntil(c, 58);
      c.p++;
      const bytes = this.payload(b.subarray(c.p, c.end), n);
      if (!bytes) {
        this.warnings.add('heap binary cut', hex(address));
        return { t: 'binary', kind: 'heap', size: n, complete: false };
      }
      return { t: 'binary', kind: 'heap', size: n, bytes: Uint8Array.from(bytes), complete: true };
    }
    if (kind !== 99 && kind !== 115) throw new Error(`unknown binary kind '${String.fromCharCode(kind)}'`);
    const target = this.hexUntil(c, 58);
    c.p++;
    const offset = this.hexUntil(c, 58);
    c.p++;
    const s = c.p;
    while (c.p < c.end && isHex(b[c.p])) c.p++;
    const size = parseHexBytes(b, s, c.p);
    if (Number.isNaN(size)) throw new Error('bad binary size');
    if (kind === 99) return this.refc(target, offset, size, 'refc');
    // Ys: an off-heap Binary address, else the heap address of the original binary.
    if (this.src.binaries?.has(target)) return this.refc(target, offset, size, 'sub');
    const orig = this.resolve(target, depth + 1);
    if (orig.t !== 'binary') return orig.t === 'marker' ? orig : marker('malformed', 'sub binary of a non-binary');
    const out: BinaryTerm = { t: 'binary', kind: 'sub', size, complete: false };
    if (orig.address !== undefined) {
      out.address = orig.address;
      out.offset = (orig.offset ?? 0) + offset;
    }
    if (orig.bytes && orig.complete && offset + size <= orig.bytes.length) {
      out.bytes = orig.bytes.subarray(offset, offset + size);
      out.complete = true;
    } else if (orig.address !== undefined) {
      return this.refc(parseHexBytes(Buffer.from(orig.address, 'latin1'), 0, orig.address.length), out.offset ?? 0, size, 'sub');
    }
    return out;
  }

  private refc(address: number, offset: number, size: number, kind: 'refc' | 'sub'): Term {
    const prev = this.refcSeen.get(address);
    if (prev === undefined || prev < size) this.refcSeen.set(address, size);
    if (address !== this.lastHexOf) {
      this.lastHexOf = address;
      this.lastHex = hex(address);
    }
    const addrHex = this.lastHex;
    const out: BinaryTerm = { t: 'binary', kind, size, complete: size === 0, address: addrHex, offset };
    if (size === 0) out.bytes = new Uint8Array(0);
    if (!this.src.binaries?.has(address)) {
      this.warnings.add('refc binary without a =binary section', addrHex);
      // Printed as the viewer does; its size, from this heap line, still gives its message's shape.
      return { ...marker('nonexisting-binary', addrHex), size };
    }
    const total = this.src.binaries.size(address);
    if (total !== undefined && offset + size > total) {
      // OTP 28 literals write an absolute data pointer in the offset field.
      this.warnings.add('refc binary offset beyond its payload (absolute Yc offset, OTP 28?)', `${addrHex}:${offset.toString(16).toUpperCase()}:${size.toString(16).toUpperCase()}`);
      return marker('unknown', `Yc ${addrHex} offset ${offset.toString(16).toUpperCase()} size ${size}`);
    }
    const want = Math.min(size, this.binaryBytes);
    const sec = want > 0 ? this.src.binaries.section(address, this.src.reader) : undefined;
    if (sec) {
      const bytes = this.loadBinary(sec.offset, sec.length, offset, want);
      if (bytes) {
        out.bytes = bytes;
        out.complete = bytes.length === size;
      } else this.warnings.add('refc binary payload cut', addrHex);
    }
    return out;
  }

  /** Reads bytes [off, off+n) of a `=binary` payload. */
  private loadBinary(secOffset: number, secLength: number, off: number, n: number): Uint8Array | undefined {
    const { line } = this.src.reader.lineAt(secOffset, secOffset + secLength, 32);
    const colon = line.indexOf(58);
    if (colon < 0) return undefined;
    const dataStart = secOffset + colon + 1;
    const dataEnd = secOffset + secLength;
    if (this.src.base64) {
      const c0 = Math.floor(off / 3) * 4;
      const skip = off % 3;
      const chars = Math.ceil((skip + n) / 3) * 4;
      if (dataStart + c0 + chars > dataEnd) return undefined;
      const text = this.src.reader.cachedBytesAt(dataStart + c0, chars).toString('latin1');
      const bytes = Buffer.from(text, 'base64');
      if (bytes.length < skip + n) return undefined;
      return Uint8Array.from(bytes.subarray(skip, skip + n));
    }
    if (dataStart + 2 * (off + n) > dataEnd) return undefined;
    const text = this.src.reader.cachedBytesAt(dataStart + 2 * off, 2 * n).toString('latin1');
    const bytes = Buffer.from(text, 'hex');
    return bytes.length === n ? Uint8Array.from(bytes) : undefined;
  }
}

function isHex(c: number): boolean {
  return hexValue(c) >= 0;
}

export function hex(n: number): string {
  return n.toString(16).toUpperCase();
}

function toInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The n bytes of a heap line's payload (a heap binary's, an `E` line's), written in base64 (dump
 * 0.5 on) or hex; undefined when the text holds fewer.
 */
export function payloadBytes(text: Uint8Array, n: number, base64: boolean): Uint8Array | undefined {
  if (base64) {
    const need = Math.ceil(n / 3) * 4;
    if (text.length < need) return undefined;
    const out = Buffer.from(Buffer.from(text.buffer, text.byteOffset, need).toString('latin1'), 'base64');
    return out.length >= n ? out.subarray(0, n) : undefined;
  }
  if (text.length < 2 * n) return undefined;
  const out = Buffer.from(Buffer.from(text.buffer, text.byteOffset, 2 * n).toString('latin1'), 'hex');
  return out.length === n ? out : undefined;
}
