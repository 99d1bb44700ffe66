/** The one stylesheet of beamscope's pages (report and serve), with a print stylesheet. */
export const PAGE_CSS = `
:root { --fg: #1d232b; --muted: #5b6573; --line: #d8dde4; --bg: #fff; --band: #f4f6f9;
  --crit: #b3261e; --warn: #9a6700; --info: #2f5d9b; --accent: #2f6fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.page { padding: 16px 24px 10px; border-bottom: 1px solid var(--line); background: var(--band); }
header.page h1 { margin: 0 0 4px; font-size: 20px; }
header.page .meta { color: var(--muted); font-size: 13px; }
nav.toc { padding: 6px 24px; border-bottom: 1px solid var(--line); font-size: 13px; }
nav.toc a { margin-right: 14px; color: var(--accent); text-decoration: none; }
main { padding: 8px 24px 40px; max-width: 1400px; }
section { margin: 22px 0 8px; }
h2 { font-size: 17px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 14px 0 6px; }
code, .mono, td.text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.slogan { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; background: var(--band); padding: 6px 10px; border-left: 3px solid var(--crit); }
.finding { border: 1px solid var(--line); border-left-width: 5px; border-radius: 4px; padding: 8px 12px; margin: 8px 0; }
.finding.critical { border-left-color: var(--crit); }
.finding.warning { border-left-color: var(--warn); }
.finding.info { border-left-color: var(--info); }
.finding h3 { margin: 0 0 4px; }
.sev { display: inline-block; min-width: 70px; font-size: 11px; font-weight: 700; letter-spacing: .04em; }
.sev.critical { color: var(--crit); } .sev.warning { color: var(--warn); } .sev.info { color: var(--info); }
.finding p { margin: 4px 0; }
.finding ul { margin: 4px 0 0; padding-left: 20px; }
.finding li, .wrap { overflow-wrap: break-word; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 4px; padding: 8px; break-inside: avoid; }
figure.chart figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.chart-box { position: relative; height: 280px; }
.chart-box.tall { height: 420px; }
.table-tools { display: flex; gap: 12px; align-items: center; margin: 4px 0; font-size: 13px; }
.table-tools input { padding: 3px 6px; border: 1px solid var(--line); border-radius: 3px; min-width: 220px; }
.table-wrap { max-height: 480px; overflow: auto; border: 1px solid var(--line); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
td.num, th.num, td[data-sort] { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { max-width: 520px; overflow-wrap: break-word; }
thead th { position: sticky; top: 0; background: var(--band); z-index: 1; }
th[role=columnheader]:not(.no-sort) { cursor: pointer; }
th[aria-sort=ascending]::after { content: " \\25B2"; font-size: 10px; }
th[aria-sort=descending]::after { content: " \\25BC"; font-size: 10px; }
tr.hidden { display: none; }
table.kv td:first-child { color: var(--muted); width: 220px; }
.notes li { color: var(--muted); }
@media print {
  body { font-size: 11px; }
  nav.toc, .table-tools input { display: none; }
  header.page { background: none; }
  main { padding: 0 8px; max-width: none; }
  .table-wrap { max-height: none; overflow: visible; border: none; }
  thead th { position: static; }
  /* A table of thousands of rows would be hundreds of pages: the first 40 are printed. */
  .table-wrap tbody tr:nth-child(n+41) { display: none; }
  .print-note { display: block !important; }
  section, figure.chart, .finding { break-inside: avoid; }
  .grid { display: block; }
  figure.chart { margin-bottom: 10px; }
  a { color: inherit; text-decoration: none; }
}
.print-note { display: none; color: var(--muted); font-size: 11px; }
`;
