// `--syntax elixir|erlang|auto` (a global option, main.ts): which syntax names and terms print in.
import { detectElixir } from '../src/elixir/detect.js';
import { resolveSyntax, type SyntaxChoice } from '../src/elixir/report.js';
import type { Dump } from '../src/dump/types.js';

let choice: SyntaxChoice = 'auto';

export function setSyntaxChoice(c: SyntaxChoice | undefined): void {
  choice = c ?? 'auto';
}

/** The `--syntax` choice, for what depends on it (a saved result's key). */
export function syntaxChoice(): SyntaxChoice {
  return choice;
}

/** `{ reason }` when this dump's report is in Elixir syntax (chosen, or detected under auto). */
export function elixirFor(dump: Dump): { reason: string } | undefined {
  const r = resolveSyntax(choice, () => detectElixir(dump));
  return r.syntax === 'elixir' ? { reason: r.reason } : undefined;
}
