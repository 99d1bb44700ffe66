/**
 * What a check rule gives (src/check/rule-*.ts, on the contract of src/rules/rule.ts): a metric
 * draft for each thing it checked, with how alloc's scale bounds its state, or why the rule could
 * not be checked on this input. evaluate.ts turns drafts into metrics with a state.
 */
import type { AllocatorModel } from '../alloc/model.js';
import type { Rule } from '../rules/rule.js';
import type { LoadedInput } from './input.js';
import type { Range } from './thresholds.js';
import type { RuleId } from './rules.js';

export type State = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export interface Metric {
  rule: RuleId;
  /** What the metric is about: `node`, `binary_alloc`, `mseg_alloc`, a pid. */
  subject: string;
  /** Perfdata label (prefixed with the input's stem when there are several inputs). */
  label: string;
  /** The value the thresholds apply to (percent for % rules). */
  value: number;
  unit: '%' | 'count';
  state: State;
  warn: Range;
  crit: Range;
  /** Perfdata: value, thresholds, min and max as written (limit rules report counts, thresholds scaled). */
  perf: { value: number; uom: '' | '%'; scale: number; min?: number; max?: number };
  /** One line for people, without the state. */
  text: string;
  /** A few words for the first plugin line: `binary_alloc mbcs usage 11.3%`. */
  short: string;
  /** Why the value was not judged (state OK whatever the thresholds say). */
  notJudged?: string;
  /** When the state is not the thresholds' (alloc's finding on the subject raised it): why, in a few words. */
  because?: string;
}

/** A metric before the thresholds judge it. */
export type MetricDraft = Omit<Metric, 'rule' | 'unit' | 'state' | 'warn' | 'crit'>;

/**
 * With the default thresholds the state is capped, as alloc grades the same thing: by `waste`
 * (the unused carrier bytes the metric is about, and all carrier bytes of the node: a few MiB
 * never page anyone), or at `capAt`. `finding`: alloc's finding on the same subject, whose
 * severity the state never falls below, so that check and alloc say the same of one input.
 */
export interface Grading {
  waste?: { unusedBytes: number; allBytes: number };
  finding?: { severity: string; id: string };
  capAt?: State;
}

export type Measurement = { metric: MetricDraft; how?: Grading } | { notChecked: string };

/** What a check rule reads: the input, the options, and alloc's view of its allocators. */
export interface CheckContext {
  input: LoadedInput;
  /** The allocator model (rules that need allocators are run only when there is one). */
  model: AllocatorModel;
  /** --min-type-bytes, --min-mseg-calls. */
  minTypeBytes: number;
  minMsegCalls: number;
  /** The perfdata label with the input's prefix. */
  label: (l: string) => string;
  /** All carrier bytes of the node, and alloc's findings by allocator type (allocator rules only). */
  allCarriers: number;
  findingOn: Map<string, { severity: string; id: string }>;
}

export type CheckRule = Rule<CheckContext, Measurement> & { id: RuleId };

/** A percentage with one decimal, as every check line writes it. */
export const pct = (x: number) => `${(Math.round(x * 10) / 10).toFixed(1)}%`;
