/** `beamscope trend`: snapshots ordered by time, series per allocator type, growth and Logplex findings. */
import type { Finding } from '../findings.js';
import type { LoadedInput } from '../check/input.js';
import { type TrendFindingOptions, trendFindings } from './findings.js';
import { type TrendSeries, buildSeries } from './series.js';

export { buildSeries, orderByTime, type TrendSeries, type TypeSeries, type SeriesPoint, type Snapshot } from './series.js';
export { trendFindings, countChanges, TREND_THRESHOLDS, type TrendFindingOptions, type Changes } from './findings.js';

export interface TrendReport extends TrendSeries {
  /** The version of this JSON shape, the same field in every beamscope JSON output (docs/json.md). */
  schemaVersion: 1;
  /** The older name of the same version, kept for readers written against it. */
  schema: 'beamscope.trend/1';
  findings: Finding[];
  /** Inputs left out (a crash dump without =allocator sections). */
  skipped: string[];
  /** Inputs left out as another form of a snapshot in the series (`X.json` beside `X.snapshot`). */
  twins: Array<{ path: string; of: string }>;
}

export function trendReport(inputs: LoadedInput[], opts: TrendFindingOptions & { twins?: TrendReport['twins'] } = {}): TrendReport {
  const series = buildSeries(inputs);
  return {
    schemaVersion: 1,
    schema: 'beamscope.trend/1',
    ...series,
    findings: trendFindings(series, opts),
    skipped: inputs.filter((i) => !i.model).map((i) => i.name),
    twins: opts.twins ?? [],
  };
}
