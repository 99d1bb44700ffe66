/**
 * Saved results of commands over a dump (a triage report), next to its saved index
 * (index-file.ts: `DUMP.bsres` beside the dump, else `<hash>.bsres` in the user cache directory),
 * so that the same command with the same options on the unchanged dump prints its answer without
 * reading the dump, the index or the heaps again.
 *
 * A result is used only when it is for this very file (the index's key: size, modification time,
 * CRC-32 of the first and last 64 KiB), the file's own CRC-32 is intact, and its key, which the
 * caller makes of everything the result depends on (the command, its options, the build of
 * beamscope that computed it), is the one asked for. Anything else is ignored: never trusted.
 *
 * Layout: MAGIC, three little-endian uint32 (format version, JSON length, CRC-32 of the JSON),
 * the JSON: `{ key: DumpKey, entries: [{ key, value }] }`, newest first, at most MAX_ENTRIES.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { openRegularFile } from '../input/regular-file.js';
import { indexPaths, keyOf, parseSaved, replace, sameKey, writeWhole, type DumpKey } from './dump-key.js';

const MAGIC = Buffer.from('beamscope results\n');
const FORMAT_VERSION = 1;
const HEADER_BYTES = MAGIC.length + 12;
/** Results kept per dump (other options, other builds): the oldest goes first. */
const MAX_ENTRIES = 8;
/** A results file above this is not read (a triage report is tens of KB). */
const MAX_FILE_BYTES = 64 << 20;

interface Entry {
  key: string;
  value: unknown;
}
interface Saved {
  key: DumpKey;
  entries: Entry[];
}

/** Where the results of `dumpPath` may be: beside it, then in the user cache directory. */
export function resultPaths(dumpPath: string): { beside: string; cache: string } {
  const { beside, cache } = indexPaths(dumpPath);
  const swap = (p: string) => p.replace(/\.bsidx$/, '.bsres');
  return { beside: swap(beside), cache: swap(cache) };
}

/**
 * The saved results of one dump file, as it is now (its key is taken once, when this is made, so
 * that a result computed from the dump as it was then is not saved under a later key).
 */
export class ResultCache {
  private constructor(
    private readonly dumpPath: string,
    private readonly dumpKey: DumpKey,
  ) {}

  /** The cache of a dump file, or undefined when it is not a regular file that can be opened. */
  static open(dumpPath: string): ResultCache | undefined {
    // A pipe or a device (`<(zcat ...)`, /dev/stdin) has no key.
    const fd = openRegularFile(dumpPath);
    if (fd === undefined) return undefined;
    try {
      return new ResultCache(dumpPath, keyOf(fd));
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** The value saved under `key` for this dump, or undefined. Never throws. */
  get(key: string): unknown {
    const { beside, cache } = resultPaths(this.dumpPath);
    for (const file of [beside, cache]) {
      const saved = this.load(file);
      const hit = saved?.entries.find((e) => e.key === key);
      if (hit) return hit.value;
    }
    return undefined;
  }

  /**
   * Saves `value` under `key` (beside the dump, else in the user cache), keeping the newest
   * other entries. Returns where it went, or undefined when it could not be saved (the next
   * command computes it again). Written to a temporary file and renamed, so that a reader never
   * sees half of one.
   */
  put(key: string, value: unknown): string | undefined {
    const { beside, cache } = resultPaths(this.dumpPath);
    return [beside, cache].find((file) => {
      let json: Buffer;
      try {
        const kept = (this.load(file)?.entries ?? []).filter((e) => e.key !== key);
        json = Buffer.from(JSON.stringify({ key: this.dumpKey, entries: [{ key, value }, ...kept].slice(0, MAX_ENTRIES) } satisfies Saved, replace));
      } catch {
        return false;
      }
      const head = Buffer.alloc(HEADER_BYTES);
      MAGIC.copy(head);
      head.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
      head.writeUInt32LE(json.length, MAGIC.length + 4);
      head.writeUInt32LE(crc32(json), MAGIC.length + 8);
      return writeWhole(file, [head, json]);
    });
  }

  /** The file's results when it is intact and this dump's; else undefined. */
  private load(file: string): Saved | undefined {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < HEADER_BYTES || size > MAX_FILE_BYTES) return undefined;
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, got);
        if (n <= 0) return undefined;
        got += n;
      }
      if (!buf.subarray(0, MAGIC.length).equals(MAGIC) || buf.readUInt32LE(MAGIC.length) !== FORMAT_VERSION) return undefined;
      const length = buf.readUInt32LE(MAGIC.length + 4);
      // Nothing before or after the JSON but the header: every byte is covered.
      if (HEADER_BYTES + length !== size) return undefined;
      const json = buf.subarray(HEADER_BYTES);
      if (crc32(json) !== buf.readUInt32LE(MAGIC.length + 8)) return undefined;
      const saved = parseSaved(json.toString('utf8')) as Saved;
      if (!saved || !sameKey(saved.key, this.dumpKey) || !Array.isArray(saved.entries)) return undefined;
      if (!saved.entries.every((e) => e !== null && typeof e === 'object' && typeof e.key === 'string')) return undefined;
      return saved;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }
}

