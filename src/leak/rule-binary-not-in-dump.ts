/**
 * Rule leak.binary-not-in-dump: binary memory (=memory binary) the dump's =binary sections do not
 * hold, when it is a large share of it.
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { countOf, formatBytes, formatCount, formatPercent } from '../text/format.js';
import { DEFAULT_LEAK_THRESHOLDS, NOT_IN_DUMP_MIN_BYTES } from './thresholds.js';
import type { LeakFacts } from './types.js';

export const binaryNotInDumpRule: Rule<LeakFacts> = {
  id: 'leak.binary-not-in-dump',
  title: 'binary memory not in the dump\'s =binary sections',
  needs: ['=memory binary', '=binary sections', 'stale estimates', 'word size'],
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
      // The sections' own headers (binary-headers.ts) are in =memory binary, not in their sizes:
      // what is left past them is held where the dump does not show it.
      const headers = Math.min(b.headerEstimateBytes ?? 0, Math.max(0, b.notInDumpBytes));
      const rest = b.notInDumpBytes - headers;
      const shareNot = rest / b.memoryBinaryBytes;
      if (shareNot >= th.notInDumpMinShare && rest >= NOT_IN_DUMP_MIN_BYTES) {
        const explained = Math.min(b.staleEstimateBytes + b.portQueueBytes, rest);
        out.push({
          id: 'leak.binary-not-in-dump',
          severity: 'info',
          title: `${formatBytes(rest)} of binary memory (${formatPercent(shareNot)}) is not in the dump's =binary sections${headers > 0 ? ', besides their headers' : ''}`,
          explanation: 'The dump writes only the binaries that dumped heaps and literals reach. The rest is held where the dump does not show it: references processes dropped without a GC since (the stale estimates), ETS tables, ports and drivers, distribution buffers to other nodes, and processes without a deep dump.',
          evidence: [
            `=memory binary ${formatBytes(b.memoryBinaryBytes)} - =binary sections ${formatBytes(b.binarySectionsBytes)} in ${formatCount(b.binarySections)} = ${formatBytes(b.notInDumpBytes)}`,
            ...(headers > 0 ? [`of which the sections' own headers, which =memory binary counts and their sizes do not: about ${formatBytes(headers)} (40 bytes each, rounded up to 8, as a 64-bit OTP 25 counts them)`] : []),
            ...(b.portQueueBytes > 0
              ? [`stale estimates of all processes ${formatBytes(b.staleEstimateBytes)}, ports' output queues ${formatBytes(b.portQueueBytes)} on ${countOf(b.portQueues, 'port')}: together they explain ${formatPercent(explained / rest)} of the ${formatBytes(rest)}`]
              : [`stale estimates of all processes: ${formatBytes(b.staleEstimateBytes)} (explain ${formatPercent(explained / rest)} of the ${formatBytes(rest)})`]),
          ],
          metrics: { notInDumpBytes: b.notInDumpBytes, pastHeadersBytes: rest, memoryBinaryBytes: b.memoryBinaryBytes, binarySectionsBytes: b.binarySectionsBytes, headerEstimateBytes: headers, staleEstimateBytes: b.staleEstimateBytes, portQueueBytes: b.portQueueBytes, share: shareNot },
        });
      }
    }
    return out;
  },
};
