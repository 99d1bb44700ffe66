/**
 * The web kit shared by `beamscope report` and `beamscope serve`: escaping of dump text, the page
 * shell under a strict Content-Security-Policy, the stylesheet, charts and tables.
 */
export { Html, html, trusted, escapeHtml, jsonForScript, type HtmlValue } from './escape.js';
export { renderPage, contentSecurityPolicy, type Page, type PageOptions } from './page.js';
export { chartFigure, type ChartSpec, type ChartSeries } from './chart.js';
export { dataTable, type Column, type ColumnKind, type TableOptions } from './table.js';
export { PAGE_CSS } from './css.js';
export { PAGE_SCRIPT } from './client.js';
