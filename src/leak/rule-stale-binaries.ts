/**
 * Rule leak.stale-binaries: a process accounted binary bytes its dumped heap no longer reaches
 * (flagged by the report's thresholds, which `--stale-min-bytes`/`--stale-min-share` set).
 */
import type { Finding } from '../findings.js';
import type { Rule } from '../rules/rule.js';
import { formatBytes, formatPercent, who } from '../text/format.js';
import { STALE_THRESHOLDS } from './thresholds.js';
import type { LeakFacts } from './types.js';

export const staleBinariesRule: Rule<LeakFacts> = {
  id: 'leak.stale-binaries',
  title: 'a process holding binary references it dropped and has not collected',
  needs: ['stale estimates (BinVHeap + OldBinVHeap against the heap scan)', '=memory binary'],
  thresholds: STALE_THRESHOLDS,
  evaluate({ report: r, top }) {
    const out: Finding[] = [];
    const th = r.thresholds;
    const mem = r.binaries.memoryBinaryBytes;
    for (const s of r.staleEstimates.filter((x) => x.flagged).slice(0, top)) {
      out.push({
        id: 'leak.stale-binaries',
        severity: s.shareOfBinaryMemory >= th.staleCriticalShare ? 'critical' : 'warning',
        title: `${who(s)} holds ~${formatBytes(s.staleBytes)} of refc binaries it no longer references (${formatPercent(s.shareOfBinaryMemory)} of binary memory)`,
        explanation: 'The VM accounts these binary bytes to the process (BinVHeap + OldBinVHeap), but its heap in the dump no longer reaches them: references it dropped and has not garbage collected since. They keep binary_alloc carriers alive until the process collects. Typical of processes that touch many large binaries but allocate little themselves (routers, relays, idle long-lived processes). Fixes: hibernate idle processes, do binary-heavy work in short-lived processes, binary:copy/1 small slices kept for long, or garbage_collect/1 periodically as a stopgap; recon:bin_leak/1 confirms on a live node.',
        evidence: [
          `BinVHeap ${formatBytes(s.binVHeapBytes)} + OldBinVHeap ${formatBytes(s.oldBinVHeapBytes)} = ${formatBytes(s.vheapBytes)}`,
          `reachable from its dumped heap: ${formatBytes(s.reachableBytes)}`,
          ...(s.queuedToPortsBytes > 0 ? [`queued to the ports it owns, not counted: ${formatBytes(s.queuedToPortsBytes)} (binaries sent to a port stay in its queue until written, whatever the sender's GC)`] : []),
          ...(s.initialCall ? [`initial call: ${s.initialCall}`] : []),
          ...(mem !== undefined ? [`=memory binary: ${formatBytes(mem)}`] : []),
        ],
        subject: { kind: 'process', id: s.pid, ...(s.name ? { name: s.name } : {}) },
        metrics: { staleBytes: s.staleBytes, vheapBytes: s.vheapBytes, reachableBytes: s.reachableBytes, shareOfBinaryMemory: s.shareOfBinaryMemory },
      });
    }
    return out;
  },
};
