/**
 * The browser libraries a page inlines (no network, no CDN): read from the installed packages once
 * per run. Chart.js draws the charts (categorical bars, stacked bars and time lines with one API;
 * uPlot is lighter but time-series only), tablesort sorts tables (3 KB, no dependency).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * A file beside a package's main entry (chart.js exports no path to its UMD build), without its
 * `sourceMappingURL` comment (the page has no map beside it).
 */
function load(pkg: string, file: string): string {
  return readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8').replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
}

let cached: Record<VendorScript, string> | undefined;

export type VendorScript = 'chart' | 'tablesort';

/** The library sources by name, as inlined `<script>` bodies. */
export function vendorScripts(): Record<VendorScript, string> {
  cached ??= {
    chart: load('chart.js', 'chart.umd.min.js'),
    // The number extension sorts numeric columns by value (their cells carry data-sort numbers).
    tablesort: `${load('tablesort', '../dist/tablesort.min.js')}\n${load('tablesort', '../dist/sorts/tablesort.number.min.js')}`,
  };
  return cached;
}
