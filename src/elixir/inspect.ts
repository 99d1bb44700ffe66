/**
 * Elixir-syntax printing of decoded terms, on one line, as Elixir 1.14's `inspect/2` prints them with
 * its default options (`limit: 50`, `printable_limit: 4096`, `pretty: false`): `%{key: value}`,
 * `%Mod{...}`, `[timeout: 5000]`, `"text"`, `<<1, 2>>`, `'abc'`, `#PID<0.85.0>`, `...` where inspect
 * elides. fixtures/elixir/ records what a real node's `inspect/2` printed for the same terms; the tests
 * hold this module to it.
 *
 * Charlists print as `'abc'`, as the Elixir installed here (1.14) does; 1.15 and later print
 * `~c"abc"`. What the dump cannot tell is documented in docs/elixir.md: a struct's fields print in
 * term order (inspect uses the order of `defstruct`), a struct whose module defines its own Inspect
 * prints as a struct (except MapSet, Range and Date, done here), and a local fun has no name.
 */
import type { MarkerKind, Term } from '../dump/terms/model.js';
import { formatFloat } from '../dump/terms/printer.js';

export interface InspectOptions {
  /** Items of each collection, as inspect's `:limit` (default 50; Infinity for all). */
  limit?: number;
  /** Characters of a string or charlist, as inspect's `:printable_limit` (default 4096). */
  printableLimit?: number;
  /** Cut the whole output at this many characters, ending with `...` (default 100,000). */
  maxChars?: number;
  /**
   * Whether a map with `__struct__: Mod` prints as `%Mod{...}`: Elixir does so when the module is
   * loaded (and its fields match). Default: every alias (`Elixir.*`) module.
   */
  isStruct?: (module: string) => boolean;
}

const MARKER_NAME: Record<MarkerKind, string> = {
  incomplete: '#CDVIncompleteHeap',
  'nonexisting-binary': '#CDVNonexistingBinary',
  unknown: '#UnknownHeapObject',
  malformed: '#MalformedHeapLine',
  'too-deep': '#TooDeep',
  truncated: '#Truncated',
  dist: '#CDVBadDistExt',
  'bad-etf': '#BadExternalTerm',
};

/** Nesting printed before the rest is elided (this printer recurses, like the Erlang one). */
const MAX_DEPTH = 1000;

class Cut extends Error {}

interface Ctx {
  put: (s: string) => void;
  printableLimit: number;
  isStruct: (module: string) => boolean;
}

/** `inspect(term)` of the term. */
export function inspectTerm(term: Term, opts: InspectOptions = {}): string {
  const max = opts.maxChars ?? 100_000;
  const out: string[] = [];
  let len = 0;
  const ctx: Ctx = {
    put: (s) => {
      out.push(s);
      len += s.length;
      if (len > max) throw new Cut();
    },
    printableLimit: opts.printableLimit ?? 4096,
    isStruct: opts.isStruct ?? isAlias,
  };
  try {
    write(term, opts.limit ?? 50, ctx, 0);
  } catch (e) {
    if (!(e instanceof Cut)) throw e;
    return `${out.join('').slice(0, Math.max(0, max - 3))}...`;
  }
  return out.join('');
}

function write(t: Term, limit: number, ctx: Ctx, depth: number): void {
  const { put } = ctx;
  if (depth > MAX_DEPTH && (t.t === 'tuple' || t.t === 'list' || t.t === 'map')) {
    put(inspectAtom(MARKER_NAME['too-deep']));
    return;
  }
  switch (t.t) {
    case 'atom': put(inspectAtom(t.v)); return;
    case 'int': put(t.v.toString()); return;
    case 'float': put(inspectFloat(t.v)); return;
    case 'nil': put('[]'); return;
    case 'tuple': container('{', t.v, '}', limit, ctx, depth, (x, l) => write(x, l, ctx, depth + 1)); return;
    case 'list': writeList(t.v, t.tail, limit, ctx, depth); return;
    case 'map': writeMap(t.v, limit, ctx, depth); return;
    case 'binary': writeBinary(t, limit, ctx); return;
    case 'pid': put(`#PID${t.v}`); return;
    case 'port': put(t.v); return;
    case 'ref': put(t.v.replace(/^#Ref</, '#Reference<')); return;
    case 'fun': put(`#Function<${t.index}.${t.uniq}${t.arity !== undefined ? `/${t.arity}` : ''} in ${inspectAtom(t.module)}>`); return;
    case 'export': put(`&${inspectAtom(t.module)}.${remoteName(t.fn)}/${t.arity}`); return;
    case 'marker': put(inspectAtom(MARKER_NAME[t.kind] ?? '#Unknown')); return;
  }
}

/**
 * Inspect.Algebra.container_doc: at most `limit` items, each printed with the limit left after it
 * (so nested collections shrink), then `...`.
 */
function container<T>(open: string, items: readonly T[], close: string, limit: number, ctx: Ctx, _depth: number,
  each: (x: T, limit: number) => void, tail?: Term): void {
  ctx.put(open);
  let left = limit;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) ctx.put(', ');
    if (left === 0) {
      ctx.put('...');
      ctx.put(close);
      return;
    }
    left = left === Infinity ? left : left - 1;
    each(items[i], left);
    if (tail && i === items.length - 1) {
      ctx.put(' | ');
      write(tail, left, ctx, _depth + 1);
    }
  }
  ctx.put(close);
}

function writeList(items: Term[], tail: Term | undefined, limit: number, ctx: Ctx, depth: number): void {
  if (!tail) {
    const chars = printableCharlist(items, ctx.printableLimit);
    if (chars) {
      const more = items.length > chars.length;
      ctx.put(`'${escape(chars, "'")}'${more ? ' ++ ...' : ''}`);
      return;
    }
    if (isKeyword(items)) {
      container('[', items, ']', limit, ctx, depth, (x, l) => writeKeyword(x as { t: 'tuple'; v: Term[] }, l, ctx, depth));
      return;
    }
  }
  container('[', items, ']', limit, ctx, depth, (x, l) => write(x, l, ctx, depth + 1), tail);
}

function writeKeyword(pair: { v: Term[] }, limit: number, ctx: Ctx, depth: number): void {
  ctx.put(`${inspectKey((pair.v[0] as { v: string }).v)} `);
  write(pair.v[1], limit, ctx, depth + 1);
}

/** Inspect.List.keyword?: 2-tuples with atom keys, none an alias (`Elixir.*`). */
function isKeyword(items: Term[]): boolean {
  for (const x of items) {
    if (x.t !== 'tuple' || x.v.length !== 2 || x.v[0].t !== 'atom' || x.v[0].v.startsWith('Elixir.')) return false;
  }
  return true;
}

function writeMap(dumped: Array<[Term, Term]>, limit: number, ctx: Ctx, depth: number): void {
  // A map of more than 32 keys is a hash trie: the decoder yields its leaves in the reverse of the
  // order maps:to_list/1 (and so inspect) walks them; a flatmap's keys are sorted either way.
  const entries = dumped.length > 32 ? [...dumped].reverse() : dumped;
  const struct = entries.find(([k]) => k.t === 'atom' && k.v === '__struct__')?.[1];
  if (struct && struct.t === 'atom' && ctx.isStruct(struct.v)) {
    const fields = entries.filter(([k]) => !(k.t === 'atom' && k.v === '__struct__'));
    if (writeSpecialStruct(struct.v, fields, limit, ctx, depth)) return;
    const name = inspectAtom(struct.v);
    container(`%${name}{`, fields, '}', limit, ctx, depth, (kv, l) => writeKeyword({ v: kv }, l, ctx, depth));
    return;
  }
  const keyword = entries.every(([k]) => k.t === 'atom' && !k.v.startsWith('Elixir.'));
  container('%{', entries, '}', limit, ctx, depth, ([k, v], l) => {
    if (keyword) ctx.put(`${inspectKey((k as { v: string }).v)} `);
    else {
      write(k, l, ctx, depth + 1);
      ctx.put(' => ');
    }
    write(v, l, ctx, depth + 1);
  });
}

/** The structs of Elixir's standard library whose Inspect implementation the fixture covers. */
function writeSpecialStruct(module: string, fields: Array<[Term, Term]>, limit: number, ctx: Ctx, depth: number): boolean {
  const f = new Map<string, Term>();
  for (const [k, v] of fields) if (k.t === 'atom') f.set(k.v, v);
  const int = (k: string) => {
    const v = f.get(k);
    return v?.t === 'int' ? v.v : undefined;
  };
  const only = (...keys: string[]) => fields.length === keys.length && keys.every((k) => f.has(k));
  if (module === 'Elixir.MapSet' && only('map', 'version')) {
    const m = f.get('map');
    if (m?.t !== 'map') return false;
    ctx.put('MapSet.new(');
    const keys = m.v.map(([k]) => k);
    if (keys.length === 0) ctx.put('[]');
    else writeList(keys, undefined, limit, ctx, depth + 1);
    ctx.put(')');
    return true;
  }
  if (module === 'Elixir.Range' && only('first', 'last', 'step')) {
    const [a, b, s] = [int('first'), int('last'), int('step')];
    if (a === undefined || b === undefined || s === undefined) return false;
    ctx.put(`${a}..${b}${s === 1 || s === 1n ? '' : `//${s}`}`);
    return true;
  }
  if (module === 'Elixir.Date' && only('calendar', 'year', 'month', 'day')) {
    const cal = f.get('calendar');
    const [y, m, d] = [int('year'), int('month'), int('day')];
    if (cal?.t !== 'atom' || cal.v !== 'Elixir.Calendar.ISO' || typeof y !== 'number' || typeof m !== 'number' || typeof d !== 'number') return false;
    const year = y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
    ctx.put(`~D[${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}]`);
    return true;
  }
  return false;
}

function writeBinary(t: Extract<Term, { t: 'binary' }>, limit: number, ctx: Ctx): void {
  const bytes = t.bytes;
  if (t.bits && bytes && bytes.length === t.size + 1) {
    const items = Array.from(bytes.subarray(0, t.size), String);
    items.push(`${bytes[t.size] >> (8 - t.bits)}::size(${t.bits})`);
    writeBytes(items, false, limit, ctx);
    return;
  }
  if (!bytes || (bytes.length === 0 && t.size > 0)) {
    ctx.put(`<<...${t.size} bytes>>`);
    return;
  }
  const more = !t.complete || bytes.length < t.size;
  if (bytes.length === 0) {
    ctx.put('""');
    return;
  }
  const chars = printableString(bytes, ctx.printableLimit, more);
  if (chars) {
    const cut = more || chars.rest;
    ctx.put(`"${escape(chars.codes, '"')}"${cut ? ' <> ...' : ''}`);
    return;
  }
  writeBytes(Array.from(bytes, String), more, limit, ctx);
}

/** `<<1, 2, 3>>`: inspect counts each byte against the limit. */
function writeBytes(items: string[], more: boolean, limit: number, ctx: Ctx): void {
  const n = Math.min(items.length, limit);
  const shown = items.slice(0, n);
  if (n < items.length || more) shown.push('...');
  ctx.put(`<<${shown.join(', ')}>>`);
}

/** String.printable?/2 over the first `limit` code points of valid UTF-8; the code points shown. */
function printableString(bytes: Uint8Array, limit: number, cutPayload: boolean): { codes: number[]; rest: boolean } | undefined {
  const codes: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (codes.length >= limit) return { codes, rest: true };
    const b = bytes[i];
    let cp: number;
    let n: number;
    if (b < 0x80) [cp, n] = [b, 1];
    else if (b >= 0xc2 && b < 0xe0) [cp, n] = [b & 0x1f, 2];
    else if (b >= 0xe0 && b < 0xf0) [cp, n] = [b & 0x0f, 3];
    else if (b >= 0xf0 && b < 0xf5) [cp, n] = [b & 0x07, 4];
    else return undefined;
    if (i + n > bytes.length) {
      // A payload cut in the middle of a character (only the first bytes were loaded).
      if (cutPayload) return { codes, rest: true };
      return undefined;
    }
    for (let j = 1; j < n; j++) {
      const c = bytes[i + j];
      if ((c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms and surrogates are not UTF-8.
    if ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff))) return undefined;
    if (!isPrintable(cp)) return undefined;
    codes.push(cp);
    i += n;
  }
  return { codes, rest: false };
}

/** Characters String.printable? accepts (Elixir 1.14: not DEL, not NUL). */
function isPrintable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)
    || (c >= 7 && c <= 13) || c === 27;
}

/** List.ascii_printable?/2: the first `limit` elements are printable ASCII; the code points shown. */
function printableCharlist(items: Term[], limit: number): number[] | undefined {
  const out: number[] = [];
  for (const x of items) {
    if (out.length >= limit) return out;
    if (x.t !== 'int' || typeof x.v !== 'number') return undefined;
    const c = x.v;
    if (!((c >= 32 && c <= 126) || (c >= 7 && c <= 13) || c === 27)) return undefined;
    out.push(c);
  }
  return out;
}

/** Code.Identifier.escape: the quote, backslash and `#{` escaped, control characters by name. */
function escape(codes: number[], quote: '"' | "'"): string {
  const q = quote.charCodeAt(0);
  let s = '';
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === q) s += `\\${quote}`;
    else if (c === 92) s += '\\\\';
    else if (c === 35 && codes[i + 1] === 123) s += '\\#';
    else if (c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0)) s += String.fromCodePoint(c);
    else {
      switch (c) {
        case 0: s += '\\0'; break;
        case 7: s += '\\a'; break;
        case 8: s += '\\b'; break;
        case 9: s += '\\t'; break;
        case 10: s += '\\n'; break;
        case 11: s += '\\v'; break;
        case 12: s += '\\f'; break;
        case 13: s += '\\r'; break;
        case 27: s += '\\e'; break;
        case 127: s += '\\d'; break;
        default: s += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return s;
}

/** Elixir's float: integral values below 1.0e16 with all their digits, else Erlang's shortest form. */
export function inspectFloat(x: number): string {
  const a = Math.abs(x);
  if (a >= 1 && a < 1e16 && Math.trunc(a) === a) return `${Math.trunc(x)}.0`;
  return formatFloat(x);
}

// Operators inspect prints without quotes (Macro.inspect_atom/2); `::`, `//`, `^^^` and `~~~` it quotes.
const OPERATORS = new Set(['+', '-', '*', '/', '++', '--', '**', '..', '...', '<>', '!', '^', '@', '&', '\\\\', '|', '=', '==',
  '!=', '===', '!==', '=~', '<', '>', '<=', '>=', '<-', '->', '|>', '<<<', '>>>', '<<~', '~>>', '<~', '~>', '<~>', '<|>',
  '&&&', '|||', '&&', '||', '%{}', '{}', '%', '<<>>', '..//', '.', '+++', '---']);
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}_@]*[?!]?$/u;
const ALIAS_PART = /^[A-Z][A-Za-z0-9_]*$/;

/** `Elixir.Foo.Bar`: a module alias Elixir prints as `Foo.Bar`. */
export function isAlias(atomName: string): boolean {
  if (atomName === 'Elixir') return true;
  if (!atomName.startsWith('Elixir.')) return false;
  return atomName.slice(7).split('.').every((p) => ALIAS_PART.test(p));
}

/** `:ok`, `:"hello world"`, `nil`, `Foo.Bar`, `Elixir`: Macro.inspect_atom(:literal, atom). */
export function inspectAtom(a: string): string {
  if (a === 'nil' || a === 'true' || a === 'false') return a;
  if (isAlias(a)) return a === 'Elixir' || a.startsWith('Elixir.Elixir.') ? a : a.slice(7);
  if (OPERATORS.has(a) || IDENTIFIER.test(a)) return `:${a}`;
  return `:"${escape(Array.from(a, (c) => c.codePointAt(0)!), '"')}"`;
}

/** `key:` or `"key with space":`: Macro.inspect_atom(:key, atom). */
export function inspectKey(a: string): string {
  if (!isAlias(a) && (OPERATORS.has(a) || IDENTIFIER.test(a))) return `${a}:`;
  return `"${escape(Array.from(a, (c) => c.codePointAt(0)!), '"')}":`;
}

/** A function name after `Mod.`: bare when it is an identifier or operator, else quoted. */
export function remoteName(fn: string): string {
  if ((OPERATORS.has(fn) && fn !== '%{}' && fn !== '{}' && fn !== '<<>>' && fn !== '%') || (IDENTIFIER.test(fn) && !fn.includes('@'))) return fn;
  return `"${escape(Array.from(fn, (c) => c.codePointAt(0)!), '"')}"`;
}
