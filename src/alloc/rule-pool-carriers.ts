/**
 * Rule alloc.pool-carriers: many near-empty carriers abandoned to the carrier pool (acul) and kept
 * there by a few blocks.
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { formatBytes, formatPercent } from '../text/format.js';
import { usage } from './recon.js';
import { type AllocatorFacts, optionsInForce } from './summary.js';
import { THRESHOLDS } from './thresholds.js';

export const poolCarriersRule: Rule<AllocatorFacts> = {
  id: 'alloc.pool-carriers',
  title: 'carriers abandoned to the pool, mostly empty',
  needs: ['allocator types (mbcs_pool carriers and blocks)', 'allocator options in force'],
  thresholds: {
    poolMinBytes: threshold(THRESHOLDS.poolMinBytes, 'bytes', 'at least this many carrier bytes abandoned to the pool...'),
    poolUsage: threshold(THRESHOLDS.poolUsage, 'ratio', '...at most this full'),
  },
  evaluate(facts) {
    const out: Finding[] = [];
    const { model, types } = facts;
    const T = THRESHOLDS;
    // Pool carriers: abandoned carriers waiting for reuse.
    for (const t of types) {
      if (t.poolCarriersBytes < T.poolMinBytes) continue;
      const pu = usage(t.poolBlocksBytes, t.poolCarriersBytes);
      if (pu > T.poolUsage) continue;
      const { text: opts } = optionsInForce(model, t.type, ['acul', 'acnl', 'acfml']);
      out.push({
        id: 'alloc.pool-carriers',
        severity: 'info',
        title: `${t.type}: ${formatBytes(t.poolCarriersBytes)} of abandoned carriers in the pool, ${formatPercent(pu)} used`,
        explanation:
          'Carriers whose usage fell below the abandon threshold (acul) go to the carrier pool to be reused by other schedulers. ' +
          'Many near-empty pool carriers mean allocation has moved on and they are kept by a few blocks.',
        evidence: [`pool: ${formatBytes(t.poolBlocksBytes)} of blocks in ${formatBytes(t.poolCarriersBytes)} of carriers`, ...(opts ? [`options in force: ${opts}`] : [])],
        subject: { kind: 'allocator', id: t.type },
        metrics: { poolCarriersBytes: t.poolCarriersBytes, poolBlocksBytes: t.poolBlocksBytes, poolUsage: pu, thresholdPoolUsage: T.poolUsage },
      });
    }
    return out;
  },
};
