/**
 * Is the dumped node an Elixir node? Told from what the reader already holds, without reading the
 * dump again: loaded modules named `Elixir.*` or the `elixir` application's own module, registered
 * names `Elixir.*` (Logger, every named GenServer), and the newest atoms.
 */
import type { Dump } from '../dump/types.js';
import { unquoteAtom } from './names.js';

export interface ElixirDetection {
  elixir: boolean;
  /** What told it, for people (`42 loaded modules named Elixir.*`), or why not. */
  reason: string;
}

type DumpFacts = Pick<Dump, 'loadedModules' | 'processes' | 'atoms'>;

export function detectElixir(dump: DumpFacts): ElixirDetection {
  let modules = 0;
  let runtime = false;
  for (const m of dump.loadedModules.modules) {
    const name = unquoteAtom(m.name);
    if (name.startsWith('Elixir.')) modules++;
    else if (name === 'elixir') runtime = true;
  }
  if (modules > 0 || runtime) {
    return { elixir: true, reason: `${modules} loaded module${modules === 1 ? '' : 's'} named Elixir.*${runtime ? ' and the elixir runtime module' : ''}` };
  }
  const names = dump.processes.name.values.filter((n) => unquoteAtom(n).startsWith('Elixir.'));
  if (names.length > 0) return { elixir: true, reason: `registered names such as ${unquoteAtom(names[0])}` };
  const atom = dump.atoms.newest.find((a) => unquoteAtom(a).startsWith('Elixir.'));
  if (atom) return { elixir: true, reason: `atoms such as ${unquoteAtom(atom)}` };
  return { elixir: false, reason: 'no module, registered name or atom named Elixir.*' };
}

/**
 * Which modules print their maps as structs: those loaded on the node (inspect asks the module for
 * its struct), or, when the dump lists no modules (cut before `=mod`), any alias.
 */
export function elixirStructs(dump: Pick<Dump, 'loadedModules'>): (module: string) => boolean {
  const loaded = new Set(dump.loadedModules.modules.map((m) => unquoteAtom(m.name)));
  if (loaded.size === 0) return (m) => m.startsWith('Elixir.');
  return (m) => loaded.has(m);
}
