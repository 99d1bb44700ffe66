/**
 * Check rule `current-vs-max`: per-type current mbcs utilisation as a share of the utilisation at
 * the peak (the Logplex pattern), same types as mbcs-usage.
 */
import { pct } from './metric.js';
import { perTypeRule } from './rule-mbcs-usage.js';

export const currentVsMaxRule = perTypeRule('current-vs-max', ['allocator statistics (current and max mbcs per type)', "alloc's findings by type"], (x, cur, label) => {
  const max = x.maxCarriers > 0 ? x.maxBlocks / x.maxCarriers : 1;
  const share = max > 0 ? Math.min(cur / max, 10) : 1;
  return {
    subject: x.type,
    label: label(`${x.type}_cur_of_max`),
    value: share * 100,
    perf: { value: share * 100, uom: '%', scale: 1, min: 0 },
    text: `${x.type} mbcs usage ${pct(cur * 100)} now against ${pct(max * 100)} at peak (${pct(share * 100)} of it)`,
    short: `${x.type} usage ${pct(share * 100)} of peak`,
  };
});
