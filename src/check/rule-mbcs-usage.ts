/**
 * Check rule `mbcs-usage`: per-type multiblock-carrier utilisation, for types with enough carriers;
 * its state never falls below alloc's finding on the same type.
 */
import type { AllocatorModel } from '../alloc/model.js';
import { containerValue } from '../alloc/recon.js';
import { formatBytes } from '../text/format.js';
import { type CheckRule, type Measurement, type MetricDraft, pct } from './metric.js';
import { defaultThresholds, ruleById } from './rules.js';

/** Per type: current mbcs usage (with the pool, as recon's current) and max mbcs usage. */
export function mbcsByType(model: AllocatorModel): Array<{ type: string; carriers: number; blocks: number; maxCarriers: number; maxBlocks: number }> {
  const by = new Map<string, { type: string; carriers: number; blocks: number; maxCarriers: number; maxBlocks: number }>();
  for (const i of model.allocators) {
    if (!i.enabled || !i.mbcs) continue;
    const t = by.get(i.allocator) ?? { type: i.allocator, carriers: 0, blocks: 0, maxCarriers: 0, maxBlocks: 0 };
    t.carriers += containerValue(i, 'current', 'mbcs', 'carriersBytes');
    t.blocks += containerValue(i, 'current', 'mbcs', 'blocksBytes');
    t.maxCarriers += containerValue(i, 'max', 'mbcs', 'carriersBytes');
    t.maxBlocks += containerValue(i, 'max', 'mbcs', 'blocksBytes');
    by.set(i.allocator, t);
  }
  return [...by.values()];
}

export interface JudgedType {
  x: ReturnType<typeof mbcsByType>[number];
  unused: number;
  small: { notJudged?: string };
  waste: { unusedBytes: number; allBytes: number };
}

/**
 * The types mbcs-usage and current-vs-max judge, largest first, each with its unused bytes, the
 * not-judged reason of a small one and its waste on alloc's scale; or why there are none.
 */
export function judgedTypes(model: AllocatorModel, minType: number, allCarriers: number): { notChecked: string } | { types: JudgedType[] } {
  const types = mbcsByType(model).filter((x) => x.carriers >= minType);
  if (types.length === 0) {
    return { notChecked: `no allocator type has ${formatBytes(minType)} of multiblock carriers (--min-type-bytes)` };
  }
  return {
    types: types.sort((a, b) => b.carriers - a.carriers).map((x) => {
      // As alloc: a type is judged when its unused bytes, not its carriers, are worth a look.
      const unused = x.carriers - x.blocks;
      const small = unused < minType ? { notJudged: `only ${formatBytes(unused)} of its carriers unused, less than --min-type-bytes ${formatBytes(minType)}` } : {};
      const waste = { unusedBytes: unused, allBytes: allCarriers };
      return { x, unused, small, waste };
    }),
  };
}

/**
 * A rule with one metric per judged type (mbcs-usage, current-vs-max): `draft` writes the metric of
 * a type from its current mbcs usage; the waste scale and alloc's finding on the type grade it.
 */
export function perTypeRule(id: 'mbcs-usage' | 'current-vs-max', needs: string[], draft: (x: JudgedType['x'], cur: number, label: (l: string) => string) => MetricDraft): CheckRule {
  return {
    id,
    title: ruleById(id)!.title,
    needs,
    thresholds: defaultThresholds(id),
    evaluate({ model, minTypeBytes, label, allCarriers, findingOn }) {
      const judged = judgedTypes(model, minTypeBytes, allCarriers);
      if ('notChecked' in judged) return [judged];
      return judged.types.map(({ x, small, waste }): Measurement => {
        const cur = x.carriers > 0 ? x.blocks / x.carriers : 1;
        return { metric: { ...draft(x, cur, label), ...small }, how: { waste, finding: findingOn.get(x.type) } };
      });
    },
  };
}

export const mbcsUsageRule = perTypeRule('mbcs-usage', ['allocator statistics (mbcs carriers and blocks per type)', "alloc's findings by type"], (x, cur, label) => ({
  subject: x.type,
  label: label(`${x.type}_mbcs`),
  value: cur * 100,
  perf: { value: cur * 100, uom: '%', scale: 1, min: 0, max: 100 },
  text: `${x.type} mbcs usage ${pct(cur * 100)}: ${formatBytes(x.blocks)} of ${formatBytes(x.carriers)} carriers`,
  short: `${x.type} mbcs usage ${pct(cur * 100)}`,
}));
