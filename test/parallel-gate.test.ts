import { closeSync, openSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parallelPays } from '../src/dump/parallel-gate.js';
// The reader as built (dist/): the parallel read needs its compiled worker.
import { readDump } from '../dist/src/dump/index.js';

/** parallelPays on a fixture made by the VM (fixtures/make-fixtures.sh). */
function pays(file: string, gate = {}): boolean {
  const fd = openSync(file, 'r');
  try {
    return parallelPays(fd, statSync(file).size, gate);
  } finally {
    closeSync(fd);
  }
}

describe('parallelPays', () => {
  it('says yes for a dump of many small processes, no for one whose bytes are a mailbox and its binaries', () => {
    // many.dump: 3,700 tag lines a MiB; refc_mailbox.dump: 870, and 1,480 `=binary` ones, not counted.
    expect(pays('fixtures/many.dump')).toBe(true);
    expect(pays('fixtures/refc_mailbox.dump')).toBe(false);
    expect(pays('fixtures/refc_mailbox.dump', { tagsPerMiB: 800 })).toBe(true);
  });

  it('says yes for a file past bigFileBytes whatever it holds', () => {
    expect(pays('fixtures/refc_mailbox.dump', { bigFileBytes: 1 })).toBe(true);
  });

  it('decides the read when no number of threads is asked for, and is not asked when one is', async () => {
    const o = { parallelMinBytes: 1, rangeBytes: 64 << 10 };
    expect((await readDump('fixtures/refc_mailbox.dump', o)).source.threads).toBe(1);
    // The reader's default: the cores, at most 4 (one on a one-core machine).
    expect((await readDump('fixtures/many.dump', o)).source.threads).toBe(Math.min(4, availableParallelism()));
    expect((await readDump('fixtures/refc_mailbox.dump', { ...o, threads: 2 })).source.threads).toBe(2);
  });
});
