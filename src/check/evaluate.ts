/**
 * Evaluation: the selected rules over each loaded input, giving one metric per thing checked (the
 * node, an allocator type, a limit), each with its state; the worst state wins. Pure: no I/O.
 */
import { cacheHitRates, containerValue, reconMemory } from '../alloc/recon.js';
import { allocatorFindings, summarizeByType, wasteSeverity } from '../alloc/verdict.js';
import type { AllocatorModel } from '../alloc/model.js';
import { countOf, formatBytes, formatCount } from '../text/format.js';
import type { LoadedInput } from './input.js';
import { inputKind, inputStem } from './input.js';
import { DEFAULT_MIN_MSEG_CALLS, DEFAULT_MIN_TYPE_BYTES, RULES, type RuleDef, type RuleId } from './rules.js';
import { type Range, type Thresholds, alerts, describeRange, resolveThresholds } from './thresholds.js';

export type State = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

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

const pct = (x: number) => `${(Math.round(x * 10) / 10).toFixed(1)}%`;

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

/** Per type: current mbcs usage (with the pool, as recon's current) and max mbcs usage. */
function mbcsByType(model: AllocatorModel): Array<{ type: string; carriers: number; blocks: number; maxCarriers: number; maxBlocks: number }> {
  const by = new Map<string, { type: string; carriers: number; blocks: number; maxCarriers: number; maxBlocks: number }>();
  for (const i of model.allocators) {
    if (!i.enabled || !i.mbcs) continue;
    const t = by.get(i.allocator) ?? { type: i.allocator, carriers: 0, blocks: 0, maxCarriers: 0, maxBlocks: 0 };
    t.carriers += containerValue(i, 'current', 'mbcs', 'carriersBytes');
    t.blocks += containerValue(i, 'current', 'mbcs', 'blocksBytes');
    t.maxCarriers += containerValue(i, 'max', 'mbcs', 'carriersBytes');
    t.maxBlocks += containerValue(i, 'max', 'mbcs', 'blocksBytes');
    by.set(i.allocator, t);
  }
  return [...by.values()];
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
    /**
     * With the default thresholds the state is capped, as alloc grades the same thing: by `waste`
     * (the unused carrier bytes the metric is about, and all carrier bytes of the node: a few MiB
     * never page anyone), or at `capAt`. `finding`: alloc's finding on the same subject, whose
     * severity the state never falls below, so that check and alloc say the same of one input.
     */
    const add = (m: Omit<Metric, 'rule' | 'unit' | 'state' | 'warn' | 'crit'>,
      how: { waste?: { unusedBytes: number; allBytes: number }; finding?: { severity: string; id: string }; capAt?: State } = {}) => {
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
    switch (rule.id) {
      case 'usage': {
        const m = reconMemory(model);
        if (!(m.allocated > 0)) {
          notChecked.push({ rule: rule.id, why: 'no carrier memory in the nine util allocators' });
          break;
        }
        // A small node is judged only when the unused carrier memory is worth a page.
        const unused = m.allocated - m.used;
        add({
          subject: 'node',
          label: label('usage'),
          value: m.usage * 100,
          perf: { value: m.usage * 100, uom: '%', scale: 1, min: 0, max: 100 },
          text: `allocator usage ${pct(m.usage * 100)}: ${formatBytes(m.used)} used of ${formatBytes(m.allocated)} allocated`,
          short: `allocator usage ${pct(m.usage * 100)}`,
          ...(unused < minType ? { notJudged: `only ${formatBytes(unused)} unused, less than --min-type-bytes ${formatBytes(minType)}` } : {}),
        }, { waste: { unusedBytes: unused, allBytes: allCarriers } });
        break;
      }
      case 'mbcs-usage':
      case 'current-vs-max': {
        const types = mbcsByType(model).filter((x) => x.carriers >= minType);
        if (types.length === 0) {
          notChecked.push({ rule: rule.id, why: `no allocator type has ${formatBytes(minType)} of multiblock carriers (--min-type-bytes)` });
          break;
        }
        for (const x of types.sort((a, b) => b.carriers - a.carriers)) {
          const cur = x.carriers > 0 ? x.blocks / x.carriers : 1;
          // As alloc: a type is judged when its unused bytes, not its carriers, are worth a look.
          const unused = x.carriers - x.blocks;
          const small = unused < minType ? { notJudged: `only ${formatBytes(unused)} of its carriers unused, less than --min-type-bytes ${formatBytes(minType)}` } : {};
          const waste = { unusedBytes: unused, allBytes: allCarriers };
          if (rule.id === 'mbcs-usage') {
            add({
              subject: x.type,
              label: label(`${x.type}_mbcs`),
              value: cur * 100,
              perf: { value: cur * 100, uom: '%', scale: 1, min: 0, max: 100 },
              text: `${x.type} mbcs usage ${pct(cur * 100)}: ${formatBytes(x.blocks)} of ${formatBytes(x.carriers)} carriers`,
              short: `${x.type} mbcs usage ${pct(cur * 100)}`,
              ...small,
            }, { waste, finding: findingOn.get(x.type) });
          } else {
            const max = x.maxCarriers > 0 ? x.maxBlocks / x.maxCarriers : 1;
            const share = max > 0 ? Math.min(cur / max, 10) : 1;
            add({
              subject: x.type,
              label: label(`${x.type}_cur_of_max`),
              value: share * 100,
              perf: { value: share * 100, uom: '%', scale: 1, min: 0 },
              text: `${x.type} mbcs usage ${pct(cur * 100)} now against ${pct(max * 100)} at peak (${pct(share * 100)} of it)`,
              short: `${x.type} usage ${pct(share * 100)} of peak`,
              ...small,
            }, { waste, finding: findingOn.get(x.type) });
          }
        }
        break;
      }
      case 'mseg-hit-rate': {
        const rates = cacheHitRates(model);
        if (rates.length === 0) {
          notChecked.push({ rule: rule.id, why: 'no mseg_alloc statistics' });
          break;
        }
        // Per instance, as alloc judges it: each instance's cache serves its own scheduler, and a
        // sum over instances hides one that misses everything (or flags one with a handful of calls).
        const judged = rates.filter((r) => r.calls >= minCalls);
        if (judged.length === 0) {
          notChecked.push({ rule: rule.id, why: `no mseg_alloc instance has ${formatCount(minCalls)} calls (--min-mseg-calls; most: ${formatCount(Math.max(...rates.map((r) => r.calls)))})` });
          break;
        }
        const worst = [...judged].sort((a, b) => a.hit_rate - b.hit_rate)[0];
        const rate = worst.hit_rate;
        add({
          subject: `mseg_alloc[${worst.instance}]`,
          label: label('mseg_hit_rate'),
          value: rate * 100,
          perf: { value: rate * 100, uom: '%', scale: 1, min: 0, max: 100 },
          text: `mseg cache hit rate ${pct(rate * 100)} in mseg_alloc[${worst.instance}] (${formatCount(worst.hits)} hits in ${formatCount(worst.calls)} calls; the lowest of ${countOf(judged.length, 'instance')} with ${formatCount(minCalls)} calls or more)`,
          short: `mseg cache hit rate ${pct(rate * 100)}`,
        }, { capAt: 'WARNING' });
        break;
      }
      case 'mailbox': {
        const mb = input.dump!.largestMailbox;
        if (!mb) {
          notChecked.push({ rule: rule.id, why: input.kind === 'crash-dump' ? 'the dump lists no process' : 'no process record has messageQueueLen' });
          break;
        }
        add({
          subject: mb.pid,
          label: label('mailbox_max'),
          value: mb.messages,
          perf: { value: mb.messages, uom: '', scale: 1, min: 0 },
          text: `largest mailbox ${countOf(mb.messages, 'message')}: ${mb.pid}${mb.name ? ` (${mb.name})` : ''}`,
          short: `mailbox ${countOf(mb.messages, 'message')} (${mb.name ?? mb.pid})`,
        });
        break;
      }
      case 'processes':
      case 'ports':
      case 'atoms': {
        const u = input.dump!.limits.find((l) => l.id === rule.id);
        if (!u || u.limit === undefined || !(u.limit > 0)) {
          notChecked.push({ rule: rule.id, why: `the input does not say the ${rule.id} limit` });
          break;
        }
        const share = (u.count / u.limit) * 100;
        add({
          subject: rule.id,
          label: label(rule.id),
          value: share,
          perf: { value: u.count, uom: '', scale: u.limit / 100, min: 0, max: u.limit },
          text: `${rule.id} ${formatCount(u.count)} of ${formatCount(u.limit)} (${pct(share)})${u.limitSource === 'default' ? ', limit assumed: the VM default' : ''}`,
          short: `${rule.id} ${pct(share)} of limit`,
        });
        break;
      }
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
