/**
 * `beamscope report` of a crash dump: one self-contained page, findings first (as `triage`), then
 * where the memory was, the mailbox outliers and their message shapes, the processes and groups,
 * allocators, ETS tables, ports, schedulers and limits.
 */
import { basename } from 'node:path';
import type { MailboxOutlier, ProcessGroup, ProcessSummary } from '../../dump/analyze/report-types.js';
import { sampledCalls } from '../../dump/analyze/triage.js';
import { chartFigure, dataTable, html, renderPage, type Column, type Html, type Page } from '../../html/index.js';
import { formatBytes, formatCount } from '../../text/format.js';
import type { DumpReportData } from '../../usecases/report.js';
import { elixirText } from '../../elixir/names.js';
import { allocatorSection, findingsSection, keyValues, memoryCharts, notesHtml, section, sectionHtml, type Section } from './sections.js';

/**
 * Names the report carries as text only (ancestors, ETS owners, schedulers' functions) in the
 * report's syntax; those it carries as data have their `elixir` fields (src/elixir/report.ts).
 */
function namesOf(d: DumpReportData): (t: string) => string {
  return d.triage.syntax?.name === 'elixir' ? elixirText : (t) => t;
}

/** Bars in the per-process chart: the largest processes, then the rest of the node in two bars. */
const CHART_PROCESSES = 15;

export function renderDumpReportPage(d: DumpReportData): Page {
  const r = d.triage;
  const h = r.header;
  const vm = [h.otpRelease ? `OTP ${h.otpRelease}` : undefined, h.erts ? `erts ${h.erts}` : undefined, `${h.wordSize * 8}-bit`, h.schedulers ? `${h.schedulers.online} schedulers online` : undefined, h.jit ? 'JIT' : undefined]
    .filter(Boolean)
    .join(', ');
  const subtitle = html`${r.source.path} (${formatBytes(r.source.bytes)}${r.source.compression ? `, ${r.source.compression}` : ''}; dump format ${h.dumpVersion})<br>${vm}${h.created ? `; written ${h.created}` : ''}${r.nodes.thisNode ? `; node ${r.nodes.thisNode}` : ''}${r.syntax ? html`<br>Names and terms in Elixir syntax (${r.syntax.reason}; --syntax erlang for Erlang's)` : ''}`;
  const sections: Section[] = [
    overview(d),
    findingsSection(r.findings),
    memory(d),
    mailboxes(d),
    processes(d),
    groups(d),
    allocatorSection(r.allocators, d.allocatorInstances),
    ets(d),
    ports(d),
    system(d),
  ];
  return renderPage({
    title: `beamscope report: ${basename(r.source.path)}`,
    subtitle,
    nav: sections.map((s) => ({ href: `#${s.id}`, label: s.title.replace(/ \(.*/, '') })),
    body: html`${sections.map(sectionHtml)}`,
    charts: sections.flatMap((s) => s.charts),
  });
}

function overview(d: DumpReportData): Section {
  const r = d.triage;
  return section(
    'slogan',
    'Why the node stopped',
    html`<div class="slogan" id="slogan-text">${r.slogan}</div>
${r.truncated ? html`<p><strong>Truncated:</strong> the dump stops after ${formatBytes(r.truncation.bytesRead)}${r.truncation.abortReason ? ` (${r.truncation.abortReason})` : ''}; missing: ${r.truncation.hides.join(', ') || 'nothing known'}.</p>` : ''}`,
  );
}

function memory(d: DumpReportData): Section {
  const r = d.triage;
  const m = r.memory;
  const procKind = m.kinds.find((k) => k.kind === 'processes');
  const { kinds, perProcess } = memoryCharts(m, d.processes.rows.slice(0, CHART_PROCESSES), (p) => p.elixir?.name ?? p.name);
  const table = dataTable({
    id: 'memory-table',
    rows: m.kinds,
    filter: false,
    noun: 'kinds', nounOne: 'kind',
    columns: [
      { label: 'kind', value: (k) => k.kind },
      { label: 'bytes', kind: 'bytes', value: (k) => k.bytes },
      { label: 'share of total', kind: 'percent', value: (k) => k.share },
    ],
  });
  const body = html`<p>Total: <strong>${m.totalBytes !== undefined ? formatBytes(m.totalBytes) : 'no =memory section in the dump'}</strong>.
Processes: the ${formatCount(r.counts.processes)} per-process Memory lines sum to ${formatBytes(m.processesSumBytes)}${procKind ? ` against =memory processes ${formatBytes(procKind.bytes)}` : ''}.
Binary: the ${formatCount(r.counts.binaries)} =binary sections sum to ${formatBytes(m.binarySectionsBytes)}.</p>
<div class="grid">${chartFigure(kinds)}${chartFigure(perProcess)}</div>${table}`;
  return section('memory', 'Memory', body, m.kinds.length ? [kinds, perProcess] : [perProcess]);
}

const PROCESS_COLUMNS: Column<ProcessSummary>[] = [
  { label: 'pid', kind: 'code', value: (p) => p.pid },
  { label: 'name', kind: 'code', value: (p) => p.elixir?.name ?? p.name },
  { label: 'initial call', kind: 'code', value: (p) => p.elixir?.initialCall ?? p.initialCall },
  { label: 'current function', kind: 'code', value: (p) => p.elixir?.currentFunction ?? p.currentFunction },
  { label: 'state', value: (p) => p.state },
  { label: 'memory', kind: 'bytes', value: (p) => p.memoryBytes },
  { label: 'binary', kind: 'bytes', value: (p) => p.binaryBytes, title: 'refc binary bytes referenced (binary virtual heap)' },
  { label: 'queue', kind: 'count', value: (p) => p.messageQueueLength },
  { label: 'reductions', kind: 'count', value: (p) => p.reductions },
];

function mailboxes(d: DumpReportData): Section {
  const r = d.triage;
  const stats = html`<p>Typical queue (90th percentile): ${formatCount(r.mailbox.typicalQueueLength)}; outlier threshold: ${formatCount(r.mailbox.thresholdQueueLength)}; queued on the node: ${formatCount(r.mailbox.totalQueuedMessages)}.</p>`;
  if (!r.mailboxOutliers.length) return section('mailboxes', 'Mailbox outliers', html`${stats}<p class="muted">None.</p>`);
  const table = dataTable({
    id: 'mailbox-table',
    rows: r.mailboxOutliers,
    noun: 'outliers', nounOne: 'outlier',
    columns: [...PROCESS_COLUMNS, { label: 'share of queued', kind: 'percent', value: (o) => o.shareOfQueuedMessages }],
  });
  return section('mailboxes', 'Mailbox outliers', html`${stats}${table}${r.mailboxOutliers.map((o, n) => outlierShapes(o, n, namesOf(d)))}`);
}

function outlierShapes(o: MailboxOutlier, n: number, names: (t: string) => string): Html {
  if (!o.messageShapes?.length && !o.ancestors?.length && !o.messageShapesMissing) return html``;
  const shapes = o.messageShapes?.length
    ? dataTable({
        id: `shapes-${n}`,
        rows: o.messageShapes,
        noun: 'shapes', nounOne: 'shape',
        columns: [
          { label: 'messages', kind: 'count', value: (s) => s.count },
          { label: 'shape', kind: 'code', value: (s) => s.elixir?.shape ?? s.shape },
          { label: 'estimated bytes', kind: 'bytes', value: (s) => s.estimatedBytes },
          { label: 'example', kind: 'code', value: (s) => s.elixir?.example ?? s.example },
        ],
      })
    : '';
  return html`<div class="shapes" data-shapes-for="${o.pid}"><h3>${o.pid}${o.name ? ` (${o.elixir?.name ?? o.name})` : ''}${o.elixir?.role ? ` [${o.elixir.role}]` : ''}: ${formatCount(o.messageQueueLength)} messages${o.messagesSampled !== undefined ? `, shapes of the first ${formatCount(o.messagesSampled)}` : ''}</h3>
${o.ancestors?.length ? html`<p class="wrap">ancestors: <code>${o.ancestors.map(names).join(', ')}</code></p>` : ''}${o.messageShapesMissing ? html`<p class="wrap">message shapes: not in the dump (${o.messageShapesMissing})</p>` : ''}${shapes}</div>`;
}

function processes(d: DumpReportData): Section {
  const table = dataTable({ id: 'process-table', rows: d.processes.rows, total: d.processes.total, noun: 'processes', nounOne: 'process', columns: PROCESS_COLUMNS });
  return section('processes', 'Top processes (by memory)', html`<p class="muted">Sorted by memory; click a column to sort by it, type to filter.</p>${table}`);
}

/** What a sample of the group's dictionaries says its members are (proc_lib processes), after its key. */
function sampled(g: ProcessGroup, ex: (text: string) => string): string {
  const s = g.sampledInitialCalls;
  if (!s) return '';
  return ` (\`$initial_call\` of ${formatCount(s.sampled)}, one in ${formatCount(s.every)}: ${sampledCalls(s, 3, ex)})`;
}

function groups(d: DumpReportData): Section {
  const table = dataTable({
    id: 'group-table',
    rows: d.groups.rows,
    total: d.groups.total,
    noun: 'groups', nounOne: 'group',
    columns: [
      { label: 'group', kind: 'code', value: (g) => `${g.elixir?.key ?? g.key}${g.elixir?.role ? ` [${g.elixir.role}]` : ''}${sampled(g, d.triage.syntax ? elixirText : (t) => t)}` },
      { label: 'by', value: (g) => g.by },
      { label: 'processes', kind: 'count', value: (g) => g.count },
      { label: 'memory', kind: 'bytes', value: (g) => g.memoryBytes },
      { label: 'largest member', kind: 'bytes', value: (g) => g.maxMemoryBytes },
      { label: 'binary', kind: 'bytes', value: (g) => g.binaryBytes },
      { label: 'queued', kind: 'count', value: (g) => g.messageQueueLength },
      { label: 'longest queue', kind: 'count', value: (g) => g.maxMessageQueueLength },
      { label: 'reductions', kind: 'count', value: (g) => g.reductions },
    ],
  });
  return section('groups', 'Process groups', html`<p class="muted">Processes grouped by registered-name pattern (worker_N) when several share one, else by initial call; most memory first.</p>${table}`);
}

function ets(d: DumpReportData): Section {
  const names = namesOf(d);
  const table = dataTable({
    id: 'ets-table',
    rows: d.ets.rows,
    total: d.ets.total,
    noun: 'tables', nounOne: 'table',
    columns: [
      { label: 'name', kind: 'code', value: (t) => names(t.name) },
      { label: 'table', kind: 'code', value: (t) => t.table },
      { label: 'type', value: (t) => t.type },
      { label: 'owner', kind: 'code', value: (t) => t.owner },
      { label: 'owner name', kind: 'code', value: (t) => (t.ownerName === undefined ? undefined : names(t.ownerName)) },
      { label: 'objects', kind: 'count', value: (t) => t.objects },
      { label: 'memory', kind: 'bytes', value: (t) => t.memoryBytes },
    ],
  });
  return section('ets', 'ETS tables', table);
}

function ports(d: DumpReportData): Section {
  const names = namesOf(d);
  const byKind = Object.entries(d.triage.ports.byKind).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  const table = dataTable({
    id: 'port-table',
    rows: d.ports.rows,
    total: d.ports.total,
    noun: 'ports', nounOne: 'port',
    columns: [
      { label: 'port', kind: 'code', value: (p) => p.id },
      { label: 'kind', value: (p) => p.kind },
      { label: 'driver', kind: 'code', value: (p) => p.driver ?? p.name },
      { label: 'connected', kind: 'code', value: (p) => p.connected },
      { label: 'connected name', kind: 'code', value: (p) => (p.connectedName === undefined ? undefined : names(p.connectedName)) },
      { label: 'queue', kind: 'bytes', value: (p) => p.queueBytes },
      { label: 'input', kind: 'bytes', value: (p) => p.inputBytes },
      { label: 'output', kind: 'bytes', value: (p) => p.outputBytes },
    ],
  });
  return section('ports', 'Ports', html`<p>${byKind.length ? byKind.map(([k, n], i) => html`${i ? ', ' : ''}${formatCount(n ?? 0)} ${k}`) : 'No ports.'}</p>${table}`);
}

function system(d: DumpReportData): Section {
  const r = d.triage;
  const s = r.schedulers;
  const limits = dataTable({
    id: 'limit-table',
    rows: r.limits,
    filter: false,
    noun: 'limits', nounOne: 'limit',
    columns: [
      { label: 'what', value: (l) => l.label },
      { label: 'count', kind: 'count', value: (l) => (l.cut === 'not in the file' ? undefined : l.count) },
      { label: 'limit', kind: 'count', value: (l) => l.limit },
      { label: 'use', kind: 'percent', value: (l) => l.share },
      { label: 'limit from', value: (l) => l.limitSource },
      // A dump cut before the end of these sections: the count is a lower bound, or not known.
      { label: 'cut', value: (l) => l.cut },
    ],
  });
  const busy = s.busy.length
    ? dataTable({
        id: 'busy-table',
        rows: s.busy,
        filter: false,
        noun: 'busy schedulers', nounOne: 'busy scheduler',
        columns: [
          { label: 'scheduler', value: (b) => `${b.type} ${b.id}` },
          { label: 'process', kind: 'code', value: (b) => b.currentProcess },
          { label: 'function', kind: 'code', value: (b) => (b.currentFunction === undefined ? undefined : namesOf(d)(b.currentFunction)) },
        ],
      })
    : html`<p class="muted">No scheduler was running a process.</p>`;
  const c = r.counts;
  const body = html`<h3>Against limits</h3>${limits}
<h3>Schedulers</h3>${keyValues([
    ['normal', `${formatCount(s.normal)} (from ${s.countsFrom.normal})`],
    ['dirty CPU / IO', `${formatCount(s.dirtyCpu)} / ${formatCount(s.dirtyIo)} (from ${s.countsFrom.dirty})`],
    ['run queues', `${formatCount(s.runQueueProcesses)} processes, ${formatCount(s.runQueuePorts)} ports`],
  ])}${busy}
<h3>Distribution</h3>${keyValues([
    ['this node', r.nodes.thisNode],
    ['distributed', r.nodes.distributed === undefined ? undefined : String(r.nodes.distributed)],
    ['connections', `${formatCount(r.nodes.visible)} visible, ${formatCount(r.nodes.hidden)} hidden, ${formatCount(r.nodes.notConnected)} not connected`],
    ['connected', r.nodes.connected.join(', ')],
  ])}
<h3>The dump</h3>${keyValues([
    ['sections', `${formatCount(c.processes)} processes, ${formatCount(c.ports)} ports, ${formatCount(c.etsTables)} ETS tables, ${formatCount(c.timers)} timers, ${formatCount(c.funs)} funs, ${formatCount(c.modules)} modules, ${formatCount(c.binaries)} binaries, ${formatCount(c.nodes)} nodes, ${formatCount(c.allocators)} allocators`],
    ['atoms', c.atoms !== undefined ? formatCount(c.atoms) : undefined],
    ['system version', r.header.systemVersion],
    ['error location', r.header.errorLocation],
    ['calling thread', r.header.callingThread],
    ['taints', r.header.taints.join(', ')],
    ['truncated', r.truncated ? `yes, after ${formatBytes(r.truncation.bytesRead)}` : 'no'],
  ])}${notesHtml(r.notes)}`;
  return section('system', 'Limits, schedulers, distribution', body);
}

