/**
 * The rule contract (src/rules/rule.ts) kept by alloc's, check's and leak's rules: ids, named
 * thresholds with units, and findings only under the ids a rule declares; check's allocator
 * defaults are alloc's numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorModelFromTermText } from '../src/alloc/from-terms.js';
import { ALLOCATOR_RULES, THRESHOLDS, allocatorFacts } from '../src/alloc/verdict.js';
import { RULES } from '../src/check/rules.js';
import { DUMP_LEAK_RULES } from '../src/leak/dump-leak.js';
import type { Rule } from '../src/rules/rule.js';
import { REPO_ROOT } from './helpers/fixtures.js';

const all: Array<Rule<never, unknown>> = [...ALLOCATOR_RULES, ...DUMP_LEAK_RULES] as Array<Rule<never, unknown>>;

describe('rule contract', () => {
  it('ids are unique, thresholds are named with a unit and a finite value', () => {
    const ids = all.flatMap((r) => [r.id, ...(r.gives ?? [])]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of all) {
      expect(r.needs.length, r.id).toBeGreaterThan(0);
      for (const [name, t] of Object.entries(r.thresholds)) {
        expect(['bytes', 'ratio', 'percent', 'count'], `${r.id}.${name}`).toContain(t.unit);
        expect(Number.isFinite(t.value), `${r.id}.${name}`).toBe(true);
        if (t.unit === 'ratio') expect(t.value, `${r.id}.${name}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('each allocator rule gives findings only under its declared ids (snapshots made by a real VM)', () => {
    const dir = join(REPO_ROOT, 'fixtures', 'alloc', 'tuned');
    for (const f of [
      'aobf-lmbcs512.snapshot',
      'mseg-mcs30-nobadfit.snapshot',
      'mseg-nobadfit.snapshot',
      'sbct4k.snapshot',
    ]) {
      const facts = allocatorFacts(allocatorModelFromTermText(readFileSync(join(dir, f), 'latin1')));
      for (const r of ALLOCATOR_RULES)
        for (const x of r.evaluate(facts)) expect([r.id, ...(r.gives ?? [])], `${f}: ${r.id}`).toContain(x.id);
    }
  });

  it("check's allocator defaults are alloc's thresholds", () => {
    const def = (id: string) => RULES.find((r) => r.id === id)!;
    expect(def('usage').defaultWarn).toBe(THRESHOLDS.fragmentedUsage * 100);
    expect(def('mbcs-usage').defaultWarn).toBe(THRESHOLDS.fragmentedUsage * 100);
    expect(def('mseg-hit-rate').defaultWarn).toBe(THRESHOLDS.msegHitRate * 100);
  });
});
