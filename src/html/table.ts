/**
 * Sortable, filterable tables: rendered as HTML on the server side (so they print and read without
 * script), sorted in the page by tablesort and filtered by the page script (client.ts). Numeric
 * cells carry their raw value in `data-sort`, so a column of "1.5 MiB" sorts by bytes.
 */
import { formatBytes, formatCount, formatPercent } from '../text/format.js';
import { html, type Html, type HtmlValue } from './escape.js';

export type ColumnKind = 'text' | 'bytes' | 'count' | 'percent' | 'code';

export interface Column<R> {
  label: string;
  kind?: ColumnKind;
  /** The cell's value: a number for bytes, count and percent (a 0..1 fraction), else text. */
  value: (row: R) => string | number | undefined;
  /** Shown on hover over the header. */
  title?: string;
}

export interface TableOptions<R> {
  /** The element id (letters, digits, dashes): tests and links address the table by it. */
  id: string;
  columns: Column<R>[];
  rows: readonly R[];
  /** How many rows there are in all, when `rows` is the top of a longer list. */
  total?: number;
  /** What a row is, plural ("processes"), for the "N of M" line. */
  noun?: string;
  /** The same, singular, for a table of one row (default: the plural). */
  nounOne?: string;
  /** A filter box above the table (default: when there are more than 10 rows). */
  filter?: boolean;
}

function numeric(kind: ColumnKind): boolean {
  return kind === 'bytes' || kind === 'count' || kind === 'percent';
}

/** The value as shown. */
function shown(kind: ColumnKind, v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  if (typeof v === 'string') return v;
  if (kind === 'bytes') return formatBytes(v);
  if (kind === 'percent') return formatPercent(v);
  if (kind === 'count') return formatCount(v);
  return String(v);
}

/** A number as tablesort's number extension reads it: plain digits, no exponent. */
function sortKey(v: string | number | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '0';
  return Number.isInteger(v) ? String(v) : v.toFixed(9);
}

export function dataTable<R>(t: TableOptions<R>): Html {
  const noun = t.noun ?? 'rows';
  const total = t.total ?? t.rows.length;
  const withFilter = t.filter ?? t.rows.length > 10;
  const header = t.columns.map((c) => {
    const kind = c.kind ?? 'text';
    return html`<th${numeric(kind) ? html` class="num" data-sort-method="number"` : ''}${c.title ? html` title="${c.title}"` : ''}>${c.label}</th>`;
  });
  const body: HtmlValue[] = t.rows.map(
    (r) =>
      html`<tr>${t.columns.map((c) => {
        const kind = c.kind ?? 'text';
        const v = c.value(r);
        return numeric(kind)
          ? html`<td data-sort="${sortKey(v)}">${shown(kind, v)}</td>`
          : html`<td class="${kind === 'code' ? 'text' : 'wrap'}">${shown(kind, v)}</td>`;
      })}</tr>`,
  );
  const count = total > t.rows.length ? `${formatCount(t.rows.length)} of ${formatCount(total)} ${noun} (the top ones)` : `${formatCount(total)} ${total === 1 ? (t.nounOne ?? noun) : noun}`;
  return html`<div class="table-tools">${withFilter ? html`<input type="search" placeholder="filter rows" aria-label="filter ${noun}" data-filter-for="${t.id}">` : ''}<span class="table-count" data-count-for="${t.id}">${count}</span></div>
<div class="table-wrap"><table id="${t.id}" class="sortable"><thead><tr>${header}</tr></thead><tbody>${body}</tbody></table></div>
${t.rows.length > 40 ? html`<p class="print-note">Printed: the first 40 rows of ${formatCount(t.rows.length)}.</p>` : ''}`;
}
