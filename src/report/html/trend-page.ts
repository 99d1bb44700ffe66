/** `beamscope report` of a trend series (snapshots over time): findings, then the charts over time. */
import { chartFigure, dataTable, html, renderPage, type ChartSpec, type Page } from '../../html/index.js';
import { formatBytes } from '../../text/format.js';
import type { TrendReportData } from '../../usecases/report.js';
import { findingsSection, notesHtml, section, sectionHtml, type Section } from './sections.js';

/** Allocator types drawn one line each (largest peak first); the table has them all. */
const CHART_TYPES = 8;

export function renderTrendReportPage(d: TrendReportData): Page {
  const t = d.trend;
  const labels = timeLabels(t.snapshots.map((s) => s.takenAt ?? s.name));
  const node: ChartSpec = {
    id: 'trend-node',
    title: 'The node: allocated (carriers) and used (blocks)',
    kind: 'line',
    unit: 'bytes',
    labels,
    series: [
      { label: 'allocated', values: t.node.map((p) => p.allocatedBytes) },
      { label: 'used', values: t.node.map((p) => p.usedBytes) },
    ],
  };
  const types = t.types.slice(0, CHART_TYPES);
  const allocated: ChartSpec = { id: 'trend-types', title: 'Allocated by type', kind: 'line', unit: 'bytes', labels, series: types.map((ty) => ({ label: ty.type, values: ty.points.map((p) => p.allocatedBytes) })) };
  const usage: ChartSpec = { id: 'trend-usage', title: 'Usage (used / allocated) by type', kind: 'line', unit: 'percent', labels, series: types.map((ty) => ({ label: ty.type, values: ty.points.map((p) => p.usage) })) };
  const charts = [node, allocated, usage];
  const last = t.snapshots.length - 1;
  const table = dataTable({
    id: 'trend-table',
    rows: t.types,
    noun: 'allocator types', nounOne: 'allocator type',
    columns: [
      { label: 'type', kind: 'code', value: (ty) => ty.type },
      { label: 'peak allocated', kind: 'bytes', value: (ty) => ty.peakAllocatedBytes },
      { label: 'first allocated', kind: 'bytes', value: (ty) => ty.points[0]?.allocatedBytes },
      { label: 'last allocated', kind: 'bytes', value: (ty) => ty.points[last]?.allocatedBytes },
      { label: 'last used', kind: 'bytes', value: (ty) => ty.points[last]?.usedBytes },
      { label: 'last usage', kind: 'percent', value: (ty) => ty.points[last]?.usage },
    ],
  });
  const snaps = dataTable({
    id: 'snapshot-table',
    rows: t.snapshots.map((s, i) => ({ s, p: t.node[i] })),
    noun: 'snapshots', nounOne: 'snapshot',
    columns: [
      { label: 'snapshot', kind: 'code', value: (r) => r.s.name },
      { label: 'taken at', value: (r) => r.s.takenAt },
      { label: 'time from', value: (r) => r.s.timeSource },
      { label: 'allocated', kind: 'bytes', value: (r) => r.p?.allocatedBytes },
      { label: 'used', kind: 'bytes', value: (r) => r.p?.usedBytes },
      { label: 'usage', kind: 'percent', value: (r) => r.p?.usage },
    ],
  });
  const sections: Section[] = [
    findingsSection(t.findings),
    section('over-time', 'Over time', html`<p class="muted">${t.orderingNote}</p><div class="grid">${charts.map((c) => chartFigure(c))}</div>`, charts),
    section('types', 'Allocator types', table),
    section('snapshots', 'Snapshots', html`${snaps}${notesHtml([...t.skipped.map((s) => `skipped: ${s}`), ...t.twins.map((w) => `${w.path}: the same sample as ${w.of}`)])}`),
  ];
  const first = t.snapshots[0];
  const lastSnap = t.snapshots[last];
  return renderPage({
    title: `beamscope report: trend of ${t.snapshots.length} snapshots`,
    subtitle: `${first?.takenAt ?? first?.name ?? ''} to ${lastSnap?.takenAt ?? lastSnap?.name ?? ''}; node allocated at the end: ${formatBytes(t.node[last]?.allocatedBytes ?? 0)}`,
    nav: sections.map((s) => ({ href: `#${s.id}`, label: s.title })),
    body: html`${sections.map(sectionHtml)}`,
    charts,
  });
}

/** ISO times all of one day as their time of day (the day is in the subtitle); else as given. */
function timeLabels(labels: string[]): string[] {
  const iso = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)/;
  const days = new Set(labels.map((l) => iso.exec(l)?.[1]));
  if (days.size !== 1 || days.has(undefined)) return labels;
  return labels.map((l) => iso.exec(l)![2]);
}
