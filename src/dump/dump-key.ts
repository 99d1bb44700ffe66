/**
 * What makes a saved index (index-file.ts) or a saved result (result-cache.ts) a dump's, where
 * they are kept, and what both do to write and parse themselves (writeWhole, replace, parseSaved). Apart from index-file.ts so that a saved result is found without loading the
 * index's reader (a second triage prints its saved report in little more than Node's start-up).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';

/** Bytes at each end of the dump whose CRC-32 goes into the key. */
const EDGE_BYTES = 64 << 10;

/** What makes an index (or a saved result) this dump's. */
export interface DumpKey {
  bytes: number;
  mtimeMs: number;
  headCrc: number;
  tailCrc: number;
}

/** Where an index of `dumpPath` may be: beside it, then in the user cache directory. */
export function indexPaths(dumpPath: string): { beside: string; cache: string } {
  let real = dumpPath;
  try {
    real = realpathSync(dumpPath);
  } catch {
    // The dump's own open reports a missing file.
  }
  const name = `${createHash('sha256').update(real).digest('hex').slice(0, 32)}.bsidx`;
  // One directory for every index instead (the tests use it, so as to write nothing beside the
  // fixtures and the shared corpus).
  const only = process.env.BEAMSCOPE_INDEX_DIR;
  if (only) return { beside: join(only, name), cache: join(only, name) };
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return { beside: `${real}.bsidx`, cache: join(cacheRoot, 'beamscope', name) };
}

/** The key of the dump open as `fd`, as it is now. */
export function keyOf(fd: number): DumpKey {
  const st = fstatSync(fd);
  const edge = (pos: number) => {
    const n = Math.max(0, Math.min(EDGE_BYTES, st.size - pos));
    const buf = Buffer.allocUnsafe(n);
    const got = n > 0 ? readSync(fd, buf, 0, n, pos) : 0;
    return crc32(buf.subarray(0, got));
  };
  return { bytes: st.size, mtimeMs: st.mtimeMs, headCrc: edge(0), tailCrc: edge(Math.max(0, st.size - EDGE_BYTES)) };
}

export function sameKey(a: DumpKey | undefined, b: DumpKey): boolean {
  return !!a && a.bytes === b.bytes && a.mtimeMs === b.mtimeMs && a.headCrc === b.headCrc && a.tailCrc === b.tailCrc;
}

/**
 * Writes `parts` to `file` through a temporary file renamed over it, so that a reader never sees
 * half of one (the saved index, the saved results). False when it could not be written.
 */
export function writeWhole(file: string, parts: readonly Uint8Array[]): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const out = openSync(tmp, 'w', 0o644);
    try {
      for (const b of parts) writeSync(out, b);
    } finally {
      closeSync(out);
    }
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

// JSON has no NaN or Infinity, and the model has both (fields not in a dump are NaN), as may the
// results saved with it: JSON.stringify's replacer and JSON.parse's reviver for the saved files.
const NUM = '\u0000num';
export function replace(_k: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { [NUM]: String(v) } : v;
}
function revive(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && NUM in v) return Number((v as Record<string, string>)[NUM]);
  return v;
}
/** How `replace` writes NUM's key in the JSON text. */
const NUM_JSON = JSON.stringify(NUM);

/**
 * A saved file's JSON, parsed with `revive` only when `replace` wrote a value for it: a reviver is
 * called for every value, which doubled the parse of an index's description of 50,000 ETS tables
 * (12.7 MB of JSON: 60-120 ms plain, 163-228 ms with it).
 */
export function parseSaved(text: string): unknown {
  return text.includes(NUM_JSON) ? JSON.parse(text, revive) : JSON.parse(text);
}
