/**
 * Evaluation: the selected rules over each loaded input, giving one metric per thing checked (the
 * node, an allocator type, a limit), each with its state; the worst state wins. Pure: no I/O.
 */
import { allocatorFindings, summarizeByType, wasteSeverity } from '../alloc/verdict.js';
import type { AllocatorModel } from '../alloc/model.js';
import { formatBytes } from '../text/format.js';
import type { LoadedInput } from './input.js';
import { inputKind, inputStem } from './input-facts.js';
import type { CheckRule, Grading, Metric, MetricDraft, State } from './metric.js';
import { currentVsMaxRule } from './rule-current-vs-max.js';
import { atomsRule, portsRule, processesRule } from './rule-limits.js';
import { mailboxRule } from './rule-mailbox.js';
import { mbcsUsageRule } from './rule-mbcs-usage.js';
import { msegHitRateRule } from './rule-mseg-hit-rate.js';
import { usageRule } from './rule-usage.js';
import { DEFAULT_MIN_MSEG_CALLS, DEFAULT_MIN_TYPE_BYTES, RULES, type RuleDef, type RuleId } from './rules.js';
import { type Thresholds, alerts, describeRange, resolveThresholds } from './thresholds.js';

export type { Metric, State } from './metric.js';

/** Each rule's file (src/check/rule-*.ts); RULES (rules.ts) gives the order they run in. */
const CHECK_RULES: Record<RuleId, CheckRule> = {
  usage: usageRule,
  'mbcs-usage': mbcsUsageRule,
  'current-vs-max': currentVsMaxRule,
  'mseg-hit-rate': msegHitRateRule,
  mailbox: mailboxRule,
  processes: processesRule,
  ports: portsRule,
  atoms: atomsRule,
};

/** Plugin exit codes. */
export const EXIT_CODE: Record<State, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/**
 * "Worst state wins", in the order monitoring-plugins' max_state_alt uses: a CRITICAL is not hidden
 * by an UNKNOWN elsewhere.
 */
const RANK: Record<State, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

export function worstState(states: State[]): State {
  return states.reduce<State>((w, s) => (RANK[s] > RANK[w] ? s : w), 'OK');
}

export interface InputResult {
  name: string;
  kind: LoadedInput['kind'];
  state: State;
  metrics: Metric[];
  /** Selected rules that could not be evaluated on this input, and why. */
  notChecked: Array<{ rule: RuleId; why: string }>;
  /** A crash dump's slogan: why the node wrote it (the thresholds do not judge it; `triage` does). */
  slogan?: string;
}

export interface CheckResult {
  /** The version of this JSON shape, the same field in every beamscope JSON output (docs/json.md). */
  schemaVersion: 1;
  /** The older name of the same version, kept for readers written against it. */
  schema: 'beamscope.check/1';
  state: State;
  exitCode: number;
  inputs: InputResult[];
  /** Effective thresholds of the selected rules. */
  rules: Array<{ id: RuleId; warn: string; crit: string }>;
}

export interface CheckOptions {
  rules: Set<RuleId>;
  thresholds: Map<RuleId, Thresholds>;
  minTypeBytes?: number;
  minMsegCalls?: number;
}

function stateOf(t: Thresholds, v: number): State {
  if (!Number.isFinite(v)) return 'UNKNOWN';
  if (alerts(t.crit, v)) return 'CRITICAL';
  if (alerts(t.warn, v)) return 'WARNING';
  return 'OK';
}

const STATE_OF_SEVERITY: Record<string, State> = { critical: 'CRITICAL', warning: 'WARNING', info: 'OK' };
/** alloc's findings on an allocator type that check's allocator rules follow, in a few words. */
const FINDING_WORDS: Record<string, string> = {
  'alloc.logplex-pattern': 'carriers kept alive by remnants of a peak',
  'alloc.fragmented': 'carriers mostly unused',
  'alloc.sbcs-unused': 'unused memory in single-block carriers',
};
const DEFAULTS = resolveThresholds({});

/**
 * The node's carrier bytes and alloc's findings by allocator type: the same scale and the same
 * verdicts as `beamscope alloc` on this input.
 */
function allocatorView(model: AllocatorModel): { allCarriers: number; findingOn: Map<string, { severity: string; id: string }> } {
  const allCarriers = summarizeByType(model).reduce((n, x) => n + x.carriersBytes, 0);
  const findingOn = new Map<string, { severity: string; id: string }>();
  for (const f of allocatorFindings(model)) {
    if (f.subject?.kind !== 'allocator' || !(f.id in FINDING_WORDS)) continue;
    const prev = findingOn.get(f.subject.id);
    if (!prev || RANK[STATE_OF_SEVERITY[f.severity]] > RANK[STATE_OF_SEVERITY[prev.severity]]) findingOn.set(f.subject.id, { severity: f.severity, id: f.id });
  }
  return { allCarriers, findingOn };
}
const NO_VIEW = { allCarriers: 0, findingOn: new Map<string, { severity: string; id: string }>() };

/** True when a rule's thresholds are its defaults (the user did not set --warn/--crit for it). */
function isDefault(rule: RuleId, t: Thresholds): boolean {
  return JSON.stringify(t) === JSON.stringify(DEFAULTS.get(rule));
}

function condition(rule: RuleDef, t: Thresholds): string {
  return `warn ${describeRange(t.warn, rule.unit)}, crit ${describeRange(t.crit, rule.unit)}`;
}

/** Evaluates one input; `prefix` goes in front of its perfdata labels (several inputs). */
export function evaluateInput(input: LoadedInput, opts: CheckOptions, prefix = ''): InputResult {
  const metrics: Metric[] = [];
  const notChecked: InputResult['notChecked'] = [];
  const minType = opts.minTypeBytes ?? DEFAULT_MIN_TYPE_BYTES;
  const minCalls = opts.minMsegCalls ?? DEFAULT_MIN_MSEG_CALLS;
  const label = (l: string) => `${prefix}${l}`;

  let allocView: ReturnType<typeof allocatorView> | undefined;
  for (const rule of RULES) {
    if (!opts.rules.has(rule.id)) continue;
    const t = opts.thresholds.get(rule.id)!;
    /** The thresholds' state, bounded as Grading says (src/check/metric.ts). */
    const add = (m: MetricDraft, how: Grading = {}) => {
      const { waste, finding, capAt } = how;
      let state: State = m.notJudged ? 'OK' : stateOf(t, m.value);
      let cond = m.notJudged ? `not judged: ${m.notJudged}` : condition(rule, t);
      const cap = capAt ?? (waste ? STATE_OF_SEVERITY[wasteSeverity(waste.unusedBytes, waste.allBytes) ?? 'info'] : undefined);
      if (cap && !m.notJudged && state !== 'UNKNOWN' && isDefault(rule.id, t) && RANK[cap] < RANK[state]) {
        state = cap;
        cond += waste
          ? `; ${formatBytes(waste.unusedBytes)} unused is ${cap === 'OK' ? 'not worth an alert' : `at most ${cap}`} (alloc's scale)`
          : `; at most ${cap} with the default thresholds, as in alloc`;
      }
      const raised = finding ? STATE_OF_SEVERITY[finding.severity] : undefined;
      let because: string | undefined;
      if (!m.notJudged && state !== 'UNKNOWN' && raised && RANK[raised] > RANK[state]) {
        state = raised;
        because = `alloc: ${FINDING_WORDS[finding!.id]}`;
        cond += `; ${because} [${finding!.id}]`;
      }
      metrics.push({ rule: rule.id, unit: rule.unit, state, warn: t.warn, crit: t.crit, ...m, ...(because ? { because } : {}), text: `${m.text} (${cond})` });
    };
    if (rule.needs === 'allocators' && !input.model) {
      notChecked.push({ rule: rule.id, why: input.kind === 'crash-dump' ? 'the crash dump has no =allocator sections' : 'a process snapshot has no allocator statistics' });
      continue;
    }
    if (rule.needs === 'dump' && input.kind !== 'crash-dump') {
      notChecked.push({ rule: rule.id, why: 'needs a crash dump' });
      continue;
    }
    if (rule.needs === 'processes' && !input.dump) {
      notChecked.push({ rule: rule.id, why: 'needs a crash dump or a process snapshot' });
      continue;
    }
    const model = input.model!;
    const { allCarriers, findingOn } = rule.needs === 'allocators' ? (allocView ??= allocatorView(model)) : NO_VIEW;
    const ctx = { input, model, minTypeBytes: minType, minMsegCalls: minCalls, label, allCarriers, findingOn };
    for (const m of CHECK_RULES[rule.id].evaluate(ctx)) {
      if ('notChecked' in m) notChecked.push({ rule: rule.id, why: m.notChecked });
      else add(m.metric, m.how);
    }
  }
  const state = metrics.length === 0 ? 'UNKNOWN' : worstState(metrics.map((m) => m.state));
  return { name: input.name, kind: input.kind, state, metrics, notChecked, ...(input.dump?.slogan !== undefined ? { slogan: input.dump.slogan } : {}) };
}

/** Evaluates every input; the worst state wins. */
export function evaluate(inputs: LoadedInput[], opts: CheckOptions): CheckResult {
  const several = inputs.length > 1;
  // Perfdata labels must be the same at every run, or a graphing tool starts a new series each
  // time: the node's name when the input says it (collect's files are named after the time they
  // were taken), else the file name without its extension.
  const stems = inputs.map((i) => (i.node ? `${i.node}:${inputKind(i.name)}` : inputStem(i.name)).replace(/[\s'=|]+/g, '_'));
  const results = inputs.map((inp, n) => {
    const stem = stems[n];
    const dup = stems.filter((s) => s === stem).length > 1;
    const prefix = several ? `${dup ? `${stem}#${n + 1}` : stem}:` : '';
    return evaluateInput(inp, opts, prefix);
  });
  const state = worstState(results.map((r) => r.state));
  return {
    schemaVersion: 1,
    schema: 'beamscope.check/1',
    state,
    exitCode: EXIT_CODE[state],
    inputs: results,
    rules: RULES.filter((r) => opts.rules.has(r.id)).map((r) => {
      const t = opts.thresholds.get(r.id)!;
      return { id: r.id, warn: describeRange(t.warn, r.unit), crit: describeRange(t.crit, r.unit) };
    }),
  };
}

/** The metrics that are not OK, worst first, across inputs. */
export function problems(result: CheckResult): Array<{ input: string; metric: Metric }> {
  const out = result.inputs.flatMap((i) => i.metrics.filter((m) => m.state !== 'OK').map((metric) => ({ input: i.name, metric })));
  return out.sort((a, b) => RANK[b.metric.state] - RANK[a.metric.state]);
}
