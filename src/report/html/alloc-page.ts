/** `beamscope report` of an allocator snapshot (what `alloc` reads): findings, then the allocators. */
import { basename } from 'node:path';
import { chartFigure, html, renderPage, type ChartSpec, type Page } from '../../html/index.js';
import { formatBytes, formatPercent } from '../../text/format.js';
import type { AllocReportData } from '../../usecases/report.js';
import { allocatorSection, findingsSection, keyValues, notesHtml, section, sectionHtml, type Section } from './sections.js';

export function renderAllocReportPage(d: AllocReportData, path: string): Page {
  const a = d.alloc;
  const rm = a.recon.memory;
  const mem = a.model.erlangMemory;
  const memKinds = mem ? Object.entries(mem).filter(([k]) => k !== 'total' && !k.endsWith('_used') && k !== 'system') : [];
  const memChart: ChartSpec | undefined = memKinds.length
    ? { id: 'memory-kinds', title: 'erlang:memory() by kind', kind: 'hbar', unit: 'bytes', labels: memKinds.map(([k]) => k), series: [{ label: 'bytes', values: memKinds.map(([, v]) => v) }] }
    : undefined;
  const overview = section(
    'overview',
    'Overview',
    html`${keyValues([
      ['input', `${path} (${a.source})`],
      ['allocated (recon_alloc:memory(allocated))', formatBytes(rm.allocated)],
      ['used (recon_alloc:memory(used))', formatBytes(rm.used)],
      ['usage', formatPercent(rm.usage)],
      ['cached mseg segments', String(a.msegCachedSegments)],
      ['blocks against erlang:memory(total)', a.memoryTotal ? `${formatBytes(a.memoryTotal.blocksBytes)} of ${formatBytes(a.memoryTotal.memoryTotalBytes)}` : undefined],
    ])}${memChart ? html`<div class="grid">${chartFigure(memChart)}</div>` : ''}${notesHtml(a.model.notes)}`,
    memChart ? [memChart] : [],
  );
  const sections: Section[] = [
    findingsSection(a.findings),
    overview,
    allocatorSection(a.types, d.allocatorInstances),
  ];
  return renderPage({
    title: `beamscope report: ${basename(path)}`,
    subtitle: `allocator snapshot (${a.source})`,
    nav: sections.map((s) => ({ href: `#${s.id}`, label: s.title.replace(/ \(.*/, '') })),
    body: html`${sections.map(sectionHtml)}`,
    charts: sections.flatMap((s) => s.charts),
  });
}
