/**
 * Rule leak.dump-cut: the dump stops before the end of its =binary sections, or in a heap: the
 * binary memory it does not show is the cut, and some stale estimates may be upper bounds. Said
 * before any of them is read.
 */
import type { Finding } from '../findings.js';
import type { Rule } from '../rules/rule.js';
import { binariesReadText } from '../dump/truncation.js';
import { countOf, formatBytes } from '../text/format.js';
import type { LeakFacts } from './types.js';

export const dumpCutRule: Rule<LeakFacts> = {
  id: 'leak.dump-cut',
  title: 'a dump cut before the binaries or heaps the analysis needs',
  needs: ['the end of the dump', '=binary sections', 'the heap scan'],
  thresholds: {},
  evaluate({ report: r }) {
    const t = r.truncation;
    if (!t || (!t.binariesCut && t.reachUnknown === 0)) return [];
    const b = r.binaries;
    const unknown = t.reachUnknown > 0;
    const finding: Finding = {
      id: 'leak.dump-cut',
      severity: 'warning',
      title: `The dump stops after ${formatBytes(t.bytesRead)}, ${t.binariesCut ? 'before the end of its =binary sections' : 'in a process heap'}${unknown ? ': what some heaps reach is not known' : ''}`,
      explanation: 'A dump is cut when its writer is killed, runs out of time (ERL_CRASH_DUMP_SECONDS) or of disk, or reaches ERL_CRASH_DUMP_BYTES. Binaries after the cut are not in it, so the binary memory it does not show is the cut, not a leak. '
        + 'A heap that refers to such a binary through a ProcBin (a `Yc` line) still gives its size, and the stale estimates count it; '
        + (unknown ? 'a heap cut itself, or one that reaches a binary cut off only through sub binaries, does not: its stale estimate is an upper bound, and it is not flagged.' : 'every heap in the dump reaches only such binaries, so the stale estimates stand.'),
      evidence: [
        ...(t.binariesCut ? [binariesReadText(b.binarySections, b.binarySectionsBytes, b.memoryBinaryBytes)] : []),
        ...(unknown ? [`processes whose heap is cut, or reaches binaries of unknown size: ${countOf(t.reachUnknown, 'process', 'processes')} (not flagged, not in the groups)`] : []),
      ],
      metrics: { bytesRead: t.bytesRead, binarySectionsBytes: b.binarySectionsBytes, reachUnknown: t.reachUnknown },
    };
    return [finding];
  },
};
