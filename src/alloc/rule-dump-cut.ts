/**
 * Rule alloc.dump-cut: a crash dump cut in its =allocator sections. The numbers are of the
 * allocators written before the cut, so no verdict on the node's carriers stands without it.
 */
import type { Finding } from '../findings.js';
import type { Rule } from '../rules/rule.js';
import { formatBytes } from '../text/format.js';
import type { AllocatorFacts } from './summary.js';

export const dumpCutRule: Rule<AllocatorFacts> = {
  id: 'alloc.dump-cut',
  title: 'a crash dump cut in its =allocator sections',
  needs: ['the end of the dump'],
  thresholds: {},
  evaluate({ model }) {
    const cut = model.cut;
    if (!cut) return [];
    const types = new Set(model.allocators.map((a) => a.allocator));
    const finding: Finding = {
      id: 'alloc.dump-cut',
      severity: 'warning',
      title: `The dump is cut after ${formatBytes(cut.bytesRead)}${cut.lastSection ? `, in =${cut.lastSection}` : ''}: these are the allocators written before it`,
      explanation: 'A dump is cut when its writer is killed, runs out of time (ERL_CRASH_DUMP_SECONDS) or of disk, or reaches ERL_CRASH_DUMP_BYTES. The allocator types and instances after the cut are not in it: the totals below are of those read, and nothing is said of fragmentation the rest could show or rule out.',
      evidence: [`allocator instances read: ${model.allocators.length} of ${types.size} types (${[...types].slice(0, 8).join(', ')}${types.size > 8 ? ', ...' : ''})`],
      metrics: { bytesRead: cut.bytesRead, instances: model.allocators.length },
    };
    return [finding];
  },
};
