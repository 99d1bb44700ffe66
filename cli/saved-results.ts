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
  /** Saves `value`, computed from `dump`, when the dump was read from a plain file. */
  put(dump: Dump, value: T): void;
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
      const s = dump.source;
      // As for the saved index: only a plain file's, whose key is the file's.
      if (!s.seekable || s.gzip || s.compression || s.spool) return;
      cache.put(key, value);
    },
  };
}
