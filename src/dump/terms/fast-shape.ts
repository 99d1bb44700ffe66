/**
 * The fast path of mailbox shapes: most messages of a big mailbox have a structure already seen,
 * so instead of decoding each into terms and printing its skeleton, a message's heap lines are
 * walked in place (no terms, no strings) into a token sequence of its structure: types, arities,
 * list lengths, atoms in tag positions, whether lists are strings; plus its binary sizes and its
 * estimated size. The first message with a given token sequence goes through the full decoder and
 * `shapeOf`, which tells the shape row and which binary sizes the shape keeps; later messages with
 * the same tokens are counted from the walk alone.
 *
 * The walk gives up (and the full decoder handles the message) on anything unusual: markers,
 * warnings the decoder would give, bignums, funs and remote pids in the external format, huge or
 * deep terms, so the result is the decoder's, message for message. The first message of each
 * token sequence is also checked against `shapeOf` (key, sizes, estimates); a sequence that
 * disagrees is never fast.
 */
import type { BinaryLocator } from './decoder.js';
import { parseHexBytes } from '../bytes.js';
import type { BlockReader, LiteralLines } from './heap-index.js';
import type { Term } from './model.js';
import type { SequentialHeap } from './sequential-heap.js';
import { shapeOf, type ShapeHistogram, type ShapeRowRef } from './shape.js';

const T_TUPLE = 1;
const T_LIST = 2;
const T_TAIL = 3;
const T_STRING = 4;
const T_ATOM_ID = 5;
const T_ATOM = 6;
const T_INT_CHAR = 7;
const T_INT = 8;
const T_FLOAT = 9;
const T_NIL = 10;
const T_PID = 11;
const T_PORT = 12;
const T_BIN_HEAP = 13;
const T_BIN_REFC = 14;
const T_BIN_SUB = 15;
const T_MAP = 16;
const T_REF = 17;
const T_HAMT = 18;
/** A reference's external format is at most this long (5 ids, a node name of 255 bytes). */
const ETF_MAX_REF = 300;
/** A keys tuple's text is kept (mapKeys) up to this length: 32 keys pointed to are 600 bytes. */
const MAX_KEYS_TEXT = 1024;
/** Walks of keys tuples kept (mapKeys). */
const KEYS_KEPT = 8;

/** The key that makes a map an Elixir struct: its value is the struct's name, part of the shape. */
const STRUCT_KEY = Buffer.from('__struct__', 'latin1');

/** Walks give up beyond these (far below the decoder's and `shapeOf`'s own limits). */
const MAX_NODES = 1000;
const MAX_TOKENS = 1500;
const MAX_DEPTH = 100;
const MAX_ENTRIES = 20_000;

/** Base64 alphabet (standard), for validating heap binary payloads without decoding them. */
const B64 = new Uint8Array(256);
/** The same, each character's value (255: not in the alphabet). */
const B64V = new Uint8Array(256).fill(255);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach((c, v) => {
  B64[c.charCodeAt(0)] = 1;
  B64V[c.charCodeAt(0)] = v;
});
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** The walk of a map's keys tuple, kept to be taken again (FastShaper.mapKeys). */
interface KeptKeys {
  /** The keys tuple's address, its map's size, and the depth it was walked at. */
  at: number;
  n: number;
  depth: number;
  /** The keys tuple's line after its address. */
  text: Buffer;
  tokens: Int32Array;
  sizes: Float64Array;
  words: number;
  offHeap: number;
  nodes: number;
  structAt: number;
}

interface Entry {
  tokens: Int32Array;
  /** The histogram row these messages count into; undefined: always use the full decoder. */
  row?: ShapeRowRef;
  /** For each size slot of the shape, the index of the binary (in walk order) it takes. */
  pick: Int32Array;
  next?: Entry;
}

/** Messages counted by the fast path in this process (tests check that it is taken). */
export const fastShapeStats = { counted: 0 };

export interface FastShapeSources {
  heap?: SequentialHeap;
  literals?: LiteralLines;
  reader: BlockReader;
  binaries?: BinaryLocator;
  base64: boolean;
  maxLineBytes: number;
}

export class FastShaper {
  private tok = new Int32Array(256);
  private nt = 0;
  private sizes = new Float64Array(64);
  private ns = 0;
  private words = 0;
  private offHeap = 0;
  private nodes = 0;
  private readonly wideInt: number;
  private readonly entries = new Map<number, Entry>();
  private entryCount = 0;
  private last: Entry | undefined;
  private lastHash = 0;
  /** Messages counted by the fast path (for tests and profiling). */
  fastCount = 0;
  // Atom interning by bytes: open addressing over (hash -> id), bytes kept for comparison.
  private atomTable = new Int32Array(1024);
  private atomBytes: Buffer[] = [];

  constructor(private readonly src: FastShapeSources, private readonly wordSize: 4 | 8) {
    this.wideInt = wordSize === 8 ? 2 ** 59 : 2 ** 27;
  }

  /**
   * Counts one message line into `hist` when its structure is known; false when the caller must
   * decode it (then call `learn` with the decoded term if `scan` had succeeded).
   */
  tryCount(b: Uint8Array, start: number, end: number, hist: ShapeHistogram): boolean {
    if (!this.scan(b, start, end)) {
      this.scanned = false;
      return false;
    }
    this.scanned = true;
    const e = this.find();
    if (!e || !e.row) return false;
    const bytes = this.words * this.wordSize;
    hist.addKnown(e.row, this.sizes, e.pick, bytes, this.offHeap);
    this.fastCount++;
    fastShapeStats.counted++;
    return true;
  }

  private scanned = false;

  /**
   * After `tryCount` returned false and the caller decoded the message and added it to `hist`:
   * remembers its token sequence (if the walk succeeded and this sequence is new).
   */
  learn(term: Term, hist: ShapeHistogram): void {
    const scanned = this.scanned;
    this.scanned = false;
    if (!scanned || this.entryCount >= MAX_ENTRIES || this.find()) return;
    const entry: Entry = { tokens: this.tok.slice(0, this.nt), pick: new Int32Array(0) };
    this.entryCount++;
    entry.next = this.entries.get(this.lastHash);
    this.entries.set(this.lastHash, entry);
    this.last = entry;
    // Check the walk against the decoder: no markers, same estimates, same binary count.
    const s = shapeOf(term, this.wordSize);
    if (s.bytes !== this.words * this.wordSize || s.binaryBytes !== this.offHeap) return;
    let nbin = 0;
    let marker = false;
    const relabel = (t: Term): Term => {
      switch (t.t) {
        case 'binary': return { ...t, size: nbin++ };
        case 'tuple': return { t: 'tuple', v: t.v.map(relabel) };
        case 'list': return t.tail ? { t: 'list', v: t.v.map(relabel), tail: relabel(t.tail) } : { t: 'list', v: t.v.map(relabel) };
        case 'map': return { t: 'map', v: t.v.map(([k, v]) => [relabel(k), relabel(v)] as [Term, Term]) };
        case 'marker': marker = true; return t;
        default: return t;
      }
    };
    const labelled = shapeOf(relabel(term), this.wordSize);
    if (marker || nbin !== this.ns || labelled.key !== s.key || labelled.sizes.length !== s.sizes.length) return;
    const pick = Int32Array.from(labelled.sizes);
    for (let j = 0; j < pick.length; j++) if (this.sizes[pick[j]] !== s.sizes[j]) return;
    entry.pick = pick;
    entry.row = hist.rowRef(s.key);
  }

  private find(): Entry | undefined {
    const tok = this.tok;
    const nt = this.nt;
    const last = this.last;
    if (last && sameTokens(last.tokens, tok, nt)) return last;
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < nt; i++) h = Math.imul(h ^ tok[i], 0x01000193);
    h &= 0x3fffffff;
    this.lastHash = h;
    for (let e = this.entries.get(h); e; e = e.next) {
      if (sameTokens(e.tokens, tok, nt)) {
        this.last = e;
        return e;
      }
    }
    return undefined;
  }

  /** Walks one `=proc_messages` line; false when the full decoder must handle it. */
  scan(b: Uint8Array, start: number, end: number): boolean {
    this.nt = 0;
    this.ns = 0;
    this.words = 0;
    this.offHeap = 0;
    this.nodes = 0;
    if (start >= end || b[start] === 68) return false; // empty, or a distribution message
    const p = this.element(b, start, end, 0, true);
    if (p < 0) return false;
    // No sequence trace token, or `[]` (`N`): anything else is decoded (and may read the heap).
    if (p >= end || b[p] !== 58) return true;
    return p + 2 === end && b[p + 1] === 78;
  }

  private push(t: number): boolean {
    if (this.nt >= MAX_TOKENS) return false;
    if (this.nt === this.tok.length) {
      const bigger = new Int32Array(this.tok.length * 2);
      bigger.set(this.tok);
      this.tok = bigger;
    }
    this.tok[this.nt++] = t;
    return true;
  }

  private pushSize(n: number): void {
    if (this.ns === this.sizes.length) {
      const bigger = new Float64Array(this.sizes.length * 2);
      bigger.set(this.sizes);
      this.sizes = bigger;
    }
    this.sizes[this.ns++] = n;
  }

  /** An element written inline (as the decoder's `element`); returns where it ends, or -1. */
  private element(b: Uint8Array, p: number, end: number, depth: number, named: boolean): number {
    if (p >= end || ++this.nodes > MAX_NODES) return -1;
    switch (b[p]) {
      case 72: { // H pointer
        const q = this.address(b, p + 1, end);
        return q >= 0 && this.object(this.hex, depth, named) ? q : -1;
      }
      case 78: // N
        return this.push(T_NIL) ? p + 1 : -1;
      case 73: { // I small integer
        let q = p + 1;
        const neg = b[q] === 45;
        if (neg) q++;
        const ds = q;
        let v = 0;
        for (; q < end; q++) {
          const c = b[q];
          if (c < 48 || c > 57) break;
          v = v * 10 + (c - 48);
        }
        if (q === ds || q - ds > 15) return -1;
        if (neg) v = -v;
        if (!this.push(v >= 0 && v <= 0x10ffff ? T_INT_CHAR : T_INT)) return -1;
        if (Math.abs(v) >= this.wideInt) this.words += 2;
        return q;
      }
      case 65: { // A atom: A<hexlen>:<bytes>
        const q = this.hexField(b, p + 1, end);
        if (q < 0) return -1;
        const len = this.hex;
        if (q + len > end) return -1;
        if (named) {
          if (!this.push(T_ATOM_ID) || !this.push(this.atomId(b, q, q + len))) return -1;
        } else if (!this.push(T_ATOM)) return -1;
        return q + len;
      }
      case 80: case 112: { // P<a.b.c> pid, p<a.b> port
        const s = p + 1;
        let e = s;
        while (e < end && b[e] !== 62) e++;
        if (e >= end || b[s] !== 60) return -1;
        if (!this.push(b[p] === 80 ? T_PID : T_PORT)) return -1;
        // Not `<0.`: a remote pid or port, 4 words (as estimateSize).
        if (!(e - s >= 2 && b[s + 1] === 48 && b[s + 2] === 46)) this.words += 4;
        return e + 1;
      }
      default:
        return -1;
    }
  }

  /** Finds the line of a heap address as the decoder would: `=literals` first, then the heap. */
  private lineOf(a: number): { b: Uint8Array; s: number; e: number } | undefined {
    const lit = this.src.literals;
    if (lit && a >= lit.minAddress && a <= lit.maxAddress) {
      const off = lit.lookup(a, this.src.reader);
      if (off >= 0) {
        const got = this.src.reader.lineAt(off, lit.end, this.src.maxLineBytes);
        if (got.cut) return undefined;
        return { b: got.line, s: 0, e: got.line.length };
      }
    }
    const heap = this.src.heap;
    if (!heap || !heap.locate(a)) return undefined;
    const at = this.at;
    at.b = heap.buf;
    at.s = heap.start;
    at.e = heap.end_;
    return at;
  }

  private readonly at = { b: new Uint8Array(0) as Uint8Array, s: 0, e: 0 };

  /** The heap object at an address (as the decoder's `resolve` + `object`). */
  private object(a: number, depth: number, named: boolean): boolean {
    if (depth > MAX_DEPTH || ++this.nodes > MAX_NODES) return false;
    const got = this.lineOf(a);
    if (!got) return false;
    const b = got.b;
    const s = got.s;
    const e = got.e;
    let q = colonAt(b, s, e);
    if (q < 0) return false;
    q++;
    if (q >= e) return false;
    const tag = b[q++];
    switch (tag) {
      case 116: { // t ARITY: elements
        q = this.hexField(b, q, e);
        if (q < 0) return false;
        const n = this.hex;
        if (n > e - s) return false;
        if (!this.push(T_TUPLE) || !this.push(n)) return false;
        this.words += 1 + n;
        for (let i = 0; i < n; i++) {
          if (i > 0) {
            if (b[q] !== 44) return false;
            q++;
          }
          if (q >= e) return false;
          q = this.element(b, q, e, depth + 1, i === 0);
          if (q < 0) return false;
        }
        return true;
      }
      case 108: // l HEAD|TAIL
        return this.list(b, q, e, depth);
      case 70: { // F LEN:TEXT
        q = this.hexField(b, q, e);
        if (q < 0) return false;
        const n = this.hex;
        const text = Buffer.from(b.buffer, b.byteOffset + q, Math.max(0, Math.min(n, e - q))).toString('latin1');
        if (Number.isNaN(Number.parseFloat(text)) && !/nan/i.test(text)) return false;
        if (!this.push(T_FLOAT)) return false;
        this.words += this.wordSize === 8 ? 2 : 3;
        return true;
      }
      case 89: // Y binaries
        return this.binary(b, q, e);
      case 77: // M maps: a flatmap (`Mf`, up to 32 keys) or a HAMT map (`Mh`)
        return q < e && (b[q] === 102 ? this.flatmap(b, q + 1, e, depth) : b[q] === 104 && this.hamt(b, q + 1, e, depth));
      case 69: // E a term in the external format
        return this.external(b, q, e);
      case 80: case 112: // external pid / port object
        return this.element(b, q - 1, e, depth, named) >= 0;
      default:
        return false;
    }
  }

  /** A cons cell and the cells its tail points to (as the decoder's `list`). */
  private list(b: Uint8Array, q: number, e: number, depth: number): boolean {
    const at = this.nt;
    if (!this.push(T_LIST) || !this.push(0)) return false;
    let count = 0;
    let chars = true;
    for (;;) {
      if (++this.nodes > MAX_NODES) return false;
      const t0 = this.nt;
      q = this.element(b, q, e, depth + 1, false);
      if (q < 0) return false;
      count++;
      if (chars && !(this.nt === t0 + 1 && this.tok[t0] === T_INT_CHAR)) chars = false;
      if (q >= e || b[q] !== 124) return false;
      q++;
      if (q >= e) return false;
      if (b[q] !== 72) {
        // The last tail, inline: `N` ends a proper list, anything else is an improper tail.
        if (b[q] === 78) break;
        if (!this.push(T_TAIL)) return false;
        return this.element(b, q, e, depth + 1, false) >= 0 && this.endList(at, count, false, false);
      }
      if (this.address(b, q + 1, e) < 0) return false;
      const a = this.hex;
      const got = this.lineOf(a);
      if (!got) return false;
      const c = colonAt(got.b, got.s, got.e);
      if (c < 0 || c + 1 >= got.e) return false;
      if (got.b[c + 1] !== 108) {
        // The tail is another kind of object: an improper list.
        if (!this.push(T_TAIL)) return false;
        return this.object(a, depth + 1, false) && this.endList(at, count, false, false);
      }
      b = got.b;
      e = got.e;
      q = c + 2;
    }
    return this.endList(at, count, true, chars);
  }

  private endList(at: number, count: number, proper: boolean, chars: boolean): boolean {
    this.words += 2 * count;
    if (proper && chars && count > 0) {
      // A string: its elements are all small integers, none with size or tokens of its own.
      this.nt = at;
      return this.push(T_STRING);
    }
    this.tok[at + 1] = count;
    return proper ? this.push(T_NIL) : true;
  }

  /**
   * An `E LEN:DATA` line from after its `E` (the decoder's): a reference, such as the tag of every
   * GenServer call queued (`{'$gen_call', {Pid, [alias | Ref]}, Request}`), when its payload is
   * one the decoder decodes to a reference (isReference); anything else (funs, remote pids and
   * ports, a payload not in canonical base64 or hex) is left to the decoder.
   */
  private external(b: Uint8Array, q: number, e: number): boolean {
    q = this.hexField(b, q, e);
    if (q < 0) return false;
    const n = this.hex;
    if (n > ETF_MAX_REF || !this.payload(b, q, e, n) || !isReference(this.etf, n)) return false;
    if (!this.push(T_REF)) return false;
    // As estimateSize counts a reference.
    this.words += this.wordSize === 8 ? 4 : 5;
    return true;
  }

  /** Room for a reference's external format (ETF_MAX_REF bytes). */
  private readonly etf = new Uint8Array(ETF_MAX_REF);

  /**
   * The n bytes of a payload at b[q, e) into `etf`, when it is canonical base64 (with its padding)
   * or 2n hex digits, which the decoder's payloadBytes reads to the same bytes; false otherwise.
   */
  private payload(b: Uint8Array, q: number, e: number, n: number): boolean {
    if (!canonicalPayload(b, q, e, n, this.src.base64)) return false;
    const out = this.etf;
    if (!this.src.base64) {
      for (let i = 0; i < n; i++) out[i] = (HEX[b[q + 2 * i]] << 4) | HEX[b[q + 2 * i + 1]];
      return true;
    }
    // ceil(4n / 3) characters of 6 bits hold the n bytes.
    let acc = 0;
    let bits = 0;
    let o = 0;
    for (let i = 0; o < n; i++) {
      acc = ((acc << 6) | B64V[b[q + i]]) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (acc >>> bits) & 255;
      }
    }
    return true;
  }

  /**
   * An `Mf SIZE:KEYS:VALUES` line from after its `Mf` (the decoder's `map`): Elixir's structs and
   * most maps of a mailbox are these. Its tokens are its size, its keys (from the keys tuple,
   * usually a literal shared by every map of that kind), then its values; a struct's name (the
   * value of `__struct__`) is named, as a tuple's tag is, since it is part of the shape. Keys of
   * any kind are walked (JSON decoded into maps has binary keys): shapeOf numbers the binaries of
   * a map key by key and value by value where this walk takes the keys first, but it keeps no
   * binary size of a map unless all its keys are atoms, and atoms have none.
   */
  private flatmap(b: Uint8Array, q: number, e: number, depth: number): boolean {
    q = this.hexField(b, q, e);
    if (q < 0 || q >= e || b[q] !== 72) return false;
    const n = this.hex;
    if (n > 32) return false;
    q = this.address(b, q + 1, e);
    if (q < 0 || q >= e || b[q] !== 58) return false;
    q++;
    if (!this.push(T_MAP) || !this.push(n)) return false;
    // As estimateSize counts a flatmap: header, size, keys pointer and values; the keys tuple.
    this.words += 3 + n + 1 + n;
    const structAt = this.mapKeys(this.hex, n, depth);
    if (structAt < -1) return false;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        if (b[q] !== 44) return false;
        q++;
      }
      if (q >= e) return false;
      q = this.element(b, q, e, depth + 1, i === structAt);
      if (q < 0) return false;
    }
    return q === e;
  }

  /**
   * An `Mh SIZE:COUNT:NODES` line from after its `Mh` (the decoder's `map`): a map of over 32 keys,
   * whose nodes point to `Mn COUNT:NODES` lines and leaves, `lKEY|VALUE` lines. shapeOf shows a map
   * of over 8 keys as `map`, so its tokens are the leaves' keys and values in the nodes' order (for
   * their sizes and words, as estimateSize counts them); one of 8 keys or fewer (a malformed one) is
   * left to the decoder.
   */
  private hamt(b: Uint8Array, q: number, e: number, depth: number): boolean {
    q = this.hexField(b, q, e);
    if (q < 0) return false;
    const at = this.nt;
    if (!this.push(T_HAMT) || !this.push(0)) return false;
    const n = this.hamtNodes(b, q, e, depth);
    if (n <= 8) return false;
    this.tok[at + 1] = n;
    this.words += n <= 32 ? 3 + n + 1 + n : 4 * n;
    return true;
  }

  /** The nodes `COUNT:H...,H...` of a HAMT line from b[q]: the leaves under them, or -1. */
  private hamtNodes(b: Uint8Array, q: number, e: number, depth: number): number {
    q = this.hexField(b, q, e);
    if (q < 0) return -1;
    const count = this.hex;
    let leaves = 0;
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        if (b[q] !== 44) return -1;
        q++;
      }
      if (q >= e || b[q] !== 72) return -1;
      q = this.address(b, q + 1, e);
      if (q < 0) return -1;
      const k = this.hamtNode(this.hex, depth + 1);
      if (k < 0) return -1;
      leaves += k;
    }
    return q === e ? leaves : -1;
  }

  /** A HAMT node's line: a leaf (1), an `Mn` node (its leaves), or -1. */
  private hamtNode(a: number, depth: number): number {
    if (depth > MAX_DEPTH || ++this.nodes > MAX_NODES) return -1;
    const got = this.lineOf(a);
    if (!got) return -1;
    const b = got.b;
    const e = got.e;
    let q = colonAt(b, got.s, e);
    if (q < 0 || q + 2 >= e) return -1;
    q++;
    if (b[q] === 77 && b[q + 1] === 110) return this.hamtNodes(b, q + 2, e, depth);
    if (b[q] !== 108) return -1;
    q = this.element(b, q + 1, e, depth + 1, false);
    if (q < 0 || q >= e || b[q] !== 124) return -1;
    q = this.element(b, q + 1, e, depth + 1, false);
    return q === e ? 1 : -1;
  }

  /**
   * The tokens of the n keys of the keys tuple at `a` (atoms named); returns the position of
   * `__struct__` among them, -1 when there is none, -2 when the walk gives up. The walks of the
   * last KEYS_KEPT keys tuples are kept (tokens, sizes, words) and taken again for a map whose keys
   * tuple is the same line, or has the same text (an address is one line throughout a process's
   * heap): the maps of a mailbox of one kind share a keys tuple (a literal, for a struct; a message
   * may hold structs of several kinds), or have keys tuples of their own that point to the same
   * keys (the literal binaries of JSON objects).
   */
  private mapKeys(a: number, n: number, depth: number): number {
    const kept = this.keysKept;
    for (let i = 0; i < kept.length; i++) {
      const c = kept[i];
      if (a === c.at && n === c.n && depth === c.depth) return this.replayKeys(c);
    }
    const keys = this.lineOf(a);
    if (!keys) return -2;
    const kb = keys.b;
    const ke = keys.e;
    let k = colonAt(kb, keys.s, ke);
    if (k < 0 || k + 1 >= ke || kb[k + 1] !== 116) return -2;
    const text = k + 1;
    for (let i = 0; i < kept.length; i++) {
      const c = kept[i];
      if (n === c.n && depth === c.depth && sameBytes(c.text, kb, text, ke)) {
        c.at = a;
        return this.replayKeys(c);
      }
    }
    k = this.hexField(kb, k + 2, ke);
    if (k < 0 || this.hex !== n) return -2;
    const t0 = this.nt;
    const s0 = this.ns;
    const w0 = this.words;
    const o0 = this.offHeap;
    const n0 = this.nodes;
    let structAt = -1;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        if (kb[k] !== 44) return -2;
        k++;
      }
      if (k >= ke) return -2;
      const t = this.nt;
      k = this.element(kb, k, ke, depth + 1, true);
      if (k < 0) return -2;
      if (this.tok[t] === T_ATOM_ID && this.nt === t + 2 && this.tok[t + 1] === this.structKey()) structAt = i;
    }
    if (k !== ke) return -2;
    if (ke - text <= MAX_KEYS_TEXT) {
      const c: KeptKeys = {
        at: a, n, depth, text: Buffer.from(kb.subarray(text, ke)), tokens: this.tok.slice(t0, this.nt),
        sizes: this.sizes.slice(s0, this.ns), words: this.words - w0, offHeap: this.offHeap - o0, nodes: this.nodes - n0, structAt,
      };
      if (kept.length < KEYS_KEPT) kept.push(c);
      else kept[this.keysNext] = c;
      this.keysNext = (this.keysNext + 1) % KEYS_KEPT;
    }
    return structAt;
  }

  /** A walk of keys kept by mapKeys, as if walked again. */
  private replayKeys(c: KeptKeys): number {
    this.nodes += c.nodes;
    if (this.nodes > MAX_NODES) return -2;
    for (let i = 0; i < c.tokens.length; i++) if (!this.push(c.tokens[i])) return -2;
    for (let i = 0; i < c.sizes.length; i++) this.pushSize(c.sizes[i]);
    this.words += c.words;
    this.offHeap += c.offHeap;
    return c.structAt;
  }

  private readonly keysKept: KeptKeys[] = [];
  /** The slot of keysKept the next walk replaces. */
  private keysNext = 0;
  private structKeyId = 0;

  private structKey(): number {
    if (this.structKeyId === 0) this.structKeyId = this.atomId(STRUCT_KEY, 0, STRUCT_KEY.length);
    return this.structKeyId;
  }

  /**
   * A heap address in hex from b[q] (as `H` writes it): its value goes to `this.hex` and the
   * position after its digits is returned; -1 when there are none.
   */
  private address(b: Uint8Array, q: number, e: number): number {
    const s = q;
    let hi = 0;
    let lo = 0;
    for (; q < e; q++) {
      const d = HEX[b[q]];
      if (d === 255) break;
      hi = (hi << 4) | (lo >>> 28);
      lo = (lo << 4) | d;
    }
    if (q === s) return -1;
    // Up to 13 digits the halves are exact; longer, as parseHexBytes rounds them.
    this.hex = q - s <= 13 ? (hi >>> 0) * 4294967296 + (lo >>> 0) : parseHexBytes(b, s, q);
    return q;
  }

  /** The value of the last hexField(). */
  private hex = 0;

  /**
   * Hex digits from b[q] up to a ':' before e: their value goes to `this.hex` and the position
   * after the colon is returned; -1 when there are no digits, a non-hex byte, or no colon.
   */
  private hexField(b: Uint8Array, q: number, e: number): number {
    const hs = q;
    let n = 0;
    for (; q < e && b[q] !== 58; q++) {
      const d = HEX[b[q]];
      if (d === 255) return -1;
      n = n * 16 + d;
    }
    if (q === hs || q >= e) return -1;
    this.hex = n;
    return q + 1;
  }

  private binary(b: Uint8Array, q: number, e: number): boolean {
    const kind = b[q++];
    if (kind === 104) { // Yh SIZE:DATA
      q = this.hexField(b, q, e);
      if (q < 0) return false;
      const n = this.hex;
      // The payload must decode to n bytes, else the decoder warns ('heap binary cut').
      if (!canonicalPayload(b, q, e, n, this.src.base64) || !this.push(T_BIN_HEAP)) return false;
      this.pushSize(n);
      this.words += 2 + Math.ceil(n / this.wordSize);
      return true;
    }
    if (kind !== 99 && kind !== 115) return false;
    q = this.hexField(b, q, e);
    if (q < 0) return false;
    const target = this.hex;
    q = this.hexField(b, q, e);
    if (q < 0) return false;
    const offset = this.hex;
    let size = 0;
    const hs = q;
    for (; q < e; q++) {
      const d = HEX[b[q]];
      if (d === 255) break;
      size = size * 16 + d;
    }
    if (q === hs) return false;
    const bins = this.src.binaries;
    // A Ys of a heap binary (not an off-heap one) is left to the decoder.
    if (!bins || !bins.has(target)) return false;
    const total = bins.size(target);
    if (total !== undefined && offset + size > total) return false;
    if (!this.push(kind === 99 ? T_BIN_REFC : T_BIN_SUB)) return false;
    this.pushSize(size);
    this.words += kind === 99 ? 6 : 5;
    this.offHeap += size;
    return true;
  }

  private atomId(b: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const table = this.atomTable;
    const mask = table.length - 1;
    let p = (h >>> 0) & mask;
    for (;;) {
      const id = table[p];
      if (id === 0) break;
      const known = this.atomBytes[id - 1];
      if (known.length === e - s) {
        let same = true;
        for (let i = 0; i < known.length; i++) {
          if (known[i] !== b[s + i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      p = (p + 1) & mask;
    }
    this.atomBytes.push(Buffer.from(b.subarray(s, e)));
    const id = this.atomBytes.length;
    table[p] = id;
    if (id * 2 > table.length) this.rehashAtoms();
    return id;
  }

  private rehashAtoms(): void {
    const table = new Int32Array(this.atomTable.length * 2);
    const mask = table.length - 1;
    this.atomBytes.forEach((bytes, i) => {
      let h = 0x811c9dc5 | 0;
      for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
      let p = (h >>> 0) & mask;
      while (table[p] !== 0) p = (p + 1) & mask;
      table[p] = i + 1;
    });
    this.atomTable = table;
  }
}

/**
 * Whether b[q, e) starts with the canonical encoding of an n-byte payload, as the decoder's
 * payloadBytes reads it to n bytes: base64 with its padding (ceil(4n / 3) characters of the
 * alphabet, then `=` up to a multiple of 4), or 2n hex digits.
 */
function canonicalPayload(b: Uint8Array, q: number, e: number, n: number, base64: boolean): boolean {
  if (!base64) {
    if (e - q < 2 * n) return false;
    for (let i = 0; i < 2 * n; i++) if (HEX[b[q + i]] === 255) return false;
    return true;
  }
  const need = Math.ceil(n / 3) * 4;
  if (e - q < need) return false;
  const k = Math.ceil((4 * n) / 3);
  let i = 0;
  for (; i + 4 <= k; i += 4) if ((B64[b[q + i]] & B64[b[q + i + 1]] & B64[b[q + i + 2]] & B64[b[q + i + 3]]) === 0) return false;
  for (; i < k; i++) if (B64[b[q + i]] === 0) return false;
  for (let i = k; i < need; i++) if (b[q + i] !== 61) return false;
  return true;
}

/**
 * Whether the first n bytes of d are a reference as the decoder's ETF decoder (etf.ts) reads one:
 * the version byte, REFERENCE_EXT, NEW_REFERENCE_EXT or NEWER_REFERENCE_EXT (at most 5 ids), a node
 * atom of one of the four plain atom tags, and every byte it reads there (what follows is not read).
 */
function isReference(d: Uint8Array, n: number): boolean {
  if (n < 3 || d[0] !== 131) return false;
  const tag = d[1];
  let p = 2;
  let ids = 0;
  if (tag === 114 || tag === 90) {
    if (p + 2 > n) return false;
    ids = (d[p] << 8) | d[p + 1];
    if (ids > 5) return false;
    p += 2;
  } else if (tag !== 101) return false;
  if (p >= n) return false;
  const atom = d[p++];
  if (atom === 100 || atom === 118) {
    if (p + 2 > n) return false;
    p += 2 + ((d[p] << 8) | d[p + 1]);
  } else if (atom === 115 || atom === 119) {
    if (p + 1 > n) return false;
    p += 1 + d[p];
  } else return false;
  return p + (tag === 101 ? 5 : tag === 114 ? 1 + 4 * ids : 4 + 4 * ids) <= n;
}

/** The first colon in b[s, e), or -1. */
function colonAt(b: Uint8Array, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] === 58) return i;
  return -1;
}

function sameBytes(a: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  if (a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}

function sameTokens(a: Int32Array, b: Int32Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
