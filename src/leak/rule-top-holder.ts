/**
 * Rule leak.top-holder: the process referencing the most live binary bytes, when it holds a large
 * share of binary memory (live: a GC would not free them).
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { countOf, formatBytes, formatPercent, who } from '../text/format.js';
import { TOP_HOLDER_MIN_BYTES, TOP_HOLDER_MIN_SHARE } from './thresholds.js';
import type { LeakFacts } from './types.js';

export const topHolderRule: Rule<LeakFacts> = {
  id: 'leak.top-holder',
  title: 'the largest holder of live binaries',
  needs: ['holders (the heap scan)', '=memory binary'],
  thresholds: {
    minShare: threshold(TOP_HOLDER_MIN_SHARE, 'ratio', 'the top holder is named from this share of =memory binary...'),
    minBytes: threshold(TOP_HOLDER_MIN_BYTES, 'bytes', '...and this many bytes'),
  },
  evaluate({ report: r }) {
    const out: Finding[] = [];
    const h = r.holders[0];
    const b = r.binaries;
    if (h && b.memoryBinaryBytes && h.reachableBytes / b.memoryBinaryBytes >= TOP_HOLDER_MIN_SHARE && h.reachableBytes >= TOP_HOLDER_MIN_BYTES) {
      out.push({
        id: 'leak.top-holder',
        severity: 'info',
        title: `${who(h)} references ${formatBytes(h.reachableBytes)} of live binaries (${formatPercent(h.reachableBytes / b.memoryBinaryBytes)} of binary memory)`,
        explanation: 'These binaries are live: a GC would not free them. If the process should not keep that much, look at its state (beamscope proc), for example sub-binaries of large messages that keep the whole binary alive (binary:copy/1 the part you keep).',
        evidence: [`${countOf(h.binaries, 'binary', 'binaries')}, ${formatBytes(h.exclusiveBytes)} only it references, ${formatBytes(h.sharedBytes)} shared`],
        subject: { kind: 'process', id: h.pid, ...(h.name ? { name: h.name } : {}) },
        metrics: { reachableBytes: h.reachableBytes, exclusiveBytes: h.exclusiveBytes, sharedBytes: h.sharedBytes, binaries: h.binaries },
      });
    }
    return out;
  },
};
