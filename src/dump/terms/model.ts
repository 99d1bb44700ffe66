/**
 * The term model: what the heap decoder yields for one object of a dumped heap.
 *
 * Terms are plain immutable objects; a sub-term shared in the dumped heap may be the same JS object
 * in several places (the dump is a DAG). Bignums are BigInt, so a Term is not JSON-serialisable as
 * is: use `printTerm` (text) or `termToJson`.
 */

export type Term =
  | AtomTerm
  | IntTerm
  | FloatTerm
  | NilTerm
  | TupleTerm
  | ListTerm
  | MapTerm
  | BinaryTerm
  | PidTerm
  | PortTerm
  | RefTerm
  | FunTerm
  | ExportTerm
  | MarkerTerm;

export interface AtomTerm { t: 'atom'; v: string }
/** Small integers are numbers; bignums (and ETF integers beyond 2^53) are BigInt. */
export interface IntTerm { t: 'int'; v: number | bigint }
export interface FloatTerm { t: 'float'; v: number }
export interface NilTerm { t: 'nil' }
export interface TupleTerm { t: 'tuple'; v: Term[] }
/** A non-empty list: its elements, and the tail when improper (absent for a proper list). */
export interface ListTerm { t: 'list'; v: Term[]; tail?: Term }
export interface MapTerm { t: 'map'; v: Array<[Term, Term]> }

/**
 * A binary. `bytes` holds the payload, or only its first bytes when `complete` is false (refc
 * payloads are loaded on demand and capped). `size` is always the full size in bytes.
 */
export interface BinaryTerm {
  t: 'binary';
  kind: 'heap' | 'refc' | 'sub';
  size: number;
  bytes?: Uint8Array;
  complete: boolean;
  /** Off-heap Binary address (refc, or a sub binary of one), as written in the dump (hex). */
  address?: string;
  /** Byte offset into the off-heap binary. */
  offset?: number;
  /** Trailing bits of a bitstring decoded from the external format (1-7), if any. */
  bits?: number;
}

/** `<0.85.0>` as written; external pids keep the node index the dumping VM used. */
export interface PidTerm { t: 'pid'; v: string; node?: string }
/** `#Port<0.8>`. */
export interface PortTerm { t: 'port'; v: string; node?: string }
/** `#Ref<0.1.2.3>`. */
export interface RefTerm { t: 'ref'; v: string; node?: string }
/** A local fun: `#Fun<Module.OldIndex.OldUniq>`; its free variables are not in the dump. */
export interface FunTerm { t: 'fun'; module: string; index: number; uniq: number; arity?: number }
/** `fun M:F/A`. */
export interface ExportTerm { t: 'export'; module: string; fn: string; arity: number }

/**
 * Something the decoder could not turn into a term. `incomplete` prints as the viewer's
 * `'#CDVIncompleteHeap'` (a pointer to a line that was not dumped).
 */
export interface MarkerTerm {
  t: 'marker';
  kind: MarkerKind;
  detail?: string;
  /** `nonexisting-binary`: the size its heap line (`Yc`) gives, though its payload is not in the dump. */
  size?: number;
}

export type MarkerKind =
  /** Pointer to a heap line that is not in the dump. */
  | 'incomplete'
  /** A heap line with an object tag this decoder does not know (`Rf`, future tags). */
  | 'unknown'
  /** A heap line that could not be parsed (cut, garbled). */
  | 'malformed'
  /** Nesting deeper than the depth limit, or a pointer cycle. */
  | 'too-deep'
  /** The node budget of one decode ran out (huge or exponentially shared term). */
  | 'truncated'
  /** A refc binary whose `=binary` section is missing. */
  | 'nonexisting-binary'
  /** A distribution message not decoded (`D...` lines). */
  | 'dist'
  /** External term format data that could not be decoded. */
  | 'bad-etf';

export const NIL: NilTerm = Object.freeze({ t: 'nil' }) as NilTerm;

export function atom(v: string): AtomTerm {
  return { t: 'atom', v };
}

export function marker(kind: MarkerKind, detail?: string): MarkerTerm {
  return detail === undefined ? { t: 'marker', kind } : { t: 'marker', kind, detail };
}

/** A JSON-friendly copy: bigints become decimal strings, binaries {binary, size, base64?}. */
export function termToJson(term: Term, depth = 0): unknown {
  if (depth > 200) return { marker: 'too-deep' };
  switch (term.t) {
    case 'atom': return { atom: term.v };
    case 'int': return typeof term.v === 'bigint' ? { int: term.v.toString() } : term.v;
    case 'float': return { float: term.v };
    case 'nil': return [];
    case 'tuple': return { tuple: term.v.map((x) => termToJson(x, depth + 1)) };
    case 'list': {
      const out: Record<string, unknown> = { list: term.v.map((x) => termToJson(x, depth + 1)) };
      if (term.tail) out.tail = termToJson(term.tail, depth + 1);
      return out;
    }
    case 'map': return { map: term.v.map(([k, v]) => [termToJson(k, depth + 1), termToJson(v, depth + 1)]) };
    case 'binary': return { binary: term.kind, size: term.size, complete: term.complete };
    case 'pid': return { pid: term.v };
    case 'port': return { port: term.v };
    case 'ref': return { ref: term.v };
    case 'fun': return { fun: `${term.module}.${term.index}.${term.uniq}` };
    case 'export': return { fun: `${term.module}:${term.fn}/${term.arity}` };
    case 'marker': return { marker: term.kind, detail: term.detail };
  }
}
