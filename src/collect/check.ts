/**
 * `beamscope check --node N`: collect one allocator snapshot from a live node into a temporary
 * directory (no process records, no garbage collection), hand its path to the check, remove the
 * directory afterwards. Failures are CollectErrors, which `check` reports as UNKNOWN (exit 3).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, type CollectResult } from './run.js';
import type { CollectOptions } from './options.js';

export interface NodeSnapshot {
  /** The recon_alloc-format snapshot, readable by check's loadInput (takenAt in its first line). */
  path: string;
  result: CollectResult;
  /** Removes the temporary directory (also when `keep` was given: then it does nothing). */
  cleanup(): Promise<void>;
}

/**
 * Takes one allocator snapshot of `node`. With `keepIn`, the files go there and stay; otherwise
 * into a fresh temporary directory that `cleanup()` removes.
 */
export async function collectForCheck(options: Pick<CollectOptions, 'node' | 'cookie' | 'timeoutSeconds' | 'escript'> & { keepIn?: string }): Promise<NodeSnapshot> {
  const dir = options.keepIn ?? (await mkdtemp(join(tmpdir(), 'beamscope-check-')));
  const cleanup = async () => {
    if (!options.keepIn) await rm(dir, { recursive: true, force: true });
  };
  try {
    const result = await collect({ node: options.node, cookie: options.cookie, timeoutSeconds: options.timeoutSeconds, escript: options.escript, out: dir, processes: false });
    return { path: result.files.alloc, result, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
