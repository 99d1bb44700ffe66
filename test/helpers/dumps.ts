import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths the reader and CLI tests share. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(REPO, 'fixtures');
export const CORPUS = resolve(REPO, '../shared/corpus/public');
/** The bin as package.json names it: the bundle made by scripts/bundle.mjs. */
export const CLI = join(REPO, 'dist/bin/beamscope.js');

/** Crash dumps made by fixtures/scripts (plain files only). */
export function fixtureDumps(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.dump')).sort().map((f) => join(FIXTURES, f));
}

/** Every readable dump in the shared corpus (the pre-R10B one is refused, see the tests). */
export function corpusDumps(): string[] {
  if (!existsSync(CORPUS)) return [];
  return readdirSync(CORPUS).filter((f) => f.endsWith('.dump') && !f.startsWith('pre_r10b')).sort().map((f) => join(CORPUS, f));
}

export const PRE_R10B = join(CORPUS, 'pre_r10b_2002.dump');
