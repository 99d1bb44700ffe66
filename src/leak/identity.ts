/**
 * The real initial call of proc_lib processes (`$initial_call` in their dictionaries), which a
 * dump's `Spawned as` hides behind `proc_lib:init_p/5`. Reads the dump file; bounded.
 */
import { notSeekableBecause, type Dump } from '../dump/types.js';
import { IDENTITY_LIMIT, identityRows, readIdentities } from '../dump/terms/initial-calls.js';

export interface InitialCalls {
  /** By pid, for the processes whose dictionary gave one. */
  calls: Map<string, string>;
  /** proc_lib processes in the dump, and how many were looked at. */
  procLib: number;
  resolved: number;
  /** Why some or all were not looked at (not seekable, over the limit). */
  note?: string;
}

/**
 * Reads the dictionary of every proc_lib process when there are at most `limit` of them (default
 * IDENTITY_LIMIT), none otherwise (a partial answer would split groups arbitrarily).
 */
export function procLibInitialCalls(dump: Dump, limit = IDENTITY_LIMIT): InitialCalls {
  const p = dump.processes;
  const { rows, total } = identityRows(p, 'proc_lib', limit);
  const calls = new Map<string, string>();
  if (total === 0) return { calls, procLib: 0, resolved: 0 };
  if (!dump.source.seekable) {
    return { calls, procLib: total, resolved: 0, note: `${dump.source.path}: proc_lib processes are grouped as proc_lib:init_p/5 (their dictionaries are read back by offset, which needs ${notSeekableBecause(dump.source)})` };
  }
  if (!rows) {
    return { calls, procLib: total, resolved: 0, note: `${dump.source.path}: ${total} proc_lib processes, more than ${limit}: grouped as proc_lib:init_p/5` };
  }
  // a cut or odd dictionary: keep Spawned as
  for (const [pid, id] of readIdentities(dump, rows).identities) if (id.initialCall) calls.set(pid, id.initialCall);
  return { calls, procLib: rows.length, resolved: calls.size };
}
