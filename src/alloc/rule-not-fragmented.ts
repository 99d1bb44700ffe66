/**
 * Rule alloc.not-fragmented: usage near 100% is not fragmentation, just memory in use ("Erlang in
 * Anger" 7.4 step 1); said only when no type is fragmented or in the Logplex pattern.
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { formatBytes, formatPercent } from '../text/format.js';
import { usage } from './recon.js';
import { unusedVerdict } from './rule-unused-carriers.js';
import type { AllocatorFacts } from './summary.js';
import { THRESHOLDS } from './thresholds.js';

export const notFragmentedRule: Rule<AllocatorFacts> = {
  id: 'alloc.not-fragmented',
  title: 'node-wide allocator usage high enough to rule fragmentation out',
  needs: ['allocator types (all carriers and blocks)'],
  thresholds: {
    healthyUsage: threshold(THRESHOLDS.healthyUsage, 'ratio', 'node-wide usage at or above this rules fragmentation out'),
  },
  evaluate(facts) {
    const out: Finding[] = [];
    const { types, carriersBytes: total, blocksBytes: totalBlocks } = facts;
    const T = THRESHOLDS;
    // Usage near 100%: not fragmentation, just memory in use ("Erlang in Anger" 7.4 step 1).
    const nodeUsage = usage(totalBlocks, total);
    // Of some allocators only (a dump cut in its =allocator sections), usage rules nothing out.
    if (facts.model.cut) return out;
    if (total > 0 && nodeUsage >= T.healthyUsage && !types.some((t) => unusedVerdict(t) === 'waste')) {
      out.push({
        id: 'alloc.not-fragmented',
        severity: 'info',
        title: `Allocators are ${formatPercent(nodeUsage)} used: no fragmentation to speak of`,
        explanation: 'Carrier memory is nearly all in use by blocks; if the node is large, it is holding data, not wasting carriers.',
        evidence: [`${formatBytes(totalBlocks)} of blocks in ${formatBytes(total)} of carriers over all allocator types`],
        metrics: { usage: nodeUsage, carriersBytes: total, blocksBytes: totalBlocks, thresholdUsage: T.healthyUsage },
      });
    }
    return out;
  },
};
