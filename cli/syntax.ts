// `--syntax elixir|erlang|auto` (a global option, main.ts): which syntax names and terms print in.
import { detectElixir } from '../src/elixir/detect.js';
import { resolveSyntax } from '../src/elixir/report.js';
import type { Dump } from '../src/dump/types.js';
import { syntaxChoice } from './syntax-choice.js';

/** `{ reason }` when this dump's report is in Elixir syntax (chosen, or detected under auto). */
export function elixirFor(dump: Dump): { reason: string } | undefined {
  const r = resolveSyntax(syntaxChoice(), () => detectElixir(dump));
  return r.syntax === 'elixir' ? { reason: r.reason } : undefined;
}
