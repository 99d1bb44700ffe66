/**
 * Rule alloc.sbcs-heavy: most of a type's carrier memory is in single-block carriers (a type whose
 * unused memory they are is alloc.sbcs-unused's, and left out here).
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { formatBytes, formatPercent } from '../text/format.js';
import { ALLOCATOR_FLAG } from './model.js';
import { unusedVerdict } from './rule-unused-carriers.js';
import { type AllocatorFacts, optionsInForce } from './summary.js';
import { THRESHOLDS } from './thresholds.js';

export const sbcsHeavyRule: Rule<AllocatorFacts> = {
  id: 'alloc.sbcs-heavy',
  title: 'share of a type\'s carrier memory in single-block carriers',
  needs: ['allocator types (sbcs and all carriers)', 'allocator options in force'],
  thresholds: {
    sbcsShare: threshold(THRESHOLDS.sbcsShare, 'ratio', 'sbcs bytes at least this share of the type\'s carrier bytes...'),
    minUnusedBytes: threshold(THRESHOLDS.minUnusedBytes, 'bytes', '...and at least this many sbcs carrier bytes'),
  },
  evaluate(facts) {
    const out: Finding[] = [];
    const { model, types } = facts;
    const T = THRESHOLDS;
    // Single-block against multiblock carriers (a type whose unused memory they are is named above).
    for (const t of types) {
      if (unusedVerdict(t) === 'sbcs-unused') continue;
      if (t.carriersBytes === 0 || t.sbcsCarriersBytes / t.carriersBytes < T.sbcsShare || t.sbcsCarriersBytes < T.minUnusedBytes) continue;
      const flag = ALLOCATOR_FLAG[t.type] ?? '?';
      const { text: opts } = optionsInForce(model, t.type, ['sbct', 'lmbcs', 'mmsbc']);
      out.push({
        id: 'alloc.sbcs-heavy',
        severity: 'info',
        title: `${t.type}: ${formatPercent(t.sbcsCarriersBytes / t.carriersBytes)} of its carrier memory is in single-block carriers`,
        explanation:
          `Blocks above the single-block carrier threshold (sbct) each get their own carrier, one mmap/malloc call apiece. ` +
          `If they are common, raise +M${flag}sbct and +M${flag}lmbcs so they fit in multiblock carriers (recon_alloc:sbcs_to_mbcs).`,
        evidence: [`sbcs: ${t.sbcsBlocks} blocks, ${formatBytes(t.sbcsBlocksBytes)} in ${formatBytes(t.sbcsCarriersBytes)} of carriers`, ...(opts ? [`options in force: ${opts}`] : [])],
        subject: { kind: 'allocator', id: t.type },
        metrics: { sbcsCarriersBytes: t.sbcsCarriersBytes, carriersBytes: t.carriersBytes, sbcsBlocks: t.sbcsBlocks, thresholdShare: T.sbcsShare },
      });
    }
    return out;
  },
};
