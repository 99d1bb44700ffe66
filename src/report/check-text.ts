/** Text output of `beamscope check`: the state first, then each input with every metric and its thresholds. */
import type { CheckResult, State } from '../check/evaluate.js';
import { RULES } from '../check/rules.js';
import { describeRange, plainRange } from '../check/thresholds.js';
import { sanitize, table } from '../text/format.js';
import { summary } from './nagios.js';

const COLOR: Record<State, string> = { OK: '\u001b[32m', WARNING: '\u001b[33m', CRITICAL: '\u001b[31m', UNKNOWN: '\u001b[35m' };

export function renderCheckText(result: CheckResult, opts: { color?: boolean } = {}): string {
  const paint = (s: State, text = s) => (opts.color ? `${COLOR[s]}${text}\u001b[0m` : text);
  const out: string[] = [];
  out.push(`beamscope check: ${paint(result.state)} - ${sanitize(summary(result))}`);
  for (const inp of result.inputs) {
    out.push('');
    out.push(`${sanitize(inp.name)}: ${paint(inp.state)}`);
    if (inp.slogan !== undefined) out.push(`  slogan: ${sanitize(inp.slogan, 200)}`);
    if (inp.metrics.length) {
      const rows = inp.metrics.map((m) => [m.state, m.rule, m.text]);
      const t = table([{ header: 'state' }, { header: 'rule' }, { header: 'measured (thresholds)' }], rows);
      // Colour the state column after alignment so escapes do not break the widths.
      out.push(opts.color ? t.replace(/^( {2})(OK|WARNING|CRITICAL|UNKNOWN)\b/gm, (_, sp: string, s: State) => `${sp}${paint(s)}`) : t);
    }
    for (const n of inp.notChecked) out.push(`  not checked: ${n.rule}: ${n.why}`);
  }
  return out.join('\n');
}

/** `--list-rules`: id, direction, defaults, meaning. */
export function renderRuleList(): string {
  const rows = RULES.map((r) => [
    r.id,
    r.needs === 'dump' ? 'crash dump' : r.needs === 'processes' ? 'dump, procs' : 'allocators',
    r.worse === 'lower' ? 'lower' : 'higher',
    describeRange(plainRange(r, r.defaultWarn), r.unit),
    describeRange(plainRange(r, r.defaultCrit), r.unit),
  ]);
  const out = [
    'Rules of beamscope check (--warn RULE=VALUE, --crit RULE=VALUE, --only, --skip):',
    '',
    table([{ header: 'rule' }, { header: 'input' }, { header: 'worse' }, { header: 'warn' }, { header: 'crit' }], rows),
    '',
  ];
  for (const r of RULES) out.push(`${r.id}: ${r.title}.`, `  ${r.meaning}`);
  out.push('', 'VALUE is a number in the rule\'s unit (percent 0-100 for ratios and shares, a count for mailbox) or a plugin range [@]start:end.');
  return out.join('\n');
}
