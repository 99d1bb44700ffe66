import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths the reader and CLI tests share. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(REPO, 'fixtures');
/** The shared corpus, its listing and the pre-R10B dump: test/helpers/shared.ts reads ../shared. */
export { CORPUS_DIR as CORPUS, PRE_R10B, corpusDumps } from './shared.js';
/** The bin as package.json names it: the bundle made by scripts/bundle.mjs. */
export const CLI = join(REPO, 'dist/bin/beamscope.js');

/** Crash dumps made by fixtures/scripts (plain files only). */
export function fixtureDumps(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.dump')).sort().map((f) => join(FIXTURES, f));
}
