/**
 * Check rule `current-vs-max`: per-type current mbcs utilisation as a share of the utilisation at
 * the peak (the Logplex pattern), same types as mbcs-usage.
 */
import { type CheckRule, type Measurement, pct } from './metric.js';
import { judgedTypes } from './rule-mbcs-usage.js';
import { defaultThresholds, ruleById } from './rules.js';

export const currentVsMaxRule: CheckRule = {
  id: 'current-vs-max',
  title: ruleById('current-vs-max')!.title,
  needs: ['allocator statistics (current and max mbcs per type)', "alloc's findings by type"],
  thresholds: defaultThresholds('current-vs-max'),
  evaluate({ model, minTypeBytes: minType, label, allCarriers, findingOn }) {
    const out: Measurement[] = [];
    const judged = judgedTypes(model, minType, allCarriers);
    if ('notChecked' in judged) return [judged];
    for (const { x, small, waste } of judged.types) {
      const cur = x.carriers > 0 ? x.blocks / x.carriers : 1;
      const max = x.maxCarriers > 0 ? x.maxBlocks / x.maxCarriers : 1;
      const share = max > 0 ? Math.min(cur / max, 10) : 1;
      out.push({ metric: {
        subject: x.type,
        label: label(`${x.type}_cur_of_max`),
        value: share * 100,
        perf: { value: share * 100, uom: '%', scale: 1, min: 0 },
        text: `${x.type} mbcs usage ${pct(cur * 100)} now against ${pct(max * 100)} at peak (${pct(share * 100)} of it)`,
        short: `${x.type} usage ${pct(share * 100)} of peak`,
        ...small,
      }, how: { waste, finding: findingOn.get(x.type) } });
    }
    return out;
  },
};
