/**
 * The public types of `beamscope/leak` compile the way a dashboard uses them: the built package
 * (dist/, `npx tsc -p tsconfig.json` first), resolved by its own name (package.json exports).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

it.skipIf(!existsSync(join(ROOT, 'dist', 'src', 'leak', 'index.d.ts')))('beamscope/leak types compile for a consumer', () => {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'fixtures/leak/types/tsconfig.json')], { encoding: 'utf8' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(out).toBe('');
}, 120_000);
