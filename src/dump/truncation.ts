import { countOf, formatBytes } from '../text/format.js';
import type { Bytes, Dump } from './types.js';

/**
 * What a cut dump does not have, from where its writer stopped: the kinds of section written after
 * it (a dump's sections come in a fixed order), as the reports say it.
 */
export function truncationHides(dump: Pick<Dump, 'truncation' | 'sectionCounts'>): string[] {
  const t = dump.truncation;
  // An early read that stopped on purpose does not know where a cut of the rest falls.
  if (!t.truncated || t.earlyWhole) return [];
  const order = ['erl_crash_dump', 'scheduler', 'memory', 'hash_table', 'allocated_areas', 'allocator', 'proc', 'port', 'ets', 'timer',
    'node', 'loaded_modules', 'fun', 'proc_heap', 'persistent_terms', 'literals', 'binary', 'atoms'];
  const normal = (tag?: string) => {
    if (!tag) return -1;
    if (tag.startsWith('dirty_') || tag === 'scheduler') return 1;
    if (tag === 'index_table') return 3;
    if (tag.startsWith('proc_')) return 13;
    if (tag === 'mod') return 11;
    if (['no_distribution', 'visible_node', 'hidden_node', 'not_connected'].includes(tag)) return 10;
    if (tag === 'internal_ets') return 8;
    return order.indexOf(tag);
  };
  const at = normal(t.lastTag);
  const labels: Record<string, string> = {
    memory: 'memory totals', allocator: 'allocator statistics', proc: 'processes after the last one read', port: 'ports', ets: 'ETS tables',
    timer: 'timers', node: 'distribution', loaded_modules: 'loaded modules', fun: 'funs', proc_heap: 'process heaps (messages, stacks, dictionaries) after the last one read',
    persistent_terms: 'persistent terms', literals: 'literals', binary: 'binaries', atoms: 'the atom table',
  };
  const hides: string[] = [];
  for (let i = Math.max(0, at); i < order.length; i++) {
    const label = labels[order[i]];
    if (!label) continue;
    if (i === at && !['allocator', 'proc', 'proc_heap', 'binary', 'atoms', 'ets', 'port', 'timer', 'fun'].includes(order[i])) continue;
    // A kind the dump did have sections of (written in another order than this list's) is not missing.
    if (i !== at && (dump.sectionCounts[order[i]] ?? 0) > 0) continue;
    hides.push(i === at ? label.replace(' after the last one read', '') + ' after the point where it stops' : label);
  }
  return hides;
}

/** The kinds of section truncationHides names, by the words its labels start with. */
export type CutKind = 'processes' | 'ports' | 'ETS tables' | 'timers' | 'binaries' | 'allocator statistics';

/** True when these (truncationHides) take in sections of this kind: the dump stops in or before them. */
export function cutTakes(hides: readonly string[], kind: CutKind): boolean {
  return hides.some((h) => h.startsWith(kind));
}

/** The line a report of a dump cut in its =binary sections gives: how much of them it has. */
export function binariesReadText(sections: number, sectionsBytes: Bytes, memoryBinary?: Bytes): string {
  return `binaries read before the cut: ${countOf(sections, '=binary section')}, ${formatBytes(sectionsBytes)}${memoryBinary !== undefined ? ` of =memory binary's ${formatBytes(memoryBinary)}` : ''}`;
}

/** The section a cut dump stops in, as its tag line names it without the `=` (`proc_heap:<0.80.0>`). */
export function lastSection(t: Dump['truncation']): string | undefined {
  return t.lastTag ? `${t.lastTag}${t.lastId ? `:${t.lastId}` : ''}` : undefined;
}

/** Where a cut dump stops, for a sentence: `=proc_heap:<0.80.0>`, or `its header`. */
export function cutPlace(t: Dump['truncation']): string {
  const s = lastSection(t);
  return s ? `=${s}` : 'its header';
}
