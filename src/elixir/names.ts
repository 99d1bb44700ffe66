/**
 * Names and short texts the reader keeps as Erlang text (registered names, `m:f/a`, message
 * shapes), rewritten in Elixir syntax: `'Elixir.MyApp.Repo'` -> `MyApp.Repo`,
 * `'Elixir.Phoenix.Endpoint.Cowboy2Handler':init/2` -> `Phoenix.Endpoint.Cowboy2Handler.init/2`,
 * `gen_server:loop/7` -> `:gen_server.loop/7`, `#{'__struct__' => 'Elixir.Ev', id => integer}` ->
 * `%Ev{id: integer}`. Text that is not of these forms is returned unchanged.
 */
import { inspectAtom, inspectKey, remoteName } from './inspect.js';
import { NOT_IN_DUMP } from '../dump/terms/shape.js';

const QUOTED = String.raw`'(?:[^'\\]|\\.)*'`;
const BARE = String.raw`[a-z][A-Za-z0-9_@]*`;
const ATOM = `(?:${QUOTED}|${BARE})`;
// Slogans and some dump lines write atoms unquoted (`Elixir.Path:expand/0`): a bare alias is a module too.
const MODULE = `(?:${ATOM}|Elixir(?:\\.[A-Z][A-Za-z0-9_]*)+)`;
const MFA = new RegExp(`(?<![\\w@'.])(${MODULE}):(${ATOM})/(\\d+)`, 'g');
const WHOLE_ATOM = new RegExp(`^${ATOM}$`);

/** `'Elixir.Foo'` -> `Elixir.Foo` (an atom as the dump writes it, quoted or not). */
export function unquoteAtom(text: string): string {
  if (text.length < 2 || !text.startsWith("'") || !text.endsWith("'")) return text;
  return text.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/** A registered name (an atom as written) as Elixir writes it: `MyApp.Repo`, `:logger`. */
export function elixirName(name: string): string {
  return WHOLE_ATOM.test(name) ? inspectAtom(unquoteAtom(name)) : name;
}

/** `Mod.fun/2` for the module and function atoms (unquoted). */
export function elixirFunction(module: string, fn: string, arity: number | string): string {
  return `${inspectAtom(module)}.${remoteName(fn)}/${arity}`;
}

/**
 * Every `m:f/a` in the text as Elixir writes it (`:gen_server.loop/7 + 232` keeps what follows);
 * then a text that is one atom (a registered name) as Elixir's atom.
 */
export function elixirCode(text: string): string {
  if (WHOLE_ATOM.test(text)) return elixirName(text);
  return text.replace(MFA, (_m, m: string, f: string, a: string) => elixirFunction(unquoteAtom(m), unquoteAtom(f), a));
}

const QUOTED_ELIXIR_ATOM = /'Elixir\.(?:[^'\\]|\\.)*'/g;
const BARE_ALIAS = /(?<![\w.'@])Elixir(?:\.[A-Z][A-Za-z0-9_]*)+(?![\w.@])/g;

/**
 * A text written with Erlang names (a finding's title, a group key, an ancestor) with Elixir's:
 * every `m:f/a`, every quoted `'Elixir.*'` atom and every bare `Elixir.Mod` alias; the rest unchanged.
 */
export function elixirText(text: string): string {
  return elixirCode(text)
    .replace(QUOTED_ELIXIR_ATOM, (a) => inspectAtom(unquoteAtom(a)))
    .replace(BARE_ALIAS, (a) => a.slice(7));
}

/**
 * A shape row's example in Elixir syntax: the one printed from its term when the row has it
 * (`elixir`, from elixirShapeRow), else its Erlang text rewritten (elixirText).
 */
export function elixirExample(row: { example: string; elixir?: { example: string } }): string {
  return row.elixir?.example ?? elixirText(row.example);
}

const TYPES = new Set(['integer', 'float', 'atom', 'string', 'list', 'improper_list', 'map', 'binary', 'pid', 'port', 'ref', 'fun', 'tuple']);

/**
 * A message shape (src/dump/terms/shape.ts: atoms in tag positions, map keys and the struct name
 * are literal; other words are types) in Elixir syntax. `string` (a list of characters) becomes
 * `charlist`; a text that is not a shape comes back unchanged.
 */
export function elixirShape(shape: string): string {
  try {
    const p = new ShapeReader(shape);
    const out = p.item(true);
    if (!p.done()) return shape;
    return out;
  } catch {
    return shape;
  }
}

class ShapeReader {
  private i = 0;
  /** Set by `item` when it read a 2-tuple tagged with an atom: the makings of a keyword entry. */
  private pair: [string, string] | undefined;
  constructor(private readonly s: string) {}

  done(): boolean {
    this.space();
    return this.i >= this.s.length;
  }

  private space(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  private eat(tok: string): boolean {
    this.space();
    if (this.s.startsWith(tok, this.i)) {
      this.i += tok.length;
      return true;
    }
    return false;
  }

  private fail(): never {
    throw new Error('not a shape');
  }

  /** One atom as written, unquoted, or undefined. */
  private atom(): string | undefined {
    this.space();
    const rest = this.s.slice(this.i);
    const m = new RegExp(`^${ATOM}`).exec(rest);
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  item(literal: boolean): string {
    this.space();
    this.pair = undefined;
    if (this.eat('{')) {
      const parts: string[] = [];
      let tag: string | undefined;
      if (!this.eat('}')) {
        do {
          const at = this.i;
          parts.push(this.item(parts.length === 0));
          if (parts.length === 1 && parts[0].startsWith(':')) tag = unquoteAtom(this.s.slice(at, this.i).trim());
        } while (this.eat(','));
        if (!this.eat('}')) this.fail();
      }
      this.pair = tag !== undefined && parts.length === 2 && !tag.startsWith('Elixir.') ? [tag, parts[1]] : undefined;
      return `{${parts.join(', ')}}`;
    }
    if (this.eat('#{')) {
      const entries: Array<[string, string]> = [];
      if (!this.eat('}')) {
        do {
          const k = this.atom();
          if (k === undefined || !this.eat('=>')) this.fail();
          const key = unquoteAtom(k);
          entries.push([key, this.item(key === '__struct__')]);
        } while (this.eat(','));
        if (!this.eat('}')) this.fail();
      }
      const struct = entries.find(([k]) => k === '__struct__');
      const rest = entries.filter(([k]) => k !== '__struct__').map(([k, v]) => `${inspectKey(k)} ${v}`).join(', ');
      if (struct && !/^[:a-z]/.test(struct[1])) return `%${struct[1]}{${rest}}`;
      return `%{${entries.map(([k, v]) => `${inspectKey(k)} ${v}`).join(', ')}}`;
    }
    if (this.eat('[]')) return '[]';
    if (this.eat('[')) {
      const head = this.item(false);
      const pair = this.pair;
      const tail = this.eat('|') ? ` | ${this.item(false)}` : '';
      if (!this.eat(']')) this.fail();
      // A list of {atom, value} pairs of one shape is a keyword list: `[timeout: integer]`.
      if (pair && !tail) return `[${inspectKey(pair[0])} ${pair[1]}]`;
      return `[${head}${tail}]`;
    }
    if (this.eat('...')) return '...';
    if (this.eat(NOT_IN_DUMP)) return NOT_IN_DUMP;
    const word = this.atom();
    if (word === undefined) this.fail();
    if (word.startsWith("'")) return inspectAtom(unquoteAtom(word));
    if (TYPES.has(word)) {
      const args = /^\([0-9.]*\)/.exec(this.s.slice(this.i));
      if (args) this.i += args[0].length;
      return `${word === 'string' ? 'charlist' : word}${args ? args[0] : ''}`;
    }
    return literal ? inspectAtom(word) : word;
  }
}
