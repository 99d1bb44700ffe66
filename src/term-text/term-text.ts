/**
 * A reader for Erlang term text: what `io:format("~p.~n", [T])`, `file:consult/1` files and the shell
 * print. recon_alloc snapshots and printed `erlang:system_info({allocator, A})` output are written this
 * way, so this is the one parser behind both (the allocator meaning is given in from-terms.ts).
 *
 * It is a parser only: it never prints, and a syntax error is a `TermSyntaxError` (an InputError, so
 * the CLI reports one line and exits 1) carrying the 1-based line and column of the offending character.
 */
import { InputError } from '../errors.js';

export type Term =
  | TermInteger
  | TermFloat
  | TermAtom
  | TermString
  | TermTuple
  | TermList
  | TermBinary
  | TermMap
  | TermOpaque;

/** `value` is a number when it is a safe integer and a BigInt beyond 2^53 (e.g. `mmmbc` = 2^64-1). */
export interface TermInteger {
  kind: 'integer';
  value: number | bigint;
}
export interface TermFloat {
  kind: 'float';
  value: number;
}
export interface TermAtom {
  kind: 'atom';
  name: string;
}
/** A double-quoted string (Erlang: a list of code points). Adjacent literals are concatenated. */
export interface TermString {
  kind: 'string';
  value: string;
}
export interface TermTuple {
  kind: 'tuple';
  items: Term[];
}
/** `tail` is set only for improper lists (`[a | b]`). */
export interface TermList {
  kind: 'list';
  items: Term[];
  tail?: Term;
}
/** One `<<...>>` segment: a value with optional size and type specifiers, kept as written. */
export interface BinarySegment {
  value: Term;
  size?: Term;
  types?: string[];
}
/**
 * A binary. `bytes` is filled when every segment is a plain byte or a string literal (what `~p` prints
 * for byte-aligned binaries); otherwise only `segments` describe it (bit strings, sized fields).
 */
export interface TermBinary {
  kind: 'binary';
  segments: BinarySegment[];
  bytes?: Uint8Array;
}
export interface TermMap {
  kind: 'map';
  entries: Array<[Term, Term]>;
}
/** Pids, ports, references and funs cannot be rebuilt from text; they are kept as written. */
export interface TermOpaque {
  kind: 'pid' | 'port' | 'reference' | 'fun';
  text: string;
}

export class TermSyntaxError extends InputError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    path?: string,
  ) {
    super(`${path ? `${path}:` : ''}${line}:${column}: Erlang term syntax error: ${reason}`, path);
    this.name = 'TermSyntaxError';
  }
}

export interface ParseTermsOptions {
  /** Named in error messages. */
  path?: string;
  /**
   * Shell output has no `.` after the term; allow the last term to end at end of input without one.
   * Default true.
   */
  allowMissingFinalDot?: boolean;
}

// Deep enough for any allocator data (about 8 levels); the guard turns hostile input into an error
// instead of a stack overflow.
const MAX_DEPTH = 2000;

/** Parses every `.`-terminated term in `text` (what `file:consult/1` does). */
export function parseTerms(text: string, options: ParseTermsOptions = {}): Term[] {
  const p = new TermParser(text, options.path);
  const out: Term[] = [];
  p.skipSpace();
  while (!p.atEnd()) {
    out.push(p.parseExpr(0));
    p.skipSpace();
    if (p.atEnd()) {
      if (options.allowMissingFinalDot === false) p.fail('expected "." after the term');
      break;
    }
    p.expectDot();
    p.skipSpace();
  }
  return out;
}

/** Parses exactly one term (with or without the final `.`). */
export function parseTerm(text: string, options: ParseTermsOptions = {}): Term {
  const terms = parseTerms(text, options);
  if (terms.length !== 1) {
    const p = new TermParser(text, options.path);
    p.pos = text.length;
    p.fail(terms.length === 0 ? 'no term in the input' : `expected one term, found ${terms.length}`);
  }
  return terms[0];
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAtomStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= '\u00df' && c <= '\u00ff' && c !== '\u00f7');
const isNameChar = (c: string) =>
  (c >= 'a' && c <= 'z') ||
  (c >= 'A' && c <= 'Z') ||
  isDigit(c) ||
  c === '_' ||
  c === '@' ||
  (c >= '\u00c0' && c <= '\u00ff' && c !== '\u00d7' && c !== '\u00f7');

class TermParser {
  pos = 0;
  constructor(
    readonly src: string,
    readonly path?: string,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  fail(reason: string, at = this.pos): never {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new TermSyntaxError(reason, line, col, this.path);
  }

  private describe(at = this.pos): string {
    if (at >= this.src.length) return 'end of input';
    const c = this.src[at];
    const cp = c.codePointAt(0)!;
    // C0, DEL and C1 controls by number: a terminal may act on them, and oneLine() blanks them.
    return cp < 32 || (cp >= 127 && cp < 160) ? `character U+${cp.toString(16).padStart(4, '0')}` : `"${c}"`;
  }

  /** Skips whitespace and `%` comments. */
  skipSpace(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff') this.pos++;
      else if (c === '%') {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      } else break;
    }
  }

  expectDot(): void {
    if (this.src[this.pos] !== '.') this.fail(`expected "." after the term, found ${this.describe()}`);
    this.pos++;
    // A terminating dot is followed by whitespace, a comment or the end (Erlang's "dot" token).
    const n = this.src[this.pos];
    if (n !== undefined && !/[\s%]/.test(n)) this.fail(`expected whitespace after ".", found ${this.describe()}`);
  }

  private expect(ch: string, what: string): void {
    this.skipSpace();
    if (this.src[this.pos] !== ch) this.fail(`expected ${what}, found ${this.describe()}`);
    this.pos++;
  }

  parseExpr(depth: number): Term {
    if (depth > MAX_DEPTH) this.fail('terms nested too deeply');
    this.skipSpace();
    if (this.atEnd()) this.fail('unexpected end of input, expected a term');
    const s = this.src;
    const c = s[this.pos];
    switch (c) {
      case '{':
        return { kind: 'tuple', items: this.parseSeq('{', '}', depth) };
      case '[':
        return this.parseList(depth);
      case '"':
        return { kind: 'string', value: this.parseStrings() };
      case "'":
        return { kind: 'atom', name: this.parseQuoted("'") };
      case '<':
        if (s[this.pos + 1] === '<') return this.parseBinary(depth);
        return this.parseAngle();
      case '#':
        return this.parseHash(depth);
      case '$':
        return this.parseChar();
      case '-':
      case '+': {
        const start = this.pos;
        this.pos++;
        if (!isDigit(s[this.pos] ?? '')) this.fail(`expected a number after "${c}"`, start);
        const n = this.parseNumber();
        if (c === '-') {
          if (n.kind === 'float') n.value = -n.value;
          else n.value = normalizeInt(-BigInt(n.value));
        }
        return n;
      }
    }
    if (isDigit(c)) return this.parseNumber();
    if (isAtomStart(c)) {
      const start = this.pos;
      while (this.pos < s.length && isNameChar(s[this.pos])) this.pos++;
      const name = s.slice(start, this.pos);
      if (name === 'fun') return this.parseFunText(start);
      return { kind: 'atom', name };
    }
    if ((c >= 'A' && c <= 'Z') || c === '_') this.fail(`variables are not terms (found ${this.describe()})`);
    this.fail(`unexpected ${this.describe()}`);
  }

  private parseSeq(open: string, close: string, depth: number): Term[] {
    this.pos++; // open
    const items: Term[] = [];
    this.skipSpace();
    if (this.src[this.pos] === close) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.parseExpr(depth + 1));
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === close) {
        this.pos++;
        return items;
      }
      this.fail(`expected "," or "${close}", found ${this.describe()}`);
    }
  }

  private parseList(depth: number): TermList {
    this.pos++;
    const items: Term[] = [];
    this.skipSpace();
    if (this.src[this.pos] === ']') {
      this.pos++;
      return { kind: 'list', items };
    }
    for (;;) {
      items.push(this.parseExpr(depth + 1));
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return { kind: 'list', items };
      }
      if (c === '|') {
        this.pos++;
        const tail = this.parseExpr(depth + 1);
        this.expect(']', '"]" after the list tail');
        // `[a | [b]]` is the proper list [a, b]; keep the tail only when it is not a list.
        if (tail.kind === 'list') return { kind: 'list', items: items.concat(tail.items), ...(tail.tail ? { tail: tail.tail } : {}) };
        if (tail.kind === 'string') return { kind: 'list', items: items.concat([...tail.value].map((ch) => intTerm(ch.codePointAt(0)!))) };
        return { kind: 'list', items, tail };
      }
      this.fail(`expected ",", "|" or "]", found ${this.describe()}`);
    }
  }

  /** One or more adjacent string literals (`~p` splits long strings across lines). */
  private parseStrings(): string {
    let out = this.parseQuoted('"');
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      if (this.src[this.pos] === '"') out += this.parseQuoted('"');
      else {
        this.pos = save;
        return out;
      }
    }
  }

  private parseQuoted(q: string): string {
    const s = this.src;
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= s.length) this.fail(`unterminated ${q === '"' ? 'string' : 'quoted atom'}`, start);
      const c = s[this.pos];
      if (c === q) {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += this.parseEscape();
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  /** Erlang escapes: \n \t ..., \NNN octal, \xHH, \x{H...}, \^C control characters. */
  private parseEscape(): string {
    const s = this.src;
    const at = this.pos;
    this.pos++; // backslash
    if (this.pos >= s.length) this.fail('unterminated escape sequence', at);
    const c = s[this.pos++];
    const simple: Record<string, string> = {
      b: '\b', d: '\x7f', e: '\x1b', f: '\f', n: '\n', r: '\r', s: ' ', t: '\t', v: '\v',
    };
    if (c in simple) return simple[c];
    if (c >= '0' && c <= '7') {
      let digits = c;
      while (digits.length < 3 && s[this.pos] >= '0' && s[this.pos] <= '7') digits += s[this.pos++];
      return String.fromCodePoint(parseInt(digits, 8));
    }
    if (c === 'x') {
      if (s[this.pos] === '{') {
        const end = s.indexOf('}', this.pos);
        const hex = end < 0 ? '' : s.slice(this.pos + 1, end);
        if (!/^[0-9a-fA-F]+$/.test(hex) || parseInt(hex, 16) > 0x10ffff) this.fail('bad \\x{...} escape', at);
        this.pos = end + 1;
        return String.fromCodePoint(parseInt(hex, 16));
      }
      const hex = s.slice(this.pos, this.pos + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('bad \\xHH escape', at);
      this.pos += 2;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    if (c === '^') {
      const k = s[this.pos++];
      if (k === undefined) this.fail('unterminated escape sequence', at);
      return String.fromCharCode(k.charCodeAt(0) & 31);
    }
    // Any other escaped character stands for itself (\\, \", \').
    return c;
  }

  private parseNumber(): TermInteger | TermFloat {
    const s = this.src;
    const start = this.pos;
    const digitsWith = (ok: (ch: string) => boolean): string => {
      const from = this.pos;
      while (this.pos < s.length && (ok(s[this.pos]) || (s[this.pos] === '_' && ok(s[this.pos + 1] ?? '') && this.pos > from))) this.pos++;
      return s.slice(from, this.pos).replace(/_/g, '');
    };
    const intPart = digitsWith(isDigit);
    if (s[this.pos] === '#') {
      // Base#Digits, e.g. 16#FF.
      const base = Number(intPart);
      if (base < 2 || base > 36) this.fail(`bad number base ${intPart}`, start);
      this.pos++;
      const okDigit = (ch: string) => {
        const v = parseInt(ch, 36);
        return !Number.isNaN(v) && v < base;
      };
      const ds = digitsWith(okDigit);
      if (!ds) this.fail(`expected base-${base} digits`, this.pos);
      let v = 0n;
      for (const ch of ds.toLowerCase()) v = v * BigInt(base) + BigInt(parseInt(ch, 36));
      return { kind: 'integer', value: normalizeInt(v) };
    }
    if (s[this.pos] === '.' && isDigit(s[this.pos + 1] ?? '')) {
      this.pos++;
      const frac = digitsWith(isDigit);
      let exp = '';
      if (s[this.pos] === 'e' || s[this.pos] === 'E') {
        const save = this.pos;
        this.pos++;
        let sign = '';
        if (s[this.pos] === '+' || s[this.pos] === '-') sign = s[this.pos++];
        const ed = digitsWith(isDigit);
        if (!ed) this.pos = save;
        else exp = `e${sign}${ed}`;
      }
      return { kind: 'float', value: Number(`${intPart}.${frac}${exp}`) };
    }
    return { kind: 'integer', value: normalizeInt(BigInt(intPart)) };
  }

  private parseChar(): TermInteger {
    const at = this.pos;
    this.pos++;
    if (this.pos >= this.src.length) this.fail('expected a character after "$"', at);
    if (this.src[this.pos] === '\\') return intTerm(this.parseEscape().codePointAt(0)!);
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return intTerm(cp);
  }

  /** `<<...>>`: byte lists, string literals, sized fields (`1:4`, `X/utf8`), nested binaries. */
  private parseBinary(depth: number): TermBinary {
    const start = this.pos;
    this.pos += 2;
    const segments: BinarySegment[] = [];
    this.skipSpace();
    if (this.src.startsWith('>>', this.pos)) {
      this.pos += 2;
      return { kind: 'binary', segments, bytes: new Uint8Array(0) };
    }
    for (;;) {
      this.skipSpace();
      let value: Term;
      const c = this.src[this.pos];
      if (c === '"') value = { kind: 'string', value: this.parseStrings() };
      else if (c === '<' && this.src[this.pos + 1] === '<') value = this.parseBinary(depth + 1);
      else if (c === '$') value = this.parseChar();
      else if (c === '-' || isDigit(c ?? '')) value = this.parseExpr(depth + 1);
      else if (c === "'" || isAtomStart(c ?? '')) value = this.parseExpr(depth + 1);
      else this.fail(`unexpected ${this.describe()} in a binary`);
      const seg: BinarySegment = { value };
      this.skipSpace();
      if (this.src[this.pos] === ':') {
        this.pos++;
        this.skipSpace();
        if (!isDigit(this.src[this.pos] ?? '')) this.fail(`expected a segment size, found ${this.describe()}`);
        seg.size = this.parseNumber();
        this.skipSpace();
      }
      if (this.src[this.pos] === '/') {
        this.pos++;
        const types: string[] = [];
        for (;;) {
          this.skipSpace();
          const m = /^[a-z][a-z0-9_]*(:\d+)?/.exec(this.src.slice(this.pos, this.pos + 40));
          if (!m) this.fail(`expected a type specifier, found ${this.describe()}`);
          types.push(m[0]);
          this.pos += m[0].length;
          if (this.src[this.pos] === '-') {
            this.pos++;
            continue;
          }
          break;
        }
        seg.types = types;
        this.skipSpace();
      }
      segments.push(seg);
      if (this.src[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.src.startsWith('>>', this.pos)) {
        this.pos += 2;
        break;
      }
      if (this.pos >= this.src.length) this.fail('unterminated binary', start);
      this.fail(`expected "," or ">>" in a binary, found ${this.describe()}`);
    }
    const bytes = binaryBytes(segments);
    return bytes ? { kind: 'binary', segments, bytes } : { kind: 'binary', segments };
  }

  /** `<0.85.0>`: a pid as printed. */
  private parseAngle(): TermOpaque {
    const m = /^<\d+\.\d+\.\d+>/.exec(this.src.slice(this.pos, this.pos + 64));
    if (!m) this.fail(`unexpected ${this.describe()}`);
    this.pos += m[0].length;
    return { kind: 'pid', text: m[0] };
  }

  /** `#{...}` maps, `#Ref<...>`, `#Port<...>`, `#Fun<...>`, `#PID<...>` (Elixir). */
  private parseHash(depth: number): Term {
    const s = this.src;
    if (s[this.pos + 1] === '{') {
      this.pos++;
      return this.parseMap(depth);
    }
    const m = /^#(Ref|Port|Fun|PID|Reference)<[^<>\s]*>/.exec(s.slice(this.pos, this.pos + 256));
    if (!m) this.fail(`unexpected ${this.describe()}`);
    this.pos += m[0].length;
    const kind = m[1] === 'Port' ? 'port' : m[1] === 'Fun' ? 'fun' : m[1] === 'PID' ? 'pid' : 'reference';
    return { kind, text: m[0] };
  }

  private parseMap(depth: number): TermMap {
    this.pos++; // {
    const entries: Array<[Term, Term]> = [];
    this.skipSpace();
    if (this.src[this.pos] === '}') {
      this.pos++;
      return { kind: 'map', entries };
    }
    for (;;) {
      const k = this.parseExpr(depth + 1);
      this.skipSpace();
      if (!this.src.startsWith('=>', this.pos)) this.fail(`expected "=>" in a map, found ${this.describe()}`);
      this.pos += 2;
      const v = this.parseExpr(depth + 1);
      entries.push([k, v]);
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return { kind: 'map', entries };
      }
      this.fail(`expected "," or "}" in a map, found ${this.describe()}`);
    }
  }

  /** `fun mod:name/2` as printed for external funs. */
  private parseFunText(start: number): Term {
    const m = /^\s+('[^']*'|[a-z][\w@]*):('[^']*'|[a-z][\w@]*)\/\d+/.exec(this.src.slice(this.pos, this.pos + 512));
    // Without `mod:name/arity` after it, `fun` is the plain atom (e.g. `{fun, 1}`).
    if (!m) return { kind: 'atom', name: 'fun' };
    this.pos += m[0].length;
    return { kind: 'fun', text: this.src.slice(start, this.pos) };
  }
}

function normalizeInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function intTerm(n: number): TermInteger {
  return { kind: 'integer', value: n };
}

const utf8 = new TextEncoder();

/** The bytes of a binary whose segments are all bytes or strings; undefined for anything else. */
function binaryBytes(segments: BinarySegment[]): Uint8Array | undefined {
  const parts: number[] = [];
  for (const seg of segments) {
    const types = seg.types ?? [];
    if (seg.size) return undefined;
    if (seg.value.kind === 'string') {
      if (types.length === 0) {
        for (const ch of seg.value.value) parts.push(ch.codePointAt(0)! & 0xff);
      } else if (types.length === 1 && types[0] === 'utf8') {
        for (const b of utf8.encode(seg.value.value)) parts.push(b);
      } else return undefined;
    } else if (seg.value.kind === 'integer' && types.length === 0) {
      parts.push(Number(BigInt.asUintN(8, BigInt(seg.value.value))));
    } else if (seg.value.kind === 'integer' && types.length === 1 && types[0] === 'utf8') {
      for (const b of utf8.encode(String.fromCodePoint(Number(seg.value.value)))) parts.push(b);
    } else if (seg.value.kind === 'binary' && seg.value.bytes && types.length <= 1 && (types[0] ?? 'binary') === 'binary') {
      for (const b of seg.value.bytes) parts.push(b);
    } else return undefined;
  }
  return Uint8Array.from(parts);
}

/**
 * Bytes of term text -> string. `~tp` output and files written with unicode encoding are UTF-8; plain
 * `~p` output written by `file:write_file` (recon's snapshot_save) is Latin-1 when it holds characters
 * 128-255. Like `file:consult`, try UTF-8 first and fall back to Latin-1.
 */
export function decodeTermText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // ISO-8859-1: byte n is U+00nn (TextDecoder's 'latin1' label means windows-1252). No Buffer:
    // this runs in a browser too. In slices, as String.fromCharCode takes its bytes as arguments.
    let text = '';
    for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return text;
  }
}

// ---- helpers for reading terms as data -------------------------------------------------------------

/** Integer value as a JS number (exact up to 2^53; larger values lose precision), else undefined. */
export function termNumber(t: Term | undefined): number | undefined {
  if (!t) return undefined;
  if (t.kind === 'integer') return Number(t.value);
  if (t.kind === 'float') return t.value;
  return undefined;
}

export function isAtom(t: Term | undefined, name?: string): t is TermAtom {
  return !!t && t.kind === 'atom' && (name === undefined || t.name === name);
}

/** A printable rendering of a term, for evidence and error messages. */
export function formatTerm(t: Term): string {
  switch (t.kind) {
    case 'integer':
      return String(t.value);
    case 'float':
      return Number.isInteger(t.value) ? t.value.toFixed(1) : String(t.value);
    case 'atom':
      return /^[a-z][\w@]*$/.test(t.name) ? t.name : `'${t.name.replace(/['\\]/g, '\\$&')}'`;
    case 'string':
      return JSON.stringify(t.value);
    case 'tuple':
      return `{${t.items.map(formatTerm).join(',')}}`;
    case 'list':
      return `[${t.items.map(formatTerm).join(',')}${t.tail ? `|${formatTerm(t.tail)}` : ''}]`;
    case 'binary':
      return `<<${t.segments
        .map((s) => `${formatTerm(s.value)}${s.size ? `:${formatTerm(s.size)}` : ''}${s.types ? `/${s.types.join('-')}` : ''}`)
        .join(',')}>>`;
    case 'map':
      return `#{${t.entries.map(([k, v]) => `${formatTerm(k)} => ${formatTerm(v)}`).join(',')}}`;
    default:
      return t.text;
  }
}
