/**
 * Erlang-style printing of decoded terms, on one line, like `io_lib:format("~tp")` with an
 * unlimited line width: atoms quoted where Erlang would, char lists printable in Latin-1 as
 * strings, binaries as `<<"text">>` or `<<1,2,3>>`, floats in Erlang's shortest form.
 * The output is cut at `maxChars`, so even an exponentially shared term prints in bounded time.
 */
import type { MarkerKind, Term } from './model.js';

export interface PrintOptions {
  /** Cut the output at this many characters, ending with `...` (default 100,000). */
  maxChars?: number;
  /** Sort map entries by their printed key (for comparisons; default: order as dumped). */
  sortMapKeys?: boolean;
}

const RESERVED = new Set(['after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr', 'bxor', 'case',
  'catch', 'cond', 'div', 'end', 'fun', 'if', 'let', 'not', 'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor']);

const MARKER_TEXT: Record<MarkerKind, string> = {
  incomplete: "'#CDVIncompleteHeap'",
  'nonexisting-binary': "'#CDVNonexistingBinary'",
  unknown: "'#UnknownHeapObject'",
  malformed: "'#MalformedHeapLine'",
  'too-deep': "'#TooDeep'",
  truncated: "'#Truncated'",
  dist: "'#CDVBadDistExt'",
  'bad-etf': "'#BadExternalTerm'",
};

class Cut extends Error {}

export function printTerm(term: Term, opts: PrintOptions = {}): string {
  const max = opts.maxChars ?? 100_000;
  const out: string[] = [];
  let len = 0;
  const put = (s: string): void => {
    out.push(s);
    len += s.length;
    if (len > max) throw new Cut();
  };
  try {
    write(term, put, opts, 0);
  } catch (e) {
    if (!(e instanceof Cut)) throw e;
    const s = out.join('');
    return `${s.slice(0, Math.max(0, max - 3))}...`;
  }
  return out.join('');
}

/**
 * Nesting printed before the rest is elided with the too-deep marker: the decoder decodes any
 * depth, and this printer recurses (a term nested 5,000 deep overflowed the JS stack here).
 */
export const PRINT_MAX_DEPTH = 1000;

function write(t: Term, put: (s: string) => void, opts: PrintOptions, depth: number): void {
  // Only containers nest: a number or an atom past the limit still prints.
  if (depth > PRINT_MAX_DEPTH && (t.t === 'tuple' || t.t === 'list' || t.t === 'map')) {
    put(MARKER_TEXT['too-deep']);
    return;
  }
  switch (t.t) {
    case 'atom': put(writeAtom(t.v)); return;
    case 'int': put(t.v.toString()); return;
    case 'float': put(formatFloat(t.v)); return;
    case 'nil': put('[]'); return;
    case 'tuple':
      put('{');
      t.v.forEach((x, i) => {
        if (i > 0) put(',');
        write(x, put, opts, depth + 1);
      });
      put('}');
      return;
    case 'list': {
      if (!t.tail && isPrintableLatin1List(t.v)) {
        put(writeString(t.v.map((x) => Number((x as { v: number }).v))));
        return;
      }
      put('[');
      t.v.forEach((x, i) => {
        if (i > 0) put(',');
        write(x, put, opts, depth + 1);
      });
      if (t.tail) {
        put('|');
        write(t.tail, put, opts, depth + 1);
      }
      put(']');
      return;
    }
    case 'map': {
      put('#{');
      let entries = t.v;
      if (opts.sortMapKeys) {
        entries = entries
          .map((e) => ({ e, k: printTerm(e[0], { maxChars: 10_000, sortMapKeys: true }) }))
          .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
          .map((x) => x.e);
      }
      entries.forEach(([k, v], i) => {
        if (i > 0) put(',');
        write(k, put, opts, depth + 1);
        put(' => ');
        write(v, put, opts, depth + 1);
      });
      put('}');
      return;
    }
    case 'binary': {
      const bytes = t.bytes;
      if (t.bits && bytes && bytes.length === t.size + 1) {
        // A bitstring: whole bytes, then the trailing bits (`<<1,2,7:4>>`, as ~w prints it).
        const whole = Array.from(bytes.subarray(0, t.size), String);
        whole.push(`${bytes[t.size] >> (8 - t.bits)}:${t.bits}`);
        put(`<<${whole.join(',')}>>`);
        return;
      }
      if (!bytes || (bytes.length === 0 && t.size > 0)) {
        put(`<<...${t.size} bytes>>`);
        return;
      }
      const more = !t.complete || bytes.length < t.size;
      if (bytes.length === 0) {
        put('<<>>');
        return;
      }
      if (isPrintableLatin1Bytes(bytes)) put(`<<${writeString(Array.from(bytes))}${more ? '...' : ''}>>`);
      else {
        put('<<');
        let first = true;
        for (const b of bytes) {
          put(first ? String(b) : `,${b}`);
          first = false;
        }
        put(more ? ',...>>' : '>>');
      }
      return;
    }
    case 'pid': case 'port': case 'ref': put(t.v); return;
    case 'fun': put(`#Fun<${t.module}.${t.index}.${t.uniq}>`); return;
    case 'export': put(`fun ${writeAtom(t.module)}:${writeAtom(t.fn)}/${t.arity}`); return;
    case 'marker': put(MARKER_TEXT[t.kind] ?? "'#Unknown'"); return;
  }
}

/** Like `io_lib:write_atom/1`. */
export function writeAtom(a: string): string {
  if (isUnquotedAtom(a)) return a;
  let q = QUOTED.get(a);
  if (q === undefined) {
    // Remembered: a quoted atom is usually one of a few printed many times (a fun's name as the
    // initial call of 100,000 processes, a message's tag in every example).
    if (QUOTED.size >= 4096) QUOTED.clear();
    q = `'${escapeChars(Array.from(a, (ch) => ch.codePointAt(0)!), 39)}'`;
    QUOTED.set(a, q);
  }
  return q;
}

const QUOTED = new Map<string, string>();

function isUnquotedAtom(a: string): boolean {
  if (a.length === 0 || RESERVED.has(a)) return false;
  // By UTF-16 unit, not code point (no array per atom: initial calls of 100,000 processes are
  // printed): a unit of a surrogate pair is over 255, as its code point is, so either way fails.
  const c0 = a.charCodeAt(0);
  if (!((c0 >= 97 && c0 <= 122) || (c0 >= 223 && c0 <= 255 && c0 !== 247))) return false;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 64
      || (c >= 192 && c <= 255 && c !== 215 && c !== 247);
    if (!ok) return false;
  }
  return true;
}

/** Like `io_lib:write_string/1` (double quotes). */
export function writeString(chars: number[]): string {
  return `"${escapeChars(chars, 34)}"`;
}

function escapeChars(chars: number[], quote: number): string {
  let s = '';
  for (const c of chars) {
    if (c === quote) s += `\\${String.fromCharCode(c)}`;
    else if (c === 92) s += '\\\\';
    else if ((c >= 32 && c <= 126) || c >= 160) s += String.fromCodePoint(c);
    else {
      switch (c) {
        case 10: s += '\\n'; break;
        case 13: s += '\\r'; break;
        case 9: s += '\\t'; break;
        case 11: s += '\\v'; break;
        case 8: s += '\\b'; break;
        case 12: s += '\\f'; break;
        case 27: s += '\\e'; break;
        case 127: s += '\\d'; break;
        default: s += `\\${c.toString(8).padStart(3, '0')}`;
      }
    }
  }
  return s;
}

function isPrintableChar(c: number): boolean {
  return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) || c === 27;
}

function isPrintableLatin1List(v: Term[]): boolean {
  if (v.length === 0) return false;
  for (const x of v) {
    if (x.t !== 'int' || typeof x.v !== 'number' || !isPrintableChar(x.v)) return false;
  }
  return true;
}

function isPrintableLatin1Bytes(b: Uint8Array): boolean {
  for (const c of b) if (!isPrintableChar(c)) return false;
  return true;
}

/** A float as Erlang prints it (`io_lib:format("~w")`, the shortest round-trip form). */
export function formatFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(x)) return String(x);
  const neg = x < 0;
  const [mant, expS] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expS);
  const L = digits.length;
  const place = exp + 1; // position of the decimal point in the digit string
  const sci = `${digits[0]}.${L === 1 ? '0' : digits.slice(1)}e${exp}`;
  let fixed: string;
  let s: string;
  if (place <= 0) {
    fixed = `0.${'0'.repeat(-place)}${digits}`;
    s = fixed.length <= sci.length ? fixed : sci;
  } else if (place < L) {
    s = `${digits.slice(0, place)}.${digits.slice(place)}`;
  } else if (Math.abs(x) >= 2 ** 53) {
    s = sci;
  } else {
    fixed = `${digits}${'0'.repeat(place - L)}.0`;
    s = fixed.length <= sci.length ? fixed : sci;
  }
  return neg ? `-${s}` : s;
}
