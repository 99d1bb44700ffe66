/**
 * The process table's server-side sort and filter (src/serve/process-query.ts) against a plain
 * Array.sort over the rows as objects, on every column of fixture dumps made by a real VM.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { processAt } from '../src/dump/process-table.js';
import { filterRows, PROCESS_SORT_KEYS, ProcessQueryCache, sortRows } from '../src/serve/process-query.js';
import { FIXTURES } from './helpers/dumps.js';

/** Pids in Erlang's order: the three numbers (local pids of one node). */
function pidKey(pid: string): number[] {
  return pid.slice(1, -1).split('.').map(Number);
}

describe('process query', () => {
  for (const name of ['mailbox.dump', 'many.dump']) {
    it(`sorts ${name} by every column like Array.sort, missing values last`, async () => {
      const dump = await readDump(join(FIXTURES, name));
      const t = dump.processes;
      const all = Array.from({ length: t.count }, (_v, i) => i);
      const recs = all.map((i) => processAt(t, i) as unknown as Record<string, unknown>);
      for (const key of PROCESS_SORT_KEYS) {
        for (const descending of [false, true]) {
          const value = (i: number) => recs[i][key];
          const missing = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isNaN(v));
          const expected = [...all].sort((a, b) => {
            const va = value(a);
            const vb = value(b);
            if (missing(va) || missing(vb)) return missing(va) === missing(vb) ? a - b : missing(va) ? 1 : -1;
            let c: number;
            if (key === 'pid') {
              const [x, y] = [pidKey(va as string), pidKey(vb as string)];
              c = x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
            } else if (typeof va === 'number') c = va - (vb as number);
            else c = (va as string) < (vb as string) ? -1 : (va as string) > (vb as string) ? 1 : 0;
            return (descending ? -c : c) || a - b;
          });
          const got = Array.from(sortRows(t, Uint32Array.from(all), key, descending));
          expect(got.map(value), `${key} ${descending ? 'desc' : 'asc'}`).toEqual(expected.map(value));
        }
      }
    });
  }

  it('filters on pid, name, state, initial call, function and parent, case-insensitively', async () => {
    const dump = await readDump(join(FIXTURES, 'mailbox.dump'));
    const t = dump.processes;
    for (const needle of ['BIG_MAILBOX', 'waiting', 'proc_lib', '0.9.0', 'nothing-like-this']) {
      const n = needle.toLowerCase();
      const expected: number[] = [];
      for (let i = 0; i < t.count; i++) {
        const r = processAt(t, i);
        if ([r.pid, r.name, r.state, r.spawnedAs, r.currentCall, r.spawnedBy].some((v) => v?.toLowerCase().includes(n))) expected.push(i);
      }
      expect(Array.from(filterRows(t, needle)), needle).toEqual(expected);
    }
    expect(filterRows(t, '  ').length).toBe(t.count);
  });

  it('keeps a few answers and gives the same one again', async () => {
    const dump = await readDump(join(FIXTURES, 'mailbox.dump'));
    const cache = new ProcessQueryCache(dump.processes, 2);
    const q = { sort: 'memoryBytes' as const, descending: true, filter: '' };
    const a = cache.rows(q);
    expect(cache.rows({ ...q })).toBe(a);
    cache.rows({ ...q, filter: 'x' });
    cache.rows({ ...q, filter: 'y' });
    expect(cache.rows(q)).not.toBe(a);
    expect(Array.from(cache.rows(q))).toEqual(Array.from(a));
  });
});
