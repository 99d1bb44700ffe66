/**
 * The real initial call of proc_lib processes (gen_servers, supervisors, ...): the dump says
 * `Spawned as: proc_lib:init_p/5` for all of them; `$initial_call` and `$ancestors` are in their
 * dictionary, which must be decoded from the heap. The one lookup triage, procs, leak and diff use.
 */
import { dataPath, type Dump, type ProcessTable } from '../types.js';
import { BlockReader } from './heap-index.js';
import { processIdentity } from './process.js';

export const PROC_LIB_INIT = 'proc_lib:init_p/5';
/** How proc_lib:spawn of a fun (`proc_lib:spawn(fun ...)`, `spawn_link`, `spawn_opt`) shows: also with `$initial_call`. */
export const PROC_LIB_INIT_FUN = 'proc_lib:init_p/3';

/** Whether a `Spawned as` is proc_lib's, whose real initial call is in the dictionary. */
export function isProcLibSpawn(spawnedAs: string | undefined): boolean {
  return spawnedAs === PROC_LIB_INIT || spawnedAs === PROC_LIB_INIT_FUN;
}

/** A test of rows by their `Spawned as` codes (the column's cells hold 1 + the code of their text), not a text per row. */
export function procLibRows(p: ProcessTable): (row: number) => boolean {
  const a = p.spawnedAs.codeOf(PROC_LIB_INIT) + 1;
  const b = p.spawnedAs.codeOf(PROC_LIB_INIT_FUN) + 1;
  const codes = p.spawnedAs.codes;
  return (i) => {
    const c = codes[i];
    return c !== 0 && (c === a || c === b);
  };
}

/**
 * Dictionaries decoded at most per command: 11-14 us each on the bench machine (class g's 100,030
 * proc_lib processes, an Elixir node's Agents, in 1.2-1.4 s; 118 us before one reader was shared
 * and the two keys read from the lines), so this keeps the lookup near a quarter of a second and
 * what is kept of them to a few MB. Past it, a command that groups processes decodes every n-th
 * (identityRows' sample: triage tells what they are from it) rather than a part that would split
 * groups arbitrarily; one that ranks them decodes the first this many.
 */
export const IDENTITY_LIMIT = 20_000;

/** Past the limit, about this many are read, evenly spread: enough to tell kinds of 1 % and more apart. */
export const IDENTITY_SAMPLE = 2_000;

/**
 * The processes whose dictionaries a lookup would decode: `rows` is undefined when there are more
 * than the limit; `sample` is then every `every`-th of them (about IDENTITY_SAMPLE), in file order.
 */
export interface IdentityRows {
  rows?: number[];
  total: number;
  limit: number;
  sample?: { rows: number[]; every: number };
}

/** The rows of the proc_lib processes (or of all), when there are at most `limit` of them. */
export function identityRows(p: ProcessTable, which: 'proc_lib' | 'all', limit = IDENTITY_LIMIT): IdentityRows {
  const wanted = which === 'all' ? () => true : procLibRows(p);
  let total = 0;
  for (let i = 0; i < p.count; i++) if (wanted(i)) total++;
  if (total === 0) return { rows: [], total: 0, limit };
  const every = total <= limit ? 1 : Math.ceil(total / Math.max(1, Math.min(limit, IDENTITY_SAMPLE)));
  const rows: number[] = [];
  for (let i = 0, k = 0; i < p.count; i++) {
    if (!wanted(i)) continue;
    if (k++ % every === 0) rows.push(i);
  }
  return every === 1 ? { rows, total, limit } : { total, limit, sample: { rows, every } };
}

/** The initial calls of these identities, most first (ties by name), for an InitialCallSample. */
export function countInitialCalls(identities: Iterable<Identity>): Array<{ initialCall: string; count: number }> {
  const counts = new Map<string, number>();
  for (const id of identities) {
    const call = id.initialCall ?? '?';
    counts.set(call, (counts.get(call) ?? 0) + 1);
  }
  return [...counts]
    .map(([initialCall, count]) => ({ initialCall, count }))
    .sort((a, b) => b.count - a.count || (a.initialCall < b.initialCall ? -1 : a.initialCall > b.initialCall ? 1 : 0));
}

export interface Identity {
  ancestors: string[];
  /** `$initial_call`, or `Spawned as` when the dictionary has none. */
  initialCall?: string;
}

/**
 * Decodes the dictionaries of these rows (a plain dump file only: the caller checks). One that
 * cannot be decoded (a cut or odd heap) is counted in `failed` and left out.
 */
export function readIdentities(
  dump: Dump,
  rows: readonly number[],
): { identities: Map<string, Identity>; failed: number } {
  const p = dump.processes;
  const identities = new Map<string, Identity>();
  let failed = 0;
  // The sections of all of them found in one pass over the index, read through one reader, in
  // the file's order (the table's), so that neighbours' sections come from the same blocks.
  dump.index.prepare(rows.map((i) => p.pid.at(i)));
  const reader = new BlockReader(dataPath(dump.source));
  // One string for each text: 100,000 processes of a few kinds have a few initial calls and
  // ancestors, each made afresh per process (class g: 31 MB of heap for 100,030, 13 MB with this).
  const texts = new Map<string, string>();
  const one = (t: string) => texts.get(t) ?? (texts.set(t, t), t);
  try {
    for (const i of rows) {
      try {
        const pid = p.pid.at(i);
        const id = processIdentity(dump, pid, { reader, spawnedAs: p.spawnedAs.at(i) });
        identities.set(pid, {
          ancestors: id.ancestors.map(one),
          ...(id.initialCall === undefined ? {} : { initialCall: one(id.initialCall) }),
        });
      } catch {
        failed++;
      }
    }
  } finally {
    reader.close();
  }
  return { identities, failed };
}
