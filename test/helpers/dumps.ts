import { readdirSync } from 'node:fs';
import { DumpBuilder } from '../../src/dump/builder.js';
import { DumpScanner } from '../../src/dump/scanner.js';
import type { Dump } from '../../src/dump/types.js';
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

/** A dump's text read by the scanner in chunks of `chunk` bytes (7: every line crosses a chunk), as one pass of the reader would. */
export function dumpOfText(text: string, chunk: number): Dump {
  const b = new DumpBuilder();
  const s = new DumpScanner(b);
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += chunk) s.feed(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  s.finish();
  return b.result({ path: 'x', gzip: false, bytes: bytes.length, seekable: false, threads: 1 });
}
