/**
 * Rule leak.binary-not-in-dump: binary memory (=memory binary) the dump's =binary sections do not
 * hold, when it is a large share of it.
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { formatBytes, formatCount, formatPercent } from '../text/format.js';
import { DEFAULT_LEAK_THRESHOLDS, NOT_IN_DUMP_MIN_BYTES } from './thresholds.js';
import type { LeakFacts } from './types.js';

export const binaryNotInDumpRule: Rule<LeakFacts> = {
  id: 'leak.binary-not-in-dump',
  title: 'binary memory not in the dump\'s =binary sections',
  needs: ['=memory binary', '=binary sections', 'stale estimates'],
  thresholds: {
    notInDumpMinShare: threshold(DEFAULT_LEAK_THRESHOLDS.notInDumpMinShare, 'ratio', 'worth a finding from this share of =memory binary...'),
    notInDumpMinBytes: threshold(NOT_IN_DUMP_MIN_BYTES, 'bytes', '...and this many bytes'),
  },
  evaluate({ report: r }) {
    const out: Finding[] = [];
    const th = r.thresholds;
    const b = r.binaries;
    // A dump cut before the end of its =binary sections: the gap is the cut (leak.dump-cut says so).
    if (r.truncation?.binariesCut) return out;
    if (b.memoryBinaryBytes !== undefined && b.notInDumpBytes !== undefined && b.memoryBinaryBytes > 0) {
      const shareNot = b.notInDumpBytes / b.memoryBinaryBytes;
      if (shareNot >= th.notInDumpMinShare && b.notInDumpBytes >= NOT_IN_DUMP_MIN_BYTES) {
        const explained = Math.min(b.staleEstimateBytes, b.notInDumpBytes);
        out.push({
          id: 'leak.binary-not-in-dump',
          severity: 'info',
          title: `${formatBytes(b.notInDumpBytes)} of binary memory (${formatPercent(shareNot)}) is not in the dump's =binary sections`,
          explanation: 'The dump writes only the binaries that dumped heaps and literals reach. The rest is held where the dump does not show it: references processes dropped without a GC since (the stale estimates), ETS tables, ports and drivers, and processes without a deep dump.',
          evidence: [
            `=memory binary ${formatBytes(b.memoryBinaryBytes)}, =binary sections ${formatBytes(b.binarySectionsBytes)} in ${formatCount(b.binarySections)}`,
            `stale estimates of all processes: ${formatBytes(b.staleEstimateBytes)} (explain ${formatPercent(explained / b.notInDumpBytes)} of the gap)`,
          ],
          metrics: { notInDumpBytes: b.notInDumpBytes, memoryBinaryBytes: b.memoryBinaryBytes, binarySectionsBytes: b.binarySectionsBytes, staleEstimateBytes: b.staleEstimateBytes, share: shareNot },
        });
      }
    }
    return out;
  },
};
