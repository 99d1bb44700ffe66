/**
 * Sections shared by the report's pages (and serve's): findings, allocators, key/value boxes.
 * Every string from the input goes through the `html` tag (escaped) or a chart spec (canvas text).
 */
import type { InstanceSummary, TypeSummary } from '../../alloc/verdict.js';
import type { TriageReport } from '../../dump/analyze/report-types.js';
import type { Finding } from '../../findings.js';
import { chartFigure, dataTable, html, type ChartSpec, type Html, type HtmlValue } from '../../html/index.js';
import { formatCount } from '../../text/format.js';

/** A section of a page, with the charts drawn in it. */
export interface Section {
  id: string;
  title: string;
  body: Html;
  charts: ChartSpec[];
}

export function section(id: string, title: string, body: Html, charts: ChartSpec[] = []): Section {
  return { id, title, body, charts };
}

export function sectionHtml(s: Section): Html {
  return html`<section id="${s.id}"><h2>${s.title}</h2>${s.body}</section>`;
}

/**
 * Findings, most important first (the order they come in), each with its evidence; in Elixir
 * syntax, with Elixir's advice, when the report has it (`finding.elixir`, src/elixir/report.ts).
 */
export function findingsSection(findings: Finding[]): Section {
  const body = findings.length
    ? findings.map(
        (f, i) => html`<article class="finding ${f.severity}"${i === 0 ? html` id="top-finding"` : ''} data-finding="${f.id}">
<h3><span class="sev ${f.severity}">${f.severity.toUpperCase()}</span> ${f.elixir?.title ?? f.title}</h3>
<p>${f.explanation}</p>
${f.evidence.length ? html`<ul>${(f.elixir?.evidence ?? f.evidence).map((e) => html`<li>${e}</li>`)}</ul>` : ''}
${f.elixir?.advice.length ? html`<ul class="advice">${f.elixir.advice.map((a) => html`<li><strong>Elixir:</strong> ${a}</li>`)}</ul>` : ''}</article>`,
      )
    : html`<p class="muted">No findings.</p>`;
  return section('findings', `Findings (${formatCount(findings.length)}, most important first)`, html`${body}`);
}

/** Rows of label and value. */
export function keyValues(rows: Array<[string, HtmlValue]>, cls = 'kv'): Html {
  return html`<table class="${cls}"><tbody>${rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => html`<tr><td>${k}</td><td class="wrap">${v}</td></tr>`)}</tbody></table>`;
}

/**
 * Allocators: carriers against blocks per type, split by carrier kind (multiblock, single-block,
 * pool), and current against the peak; then every instance. Empty carriers (carriers much larger
 * than their blocks) are the picture of fragmentation.
 */
export function allocatorSection(types: TypeSummary[], instances: { rows: InstanceSummary[]; total: number }, prefix = 'alloc'): Section {
  const shown = types.filter((t) => t.carriersBytes > 0 || t.maxCarriersBytes > 0).sort((a, b) => b.carriersBytes - a.carriersBytes);
  const [kinds, peak] = allocatorCharts(shown, prefix);
  const typeTable = dataTable({
    id: `${prefix}-types`,
    rows: shown,
    noun: 'allocator types', nounOne: 'allocator type',
    columns: [
      { label: 'type', kind: 'code', value: (t) => t.type },
      { label: 'instances', kind: 'count', value: (t) => t.instances },
      { label: 'carriers', kind: 'bytes', value: (t) => t.carriersBytes },
      { label: 'blocks', kind: 'bytes', value: (t) => t.blocksBytes },
      { label: 'unused', kind: 'bytes', value: (t) => t.unusedBytes },
      { label: 'usage', kind: 'percent', value: (t) => t.usage, title: 'blocks / carriers' },
      { label: 'mbcs carriers', kind: 'bytes', value: (t) => t.mbcsCarriersBytes },
      { label: 'mbcs blocks', kind: 'bytes', value: (t) => t.mbcsBlocksBytes },
      { label: 'sbcs carriers', kind: 'bytes', value: (t) => t.sbcsCarriersBytes },
      { label: 'sbcs blocks', kind: 'bytes', value: (t) => t.sbcsBlocksBytes },
      { label: 'pool carriers', kind: 'bytes', value: (t) => t.poolCarriersBytes },
      { label: 'pool blocks', kind: 'bytes', value: (t) => t.poolBlocksBytes },
      { label: 'peak carriers', kind: 'bytes', value: (t) => t.maxCarriersBytes, title: 'sum of per-instance maxima (an upper bound)' },
      { label: 'peak blocks', kind: 'bytes', value: (t) => t.maxBlocksBytes, title: 'sum of per-instance maxima (an upper bound)' },
      { label: 'peak usage', kind: 'percent', value: (t) => t.maxUsage },
    ],
  });
  const instanceTable = dataTable({
    id: `${prefix}-instances`,
    rows: instances.rows,
    total: instances.total,
    noun: 'instances', nounOne: 'instance',
    columns: [
      { label: 'allocator', kind: 'code', value: (i) => i.allocator },
      { label: 'instance', kind: 'count', value: (i) => i.instance },
      { label: 'carriers', kind: 'bytes', value: (i) => i.carriersBytes },
      { label: 'blocks', kind: 'bytes', value: (i) => i.blocksBytes },
      { label: 'unused', kind: 'bytes', value: (i) => i.unusedBytes },
      { label: 'usage', kind: 'percent', value: (i) => i.usage },
      { label: 'pool carriers', kind: 'bytes', value: (i) => i.poolCarriersBytes },
      { label: 'peak carriers', kind: 'bytes', value: (i) => i.maxCarriersBytes },
      { label: 'peak blocks', kind: 'bytes', value: (i) => i.maxBlocksBytes },
      { label: 'peak usage', kind: 'percent', value: (i) => i.maxUsage },
    ],
  });
  const body = shown.length
    ? html`<p class="muted">Carriers are what the allocator got from the OS; blocks are what is in use inside them. Carriers far larger than their blocks are fragmentation: memory the node holds but does not use.</p>
<div class="grid">${chartFigure(kinds)}${chartFigure(peak)}</div>
<h3>By type</h3>${typeTable}
<h3>By instance (most unused first)</h3>${instanceTable}`
    : html`<p class="muted">No allocator statistics in this input.</p>`;
  return section('allocators', 'Allocators', body, shown.length ? [kinds, peak] : []);
}

/** Per type: carriers against blocks by carrier kind; current against peak. */
function allocatorCharts(shown: TypeSummary[], prefix: string): [ChartSpec, ChartSpec] {
  const labels = shown.map((t) => t.type);
  const kinds: ChartSpec = {
    id: `${prefix}-kinds`,
    title: 'Carriers against blocks by carrier kind (current)',
    kind: 'hbar',
    labels,
    unit: 'bytes',
    tall: labels.length > 8,
    series: [
      { label: 'mbcs carriers', values: shown.map((t) => t.mbcsCarriersBytes) },
      { label: 'mbcs blocks', values: shown.map((t) => t.mbcsBlocksBytes) },
      { label: 'sbcs carriers', values: shown.map((t) => t.sbcsCarriersBytes) },
      { label: 'sbcs blocks', values: shown.map((t) => t.sbcsBlocksBytes) },
      { label: 'pool carriers', values: shown.map((t) => t.poolCarriersBytes) },
      { label: 'pool blocks', values: shown.map((t) => t.poolBlocksBytes) },
    ],
  };
  const peak: ChartSpec = {
    id: `${prefix}-peak`,
    title: 'Current against peak (carriers and blocks)',
    kind: 'hbar',
    labels,
    unit: 'bytes',
    tall: labels.length > 8,
    series: [
      { label: 'carriers now', values: shown.map((t) => t.carriersBytes) },
      { label: 'blocks now', values: shown.map((t) => t.blocksBytes) },
      { label: 'carriers peak', values: shown.map((t) => t.maxCarriersBytes) },
      { label: 'blocks peak', values: shown.map((t) => t.maxBlocksBytes) },
    ],
  };
  return [kinds, peak];
}

/** The notes of a report (what it could not do, and why). */
export function notesHtml(notes: string[]): Html {
  return notes.length ? html`<h3>Notes</h3><ul class="notes">${notes.map((n) => html`<li>${n}</li>`)}</ul>` : html``;
}

/**
 * The memory charts of the report and of serve's overview: memory by kind (=memory), and the
 * largest processes (given, largest first) against the rest of the node, named by `nameOf` (their
 * names in the page's syntax).
 */
export function memoryCharts<P extends { pid: string; name?: string; memoryBytes: number }>(
  m: TriageReport['memory'],
  top: readonly P[],
  nameOf: (p: P) => string | undefined = (p) => p.name,
): { kinds: ChartSpec; perProcess: ChartSpec } {
  const kinds: ChartSpec = { id: 'memory-kinds', title: 'Memory by kind (=memory)', kind: 'hbar', unit: 'bytes', labels: m.kinds.map((k) => k.kind), series: [{ label: 'bytes', values: m.kinds.map((k) => k.bytes) }] };
  const topSum = top.reduce((sum, p) => sum + (Number.isFinite(p.memoryBytes) ? p.memoryBytes : 0), 0);
  const processesBytes = m.kinds.find((k) => k.kind === 'processes')?.bytes ?? m.processesSumBytes;
  const labels = top.map((p) => {
    const name = nameOf(p);
    return name ? `${p.pid} ${name}` : p.pid;
  });
  const values = top.map((p) => p.memoryBytes);
  labels.push('all other processes');
  values.push(Math.max(0, processesBytes - topSum));
  if (m.totalBytes !== undefined) {
    labels.push('not processes (binary, ets, code, ...)');
    values.push(Math.max(0, m.totalBytes - processesBytes));
  }
  const perProcess: ChartSpec = { id: 'memory-processes', title: 'The largest processes against the node', kind: 'hbar', unit: 'bytes', tall: true, labels, series: [{ label: 'bytes', values }] };
  return { kinds, perProcess };
}
