/**
 * `beamscope check --node N`: collect from a live node into a temporary directory (an allocator
 * snapshot and, unless turned off, process records for the mailbox and processes rules; never a
 * garbage collection), hand the paths to the check, remove the directory afterwards. Failures are
 * CollectErrors (InputErrors), which `check` reports as UNKNOWN (exit 3).
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { collect, type CollectResult } from './run.js';
import type { CollectOptions } from './options.js';

export interface NodeSnapshot {
  /**
   * What to check: the allocator snapshot (recon_alloc format, `taken_at` in its first line) and,
   * with processes, the process records (`beamscope.procs/1`). In a temporary directory they are
   * named `alloc.snapshot` and `processes.jsonl`, so that check's perfdata labels (prefixed with
   * the file name when there are several inputs) stay the same from run to run.
   */
  paths: string[];
  /**
   * What to call them in check's output: `NODE/alloc.snapshot`, `NODE/processes.jsonl` (the
   * file name keeps the perfdata labels; the node says where the numbers come from).
   */
  names: string[];
  result: CollectResult;
  /** Removes the temporary directory (nothing when the files were kept with `keepIn`). */
  cleanup(): Promise<void>;
}

export interface CheckCollectOptions extends Pick<CollectOptions, 'node' | 'cookie' | 'timeoutSeconds' | 'escript' | 'onEvent' | 'signal'> {
  /** Process records too (default true): the mailbox and processes rules read them. */
  processes?: boolean;
  /** Write the files here and keep them (time-stamped names) instead of a temporary directory. */
  keepIn?: string;
}

/** Collects one sample from `node` for `check`. */
export async function collectForCheck(options: CheckCollectOptions): Promise<NodeSnapshot> {
  const temporary = options.keepIn === undefined;
  const dir = options.keepIn ?? (await mkdtemp(join(tmpdir(), 'beamscope-check-node-')));
  const cleanup = async () => {
    if (temporary) await rm(dir, { recursive: true, force: true });
  };
  try {
    const result = await collect({
      node: options.node,
      cookie: options.cookie,
      timeoutSeconds: options.timeoutSeconds,
      escript: options.escript,
      onEvent: options.onEvent,
      signal: options.signal,
      out: dir,
      processes: options.processes ?? true,
    });
    const paths = [result.files.alloc, ...(result.files.processes ? [result.files.processes] : [])];
    const names = (ps: string[]) => ps.map((p) => `${result.node}/${basename(p)}`);
    if (!temporary) return { paths, names: names(paths), result, cleanup };
    const stable = [join(dir, 'alloc.snapshot'), ...(result.files.processes ? [join(dir, 'processes.jsonl')] : [])];
    for (let i = 0; i < paths.length; i++) await rename(paths[i], stable[i]);
    return { paths: stable, names: names(stable), result, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
