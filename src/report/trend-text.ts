/**
 * Text output of `beamscope trend`: findings first, then per allocator type a table (allocated, used,
 * usage per snapshot) and two asciichart charts: allocated against used bytes, and usage. asciichart
 * has no horizontal scaling, no legend and no x-axis: series are bucketed to the width here, and the
 * legend and time axis are printed under each chart (reference peers-and-node-practice.md 3.4).
 */
import { basename } from 'node:path';
import asciichart from 'asciichart';
import { TREND_THRESHOLDS, type TrendReport } from '../trend/index.js';
import type { SeriesPoint } from '../trend/series.js';
import { formatBytes, formatPercent, sanitize, table } from '../text/format.js';
import { KiB, MiB, GiB } from '../text/units.js';

export interface TrendTextOptions {
  /** Terminal columns (default 80). */
  width?: number;
  /** Chart rows (default 10). */
  height?: number;
  color?: boolean;
  /** Types to show; default: those whose peak reaches `minBytes`, at most `top`. */
  types?: string[];
  top?: number;
  minBytes?: number;
  /** Table rows per type before snapshots are sampled (default 30). */
  maxRows?: number;
}

const LABEL_WIDTH = 10;

/**
 * Fits `values` to `width` columns: buckets of consecutive points reduced by `reduce` when there
 * are more points than columns, each point repeated when there are far fewer (so the line is
 * readable). Non-finite values become the previous finite one (asciichart does not handle NaN).
 */
export function fitToWidth(values: number[], width: number, reduce: (xs: number[]) => number): { values: number[]; perColumn: number; repeat: number } {
  const clean: number[] = [];
  let prev = 0;
  for (const v of values) {
    prev = Number.isFinite(v) ? v : prev;
    clean.push(prev);
  }
  const w = Math.max(2, Math.floor(width));
  if (clean.length > w) {
    const per = Math.ceil(clean.length / w);
    const out: number[] = [];
    for (let i = 0; i < clean.length; i += per) out.push(reduce(clean.slice(i, i + per)));
    return { values: out, perColumn: per, repeat: 1 };
  }
  const repeat = Math.max(1, Math.min(4, Math.floor(w / Math.max(1, clean.length))));
  return { values: clean.flatMap((v) => Array.from({ length: repeat }, () => v)), perColumn: 1, repeat };
}

/**
 * Without colour two lines on one chart cannot be told apart: the second series is drawn as dots
 * where the first has nothing. Both plots share the y range (same min, max, height and labels), so
 * their cells line up.
 */
export function overlayDotted(solid: string, dotted: string): string {
  const a = solid.split('\n');
  const b = dotted.split('\n');
  return a
    .map((line, r) => {
      const other = [...(b[r] ?? '')];
      const chars = [...line];
      const axisAt = chars.findIndex((c) => c === '┤' || c === '┼');
      for (let i = axisAt + 1; i < other.length; i++) {
        if (other[i] !== ' ' && (chars[i] === undefined || chars[i] === ' ')) {
          while (chars.length < i) chars.push(' ');
          chars[i] = '·';
        }
      }
      return chars.join('');
    })
    .join('\n');
}

function byteUnit(peak: number): { div: number; name: string } {
  if (peak >= GiB) return { div: GiB, name: 'GiB' };
  if (peak >= MiB) return { div: MiB, name: 'MiB' };
  if (peak >= KiB) return { div: KiB, name: 'KiB' };
  return { div: 1, name: 'B' };
}

function shortTime(iso?: string): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?';
}

function charts(name: string, points: SeriesPoint[], report: TrendReport, o: Required<Pick<TrendTextOptions, 'width' | 'height' | 'color'>>): string[] {
  const out: string[] = [];
  const plotWidth = Math.max(10, o.width - LABEL_WIDTH - 3);
  const peak = Math.max(0, ...points.map((p) => Math.max(p.allocatedBytes, p.usedBytes)));
  const unit = byteUnit(peak);
  const alloc = fitToWidth(points.map((p) => p.allocatedBytes / unit.div), plotWidth, (xs) => Math.max(...xs));
  const used = fitToWidth(points.map((p) => p.usedBytes / unit.div), plotWidth, (xs) => Math.max(...xs));
  const usage = fitToWidth(points.map((p) => p.usage * 100), plotWidth, (xs) => Math.min(...xs));
  const paint = (c: string, s: string) => (o.color ? `${c}${s}${asciichart.reset}` : s);
  const cols = alloc.values.length;
  const axis = () => {
    const a = shortTime(report.snapshots[0]?.takenAt);
    const b = shortTime(report.snapshots[report.snapshots.length - 1]?.takenAt);
    const pad = ' '.repeat(LABEL_WIDTH + 2);
    const gap = Math.max(1, cols - a.length - b.length);
    return report.snapshots[0]?.takenAt ? `${pad}${a}${' '.repeat(gap)}${b}` : `${pad}snapshot 1 .. ${report.snapshots.length} (no times)`;
  };
  const sampling =
    alloc.perColumn > 1 ? `, one column per ${alloc.perColumn} snapshots (bytes: their maximum, usage: their minimum)` : '';

  out.push(`  ${name}: allocated (carriers) and used (blocks), ${unit.name}${sampling}`);
  const cfg = { height: o.height, min: 0, max: Math.max(...alloc.values, ...used.values), format: (x: number) => x.toFixed(x >= 100 ? 0 : 1).padStart(LABEL_WIDTH) };
  if (o.color) out.push(asciichart.plot([alloc.values, used.values], { ...cfg, colors: [asciichart.blue, asciichart.green] }));
  else out.push(overlayDotted(asciichart.plot(alloc.values, cfg), asciichart.plot(used.values, cfg)));
  out.push(axis());
  out.push(`${' '.repeat(LABEL_WIDTH + 2)}${o.color ? `${paint(asciichart.blue, '── allocated')}   ${paint(asciichart.green, '── used')}` : '── allocated   ·· used'}`);
  out.push('');
  out.push(`  ${name}: usage (used / allocated), %`);
  out.push(
    asciichart.plot(usage.values, {
      height: o.height,
      min: 0,
      max: 100,
      format: (x) => `${x.toFixed(0)}%`.padStart(LABEL_WIDTH),
      ...(o.color ? { colors: [asciichart.yellow] } : {}),
    }),
  );
  out.push(axis());
  return out;
}

function rowsToShow(n: number, max: number, keep: number[]): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil(n / max);
  const set = new Set<number>([0, n - 1, ...keep.filter((k) => k >= 0 && k < n)]);
  for (let i = 0; i < n; i += step) set.add(i);
  return [...set].sort((a, b) => a - b);
}

export function renderTrendText(report: TrendReport, opts: TrendTextOptions = {}): string {
  const o = { width: opts.width ?? 80, height: opts.height ?? 10, color: opts.color ?? false };
  const minBytes = opts.minBytes ?? 8 * MiB;
  const out: string[] = [];
  const snaps = report.snapshots;
  out.push(
    `Trend of ${snaps.length} snapshot${snaps.length === 1 ? '' : 's'}${snaps[0]?.takenAt ? `, ${shortTime(snaps[0].takenAt)} to ${shortTime(snaps[snaps.length - 1].takenAt)}` : ''} (${report.orderingNote})`,
  );
  if (report.skipped.length) out.push(`left out (no allocator statistics): ${report.skipped.map((s) => sanitize(s)).join(', ')}`);
  if (report.twins.length) {
    const shown = report.twins.slice(0, 3).map((t) => `${sanitize(basename(t.path))} (of ${sanitize(basename(t.of))})`).join(', ');
    out.push(`left out as the JSON form of a snapshot already in the series: ${shown}${report.twins.length > 3 ? `, and ${report.twins.length - 3} more` : ''}`);
  }
  out.push('');
  if (report.findings.length === 0) {
    // Too few snapshots to see growth is not the same as no growth.
    const n = snaps.length;
    const need = TREND_THRESHOLDS.minIntervals + 1;
    out.push(n < need
      ? `Findings: none; ${n} snapshot${n === 1 ? ' is' : 's are'} too few to judge steady growth (it needs ${need})${n < 3 ? ' or a spike that stayed (a spike and 2 after it)' : ''}`
      : 'Findings: none (no steady growth, no spike followed by low usage)');
  }
  else {
    out.push('Findings:');
    for (const f of report.findings) {
      out.push(`  [${f.severity}] ${sanitize(f.title)}`);
      for (const e of f.evidence) out.push(`    - ${sanitize(e)}`);
      out.push(`    ${sanitize(f.explanation)}`);
    }
  }

  let types = report.types;
  if (opts.types?.length) {
    const want = new Set(opts.types);
    types = types.filter((t) => want.has(t.type));
  } else {
    const flagged = new Set(report.findings.map((f) => f.subject?.id));
    types = types.filter((t) => t.peakAllocatedBytes >= minBytes || flagged.has(t.type)).slice(0, opts.top ?? 5);
  }

  const spikeRows = report.findings.filter((f) => f.id === 'trend.logplex-pattern').map((f) => f.metrics.spikeIndex);
  const nodeSection = { type: 'node (nine util allocators, recon_alloc memory/1)', points: report.node };
  for (const t of [nodeSection, ...types]) {
    out.push('');
    out.push(`${t.type}`);
    const idx = rowsToShow(t.points.length, opts.maxRows ?? 30, spikeRows);
    if (idx.length < t.points.length) out.push(`  (${idx.length} of ${t.points.length} snapshots shown; --format json has all)`);
    out.push(
      table(
        [{ header: '#', align: 'right' }, { header: 'snapshot', max: 40 }, { header: 'taken at' }, { header: 'allocated', align: 'right' }, { header: 'used', align: 'right' }, { header: 'usage', align: 'right' }],
        idx.map((i) => {
          const p = t.points[i];
          return [i + 1, basename(snaps[i].name), shortTime(snaps[i].takenAt), formatBytes(p.allocatedBytes), formatBytes(p.usedBytes), formatPercent(p.usage)];
        }),
      ),
    );
    out.push('');
    out.push(...charts(t.type, t.points, report, o));
  }
  return out.join('\n');
}
