import type { ProcsReport } from '../usecases/procs.js';
import { countOf, formatBytes, formatCount, sanitize, table } from '../text/format.js';
import { traitLine } from '../dump/analyze/triage.js';

const SORT_LABEL = { mailbox: 'message queue', memory: 'memory', binary: 'binary virtual heap', reductions: 'reductions' } as const;

/** `beamscope procs` as text: one aligned table. */
export function renderProcsText(r: ProcsReport, width = 100): string {
  const out: string[] = [];
  const cut = Math.max(20, Math.floor((width - 60) / 2));
  if (r.groupBy) {
    out.push(`${countOf(r.processes, 'process', 'processes')} grouped by ${r.groupBy}, largest ${SORT_LABEL[r.sort]} first`);
    out.push(table([
      { header: 'count', align: 'right' }, { header: 'group', max: cut * 2 }, { header: 'memory', align: 'right' },
      { header: 'queued', align: 'right' }, { header: 'max queue', align: 'right' }, { header: 'binary', align: 'right' }, { header: 'reductions', align: 'right' },
    ], r.groups.map((g) => [formatCount(g.count), `${g.elixir?.key ?? g.key}${g.elixir?.role ? ` [${g.elixir.role}]` : ''}`, formatBytes(g.memoryBytes), formatCount(g.messageQueueLength),
      formatCount(g.maxMessageQueueLength), formatBytes(g.binaryBytes), formatCount(g.reductions)])));
    for (const g of r.groups) {
      const traits = traitLine(g);
      if (traits) out.push(sanitize(`  ${traits}`, width * 3));
    }
  } else {
    out.push(`${countOf(r.processes, 'process', 'processes')}, top ${r.rows.length} by ${SORT_LABEL[r.sort]}`);
    out.push(table([
      { header: 'pid' }, { header: 'name / initial call', max: cut }, { header: 'queue', align: 'right' }, { header: 'memory', align: 'right' },
      { header: 'binary', align: 'right' }, { header: 'reductions', align: 'right' }, { header: 'state' }, { header: 'current function', max: cut },
    ], r.rows.map((p) => [p.pid, `${p.elixir?.name ?? p.name ?? p.elixir?.initialCall ?? p.initialCall ?? ''}${p.elixir?.role ? ` [${p.elixir.role}]` : ''}`, formatCount(p.messageQueueLength), formatBytes(p.memoryBytes),
      formatBytes(p.binaryBytes), formatCount(p.reductions), p.state, p.elixir?.currentFunction ?? p.currentFunction ?? ''])));
  }
  for (const n of r.notes) out.push(`note: ${sanitize(n, width * 2)}`);
  return `${out.join('\n')}\n`;
}
