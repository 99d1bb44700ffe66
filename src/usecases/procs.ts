import { groupProcesses, topProcesses, topProcessRows, type GroupBy, type ProcessDetails, type SortKey } from '../dump/analyze/processes.js';
import type { ProcessGroup, ProcessSummary } from '../dump/analyze/report-types.js';
import { resolveIdentities } from './triage.js';
import { IDENTITY_LIMIT, identityRows } from '../dump/terms/initial-calls.js';
import type { Dump } from '../dump/types.js';
import { elixirGroup, elixirSummary } from '../elixir/report.js';

export interface ProcsOptions {
  sort?: SortKey;
  groupBy?: Exclude<GroupBy, 'auto'>;
  top?: number;
  /** Decode dictionaries for real initial calls and ancestors (plain files only); default true. */
  decode?: boolean;
  /** Add Elixir renderings of names and group keys (src/elixir), and why. */
  elixir?: { reason: string };
}

export interface ProcsReport {
  schemaVersion: 1;
  source: { path: string };
  processes: number;
  sort: SortKey;
  groupBy?: Exclude<GroupBy, 'auto'>;
  /** The top processes by `sort` (without --group-by). */
  rows: ProcessSummary[];
  /** The groups, largest by `sort` first (with --group-by). */
  groups: ProcessGroup[];
  notes: string[];
  /** Set when names are also given in Elixir syntax (`--syntax`); absent for Erlang. */
  syntax?: { name: 'elixir'; reason: string };
}

const GROUP_MEASURE: Record<SortKey, (g: ProcessGroup) => number> = {
  mailbox: (g) => g.messageQueueLength,
  memory: (g) => g.memoryBytes,
  reductions: (g) => g.reductions,
  binary: (g) => g.binaryBytes,
};

/**
 * Dictionaries read when the grouping itself is by what they say (`--group-by initial-call` or
 * `ancestor`): 250,000 take about 3 s (11-14 us each on the bench machine); past it, none (a part
 * would split groups arbitrarily) and a note says so.
 */
const GROUPING_IDENTITY_LIMIT = 250_000;

/** `beamscope procs`: processes sorted by one measure, or grouped and the groups sorted by it. */
export function procsReport(dump: Dump, opts: ProcsOptions = {}): ProcsReport {
  const sort = opts.sort ?? 'memory';
  const top = opts.top ?? 20;
  const details = new Map<string, ProcessDetails>();
  const notes: string[] = [];
  if (opts.decode !== false && dump.source.seekable) {
    const which = opts.groupBy === 'ancestor' ? 'all' : 'proc_lib';
    // Grouped by what the dictionaries say: asked for, so read all of them up to a higher limit.
    const limit = opts.groupBy === 'ancestor' || opts.groupBy === 'initial-call' ? GROUPING_IDENTITY_LIMIT : IDENTITY_LIMIT;
    resolveIdentities(dump, which, details, notes, identityRows(dump.processes, which, limit), opts.groupBy ? [] : topProcessRows(dump.processes, sort, top));
  } else if (opts.groupBy === 'ancestor') {
    notes.push('ancestors need the dictionaries of a plain file; grouping by parent pid instead');
  }
  const report: ProcsReport = { schemaVersion: 1, source: { path: dump.source.path }, processes: dump.processes.count, sort, rows: [], groups: [], notes };
  if (opts.groupBy) {
    report.groupBy = opts.groupBy;
    const measure = GROUP_MEASURE[sort];
    report.groups = groupProcesses(dump.processes, opts.groupBy, details)
      .sort((a, b) => measure(b) - measure(a) || b.count - a.count)
      .slice(0, top);
  } else {
    report.rows = topProcesses(dump.processes, sort, top, details);
  }
  if (opts.elixir) {
    report.syntax = { name: 'elixir', reason: opts.elixir.reason };
    for (const r of report.rows) r.elixir = elixirSummary(r);
    for (const g of report.groups) g.elixir = elixirGroup(g);
  }
  return report;
}
