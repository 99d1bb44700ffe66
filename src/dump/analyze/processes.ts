import type { ProcessTable } from '../types.js';
import type { MessageShape, ProcessGroup, ProcessSummary } from './report-types.js';
import { topIndices, type Numbers } from './stats.js';

/** What the term decoder found for a process (ancestors, real initial call, message shapes). */
export interface ProcessDetails {
  ancestors?: string[];
  initialCall?: string;
  messageShapes?: MessageShape[];
  /** How many messages the shapes were counted over (a sample of a long queue). */
  messagesSampled?: number;
}

/** Row i as the reports show it: who it is and its numbers. */
export function processSummary(p: ProcessTable, i: number, details: Map<string, ProcessDetails>): ProcessSummary {
  const d = details.get(p.pid.at(i));
  const s: ProcessSummary = {
    pid: p.pid.at(i),
    state: p.state.at(i) ?? 'unknown',
    messageQueueLength: p.messageQueueLength.at(i),
    memoryBytes: p.memoryBytes.at(i),
    binaryBytes: (p.binVHeapBytes.at(i) || 0) + (p.oldBinVHeapBytes.at(i) || 0),
    reductions: p.reductions.at(i),
  };
  if (p.name.at(i) !== undefined) s.name = p.name.at(i);
  const initial = d?.initialCall ?? p.spawnedAs.at(i);
  if (initial !== undefined) s.initialCall = initial;
  const current = p.currentCall.at(i) ?? p.programCounter.at(i);
  if (current !== undefined) s.currentFunction = current;
  if (p.spawnedBy.at(i) !== undefined) s.spawnedBy = p.spawnedBy.at(i);
  return s;
}

/** `worker_17` and `worker_18` are one pattern: digit runs become N. */
function namePattern(name: string): string {
  return name.replace(/\d+/g, 'N');
}

export type GroupBy = 'auto' | 'initial-call' | 'name' | 'ancestor';

/**
 * Processes grouped, largest group first. `auto` (triage's choice): a registered-name pattern when
 * several processes share it, else the initial call. `ancestor`: the first entry of `$ancestors`
 * (the supervisor), from decoded dictionaries; processes without one group by parent pid.
 */
export function groupProcesses(p: ProcessTable, by: GroupBy, details: Map<string, ProcessDetails>): ProcessGroup[] {
  // A name pattern is a group only when several processes share it (worker_1, worker_2, ...).
  const patterns = new Map<string, number>();
  for (let i = 0; i < p.count; i++) {
    const name = p.name.at(i);
    if (name !== undefined && /\d/.test(name)) patterns.set(namePattern(name), (patterns.get(namePattern(name)) ?? 0) + 1);
  }
  // One map per kind of key: no key string to build per process.
  const groups = { name: new Map<string, ProcessGroup>(), 'initial-call': new Map<string, ProcessGroup>(), ancestor: new Map<string, ProcessGroup>() };
  const created: ProcessGroup[] = [];
  const hasDetails = details.size > 0;
  for (let i = 0; i < p.count; i++) {
    const name = p.name.at(i);
    const candidate = name !== undefined && /\d/.test(name) ? namePattern(name) : undefined;
    const pattern = candidate !== undefined && (patterns.get(candidate) ?? 0) > 1 ? candidate : undefined;
    const d = hasDetails ? details.get(p.pid.at(i)) : undefined;
    let key: string;
    let kind: ProcessGroup['by'];
    if (by === 'ancestor') {
      key = d?.ancestors?.[0] ?? p.spawnedBy.at(i) ?? 'none';
      kind = 'ancestor';
    } else if (by === 'name' || (by === 'auto' && pattern !== undefined)) {
      key = name === undefined ? '(not registered)' : by === 'name' ? namePattern(name) : pattern!;
      kind = 'name';
    } else {
      key = d?.initialCall ?? p.spawnedAs.at(i) ?? 'unknown';
      kind = 'initial-call';
    }
    const kindGroups = groups[kind];
    let g = kindGroups.get(key);
    if (!g) {
      g = { key, by: kind, count: 0, memoryBytes: 0, maxMemoryBytes: 0, messageQueueLength: 0, maxMessageQueueLength: 0, reductions: 0, binaryBytes: 0 };
      kindGroups.set(key, g);
      created.push(g);
    }
    g.count++;
    const mem = p.memoryBytes.at(i) || 0;
    g.memoryBytes += mem;
    if (mem > g.maxMemoryBytes) g.maxMemoryBytes = mem;
    const q = p.messageQueueLength.at(i) || 0;
    g.messageQueueLength += q;
    if (q > g.maxMessageQueueLength) g.maxMessageQueueLength = q;
    g.reductions += p.reductions.at(i) || 0;
    g.binaryBytes += (p.binVHeapBytes.at(i) || 0) + (p.oldBinVHeapBytes.at(i) || 0);
  }
  return created.sort((a, b) => b.count - a.count || b.memoryBytes - a.memoryBytes);
}

export type SortKey = 'mailbox' | 'memory' | 'binary' | 'reductions';

/** The top processes by one measure, largest first. */
export function topProcesses(p: ProcessTable, sort: SortKey, top: number, details: Map<string, ProcessDetails>): ProcessSummary[] {
  let values: Numbers;
  if (sort === 'mailbox') values = p.messageQueueLength;
  else if (sort === 'memory') values = p.memoryBytes;
  else if (sort === 'reductions') values = p.reductions;
  else {
    const b = new Float64Array(p.count);
    for (let i = 0; i < p.count; i++) b[i] = (p.binVHeapBytes.at(i) || 0) + (p.oldBinVHeapBytes.at(i) || 0);
    values = b;
  }
  return topIndices(values, top, p.count).map((i) => processSummary(p, i, details));
}
