// A command's result saved with the dump's index (src/dump/result-cache.ts), for the CLI: the key
// is made of everything the result depends on, and of this very build of beamscope.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ResultCache } from '../src/dump/result-cache.js';
import type { Dump } from '../src/dump/types.js';
import { readCacheOn } from './progress.js';
import { syntaxChoice } from './syntax-choice.js';

let build: string | null | undefined;

/**
 * The id of this build: scripts/bundle.mjs writes `build-id` (a hash of every file of the bundle)
 * beside the bundle's files. Without one (the CLI run from dist/cli, unbundled) nothing is saved:
 * a result of other code must never be printed as this code's.
 */
function buildId(): string | undefined {
  if (build === undefined) {
    try {
      build = readFileSync(new URL('./build-id', import.meta.url), 'utf8').trim() || null;
    } catch {
      build = null;
    }
  }
  return build ?? undefined;
}

export interface SavedResult<T> {
  /** The result saved for this command, options, build and dump as it is now; else undefined. */
  get(): T | undefined;
  /** Saves `value`, computed from `dump`, when it is what any later read of the file would give (savable). */
  put(dump: Dump, value: T): void;
}

/**
 * Whether a result computed from `dump` is what a later read of the same file would compute: a
 * plain file's always; a compressed file's (keyed by the compressed file, as the plain file is by
 * its own) when its decompressed text was all kept for the heaps (not when the spool ran out of
 * room, which another run may not) and the decompressor did not stop on bad data (its wording is
 * the zstd program's or fzstd's, which the key does not name). A second `triage dump.gz` then
 * prints in a fraction of a second instead of decompressing the dump again.
 */
export function savable(dump: Dump): boolean {
  const s = dump.source;
  if (!s.seekable || s.path === '-' || s.read === 'allocators') return false;
  if (!s.gzip && !s.compression) return s.spool === undefined;
  return s.spool !== undefined && s.notSpooled === undefined && dump.truncation.compressedInputError === undefined;
}

/**
 * The saved result of `command` with `options` (every option its result depends on) on the dump at
 * `path`; undefined under --no-cache, for standard input, or when this build has no id.
 */
export function savedResult<T>(command: string, path: string, options: Record<string, unknown>): SavedResult<T> | undefined {
  const id = buildId();
  if (!readCacheOn() || path === '-' || !id) return undefined;
  const cache = ResultCache.open(path);
  if (!cache) return undefined;
  // The path as given, too: it is in the report.
  const key = createHash('sha256').update(JSON.stringify([command, id, path, syntaxChoice(), options])).digest('hex');
  return {
    get: () => cache.get(key) as T | undefined,
    put: (dump, value) => {
      if (savable(dump)) cache.put(key, value);
    },
  };
}
