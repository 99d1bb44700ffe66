/**
 * Check rule `usage`: node-wide allocator usage (recon_alloc memory(usage)), judged only when the
 * unused carrier memory is worth a page, and graded on alloc's waste scale.
 */
import { reconMemory } from '../alloc/recon.js';
import { formatBytes } from '../text/format.js';
import { type CheckRule, type Measurement, pct } from './metric.js';
import { defaultThresholds, ruleById } from './rules.js';

export const usageRule: CheckRule = {
  id: 'usage',
  title: ruleById('usage')!.title,
  needs: ['allocator statistics (the nine util allocators)'],
  thresholds: defaultThresholds('usage'),
  evaluate({ model, minTypeBytes: minType, label, allCarriers }) {
    const out: Measurement[] = [];
    const m = reconMemory(model);
    if (!(m.allocated > 0)) {
      return [{ notChecked: 'no carrier memory in the nine util allocators' }];
    }
    // A small node is judged only when the unused carrier memory is worth a page.
    const unused = m.allocated - m.used;
    out.push({ metric: {
      subject: 'node',
      label: label('usage'),
      value: m.usage * 100,
      perf: { value: m.usage * 100, uom: '%', scale: 1, min: 0, max: 100 },
      text: `allocator usage ${pct(m.usage * 100)}: ${formatBytes(m.used)} used of ${formatBytes(m.allocated)} allocated`,
      short: `allocator usage ${pct(m.usage * 100)}`,
      ...(unused < minType ? { notJudged: `only ${formatBytes(unused)} unused, less than --min-type-bytes ${formatBytes(minType)}` } : {}),
    }, how: { waste: { unusedBytes: unused, allBytes: allCarriers } } });
    return out;
  },
};
