/**
 * Check rule `mseg-hit-rate`: the lowest mseg_alloc cache hit rate of the instances with enough
 * calls; at most WARNING with the defaults, as alloc.mseg-cache.
 */
import { cacheHitRates } from '../alloc/recon.js';
import { countOf, formatCount } from '../text/format.js';
import { type CheckRule, type Measurement, pct } from './metric.js';
import { defaultThresholds, ruleById } from './rules.js';

export const msegHitRateRule: CheckRule = {
  id: 'mseg-hit-rate',
  title: ruleById('mseg-hit-rate')!.title,
  needs: ['mseg_alloc instances (calls, hits)'],
  thresholds: defaultThresholds('mseg-hit-rate'),
  evaluate({ model, minMsegCalls: minCalls, label }) {
    const out: Measurement[] = [];
    const rates = cacheHitRates(model);
    if (rates.length === 0) {
      return [{ notChecked: 'no mseg_alloc statistics' }];
    }
    // Per instance, as alloc judges it: each instance's cache serves its own scheduler, and a
    // sum over instances hides one that misses everything (or flags one with a handful of calls).
    const judged = rates.filter((r) => r.calls >= minCalls);
    if (judged.length === 0) {
      return [{ notChecked: `no mseg_alloc instance has ${formatCount(minCalls)} calls (--min-mseg-calls; most: ${formatCount(Math.max(...rates.map((r) => r.calls)))})` }];
    }
    const worst = [...judged].sort((a, b) => a.hit_rate - b.hit_rate)[0];
    const rate = worst.hit_rate;
    out.push({ metric: {
      subject: `mseg_alloc[${worst.instance}]`,
      label: label('mseg_hit_rate'),
      value: rate * 100,
      perf: { value: rate * 100, uom: '%', scale: 1, min: 0, max: 100 },
      text: `mseg cache hit rate ${pct(rate * 100)} in mseg_alloc[${worst.instance}] (${formatCount(worst.hits)} hits in ${formatCount(worst.calls)} calls; the lowest of ${countOf(judged.length, 'instance')} with ${formatCount(minCalls)} calls or more)`,
      short: `mseg cache hit rate ${pct(rate * 100)}`,
    }, how: { capAt: 'WARNING' } });
    return out;
  },
};
