// `--syntax elixir|erlang|auto` (a global option, main.ts), as given. Apart from syntax.ts, which
// detects Elixir in a dump, so that start-up does not load the Elixir modules for every command.
import type { SyntaxChoice } from '../src/elixir/report.js';

let choice: SyntaxChoice = 'auto';

export function setSyntaxChoice(c: SyntaxChoice | undefined): void {
  choice = c ?? 'auto';
}

/** The `--syntax` choice (syntax.ts; a saved result's key). */
export function syntaxChoice(): SyntaxChoice {
  return choice;
}
