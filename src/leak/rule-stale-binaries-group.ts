/**
 * Rule leak.stale-binaries-group: many processes of one initial call that together hold stale
 * binary references (only what the members not flagged one by one hold).
 */
import type { Finding } from '../findings.js';
import type { Rule } from '../rules/rule.js';
import { countOf, formatBytes, formatPercent, who } from '../text/format.js';
import { STALE_THRESHOLDS } from './thresholds.js';
import type { BinaryAccounting, LeakFacts } from './types.js';

export const staleBinariesGroupRule: Rule<LeakFacts> = {
  id: 'leak.stale-binaries-group',
  title: 'processes of one kind holding stale binary references together',
  needs: ['stale estimates grouped by initial call'],
  thresholds: STALE_THRESHOLDS,
  evaluate({ report: r, top }) {
    const out: Finding[] = [];
    const th = r.thresholds;
    for (const g of r.groups.filter((x) => x.flagged && x.unflagged.count > 1).slice(0, top)) {
      // Only what the members not flagged above hold: the same bytes are never in two findings.
      const others = g.unflagged.count < g.count;
      out.push({
        id: 'leak.stale-binaries-group',
        severity: g.unflagged.shareOfBinaryMemory >= th.staleCriticalShare ? 'critical' : 'warning',
        title: `${countOf(g.unflagged.count, 'process', 'processes')} ${others ? 'more ' : ''}spawned as ${g.key} hold ~${formatBytes(g.unflagged.staleBytes)} of stale binary references together (${formatPercent(g.unflagged.shareOfBinaryMemory)} of binary memory)${others ? `, besides the ${countOf(g.count - g.unflagged.count, 'one', 'ones')} above` : ''}`,
        explanation: 'Many processes of one kind each hold a little: no single one stands out, together they keep binary memory alive. Hibernation after work, or a garbage collection when a request is done, releases it; look at what these processes receive and drop.',
        evidence: [
          `${countOf(g.count, 'process', 'processes')}, ${formatBytes(g.vheapBytes)} accounted (BinVHeap + OldBinVHeap), ${formatBytes(g.reachableBytes)} reachable`,
          `largest: ${who(g.largest)} with ~${formatBytes(g.largest.staleBytes)}`,
          ...portQueueLine(r.binaries),
        ],
        subject: { kind: 'initial-call', id: g.key },
        metrics: { count: g.unflagged.count, staleBytes: g.unflagged.staleBytes, shareOfBinaryMemory: g.unflagged.shareOfBinaryMemory,
          groupCount: g.count, groupStaleBytes: g.staleBytes, vheapBytes: g.vheapBytes, reachableBytes: g.reachableBytes },
      });
    }
    return out;
  },
};

/** The ports' output queues, when they hold 1 MiB or more: what the stale estimates leave out. */
function portQueueLine(b: BinaryAccounting): string[] {
  if (b.portQueueBytes < 2 ** 20) return [];
  return [`ports' output queues: ${formatBytes(b.portQueueBytes)} on ${countOf(b.portQueues, 'port')}, not counted as stale for their owners (binaries sent to a port stay in its queue until written, whatever the sender's GC)`];
}
