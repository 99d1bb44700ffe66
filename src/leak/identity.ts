/**
 * The real initial call of proc_lib processes (`$initial_call` in their dictionaries), which a
 * dump's `Spawned as` hides behind `proc_lib:init_p/5`. Reads the dump file; bounded.
 */
import { notSeekableBecause, type Dump } from '../dump/types.js';
import { processIdentity } from '../dump/terms/index.js';

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
 * 2000), none otherwise (a partial answer would split groups arbitrarily).
 */
export function procLibInitialCalls(dump: Dump, limit = 2000): InitialCalls {
  const p = dump.processes;
  const rows: number[] = [];
  for (let i = 0; i < p.count; i++) if (p.spawnedAs.at(i) === 'proc_lib:init_p/5') rows.push(i);
  const calls = new Map<string, string>();
  if (rows.length === 0) return { calls, procLib: 0, resolved: 0 };
  if (!dump.source.seekable) {
    return { calls, procLib: rows.length, resolved: 0, note: `${dump.source.path}: proc_lib processes are grouped as proc_lib:init_p/5 (their dictionaries are read back by offset, which needs ${notSeekableBecause(dump.source)})` };
  }
  if (rows.length > limit) {
    return { calls, procLib: rows.length, resolved: 0, note: `${dump.source.path}: ${rows.length} proc_lib processes, more than ${limit}: grouped as proc_lib:init_p/5` };
  }
  let resolved = 0;
  for (const i of rows) {
    try {
      const id = processIdentity(dump, p.pid.at(i));
      if (id.initialCall) {
        calls.set(p.pid.at(i), id.initialCall);
        resolved++;
      }
    } catch {
      // a cut or odd dictionary: keep Spawned as
    }
  }
  return { calls, procLib: rows.length, resolved };
}
