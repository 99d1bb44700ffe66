/**
 * One switch for the HTML renderers (`report`, `serve`) that print names, shapes and terms in
 * either syntax: Erlang leaves the dump's text as it is; Elixir rewrites it with this folder's
 * functions. The renderers escape what comes out; nothing here is markup.
 */
import type { Term } from '../dump/terms/model.js';
import { printTerm } from '../dump/terms/printer.js';
import { inspectTerm } from './inspect.js';
import { elixirShape, elixirText } from './names.js';

export interface SyntaxView {
  /** Set when the text is in Elixir syntax: why (`--syntax elixir`, or what detection saw). */
  elixir?: { reason: string };
  /** A name, `m:f/a` or a text holding them (ancestors, owners, functions). */
  text(t: string): string;
  /** A decoded term, cut at `maxChars`. */
  term(t: Term, maxChars: number): string;
  /** A message shape (src/dump/terms/shape.ts). */
  shape(s: string): string;
}

const same = (t: string) => t;

/** Erlang: the dump's own text. */
export const ERLANG_VIEW: SyntaxView = { text: same, term: (t, maxChars) => printTerm(t, { maxChars }), shape: same };

/** Elixir syntax, structs being the maps of the modules `isStruct` says (src/elixir/detect.ts). */
export function elixirView(reason: string, isStruct?: (module: string) => boolean): SyntaxView {
  return {
    elixir: { reason },
    text: elixirText,
    term: (t, maxChars) => inspectTerm(t, { maxChars, ...(isStruct ? { isStruct } : {}) }),
    shape: (s) => (s === '(other shapes)' ? s : elixirShape(s)),
  };
}
