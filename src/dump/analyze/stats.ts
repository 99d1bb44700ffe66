/** Small statistics helpers for analyzers. */

/** The p-th percentile (0..1) of values, nearest-rank; NaN for none. */
export function percentile(values: ArrayLike<number>, p: number): number {
  // A typed copy sorts numerically without boxing a million numbers.
  const all = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) all[n++] = values[i];
  const a = all.subarray(0, n).sort();
  if (a.length === 0) return NaN;
  const rank = Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1));
  return a[rank];
}

/** Indices of the n largest finite values, largest first (ties keep table order). */
export function topIndices(values: ArrayLike<number>, n: number, count = values.length): number[] {
  if (n <= 0) return [];
  // A small sorted buffer: n is a report size (tens), the table can be millions of rows.
  const idx: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (idx.length === n && v <= values[idx[n - 1]]) continue;
    let j = idx.length < n ? idx.length : n - 1;
    if (idx.length < n) idx.push(i);
    while (j > 0 && values[idx[j - 1]] < v) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = i;
  }
  return idx;
}

export function sum(values: ArrayLike<number>, count = values.length): number {
  let s = 0;
  for (let i = 0; i < count; i++) if (Number.isFinite(values[i])) s += values[i];
  return s;
}
