/**
 * The page shell: one self-contained HTML document (styles and scripts inlined, nothing loaded from
 * the network) under a strict Content-Security-Policy. Scripts run only when their hash is in the
 * policy: the libraries and the page script, never anything built from dump text. Data travels in
 * a `<script type="application/json">` block (not executed; escaped by jsonForScript).
 */
import { createHash } from 'node:crypto';
import type { ChartSpec } from './chart.js';
import { PAGE_SCRIPT } from './client.js';
import { PAGE_CSS } from './css.js';
import { html, jsonForScript, trusted, type Html, type HtmlValue } from './escape.js';
import { vendorScripts } from './vendor.js';

export interface PageOptions {
  title: string;
  /** Under the title: what the page is about (escaped like any hole). */
  subtitle?: HtmlValue;
  /** Links at the top (in-page anchors or serve's URLs). */
  nav?: Array<{ href: string; label: string }>;
  body: Html;
  /** Drawn by the page script into the canvases of chartFigure. */
  charts?: ChartSpec[];
  /** More data for `script`, under `data` in the JSON block. */
  data?: unknown;
  /** More page code (serve's), run after the kit's; written by beamscope, never from dump text. */
  script?: string;
  /** More CSP directives, e.g. `connect-src 'self'` for pages that fetch. */
  csp?: string[];
}

export interface Page {
  html: string;
  /** The policy in the page's meta element; a server should send it as a header too. */
  csp: string;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The policy: nothing by default; scripts and styles only by hash (no 'unsafe-inline', no eval);
 * images only as data: URLs (Chart.js draws on canvases); no <base>, no form posts.
 */
export function contentSecurityPolicy(scripts: string[], styles: string[], extra: string[] = []): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${styles.map(sha256).join(' ')}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    ...extra,
  ].join('; ');
}

export function renderPage(o: PageOptions): Page {
  const vendor = vendorScripts();
  const scripts = [vendor.chart, vendor.tablesort, PAGE_SCRIPT, ...(o.script ? [o.script] : [])];
  const csp = contentSecurityPolicy(scripts, [PAGE_CSS], o.csp);
  const data = jsonForScript({ charts: o.charts ?? [], data: o.data ?? null });
  const nav = o.nav?.length ? html`<nav class="toc">${o.nav.map((n) => html`<a href="${n.href}">${n.label}</a>`)}</nav>` : '';
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title}</title>
<style>${trusted(PAGE_CSS)}</style>
</head>
<body>
<header class="page"><h1>${o.title}</h1>${o.subtitle !== undefined ? html`<div class="meta">${o.subtitle}</div>` : ''}</header>
${nav}
<main>
${o.body}
</main>
<script type="application/json" id="bs-data">${trusted(data)}</script>
${scripts.map((s) => html`<script>${trusted(s)}</script>\n`)}</body>
</html>
`;
  return { html: page.text, csp };
}
