/**
 * The real initial call of proc_lib processes (gen_servers, supervisors, ...): the dump says
 * `Spawned as: proc_lib:init_p/5` for all of them; `$initial_call` and `$ancestors` are in their
 * dictionary, which must be decoded from the heap. The one lookup triage, procs, leak and diff use.
 */
import type { Dump, ProcessTable } from '../types.js';
import { processIdentity } from './process.js';

export const PROC_LIB_INIT = 'proc_lib:init_p/5';

/**
 * Dictionaries decoded at most per command: one costs about half a millisecond, so this keeps the
 * lookup under about 3 s. Past it, a command that groups processes decodes none (a partial answer
 * would split groups arbitrarily); one that ranks them decodes the first this many.
 */
export const IDENTITY_LIMIT = 5_000;

/** The processes whose dictionaries a lookup would decode: `rows` is undefined when there are more than the limit. */
export interface IdentityRows {
  rows?: number[];
  total: number;
}

/** The rows of the proc_lib processes (or of all), when there are at most `limit` of them. */
export function identityRows(p: ProcessTable, which: 'proc_lib' | 'all', limit = IDENTITY_LIMIT): IdentityRows {
  const rows: number[] = [];
  let total = 0;
  // Compared as codes (the column's cells hold 1 + the code of their text), not a text per row.
  const cell = which === 'all' ? -1 : p.spawnedAs.codeOf(PROC_LIB_INIT) + 1;
  if (cell === 0) return { rows, total };
  const codes = p.spawnedAs.codes;
  for (let i = 0; i < p.count; i++) {
    if (cell >= 0 && codes[i] !== cell) continue;
    if (++total <= limit) rows.push(i);
  }
  return total <= limit ? { rows, total } : { total };
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
  // The sections of all of them found in one pass over the index.
  dump.index.prepare(rows.map((i) => p.pid.at(i)));
  for (const i of rows) {
    try {
      identities.set(p.pid.at(i), processIdentity(dump, p.pid.at(i)));
    } catch {
      failed++;
    }
  }
  return { identities, failed };
}
