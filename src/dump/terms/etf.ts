/**
 * A decoder for the Erlang external term format, for the `E` heap lines of a dump (funs, exports,
 * references, pids, ports; anything the writer could not express in the heap encoding) and the
 * payloads of distribution messages. It never throws: bad data yields a `bad-etf` marker.
 */
import { inflateSync } from 'node:zlib';
import { NIL, marker, type Term } from './model.js';
import { MiB } from '../../text/units.js';

export interface EtfOptions {
  /** Atom-cache translation table of a distribution message (`ATOM_CACHE_REF` indexes into it). */
  atomCache?: string[];
  maxDepth?: number;
  /** Most terms (nodes) one decode may produce. */
  maxNodes?: number;
}

class EtfError extends Error {}

export function decodeEtf(data: Uint8Array, opts: EtfOptions = {}): Term {
  try {
    let bytes = data;
    let p = 0;
    if (bytes[0] === 131) p = 1;
    if (bytes[p] === 80) {
      // COMPRESSED: 4-byte uncompressed size, then zlib data.
      const size = readU32(bytes, p + 1);
      if (size > 64 * MiB) throw new EtfError('compressed term too large');
      bytes = inflateSync(bytes.subarray(p + 5), { maxOutputLength: Math.max(size, 1) });
      p = 0;
    }
    const r = new EtfReader(bytes, p, opts);
    return r.term(0);
  } catch (e) {
    return marker('bad-etf', e instanceof Error ? e.message : String(e));
  }
}

function readU32(b: Uint8Array, p: number): number {
  if (p + 4 > b.length) throw new EtfError('cut');
  return ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const latin1 = new TextDecoder('latin1');

class EtfReader {
  private nodes = 0;
  private readonly maxDepth: number;
  private readonly maxNodes: number;
  constructor(private b: Uint8Array, private p: number, private opts: EtfOptions) {
    this.maxDepth = opts.maxDepth ?? 500;
    this.maxNodes = opts.maxNodes ?? 1_000_000;
  }

  private need(n: number): void {
    if (this.p + n > this.b.length) throw new EtfError('cut');
  }
  private u8(): number {
    this.need(1);
    return this.b[this.p++];
  }
  private u16(): number {
    this.need(2);
    const v = (this.b[this.p] << 8) | this.b[this.p + 1];
    this.p += 2;
    return v;
  }
  private u32(): number {
    const v = readU32(this.b, this.p);
    this.p += 4;
    return v;
  }
  private i32(): number {
    return this.u32() | 0;
  }
  private take(n: number): Uint8Array {
    this.need(n);
    const s = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return s;
  }

  /** An atom in any encoding (used for node names, modules, function names). */
  atomName(): string {
    const t = this.term(1);
    if (t.t === 'atom') return t.v;
    throw new EtfError('atom expected');
  }

  term(depth: number): Term {
    if (depth > this.maxDepth) throw new EtfError('too deep');
    if (++this.nodes > this.maxNodes) throw new EtfError('too many nodes');
    const tag = this.u8();
    switch (tag) {
      case 97: return { t: 'int', v: this.u8() }; // SMALL_INTEGER_EXT
      case 98: return { t: 'int', v: this.i32() }; // INTEGER_EXT
      case 99: { // FLOAT_EXT: 31 bytes of "%.20e" text
        const s = latin1.decode(this.take(31)).replace(/\0.*$/s, '');
        return { t: 'float', v: Number.parseFloat(s) };
      }
      case 70: { // NEW_FLOAT_EXT
        const bytes = this.take(8);
        return { t: 'float', v: new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, false) };
      }
      case 100: case 118: { // ATOM_EXT, ATOM_UTF8_EXT
        const n = this.u16();
        const s = this.take(n);
        return { t: 'atom', v: tag === 100 ? latin1.decode(s) : utf8.decode(s) };
      }
      case 115: case 119: { // SMALL_ATOM_EXT, SMALL_ATOM_UTF8_EXT
        const n = this.u8();
        const s = this.take(n);
        return { t: 'atom', v: tag === 115 ? latin1.decode(s) : utf8.decode(s) };
      }
      case 82: { // ATOM_CACHE_REF
        const i = this.u8();
        const a = this.opts.atomCache?.[i];
        if (a === undefined) throw new EtfError(`atom cache reference ${i} without a table`);
        return { t: 'atom', v: a };
      }
      case 104: return this.tuple(this.u8(), depth);
      case 105: return this.tuple(this.u32(), depth);
      case 106: return NIL;
      case 107: { // STRING_EXT: list of bytes
        const n = this.u16();
        const s = this.take(n);
        if (n === 0) return NIL;
        return { t: 'list', v: Array.from(s, (c) => ({ t: 'int', v: c }) as Term) };
      }
      case 108: { // LIST_EXT
        const n = this.u32();
        if (n > this.b.length - this.p) throw new EtfError('list longer than data');
        const v: Term[] = [];
        for (let i = 0; i < n; i++) v.push(this.term(depth + 1));
        const tail = this.term(depth + 1);
        if (n === 0) return tail;
        if (tail.t === 'nil') return { t: 'list', v };
        if (tail.t === 'list') return tail.tail ? { t: 'list', v: v.concat(tail.v), tail: tail.tail } : { t: 'list', v: v.concat(tail.v) };
        return { t: 'list', v, tail };
      }
      case 109: { // BINARY_EXT
        const n = this.u32();
        const bytes = Uint8Array.from(this.take(n));
        return { t: 'binary', kind: 'heap', size: n, bytes, complete: true };
      }
      case 77: { // BIT_BINARY_EXT
        const n = this.u32();
        const bits = this.u8();
        const bytes = Uint8Array.from(this.take(n));
        if (bits === 8 || n === 0) return { t: 'binary', kind: 'heap', size: n, bytes, complete: true };
        return { t: 'binary', kind: 'heap', size: n - 1, bytes, complete: true, bits };
      }
      case 110: return this.big(this.u8());
      case 111: return this.big(this.u32());
      case 116: { // MAP_EXT
        const n = this.u32();
        if (n > this.b.length - this.p) throw new EtfError('map larger than data');
        const v: Array<[Term, Term]> = [];
        for (let i = 0; i < n; i++) {
          const k = this.term(depth + 1);
          v.push([k, this.term(depth + 1)]);
        }
        return { t: 'map', v };
      }
      case 103: case 88: { // PID_EXT, NEW_PID_EXT
        const node = this.atomName();
        const id = this.u32();
        const serial = this.u32();
        if (tag === 103) this.u8(); else this.u32();
        return { t: 'pid', v: `<0.${id}.${serial}>`, node };
      }
      case 102: case 89: case 120: { // PORT_EXT, NEW_PORT_EXT, V4_PORT_EXT
        const node = this.atomName();
        let id: number | bigint;
        if (tag === 120) {
          const hi = this.u32();
          const lo = this.u32();
          id = (BigInt(hi) << 32n) | BigInt(lo);
        } else id = this.u32();
        if (tag === 102) this.u8(); else this.u32();
        return { t: 'port', v: `#Port<0.${id}>`, node };
      }
      case 101: { // REFERENCE_EXT
        const node = this.atomName();
        const id = this.u32();
        this.u8();
        return { t: 'ref', v: `#Ref<0.${id}>`, node };
      }
      case 114: case 90: { // NEW_REFERENCE_EXT, NEWER_REFERENCE_EXT
        const n = this.u16();
        if (n > 5) throw new EtfError('reference too long');
        const node = this.atomName();
        if (tag === 114) this.u8(); else this.u32();
        const ids: number[] = [];
        for (let i = 0; i < n; i++) ids.push(this.u32());
        return { t: 'ref', v: `#Ref<0.${ids.reverse().join('.')}>`, node };
      }
      case 113: { // EXPORT_EXT
        const module = this.atomName();
        const fn = this.atomName();
        const a = this.term(depth + 1);
        if (a.t !== 'int') throw new EtfError('export arity');
        return { t: 'export', module, fn, arity: Number(a.v) };
      }
      case 112: { // NEW_FUN_EXT
        const size = this.u32();
        const start = this.p - 5;
        const arity = this.u8();
        this.take(16); // md5 of the module
        this.u32(); // index
        const numFree = this.u32();
        const module = this.atomName();
        const oldIndex = this.term(depth + 1);
        const oldUniq = this.term(depth + 1);
        this.term(depth + 1); // creator pid
        for (let i = 0; i < numFree; i++) this.term(depth + 1); // free variables (written as [])
        if (size > 0 && start + size <= this.b.length) this.p = start + 1 + size;
        return {
          t: 'fun', module, arity,
          index: oldIndex.t === 'int' ? Number(oldIndex.v) : 0,
          uniq: oldUniq.t === 'int' ? Number(oldUniq.v) : 0,
        };
      }
      case 117: { // FUN_EXT (old)
        const numFree = this.u32();
        this.term(depth + 1); // pid
        const module = this.atomName();
        const index = this.term(depth + 1);
        const uniq = this.term(depth + 1);
        for (let i = 0; i < numFree; i++) this.term(depth + 1);
        return { t: 'fun', module, index: index.t === 'int' ? Number(index.v) : 0, uniq: uniq.t === 'int' ? Number(uniq.v) : 0 };
      }
      case 121: { // LOCAL_EXT (OTP 26): a hash and then a normal term, only valid on the same node
        this.take(4);
        return this.term(depth + 1);
      }
      default:
        throw new EtfError(`unknown external term tag ${tag}`);
    }
  }

  private tuple(n: number, depth: number): Term {
    if (n > this.b.length - this.p) throw new EtfError('tuple larger than data');
    const v: Term[] = [];
    for (let i = 0; i < n; i++) v.push(this.term(depth + 1));
    return { t: 'tuple', v };
  }

  private big(n: number): Term {
    const sign = this.u8();
    const d = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(d[i]);
    if (sign) v = -v;
    return { t: 'int', v: v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v };
  }
}
