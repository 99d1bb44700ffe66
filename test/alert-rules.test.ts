/**
 * The shipped Prometheus rules (monitoring/prometheus/beamscope-rules.yml): `promtool check rules`,
 * and `promtool test rules` on a recorded series, with the expected alerts taken from `check` and
 * `alloc` on the same snapshots (another implementation of the same thresholds than the PromQL).
 *
 * The recorded series is fixtures/trend/series: 23 snapshots of a real OTP 25 node under a spiky
 * binary workload (growth, a 400 MiB spike, remnants after it), put 5 minutes apart. With `for:
 * 10m`, an alert of a given severity fires at snapshot k exactly when check gave that state to the
 * same subject at k-2, k-1 and k. Where check raised a state because of alloc's finding on a type
 * (which the rules leave to the Logplex alert), that alert at that time is not asserted.
 *
 * Skipped with a reason without promtool, except under CI=true.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocReport } from '../src/alloc/report.js';
import { evaluate } from '../src/check/evaluate.js';
import { loadInput } from '../src/check/input.js';
import { resolveThresholds, selectRules } from '../src/check/thresholds.js';
import { nodeMetricsOf } from '../src/exporter/node-metrics.js';
import { renderOpenMetrics } from '../src/report/openmetrics.js';
import { REPO } from './helpers/dumps.js';
import { parseSamples, promtool, runPromtool } from './helpers/openmetrics.js';

const RULES = join(REPO, 'monitoring', 'prometheus', 'beamscope-rules.yml');
const SERIES = join(REPO, 'fixtures', 'trend', 'series');
const STEP_MIN = 5;
const ALERT_OF_RULE: Record<string, string> = { usage: 'BeamAllocatorUsageLow', 'mbcs-usage': 'BeamAllocatorMbcsUsageLow', 'current-vs-max': 'BeamAllocatorUsageBelowPeak' };
const SEVERITY: Record<string, string> = { WARNING: 'warning', CRITICAL: 'critical' };

const tmp = mkdtempSync(join(tmpdir(), 'beamscope-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The rules without their annotations: promtool would otherwise compare every rendered text. */
function rulesWithoutAnnotations(): string {
  const out: string[] = [];
  let skipDeeperThan = -1;
  for (const line of readFileSync(RULES, 'utf8').split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (skipDeeperThan >= 0 && (line.trim() === '' || indent > skipDeeperThan)) continue;
    skipDeeperThan = -1;
    if (line.trim() === 'annotations:') {
      skipDeeperThan = indent;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

interface Snapshot {
  samples: Map<string, { labels: Record<string, string>; value: number }>;
  /** check's states by rule and subject, and whether alloc's finding raised them. */
  states: Map<string, { state: string; raised: boolean }>;
  /** alloc's Logplex findings: allocator -> severity. */
  logplex: Map<string, string>;
}

async function readSnapshot(path: string): Promise<Snapshot> {
  const input = await loadInput(path);
  const check = evaluate([input], { rules: selectRules([], []), thresholds: resolveThresholds({}) });
  const text = renderOpenMetrics(nodeMetricsOf([input], undefined, 'trend'), { perInstance: false });
  const samples = new Map(parseSamples(text).map((s) => [`${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`, s]));
  const states = new Map<string, { state: string; raised: boolean }>();
  for (const m of check.inputs[0].metrics) states.set(`${m.rule}/${m.subject}`, { state: m.state, raised: m.because !== undefined });
  const logplex = new Map<string, string>();
  for (const f of allocReport(input.model!).findings) if (f.id === 'alloc.logplex-pattern') logplex.set(f.subject!.id, f.severity);
  return { samples, states, logplex };
}

describe.skipIf(!runPromtool)('shipped Prometheus rules', () => {
  it('promtool check rules passes', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: on the recorded trend series, the alerts are check\'s and alloc\'s states', async () => {
    const files = readdirSync(SERIES).filter((f) => f.endsWith('.snapshot')).sort();
    expect(files).toHaveLength(23);
    const snaps: Snapshot[] = [];
    for (const f of files) snaps.push(await readSnapshot(join(SERIES, f)));

    // input_series: every series of every snapshot, `_` where a snapshot lacks it.
    const keys = new Set(snaps.flatMap((s) => [...s.samples.keys()]));
    const inputSeries = [...keys].map((k) => ({
      series: k,
      values: snaps.map((s) => (s.samples.has(k) ? String(s.samples.get(k)!.value) : '_')).join(' '),
    }));

    const tests: Array<{ eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }> = [];
    const firing = { mbcs: 0, logplex: 0, total: 0 };
    for (let k = 2; k < snaps.length; k++) {
      const window = [snaps[k - 2], snaps[k - 1], snaps[k]];
      const evalTime = `${k * STEP_MIN}m`;
      for (const [rule, alertname] of Object.entries(ALERT_OF_RULE)) {
        const subjects = new Set(window.flatMap((s) => [...s.states.keys()].filter((x) => x.startsWith(`${rule}/`))));
        if ([...subjects].some((x) => window.some((s) => s.states.get(x)?.raised))) continue;
        const exp: Array<{ exp_labels: Record<string, string> }> = [];
        for (const x of subjects) {
          const st = window.map((s) => s.states.get(x)?.state);
          if (st[0] === undefined || st[0] === 'OK' || st[0] === 'UNKNOWN' || !st.every((v) => v === st[0])) continue;
          const subject = x.slice(rule.length + 1);
          exp.push({ exp_labels: { node: 'trend', ...(subject === 'node' ? {} : { allocator: subject }), severity: SEVERITY[st[0]], check_rule: rule } });
        }
        if (rule === 'mbcs-usage') firing.mbcs += exp.length;
        firing.total += exp.length;
        tests.push({ eval_time: evalTime, alertname, exp_alerts: exp });
      }
      const allocs = new Set(window.flatMap((s) => [...s.logplex.keys()]));
      const exp: Array<{ exp_labels: Record<string, string> }> = [];
      for (const a of allocs) {
        const sev = window.map((s) => s.logplex.get(a));
        if (sev[0] !== undefined && sev.every((v) => v === sev[0])) exp.push({ exp_labels: { node: 'trend', allocator: a, severity: sev[0], check_rule: 'mbcs-usage' } });
      }
      firing.logplex += exp.length;
      tests.push({ eval_time: evalTime, alertname: 'BeamAllocatorLogplexPattern', exp_alerts: exp });
    }
    // The series must make the fragmentation alert fire, or this test shows nothing.
    expect(firing.mbcs, JSON.stringify(firing)).toBeGreaterThan(0);

    const rules = join(tmp, 'rules.yml');
    writeFileSync(rules, rulesWithoutAnnotations());
    const unit = {
      rule_files: [rules],
      evaluation_interval: '1m',
      tests: [{ interval: `${STEP_MIN}m`, input_series: inputSeries, alert_rule_test: tests }],
    };
    // JSON is YAML.
    const unitFile = join(tmp, 'rules.test.yml');
    writeFileSync(unitFile, JSON.stringify(unit, null, 1));
    const r = promtool(['test', 'rules', unitFile]);
    expect(r.code, r.out.slice(0, 4000)).toBe(0);
  }, 120_000);
});
if (!runPromtool) describe.skip('shipped Prometheus rules: promtool is not installed (apt-get install prometheus)', () => it('skipped', () => {}));

describe('shipped Grafana dashboard', () => {
  const DASHBOARD = join(REPO, 'monitoring', 'grafana', 'beamscope-dashboard.json');
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }>; templating: { list: Array<{ name: string; definition?: string }> } };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('queries only series the exporter writes', async () => {
    const inputs = [await loadInput(join(SERIES, 'snap-23.snapshot')), await loadInput(join(REPO, 'fixtures', 'oom.dump'))];
    const check = evaluate(inputs, { rules: selectRules([], []), thresholds: resolveThresholds({}) });
    const nodes = nodeMetricsOf(inputs, check).map((n) => ({ ...n, up: 1 as const, collectSeconds: 1 }));
    const written = new Set(parseSamples(renderOpenMetrics(nodes)).map((s) => s.name));
    const used = new Set([...exprs.map((e) => e.expr), ...dash.templating.list.map((v) => v.definition ?? '')].flatMap((e) => e.match(/\bbeamscope_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(written, name).toContain(name);
  });

  it.skipIf(!runPromtool)('every panel query is valid PromQL (promtool check rules on them as recording rules)', () => {
    const lines = ['groups:', '  - name: dashboard', '    rules:'];
    exprs.forEach((e, i) => lines.push(`      - record: dashboard_query_${i}`, `        expr: ${JSON.stringify(e.expr.replace(/\$node/g, 'n1'))}`));
    const file = join(tmp, 'dashboard-queries.yml');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = promtool(['check', 'rules', file]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});
