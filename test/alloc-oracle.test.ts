/**
 * recon parity: beamscope's recon numbers from each oracle snapshot against recon's own recorded
 * answers (../shared/oracle/recon_alloc/NAME.expected.json): same keys, same order, numbers equal to
 * a relative 1e-12.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorModelFromTermText } from '../src/alloc/from-terms.js';
import { reconReport } from '../src/alloc/recon.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

export const SCENARIOS = ['spike', 'calm', 'ets'];

/** Deep comparison: same key sets, same array order, numbers within relative `tol`. Returns the first difference. */
export function firstDifference(actual: unknown, expected: unknown, tol = 1e-12, path = '$'): string | undefined {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return `${path}: expected number ${expected}, got ${JSON.stringify(actual)}`;
    if (expected === actual) return undefined;
    const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), Math.abs(actual));
    return rel <= tol ? undefined : `${path}: ${actual} != ${expected} (relative ${rel})`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array`;
    if (actual.length !== expected.length) return `${path}: length ${actual.length} != ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(actual[i], expected[i], tol, `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object`;
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    if (ek.join(',') !== ak.join(',')) return `${path}: keys [${ak}] != [${ek}]`;
    for (const k of ek) {
      const d = firstDifference((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], tol, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
}

describe.skipIf(!haveShared('oracle/recon_alloc'))('recon_alloc oracle: snapshot -> recon numbers', () => {
  for (const name of SCENARIOS) {
    it(`${name}: every number of ${name}.expected.json, same order`, () => {
      const model = allocatorModelFromTermText(readFileSync(join(ORACLE, `${name}.snapshot`), 'utf8'), `${name}.snapshot`);
      expect(model.source).toBe('recon-snapshot');
      const expected = JSON.parse(readFileSync(join(ORACLE, `${name}.expected.json`), 'utf8'));
      const actual = JSON.parse(JSON.stringify(reconReport(model)));
      expect(firstDifference(actual, expected)).toBeUndefined();
      // Order of the order-carrying objects too (JSON objects compare by key set above).
      expect(Object.keys(actual.memory.allocated_types)).toEqual(Object.keys(expected.memory.allocated_types));
      expect(Object.keys(actual.average_block_sizes.current)).toEqual(Object.keys(expected.average_block_sizes.current));
    });
  }
});
