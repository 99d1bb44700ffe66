/**
 * Charts: a spec (labels and series, JSON) goes into the page's data block and the page script
 * (client.ts) draws it with Chart.js on a canvas. Labels from a dump reach the canvas as text
 * drawn by Chart.js, never as markup.
 */
import { html, type Html } from './escape.js';

export interface ChartSeries {
  label: string;
  /** One value per label; null for a gap. */
  values: Array<number | null>;
}

export interface ChartSpec {
  /** The canvas's element id (letters, digits, dashes). */
  id: string;
  title: string;
  /** bar: vertical bars; hbar: horizontal bars; stacked/hstacked: the series stacked; line: over time. */
  kind: 'bar' | 'hbar' | 'stacked' | 'hstacked' | 'line';
  labels: string[];
  series: ChartSeries[];
  /** How the value axis and tooltips print the numbers. */
  unit: 'bytes' | 'count' | 'percent';
  /** A taller box (many bars). */
  tall?: boolean;
}

/** The figure a chart is drawn in; the spec itself goes into the page's data (renderPage's `charts`). */
export function chartFigure(spec: ChartSpec, caption?: Html): Html {
  return html`<figure class="chart"><figcaption>${spec.title}</figcaption><div class="chart-box${spec.tall ? ' tall' : ''}"><canvas id="${spec.id}" data-chart="${spec.id}" role="img" aria-label="${spec.title}"></canvas></div>${caption ?? ''}</figure>`;
}
