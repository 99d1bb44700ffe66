/**
 * `--output FILE`: writes the whole text to a temporary file beside FILE, then renames it over FILE,
 * so that a reader (node_exporter's textfile collector, which reads `*.prom` files at every scrape)
 * sees the old file or the new one, never half of one. The temporary name starts with a dot and
 * ends in `.tmp`: the collector skips it.
 */
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../src/errors.js';

export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new InputError(`cannot write ${path}: ${(e as Error).message}`);
  }
}
