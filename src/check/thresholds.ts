/**
 * Thresholds: `--warn RULE=VALUE` / `--crit RULE=VALUE` parsed into monitoring-plugin ranges.
 *
 * VALUE is either a plain number, read in the rule's direction (ratio rules: alert below it; counts
 * and shares of a limit: alert above it), or a full plugin range `[@]start:end` (`~` is minus
 * infinity, an empty end plus infinity, a bare `N` means `0:N`; alert outside the range, or inside
 * it with `@`). Percent rules take 0-100, with or without a trailing `%`.
 */
import { UsageError } from '../errors.js';
import { RULES, type RuleDef, type RuleId, ruleById } from './rules.js';

/** A plugin range: alert when the value is outside [start, end] (inside when `inside`). */
export interface Range {
  start: number;
  end: number;
  inside: boolean;
}

export interface Thresholds {
  warn: Range;
  crit: Range;
}

const NUM = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)`;
const RANGE_RE = new RegExp(String.raw`^(@)?(?:(~|${NUM})?:)?(${NUM})?$`);

/** Parses `[@]start:end`; undefined when malformed. */
export function parseRange(text: string): Range | undefined {
  const m = RANGE_RE.exec(text);
  if (!m || text === '' || text === '@') return undefined;
  const [, at, startText, endText] = m;
  const hasColon = text.includes(':');
  if (!hasColon && endText === undefined) return undefined;
  const start = startText === undefined ? 0 : startText === '~' ? -Infinity : Number(startText);
  const end = endText === undefined ? Infinity : Number(endText);
  if (Number.isNaN(start) || Number.isNaN(end) || start > end) return undefined;
  return { start, end, inside: Boolean(at) };
}

/** The plugin text of a range: `50:` (alert below 50), `10000` (alert above 10000), `@10:20`; `scale` multiplies the bounds. */
export function formatRange(r: Range, scale = 1): string {
  const n = (x: number) => String(Number((x * scale).toFixed(6)));
  if (!r.inside && r.start === 0 && r.end !== Infinity) return n(r.end);
  const start = r.start === -Infinity ? '~' : n(r.start);
  const end = r.end === Infinity ? '' : n(r.end);
  return `${r.inside ? '@' : ''}${start}:${end}`;
}

/** True when `value` raises the alert of this range. */
export function alerts(r: Range, value: number): boolean {
  const within = value >= r.start && value <= r.end;
  return r.inside ? within : !within;
}

/** The range a plain threshold means for a rule. */
export function plainRange(rule: RuleDef, value: number): Range {
  return rule.worse === 'lower' ? { start: value, end: Infinity, inside: false } : { start: rule.unit === '%' || value >= 0 ? 0 : -Infinity, end: value, inside: false };
}

/** A readable condition: `< 50%`, `> 10,000`, `outside 10:20`. */
export function describeRange(r: Range, unit: '%' | 'count'): string {
  const u = unit === '%' ? '%' : '';
  const n = (x: number) => (unit === '%' ? `${Number(x.toFixed(2))}${u}` : Math.round(x).toLocaleString('en-US'));
  if (!r.inside && r.end === Infinity && r.start !== -Infinity) return `< ${n(r.start)}`;
  if (!r.inside && (r.start === 0 || r.start === -Infinity) && r.end !== Infinity) return `> ${n(r.end)}`;
  return `${r.inside ? 'inside' : 'outside'} ${formatRange(r)}`;
}

export interface ThresholdArgs {
  warn?: string[];
  crit?: string[];
}

/**
 * Effective thresholds of every rule: defaults, overridden by --warn/--crit. Unknown rules and
 * malformed values are UsageErrors (exit 3 in `check`).
 */
export function resolveThresholds(args: ThresholdArgs): Map<RuleId, Thresholds> {
  const out = new Map<RuleId, Thresholds>();
  for (const r of RULES) out.set(r.id, { warn: plainRange(r, r.defaultWarn), crit: plainRange(r, r.defaultCrit) });
  for (const [level, specs] of [
    ['warn', args.warn ?? []],
    ['crit', args.crit ?? []],
  ] as const) {
    for (const spec of specs) {
      const { rule, range } = parseThresholdSpec(spec, level);
      out.get(rule.id)![level] = range;
    }
  }
  return out;
}

export function parseThresholdSpec(spec: string, level: 'warn' | 'crit'): { rule: RuleDef; range: Range } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`malformed threshold --${level} ${JSON.stringify(spec)}: expected RULE=VALUE, e.g. --${level} usage=40 (rules: ${RULES.map((r) => r.id).join(', ')})`);
  const id = spec.slice(0, eq).trim();
  const rule = ruleById(id);
  if (!rule) throw new UsageError(`unknown rule ${JSON.stringify(id)} in --${level} ${spec}; rules: ${RULES.map((r) => r.id).join(', ')} (see --list-rules)`);
  let text = spec.slice(eq + 1).trim();
  const what = rule.unit === '%' ? 'a percentage 0-100' : 'a count';
  const bad = () =>
    new UsageError(`malformed threshold --${level} ${spec}: ${rule.id} takes ${what} (alert ${rule.worse === 'lower' ? 'below' : 'above'} it) or a plugin range [@]start:end`);
  if (rule.unit === '%' && text.endsWith('%')) text = text.slice(0, -1);
  if (text === '') throw bad();
  if (new RegExp(`^${NUM}$`).test(text)) {
    const v = Number(text);
    if (!Number.isFinite(v) || v < 0 || (rule.unit === '%' && v > 100)) throw bad();
    return { rule, range: plainRange(rule, v) };
  }
  const range = parseRange(text.replace(/%/g, ''));
  if (!range) throw bad();
  return { rule, range };
}

/** --only / --skip, comma-separated and repeatable, into the set of rules to run. */
export function selectRules(only: string[] | undefined, skip: string[] | undefined): Set<RuleId> {
  const split = (xs: string[] | undefined, opt: string): RuleId[] =>
    (xs ?? [])
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter((x) => x !== '')
      .map((x) => {
        if (!ruleById(x)) throw new UsageError(`unknown rule ${JSON.stringify(x)} in --${opt}; rules: ${RULES.map((r) => r.id).join(', ')} (see --list-rules)`);
        return x as RuleId;
      });
  const o = split(only, 'only');
  const s = new Set(split(skip, 'skip'));
  const chosen = new Set<RuleId>((o.length ? o : RULES.map((r) => r.id)).filter((id) => !s.has(id)));
  if (chosen.size === 0) throw new UsageError('--only/--skip leave no rule to check');
  return chosen;
}
