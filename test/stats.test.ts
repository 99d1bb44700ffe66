import { describe, expect, it } from 'vitest';
import { percentile, sum, topIndices, topSumIndices } from '../src/dump/analyze/stats.js';
import { NumberColumn } from '../src/dump/columns.js';

/** Nearest rank, by sorting: the definition, written out. */
function byRank(values: number[], p: number): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('percentile', () => {
  it('is the nearest-rank percentile, with ties, NaN and every size', () => {
    const next = random(7);
    for (let n = 0; n < 300; n++) {
      // Mostly zeros, as message queues are; some NaN (not in the dump); a few large values.
      const values = Array.from({ length: n }, () => {
        const r = next();
        return r < 0.6 ? 0 : r < 0.65 ? NaN : r < 0.95 ? Math.floor(next() * 8) : Math.floor(next() * 1e7);
      });
      for (const p of [0, 0.01, 0.5, 0.9, 0.99, 1]) expect(percentile(values, p), `n=${n} p=${p}`).toBe(byRank(values, p));
    }
  });

  it('answers for orders that defeat a median-of-three pivot', () => {
    const n = 4099;
    const orders = {
      ascending: Array.from({ length: n }, (_, i) => i),
      descending: Array.from({ length: n }, (_, i) => n - i),
      organPipe: Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
      allEqual: new Array<number>(n).fill(3),
      twoValues: Array.from({ length: n }, (_, i) => i % 2),
    };
    for (const [name, values] of Object.entries(orders)) {
      for (const p of [0.1, 0.5, 0.9]) expect(percentile(values, p), `${name} p=${p}`).toBe(byRank(values, p));
    }
  });

  it('takes typed arrays and leaves them as they were', () => {
    const values = Float64Array.from([5, 1, NaN, 4, 4, 0, 9]);
    const before = Array.from(values);
    expect(percentile(values, 0.5)).toBe(4);
    expect(Array.from(values)).toEqual(before);
    expect(percentile(new Float64Array(0), 0.9)).toBeNaN();
  });
});

describe('percentile, topIndices and sum over a NumberColumn (its cells, not `at`)', () => {
  // Mostly small counts, some past the cells (kept on the side), and what a dump can also hold:
  // no value, 0, a negative or fractional garbage value.
  const seeds = [1, 2, 3, 4];
  for (const seed of seeds) {
    it(`agree with sorting the values (seed ${seed})`, () => {
      let x = seed;
      const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const values = Array.from({ length: 20_000 }, () => {
        const r = rnd();
        if (r < 0.1) return NaN;
        if (r < 0.5) return 0;
        if (r < 0.97) return Math.floor(rnd() * 200);
        if (r < 0.985) return Math.floor(rnd() * 1e6);
        return [-1, 0.5, 2 ** 40, 253, 254, 255][Math.floor(rnd() * 6)];
      });
      const col = new NumberColumn(new Uint8Array(values.length), new Map());
      values.forEach((v, i) => col.set(i, v));
      const plain = { length: values.length, at: (i: number) => values[i] };
      for (const p of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
        const want = byRank(values, p);
        expect(percentile(col, p)).toBe(want);
        expect(percentile(plain, p)).toBe(want);
      }
      expect(topIndices(col, 25)).toEqual(topIndices(plain, 25));
      expect(topIndices(col, 25, 5000)).toEqual(topIndices(plain, 25, 5000));
      for (const n of [1, 10, 300, 5000]) expect(topIndices(col, n)).toEqual(topIndices(plain, n));
      // Two columns summed per row (NaN as 0), the second shorter: its missing rows have no value.
      const other = new NumberColumn(new Uint8Array(values.length / 2), new Map());
      values.slice(0, values.length / 2).reverse().forEach((v, i) => other.set(i, v));
      const summed = { length: values.length, at: (i: number) => (col.at(i) || 0) + (other.at(i) || 0) };
      for (const n of [1, 10, 25]) expect(topSumIndices(col, other, n, values.length)).toEqual(topIndices(summed, n));
      expect(sum(col)).toBe(values.filter(Number.isFinite).reduce((a, b) => a + b, 0));
      expect(percentile(col, 0.5, 0)).toBeNaN();
    });
  }
});

describe('topIndices over a Float64Array', () => {
  it('is topIndices over the same values read one by one, ties in row order, past the end ignored', () => {
    const values = Float64Array.from({ length: 5000 }, (_, i) => (i % 17 === 0 ? NaN : (i * 7919) % 101));
    const plain = { length: values.length, at: (i: number) => values[i] };
    for (const [n, count] of [[1, 5000], [10, 5000], [25, 1234], [10, 9999]]) {
      expect(topIndices(values, n, count)).toEqual(topIndices(plain, n, Math.min(count, values.length)));
    }
  });
});
