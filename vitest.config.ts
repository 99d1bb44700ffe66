import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Saved indexes of the dumps the tests read (the CLI saves one on every first read) go to a
// directory of this run, never beside the fixtures or into the shared corpus.
process.env.BEAMSCOPE_INDEX_DIR ??= mkdtempSync(join(tmpdir(), 'beamscope-test-index-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Oracle tests run OTP's crashdump_viewer; two cores do not like many of them at once.
    maxWorkers: 2,
    env: { BEAMSCOPE_INDEX_DIR: process.env.BEAMSCOPE_INDEX_DIR },
  },
});
