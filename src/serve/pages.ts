/**
 * `serve`'s pages: HTML from the session's objects (session.ts), written with the web kit's `html`
 * template tag (src/html), so every string from the dump is escaped text, in the kit's page shell:
 * its scripts run by hash, charts are drawn from the page's JSON data block, never from markup.
 */
import type { TriageReport } from '../dump/analyze/report-types.js';
import type { EtsRecord, NodeConnection, PortRecord, ProcessRecord } from '../dump/types.js';
import { printTerm } from '../dump/terms/printer.js';
import type { Term } from '../dump/terms/model.js';
import { DEEP_STACK_FRAMES, type ProcessDetail, type ProcessStack } from '../dump/terms/process-detail.js';
import { chartFigure, html, renderPage, trusted, type ChartSpec, type Html, type HtmlValue, type Page } from '../html/index.js';
import { allocatorSection, findingsSection, memoryCharts, sectionHtml } from '../report/html/sections.js';
import { countOf, formatBytes, formatCount, formatDurationRange, formatPercent } from '../text/format.js';
import type { ProcessSortKey } from './process-query.js';
import { portPath, processPath } from './paths.js';
import { ERLANG_VIEW, type SyntaxView } from '../elixir/view.js';
import type { AllocatorsPage, FieldsRow, MessagesPage, Page as Rows, ProcessesPage, ProcessPage, ServeSession } from './session.js';

const NAV: Array<[string, string]> = [
  ['/', 'Overview'], ['/processes', 'Processes'], ['/ports', 'Ports'], ['/ets', 'ETS tables'], ['/timers', 'Timers'],
  ['/funs', 'Funs'], ['/atoms', 'Atoms'], ['/allocators', 'Allocators'], ['/nodes', 'Nodes'],
];

/**
 * serve's own page code, run after the kit's (allowed by its hash like the kit's): the filter form
 * navigates to its URL itself, since the kit's policy allows no form submission (form-action 'none').
 */
const SERVE_SCRIPT = String.raw`(function () {
  'use strict';
  document.querySelectorAll('form.nav-form').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var q = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (typeof v === 'string') q.append(k, v); });
      window.location.assign(form.getAttribute('action') + '?' + q.toString());
    });
  });
})();
`;

/** A whole page in the kit's shell: its CSP travels in the page and as the answer's header. */
function layout(title: string, body: Html, charts: ChartSpec[] = [], subtitle?: HtmlValue): Page {
  return renderPage({ title, subtitle, nav: NAV.map(([href, label]) => ({ href, label })), body, charts, script: SERVE_SCRIPT });
}

function fmtBytes(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '' : formatBytes(n);
}

function fmtCount(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '' : formatCount(n);
}

/** A link to a process when the text is a local pid in the dump, else the text. */
function procLink(text: string | undefined, session?: ServeSession): HtmlValue {
  if (!text) return '';
  if (/^<\d+\.\d+\.\d+>$/.test(text) && (!session || session.hasProcess(text))) return html`<a class="pid" href="${processPath(text)}">${text}</a>`;
  if (/^#Port<\d+\.\d+>$/.test(text)) return html`<a class="port" href="${portPath(text)}">${text}</a>`;
  return text;
}

/**
 * A registered name or a pid (ancestors are either): a name links to its process when it has one,
 * shown as `label` (the name in the page's syntax).
 */
function nameOrPidLink(text: string, session: ServeSession, label = text): HtmlValue {
  if (/^<\d+\.\d+\.\d+>$/.test(text)) return procLink(text, session);
  const t = session.dump.processes;
  const row = t.name.find(text);
  return row >= 0 ? html`<a class="pid" href="${processPath(t.pid.at(row))}">${label}</a>` : label;
}

/** Links to the previous and next pages of a paged list at `path` with the query `params`. */
function pager(path: string, params: Record<string, string>, offset: number, limit: number, total: number, noun: string): Html {
  const link = (o: number, label: string) => {
    const q = new URLSearchParams({ ...params, offset: String(o), limit: String(limit) });
    return html`<a href="${`${path}?${q.toString()}`}" rel="${label === 'next' ? 'next' : label === 'previous' ? 'prev' : ''}">${label}</a>`;
  };
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const shown = total === 0 ? `no ${noun}` : `${formatCount(offset + 1)}–${formatCount(Math.min(total, offset + limit))} of ${formatCount(total)} ${noun}`;
  return html`<p class="pager">${shown}
${offset > 0 ? [link(0, 'first'), ' ', link(Math.max(0, offset - limit), 'previous')] : ''}
${offset + limit < total ? [link(offset + limit, 'next'), ' ', link(last, 'last')] : ''}</p>`;
}

// ---- overview ---------------------------------------------------------------------------------

/** The overview: triage's findings (the report's section), memory, mailbox outliers, top processes. */
export function overviewPage(r: TriageReport, largest: readonly ProcessRecord[], view: SyntaxView = ERLANG_VIEW): Page {
  const top = r.topProcesses.byMemory.slice(0, 10);
  const { kinds, perProcess } = memoryCharts(r.memory, largest, (p) => (p.name === undefined ? undefined : view.text(p.name)));
  const charts = [kinds, perProcess];
  const findings = findingsSection(r.findings);
  const subjects = r.findings.filter((f) => f.subject?.kind === 'process').map((f) => f.subject!.id);
  const body = html`<p class="source">${r.source.path} · ${formatBytes(r.source.bytes)} · OTP ${r.header.otpRelease ?? '?'}, erts ${r.header.erts ?? '?'} · written ${r.header.created ?? '?'}</p>
<p class="slogan">Slogan: <code>${r.slogan}</code></p>
${r.syntax ? html`<p class="syntax">Names and terms in Elixir syntax (${r.syntax.reason}; --syntax erlang for Erlang's)</p>\n` : ''}${sectionHtml(findings)}
${subjects.length > 0 ? html`<p>Processes the findings name: ${[...new Set(subjects)].map((pid, i) => [i > 0 ? ', ' : '', procLink(pid)])}</p>` : ''}
<section id="memory"><h2>Memory</h2>
<div class="grid">${charts.map((c) => chartFigure(c))}</div>
<table><thead><tr><th>kind</th><th class="num">bytes</th><th class="num">share</th></tr></thead><tbody>
${r.memory.kinds.map((k) => html`<tr><td>${k.kind}</td><td class="num">${formatBytes(k.bytes)}</td><td class="num">${formatPercent(k.share)}</td></tr>`)}
</tbody></table>
</section>
<section id="outliers"><h2>Mailbox outliers</h2>
${r.mailboxOutliers.length === 0 ? html`<p>none (typical queue ${formatCount(r.mailbox.typicalQueueLength)})</p>` : r.mailboxOutliers.map((o) => html`<article class="outlier"><h3><a href="${processPath(o.pid)}">${o.pid}</a> ${o.elixir?.name ?? o.name ?? ''}: ${formatCount(o.messageQueueLength)} messages</h3>
${o.messageShapes ? shapesTable(o.messageShapes.map((s) => ({ ...s, shape: s.elixir?.shape ?? s.shape, example: s.elixir?.example ?? s.example, binaryBytes: NaN }))) : ''}${o.messageShapesMissing ? html`<p>message shapes: not in the dump (${o.messageShapesMissing})</p>` : ''}</article>`)}
</section>
<section id="top"><h2>Top processes by memory</h2>${summaryTable(top)}<p><a href="/processes">all ${formatCount(r.counts.processes)} processes</a></p></section>
${r.notes.length > 0 ? html`<section id="notes"><h2>Notes</h2><ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul></section>` : ''}`;
  return layout('Overview', body, [...findings.charts, ...charts], `${r.source.path} · ${r.counts.processes} processes`);
}

function summaryTable(rows: TriageReport['topProcesses']['byMemory']): Html {
  return html`<table><thead><tr><th>pid</th><th>name</th><th>initial call</th><th class="num">memory</th><th class="num">queue</th><th class="num">reductions</th></tr></thead><tbody>
${rows.map((p) => html`<tr><td><a href="${processPath(p.pid)}">${p.pid}</a></td><td>${p.elixir?.name ?? p.name ?? ''}</td><td>${p.elixir?.initialCall ?? p.initialCall ?? ''}</td><td class="num">${formatBytes(p.memoryBytes)}</td><td class="num">${formatCount(p.messageQueueLength)}</td><td class="num">${formatCount(p.reductions)}</td></tr>`)}
</tbody></table>`;
}

function shapesTable(shapes: Array<{ shape: string; count: number; example: string; estimatedBytes: number; binaryBytes: number }>): Html {
  return html`<table class="shapes"><thead><tr><th class="num">count</th><th class="num">est. size</th><th>shape</th><th>example</th></tr></thead><tbody>
${shapes.map((s) => html`<tr><td class="num">${formatCount(s.count)}</td><td class="num">${fmtBytes(s.estimatedBytes)}</td><td class="shape text"><code>${s.shape}</code></td><td class="text"><code>${s.example}</code></td></tr>`)}
</tbody></table>`;
}

// ---- the process table ------------------------------------------------------------------------

const PROCESS_COLUMNS: Array<{ key: ProcessSortKey; label: string; num?: boolean }> = [
  { key: 'pid', label: 'pid' }, { key: 'name', label: 'name' }, { key: 'state', label: 'state' },
  { key: 'spawnedAs', label: 'initial call' }, { key: 'currentCall', label: 'current function' },
  { key: 'messageQueueLength', label: 'queue', num: true }, { key: 'memoryBytes', label: 'memory', num: true },
  { key: 'binVHeapBytes', label: 'binary', num: true }, { key: 'reductions', label: 'reductions', num: true },
  { key: 'links', label: 'links', num: true }, { key: 'spawnedBy', label: 'parent' },
];

function processCell(p: ProcessRecord, key: ProcessSortKey, view: SyntaxView): HtmlValue {
  switch (key) {
    case 'name': case 'spawnedAs': case 'currentCall': {
      const t = p[key];
      return t === undefined ? '' : view.text(t);
    }
    case 'pid': return html`<a class="pid" href="${processPath(p.pid)}">${p.pid}</a>`;
    case 'spawnedBy': return procLink(p.spawnedBy);
    case 'memoryBytes': case 'binVHeapBytes': return fmtBytes(p[key]);
    case 'messageQueueLength': case 'reductions': case 'links': return fmtCount(p[key]);
    default: return (p as unknown as Record<string, string | undefined>)[key] ?? '';
  }
}

export function processesPage(page: ProcessesPage, limit: number, view: SyntaxView = ERLANG_VIEW): Page {
  const q = page.query;
  const params = { sort: q.sort, dir: q.descending ? 'desc' : 'asc', ...(q.filter ? { q: q.filter } : {}) };
  const head = PROCESS_COLUMNS.map((c) => {
    const on = c.key === q.sort;
    // A click on the sorted column turns it round; on another, its natural order (numbers largest first).
    const dir = on ? (q.descending ? 'asc' : 'desc') : c.num ? 'desc' : 'asc';
    const link = `/processes?${new URLSearchParams({ sort: c.key, dir, ...(q.filter ? { q: q.filter } : {}), limit: String(limit) }).toString()}`;
    const sortAttr = on ? (q.descending ? 'descending' : 'ascending') : 'none';
    return html`<th class="${c.num ? 'num' : ''}" aria-sort="${sortAttr}" data-key="${c.key}"><a href="${link}">${c.label}</a></th>`;
  });
  const body = html`<form class="filter nav-form" method="get" action="/processes">
<input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${params.dir}"><input type="hidden" name="limit" value="${String(limit)}">
<label>Filter <input type="search" name="q" value="${q.filter}" placeholder="pid, name, state, initial call, function, parent"></label> <button type="submit">Filter</button>
</form>
${pager('/processes', params, page.offset, limit, page.total, page.total === page.count ? 'processes' : `processes matching (of ${formatCount(page.count)})`)}
<table id="processes" class="processes"><thead><tr>${head}</tr></thead><tbody>
${page.rows.map((p) => html`<tr>${PROCESS_COLUMNS.map((c) => html`<td class="${c.num ? 'num' : ''}">${processCell(p, c.key, view)}</td>`)}</tr>`)}
</tbody></table>
${pager('/processes', params, page.offset, limit, page.total, 'processes')}`;
  return layout('Processes', body);
}

// ---- one process ------------------------------------------------------------------------------

function termText(t: Term | undefined, text?: string): string {
  return t ? printTerm(t, { maxChars: 300 }) : (text ?? '');
}

/** Pids or names as links, the first LINKS_LISTED of them, and how many there are in all past that. */
function listOfLinks(items: readonly string[], session: ServeSession, total = items.length): HtmlValue {
  if (items.length === 0) return total > 0 ? `${formatCount(total)}` : '–';
  const shown = items.slice(0, LINKS_LISTED).map((x, i) => [i > 0 ? ', ' : '', procLink(x, session)]);
  return total > shown.length ? [shown, ` … ${formatCount(total)} in all`] : shown;
}
/** A supervisor of 300,000 children: its page lists this many of its links. */
const LINKS_LISTED = 200;

/** For a deep stack, the functions most of its frames are in (a runaway recursion names itself). */
function deepStack(st: ProcessStack, session: ServeSession): HtmlValue {
  if (st.depth < DEEP_STACK_FRAMES || st.functions.length === 0) return '';
  return html`<p>${st.functions.slice(0, 4).map((f, i) => html`${i > 0 ? ', ' : ''}<code>${session.view.text(f.function)}</code> ${formatCount(f.frames)} (${formatPercent(f.frames / st.depth)})`)}</p>`;
}

export function processPage(page: ProcessPage, session: ServeSession): Page {
  const d = page.detail;
  const r = d.record;
  // On an Elixir node the session adds the texts in Elixir syntax (page.elixir), in the detail's order.
  const ex = page.elixir;
  const title = `Process ${d.pid}${r.name ? ` (${ex?.name ?? r.name})` : ''}`;
  const shapes = ex ? d.messages.shapes.map((s, i) => ({ ...s, ...ex.shapes[i] })) : d.messages.shapes;
  const body = html`<section id="summary"><table class="fields kv">
<tr><th>State</th><td>${r.state ?? ''}</td><th>Initial call</th><td>${ex?.initialCall ?? d.initialCall ?? r.spawnedAs ?? ''}</td></tr>
<tr><th>Current function</th><td>${ex?.currentCall ?? r.currentCall ?? ''}</td><th>Memory</th><td>${fmtBytes(r.memoryBytes)}</td></tr>
<tr><th>Message queue</th><td>${fmtCount(d.messages.queueLength)}</td><th>Reductions</th><td>${fmtCount(r.reductions)}</td></tr>
</table></section>
<section id="relations"><h2>Links between</h2><table class="fields kv">
<tr><th>Parent (spawned by)</th><td>${procLink(r.spawnedBy, session)}</td></tr>
<tr><th>Ancestors</th><td>${d.ancestors.length === 0 ? '–' : d.ancestors.map((a, i) => [i > 0 ? ', ' : '', nameOrPidLink(a, session, ex?.ancestors[i])])}</td></tr>
<tr><th>Links</th><td>${listOfLinks(r.links, session, r.counts.links)}</td></tr>
<tr><th>Monitors</th><td>${listOfLinks(r.monitors, session, r.counts.monitors)}</td></tr>
<tr><th>Monitored by</th><td>${listOfLinks(r.monitoredBy, session, r.counts.monitoredBy)}</td></tr>
<tr><th>Children (${formatCount(page.children.total)})</th><td>${listOfLinks(page.children.rows, session)}${page.children.total > page.children.rows.length ? ' …' : ''}</td></tr>
<tr><th>ETS tables owned</th><td>${page.etsTables.length === 0 ? '–' : page.etsTables.map((e, i) => [i > 0 ? ', ' : '', html`<a href="/ets#${e.table}">${session.view.text(e.name)}</a>`])}</td></tr>
<tr><th>Ports connected</th><td>${listOfLinks(page.ports, session)}</td></tr>
<tr><th>Timers</th><td>${page.timers > 0 ? html`<a href="/timers">${formatCount(page.timers)}</a>${timerShapes(d.timers, session)}` : '0'}</td></tr>
</table></section>
<section id="messages"><h2>Messages: ${formatCount(d.messages.queueLength)} queued</h2>
${shapes.length > 0 ? html`<h3>Shapes</h3>${shapesTable(shapes.slice(0, 50))}` : ''}
${messageList(page.messages)}
</section>
<section id="stack"><h2>Stack${d.stack.depth > 0 ? `: ${countOf(d.stack.depth, 'frame')}` : ''}</h2>${d.stack.frames.length === 0 ? html`<p>not in the dump</p>` : html`${deepStack(d.stack, session)}<ol class="frames">${d.stack.frames.map((f, i) => html`${f.omittedBefore ? html`<li class="gap">… ${countOf(f.omittedBefore, 'frame')} not listed …</li>` : ''}<li><code>${ex?.stack[i].function ?? f.function ?? '?'}</code>${f.returnTo ? html` returns to <code>${ex?.stack[i].returnTo ?? f.returnTo}</code>` : ''}${f.repeat ? html` <strong>× ${formatCount(f.repeat)} frames in a row</strong>` : ''}
${f.yRegisters.length > 0 ? html`<table class="yregs">${f.yRegisters.map((y, j) => html`<tr><th>${y.label}</th><td class="text"><code>${ex ? ex.stack[i].yRegisters[j] : termText(y.term, y.text)}</code></td></tr>`)}</table>` : ''}</li>`)}</ol>`}</section>
<section id="dictionary"><h2>Dictionary (${formatCount(d.dictionarySize)}${d.dictionary.length < d.dictionarySize ? `, the first ${formatCount(d.dictionary.length)} shown` : ''})</h2>${d.dictionary.length === 0 ? html`<p>empty or not in the dump</p>` : html`<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>${d.dictionary.map((e, i) => html`<tr><td class="text"><code>${ex?.dictionary[i].key ?? e.keyText}</code></td><td class="text"><code>${ex?.dictionary[i].value ?? e.valueText}</code></td></tr>`)}</tbody></table>`}</section>
<section id="binaries"><h2>Binaries held: ${formatCount(d.binaries.count)}, ${formatBytes(d.binaries.totalBytes)}</h2>
${d.binaries.sharingComputed ? html`<p>exclusive ${formatBytes(d.binaries.exclusiveBytes)}, shared ${formatBytes(d.binaries.sharedBytes)}</p>` : html`<p><a href="${`${processPath(d.pid)}?sharing=1#binaries`}">tell shared from exclusive</a> (reads every other heap)</p>`}
${d.binaries.held.length > 0 ? html`<table><thead><tr><th>address</th><th class="num">size</th><th class="num">references</th>${d.binaries.sharingComputed ? trusted('<th class="num">other holders</th>') : ''}</tr></thead><tbody>${d.binaries.held.slice(0, 200).map((b) => html`<tr><td class="text"><code>${b.address}</code></td><td class="num">${fmtBytes(b.sizeBytes)}</td><td class="num">${formatCount(b.references)}</td>${d.binaries.sharingComputed ? html`<td class="num">${fmtCount(b.otherHolders)}</td>` : ''}</tr>`)}</tbody></table>` : ''}
</section>
<section id="record"><h2>The =proc record</h2><table class="fields kv">${r.fields.map((f) => html`<tr><th>${f.key}</th><td>${f.value}${f.bytes !== undefined ? ` (${formatBytes(f.bytes)})` : ''}</td></tr>`)}</table></section>
${d.warnings.length > 0 ? html`<section id="warnings"><h2>Warnings</h2><ul>${d.warnings.map((w) => html`<li>${w}</li>`)}</ul></section>` : ''}`;
  return layout(title, body);
}

/** What a process's pending timers will deliver (the first ones read), after their count. */
function timerShapes(t: ProcessDetail['timers'], session: ServeSession): Html | string {
  if (!t || t.shapes.length === 0) return '';
  const left = t.timeLeftMs ? html`; time left ${formatDurationRange(t.timeLeftMs.min, t.timeLeftMs.max)}` : '';
  return html` pending; ${t.sampled < t.timers ? `the first ${formatCount(t.sampled)}: ` : ''}${t.shapes.slice(0, 3).map((x, i) => html`${i > 0 ? '; ' : ''}${formatCount(x.count)} × <code>${session.view.shape(x.shape)}</code>`)}${left}`;
}

function messageList(m: MessagesPage, limit = 50): Html {
  if (m.messages.length === 0) return m.offset === 0 ? html`<p>no messages in the dump</p>` : html`<p>no messages here</p>`;
  const path = `${processPath(m.pid)}/messages`;
  const total = Number.isFinite(m.queueLength) ? m.queueLength : m.offset + m.messages.length + (m.more ? 1 : 0);
  return html`<table class="messages"><thead><tr><th class="num">#</th><th>shape</th><th>message</th></tr></thead><tbody>
${m.messages.map((x) => html`<tr><td class="num">${formatCount(x.index + 1)}</td><td class="shape text"><code>${x.elixir?.shape ?? x.shape}</code></td><td class="text"><code>${x.elixir?.text ?? x.text}</code></td></tr>`)}
</tbody></table>
${pager(path, {}, m.offset, limit, total, 'messages')}`;
}

export function messagesPage(m: MessagesPage, limit: number): Page {
  return layout(`Messages of ${m.pid}`, html`<p><a href="${processPath(m.pid)}">back to ${m.pid}</a></p>${messageList(m, limit)}`);
}

// ---- ports, ETS, timers, funs, atoms, allocators, nodes --------------------------------------

export function portsPage(page: Rows<PortRecord>, limit: number, session: ServeSession): Page {
  const body = html`${pager('/ports', {}, page.offset, limit, page.total, 'ports')}
<table id="ports"><thead><tr><th>port</th><th>kind</th><th>name</th><th>connected</th><th>state</th><th class="num">input</th><th class="num">output</th><th class="num">queue</th></tr></thead><tbody>
${page.rows.map((p) => html`<tr><td>${procLink(p.id)}</td><td>${p.kind}</td><td>${p.name ?? ''}</td><td>${procLink(p.connected, session)}</td><td>${p.state ?? ''}</td><td class="num">${fmtBytes(p.inputBytes)}</td><td class="num">${fmtBytes(p.outputBytes)}</td><td class="num">${fmtBytes(p.queueBytes)}</td></tr>`)}
</tbody></table>`;
  return layout('Ports', body);
}

export function portPage(p: PortRecord, session: ServeSession): Page {
  const row = (k: string, v: HtmlValue) => html`<tr><th>${k}</th><td>${v}</td></tr>`;
  const body = html`<table class="fields kv">
${row('Kind', p.kind)}${row('Name', p.name ?? '')}${row('Controls', p.controls ?? '')}${row('Connected', procLink(p.connected, session))}
${row('State', p.state ?? '')}${row('Slot', fmtCount(p.slot))}${row('Links', fmtCount(p.links))}${row('Input', fmtBytes(p.inputBytes))}
${row('Output', fmtBytes(p.outputBytes))}${row('Queue', fmtBytes(p.queueBytes))}${row('Port data', p.portData ?? '')}
</table>`;
  return layout(`Port ${p.id}`, body);
}

export function etsPage(page: Rows<EtsRecord>, limit: number, session: ServeSession): Page {
  const body = html`${pager('/ets', {}, page.offset, limit, page.total, 'tables')}
<table id="ets"><thead><tr><th>table</th><th>name</th><th>owner</th><th>type</th><th>protection</th><th class="num">objects</th><th class="num">memory</th></tr></thead><tbody>
${page.rows.map((e) => html`<tr id="${e.table}"><td>${e.table}</td><td>${session.view.text(e.name)}</td><td>${procLink(e.owner, session)}</td><td>${e.type ?? ''}</td><td>${e.protection ?? ''}</td><td class="num">${formatCount(e.objects)}</td><td class="num">${fmtBytes(e.memoryBytes)}</td></tr>`)}
</tbody></table>`;
  return layout('ETS tables', body);
}

function fieldsTable(id: string, page: Rows<FieldsRow>, idLabel: string, session?: ServeSession): Html {
  const keys = [...new Set(page.rows.flatMap((r) => r.fields.map((f) => f.key)))];
  return html`<table id="${id}"><thead><tr><th>${idLabel}</th>${keys.map((k) => html`<th>${k}</th>`)}</tr></thead><tbody>
${page.rows.map((r) => html`<tr><td>${procLink(r.id, session)}</td>${keys.map((k) => html`<td class="text"><code>${r.fields.find((f) => f.key === k)?.value ?? ''}</code></td>`)}</tr>`)}
</tbody></table>`;
}

export function timersPage(page: Rows<FieldsRow>, limit: number, session: ServeSession): Page {
  return layout('Timers', html`${pager('/timers', {}, page.offset, limit, page.total, 'timers')}${fieldsTable('timers', page, 'owner', session)}`);
}

export function funsPage(page: Rows<FieldsRow>, limit: number): Page {
  return layout('Funs', html`${pager('/funs', {}, page.offset, limit, page.total, 'funs')}${fieldsTable('funs', page, '')}`);
}

export function atomsPage(page: Rows<string>, limit: number): Page {
  return layout('Atoms', html`<p>Newest first, as the dump writes them.</p>${pager('/atoms', {}, page.offset, limit, page.total, 'atoms')}
<ol id="atoms" class="atoms" start="${String(page.offset + 1)}">${page.rows.map((a) => html`<li><code>${a}</code></li>`)}</ol>`);
}

/** Allocators: the report's section (carriers against blocks by carrier kind, current against peak, every instance). */
export function allocatorsPage(page: AllocatorsPage): Page {
  const sec = allocatorSection(page.types, { rows: page.instances, total: page.instances.length });
  return layout('Allocators', sectionHtml(sec), sec.charts);
}

export function nodesPage(page: { thisNode?: string; distributed?: boolean; connections: NodeConnection[] }, session: ServeSession): Page {
  const body = html`<p>This node: <code>${page.thisNode ?? '?'}</code>${page.distributed === false ? ' (not distributed)' : ''}</p>
<table id="nodes"><thead><tr><th>node</th><th>kind</th><th>channel</th><th>controller</th><th class="num">remote links</th><th class="num">remote monitors</th><th class="num">monitored by</th></tr></thead><tbody>
${page.connections.map((n) => html`<tr><td>${n.name ?? ''}</td><td>${n.kind}</td><td>${n.channel}</td><td>${procLink(n.controller, session)}</td><td class="num">${formatCount(n.remoteLinks)}</td><td class="num">${formatCount(n.remoteMonitors)}</td><td class="num">${formatCount(n.remotelyMonitoredBy)}</td></tr>`)}
</tbody></table>`;
  return layout('Nodes', body);
}

export function notFoundPage(what: string): Page {
  return layout('Not found', html`<p>${what}</p>`);
}

export function errorPage(message: string): Page {
  return layout('Cannot show this', html`<p>${message}</p>`);
}
