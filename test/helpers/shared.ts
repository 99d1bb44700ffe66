/**
 * The one way a test reads `../shared` (the shared corpus and oracles beside the repo, absent on a
 * fresh clone). Ask `haveShared(part)` at collection time and skip on `false`:
 * - present: true;
 * - absent: false, and the file gets one skipped suite whose title is the reason;
 * - absent under CI=true: false too, and the file gets one failing test that names the path (CI
 *   must run every test, so a missing ../shared is a failure there, not a skip).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** `../shared` relative to the repo root; BEAMSCOPE_SHARED_DIR points elsewhere (a missing folder shows the skips). */
export const SHARED_DIR = resolve(REPO_ROOT, process.env.BEAMSCOPE_SHARED_DIR ?? '../shared');
/** recon's recorded answers: NAME.snapshot, NAME.expected.json and NAME.dump. */
export const ORACLE_DIR = join(SHARED_DIR, 'oracle', 'recon_alloc');
/** The corpus of real public dumps. */
export const CORPUS_DIR = join(SHARED_DIR, 'corpus', 'public');
/** The one dump in the corpus older than R10B, which the reader refuses. */
export const PRE_R10B = join(CORPUS_DIR, 'pre_r10b_2002.dump');

const ON_CI = process.env.CI === 'true';
/** Parts already reported in this test file (vitest loads helpers once per file). */
const reported = new Set<string>();

/** A path under ../shared, from a part such as `oracle/recon_alloc` or `corpus/public/x.dump`. */
export function sharedPath(part: string): string {
  return join(SHARED_DIR, part);
}

/**
 * Whether `../shared/<part>` is there. Call it while tests are collected (top level or in a
 * describe body), not inside a test: when the part is absent it registers the skip reason, or the
 * CI failure, once per file and part.
 */
export function haveShared(part: string): boolean {
  const path = sharedPath(part);
  if (existsSync(path)) return true;
  if (!reported.has(part)) {
    reported.add(part);
    if (ON_CI) {
      describe(`../shared/${part}`, () => {
        it('is present (CI=true runs every test)', () => {
          throw new Error(`${path} is missing under CI=true`);
        });
      });
    } else {
      describe.skip(`../shared/${part} is absent: the tests that read it are skipped`, () => {
        it('needs ../shared', () => {});
      });
    }
  }
  return false;
}

/**
 * The corpus dumps, sorted paths; empty (with the reason registered) when the corpus is absent.
 * Plain `.dump` files only unless `gz`; the pre-R10B dump only with `includePreR10B`.
 */
export function corpusDumps(opts: { includePreR10B?: boolean; gz?: boolean } = {}): string[] {
  if (!haveShared('corpus/public')) return [];
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.dump') || (opts.gz === true && f.endsWith('.dump.gz')))
    .filter((f) => opts.includePreR10B === true || !f.startsWith('pre_r10b'))
    .sort()
    .map((f) => join(CORPUS_DIR, f));
}
