/**
 * Monitoring-plugin output of `beamscope check` (Nagios 3+ multi-line plugin API, reference
 * peers-and-node-practice.md 3.5):
 *
 *   BEAMSCOPE <STATE> - <summary> | <perfdata>
 *   <details, one line each>
 *   <last detail line> | <more perfdata>
 *   <more perfdata>
 *
 * Perfdata items are `'label'=value[UOM];warn;crit;min;max` with plugin ranges. The first line stays
 * under 1 KB (older NRPE agents cut there) and the whole output under 4 KB: problem lines first,
 * then perfdata, then the lines of things that are OK; what does not fit is counted in a last line.
 */
import type { CheckResult, Metric, State } from '../check/evaluate.js';
import { problems } from '../check/evaluate.js';
import { describeRange, formatRange } from '../check/thresholds.js';
import { basename } from 'node:path';

export interface NagiosOptions {
  /** Bytes of the first line, perfdata included (default 1000). */
  firstLineMax?: number;
  /** Bytes of the whole output (default 4000). */
  totalMax?: number;
}

const SERVICE = 'BEAMSCOPE';

/** Plugin text never holds `|` (it starts perfdata) nor control characters. */
export function pluginText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\|/g, '/').replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

function num(x: number, digits: number): string {
  if (!Number.isFinite(x)) return 'U';
  // No exponent notation: perfdata values are [-0-9.].
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** One perfdata item: `'label'=value[UOM];warn;crit;min;max`, trailing empty fields dropped. */
export function perfItem(m: Metric): string {
  const label = `'${m.label.replace(/'/g, "''")}'`;
  const p = m.perf;
  const digits = p.uom === '%' ? 2 : 0;
  const fields = [
    `${num(p.value, digits)}${p.uom}`,
    formatRange(m.warn, p.scale),
    formatRange(m.crit, p.scale),
    p.min === undefined ? '' : num(p.min, digits),
    p.max === undefined ? '' : num(p.max, digits),
  ];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${label}=${fields.join(';')}`;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Cuts `s` to at most `max` bytes, ending in `...` when cut. */
function cut(s: string, max: number): string {
  if (bytes(s) <= max) return s;
  let out = s;
  while (bytes(out) > max - 3 && out.length > 0) out = out.slice(0, -1);
  return `${out}...`;
}

export function summary(result: CheckResult): string {
  const probs = problems(result);
  const several = result.inputs.length > 1;
  if (probs.length === 0) {
    const n = result.inputs.reduce((s, i) => s + i.metrics.length, 0);
    const usage = result.inputs.length === 1 ? result.inputs[0].metrics.find((m) => m.rule === 'usage') : undefined;
    if (n === 0) return `no selected rule applies to ${several ? `these ${result.inputs.length} inputs` : result.inputs[0]?.name ?? 'the input'}`;
    return `${n} check${n === 1 ? '' : 's'} OK on ${result.inputs.length} input${several ? 's' : ''}${usage ? ` (allocator usage ${num(usage.value, 1)}%)` : ''}`;
  }
  const describe = ({ input, metric }: (typeof probs)[number]) => {
    const level = metric.state === 'CRITICAL' ? `crit ${describeRange(metric.crit, metric.unit)}` : metric.state === 'WARNING' ? `warn ${describeRange(metric.warn, metric.unit)}` : 'not a number';
    return `${several ? `${basename(input)}: ` : ''}${metric.short} (${metric.because ?? level})`;
  };
  const badInputs = result.inputs.filter((i) => i.state !== 'OK').length;
  if (several && badInputs > 1) {
    // Many inputs: how many are in which state, then the worst problem.
    const order: State[] = ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK'];
    const counts = order.map((st) => [st, result.inputs.filter((i) => i.state === st).length] as const).filter(([, n]) => n > 0);
    return `${result.inputs.length} inputs: ${counts.map(([st, n]) => `${n} ${st}`).join(', ')}; worst: ${describe(probs[0])}`;
  }
  const parts = probs.slice(0, 2).map(describe);
  const more = probs.length - parts.length;
  return `${parts.join('; ')}${more > 0 ? `; +${more} more` : ''}`;
}

/** The one line of an UNKNOWN that stopped the check (bad arguments, unreadable input). */
export function renderNagiosUnknown(message: string): string {
  return cut(`${SERVICE} UNKNOWN - ${pluginText(message)}`, 1000);
}

interface Line {
  text: string;
  /** 0 input header, 1 problem detail, 3 OK detail, 4 not checked. */
  prio: number;
  order: number;
  /** The input it belongs to: a detail line is shown only under its input's header. */
  group: number;
}

export function renderNagios(result: CheckResult, opts: NagiosOptions = {}): string {
  const firstMax = opts.firstLineMax ?? 1000;
  const totalMax = opts.totalMax ?? 4000;
  const state: State = result.state;

  // Perfdata: the problems' first, then the rest in input order.
  const all = result.inputs.flatMap((i) => i.metrics);
  const rank: Record<State, number> = { CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3 };
  const perf = [...all].sort((a, b) => rank[a.state] - rank[b.state]).map(perfItem);

  const head = cut(`${SERVICE} ${state} - ${pluginText(summary(result))}`, Math.min(400, firstMax - 40));
  let first = head;
  let used = 0;
  for (const item of perf) {
    const next = `${first}${used === 0 ? ' | ' : ' '}${item}`;
    if (bytes(next) > firstMax) break;
    first = next;
    used++;
  }
  const restPerf = perf.slice(used);

  // Details: one block per input.
  const lines: Line[] = [];
  let order = 0;
  result.inputs.forEach((inp, group) => {
    lines.push({ text: pluginText(`${inp.name}: ${inp.state} (${kindName(inp.kind)})`), prio: 0, order: order++, group });
    if (inp.slogan !== undefined) lines.push({ text: pluginText(`  slogan: ${inp.slogan.slice(0, 200)}`), prio: 2, order: order++, group });
    const sorted = [...inp.metrics].sort((a, b) => rank[a.state] - rank[b.state]);
    for (const m of sorted) lines.push({ text: pluginText(`  ${m.state}: ${m.text}`), prio: m.state === 'OK' ? 3 : 1, order: order++, group });
    if (inp.notChecked.length) {
      lines.push({ text: pluginText(`  not checked: ${inp.notChecked.map((n) => `${n.rule} (${n.why})`).join('; ')}`), prio: 4, order: order++, group });
    }
  });

  // Fit: first line, then by priority; perfdata comes after problem lines.
  const noteRoom = 140;
  let budget = totalMax - bytes(first) - 1 - noteRoom;
  const keep = new Set<Line>();
  const headed = new Set<number>();
  const take = (l: Line) => {
    const cost = bytes(l.text) + 1;
    if (l.prio > 0 && !headed.has(l.group)) return false;
    if (cost > budget) return false;
    if (l.prio === 0) headed.add(l.group);
    budget -= cost;
    keep.add(l);
    return true;
  };
  // Worst inputs first, so that what is cut is the OK ones.
  const groupRank = (g: number) => rank[result.inputs[g].state];
  for (const l of lines.filter((x) => x.prio <= 1).sort((a, b) => groupRank(a.group) - groupRank(b.group) || a.order - b.order)) take(l);
  const keptPerf: string[] = [];
  for (const item of restPerf) {
    const cost = bytes(item) + 1;
    if (cost > budget) break;
    budget -= cost;
    keptPerf.push(item);
  }
  for (const l of lines.filter((x) => x.prio > 1).sort((a, b) => a.prio - b.prio || a.order - b.order)) take(l);

  const shown = () => lines.filter((l) => keep.has(l)).map((l) => l.text);
  let detailLines = shown();
  // The budget above is an estimate (joins, wrapping); the guard below makes the limit exact.
  let text = compose(first, detailLines, keptPerf, lines.length, restPerf.length, totalMax);
  while (bytes(text) + 1 > totalMax && (keptPerf.length > 0 || detailLines.length > 0)) {
    if (keptPerf.length > 0) keptPerf.pop();
    else {
      // Drop the least important line still shown (with its input's lines if it is a header).
      const least = [...keep].sort((a, b) => b.prio - a.prio || b.order - a.order)[0];
      for (const l of [...keep]) if (l === least || (least.prio === 0 && l.group === least.group)) keep.delete(l);
      detailLines = shown();
    }
    text = compose(first, detailLines, keptPerf, lines.length, restPerf.length, totalMax);
  }
  return text;
}

function compose(first: string, detailLines: string[], keptPerf: string[], allLines: number, allPerf: number, totalMax: number): string {
  const details = [...detailLines];
  const cutLines = allLines - detailLines.length;
  const cutPerf = allPerf - keptPerf.length;
  if (cutLines > 0 || cutPerf > 0) {
    const what = [cutLines ? `${cutLines} detail line${cutLines === 1 ? '' : 's'}` : '', cutPerf ? `${cutPerf} perfdata item${cutPerf === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
    details.push(`(${what} left out to stay under ${Math.round(totalMax / 1000)} KB; --format text or json shows all)`);
  }
  const out = [first];
  if (keptPerf.length === 0) out.push(...details);
  else {
    // The last detail line carries ` | ` and the first part of the rest; continuation lines carry the others.
    const perfLines: string[] = [];
    let cur = '';
    for (const item of keptPerf) {
      if (cur && bytes(cur) + 1 + bytes(item) > 300) {
        perfLines.push(cur);
        cur = item;
      } else cur = cur ? `${cur} ${item}` : item;
    }
    if (cur) perfLines.push(cur);
    const lastText = details.pop() ?? '';
    out.push(...details, `${lastText} | ${perfLines[0]}`, ...perfLines.slice(1));
  }
  return out.join('\n');
}

function kindName(kind: string): string {
  return kind === 'crash-dump' ? 'crash dump' : kind === 'process-snapshot' ? 'process snapshot' : kind === 'json' ? 'JSON allocator snapshot' : 'allocator snapshot';
}
