/**
 * Rule alloc.mseg-cache: an mseg_alloc instance whose segment cache misses most calls (recon's 0.80).
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { formatBytes, formatPercent } from '../text/format.js';
import { cacheHitRates } from './recon.js';
import type { AllocatorFacts } from './summary.js';
import { MSEG_MAX_CACHED, THRESHOLDS } from './thresholds.js';

export const msegCacheRule: Rule<AllocatorFacts> = {
  id: 'alloc.mseg-cache',
  title: 'mseg_alloc segment cache hit rate, per instance',
  needs: ['mseg_alloc instances (calls, hits, options)'],
  thresholds: {
    msegHitRate: threshold(THRESHOLDS.msegHitRate, 'ratio', 'recon_alloc\'s documented floor for the hit rate'),
    msegMinCalls: threshold(THRESHOLDS.msegMinCalls, 'count', 'fewer mseg_alloc calls than this say nothing about the cache'),
  },
  evaluate(facts) {
    const out: Finding[] = [];
    const { model } = facts;
    const T = THRESHOLDS;
    // mseg cache hit rate, recon's 0.80.
    for (const r of cacheHitRates(model)) {
      if (r.calls < T.msegMinCalls || !(r.hit_rate < T.msegHitRate)) continue;
      const m = model.mseg.find((x) => x.instance === r.instance);
      const mcs = m?.options.mcs;
      out.push({
        id: 'alloc.mseg-cache',
        // recon's line is 0.80; a missing cache costs mmap calls, not memory: never more than a warning
        // (check's mseg-hit-rate, with its defaults, says the same).
        severity: 'warning',
        title: `mseg_alloc[${r.instance}]: segment cache hit rate ${formatPercent(r.hit_rate)} (recon: usually above 80%)`,
        explanation:
          'Most carrier allocations missed the segment cache and went to the OS (mmap/munmap). Unless memory use is expected to be spiky, ' +
          // amcbf and rmcbf are the cache's "bad fit": how much larger than the request a cached
          // segment may be and still be reused (OTP's erts_alloc: defaults 4096 KB and 20%).
          (mcs !== undefined && Number(mcs) >= MSEG_MAX_CACHED
            ? `the number of cached segments is at its maximum already (+MMmcs ${String(mcs)}): what is left is how much larger than the request a cached segment may be and still be reused (+MMamcbf, now ${m?.options.amcbf !== undefined ? formatBytes(Number(m.options.amcbf)) : 'not shown'}, default 4 MiB; +MMrmcbf, now ${m?.options.rmcbf !== undefined ? `${String(m.options.rmcbf)}%` : 'not shown'}, default 20%), or fewer carrier allocations (larger +M<S>smbcs, +M<S>mbcgs).`
            : `raise the number of cached segments first (+MMmcs${mcs !== undefined ? `, now ${String(mcs)}` : ''}, at most ${MSEG_MAX_CACHED}), then how much larger than the request a cached segment may be and still be reused (+MMrmcbf %, +MMamcbf KB).`),
        evidence: [`${r.hits} hits in ${r.calls} mseg_alloc calls`, ...(m ? [`options in force: ${Object.entries(m.options).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`] : [])],
        subject: { kind: 'allocator', id: `mseg_alloc[${r.instance}]` },
        metrics: { hitRate: r.hit_rate, hits: r.hits, calls: r.calls, thresholdHitRate: T.msegHitRate },
      });
    }
    return out;
  },
};
