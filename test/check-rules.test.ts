/**
 * check's building blocks: plugin ranges (the table of reference peers-and-node-practice.md 3.5),
 * --warn/--crit parsing, rule selection, perfdata items, the output budgets.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { alerts, formatRange, parseRange, parseThresholdSpec, resolveThresholds, selectRules } from '../src/check/thresholds.js';
import { RULES } from '../src/check/rules.js';
import { evaluate, worstState } from '../src/check/evaluate.js';
import { perfItem, renderNagios } from '../src/report/nagios.js';
import type { LoadedInput } from '../src/check/input.js';
import { contentTime } from '../src/check/input-facts.js';
import { parseByteSize } from '../src/check/size.js';
import { join } from 'node:path';
import { ORACLE_DIR, haveShared } from './helpers/shared.js';

describe('plugin ranges', () => {
  // The reference's table: range -> alert if x ...
  const table: Array<[string, number[], number[]]> = [
    ['10', [-1, 11, 10.5], [0, 5, 10]],
    ['10:', [9.99, -3], [10, 11, 1e9]],
    ['~:10', [10.01, 11], [-1e9, 0, 10]],
    ['10:20', [9, 21], [10, 15, 20]],
    ['@10:20', [10, 15, 20], [9, 21]],
  ];
  for (const [text, alerting, quiet] of table) {
    it(`${text} alerts on ${alerting.join(', ')} and not on ${quiet.join(', ')}`, () => {
      const r = parseRange(text)!;
      expect(r).toBeDefined();
      for (const x of alerting) expect(alerts(r, x), `${text} ${x}`).toBe(true);
      for (const x of quiet) expect(alerts(r, x), `${text} ${x}`).toBe(false);
      expect(formatRange(r)).toBe(text);
    });
  }
  it('rejects what is not a range', () => {
    for (const bad of ['', '@', 'abc', '20:10', '1:2:3', '--5', '5%x']) expect(parseRange(bad), bad).toBeUndefined();
  });
});

describe('--warn/--crit', () => {
  it('a plain value reads in the rule direction: ratios alert below, counts and shares above', () => {
    expect(formatRange(parseThresholdSpec('usage=40', 'warn').range)).toBe('40:');
    expect(formatRange(parseThresholdSpec('usage=40%', 'warn').range)).toBe('40:');
    expect(formatRange(parseThresholdSpec('mailbox=5000', 'crit').range)).toBe('5000');
    expect(formatRange(parseThresholdSpec('atoms=90', 'crit').range)).toBe('90');
    expect(formatRange(parseThresholdSpec('mbcs-usage=@0:10', 'crit').range)).toBe('@0:10');
  });
  it('defaults come from the rule table, overrides replace one level', () => {
    const t = resolveThresholds({ warn: ['usage=70'] });
    expect(formatRange(t.get('usage')!.warn)).toBe('70:');
    expect(formatRange(t.get('usage')!.crit)).toBe(`${RULES.find((r) => r.id === 'usage')!.defaultCrit}:`);
  });
  it('unknown rules and malformed values are usage errors naming the problem', () => {
    expect(() => parseThresholdSpec('bogus=3', 'warn')).toThrow(/unknown rule "bogus"/);
    expect(() => parseThresholdSpec('usage', 'warn')).toThrow(/malformed threshold --warn "usage"/);
    expect(() => parseThresholdSpec('usage=abc', 'crit')).toThrow(/malformed threshold --crit usage=abc/);
    expect(() => parseThresholdSpec('usage=150', 'crit')).toThrow(UsageError);
    expect(() => parseThresholdSpec('mailbox=-5', 'crit')).toThrow(UsageError);
    expect(() => parseThresholdSpec('usage=', 'crit')).toThrow(UsageError);
  });
  it('--only and --skip take comma lists and refuse unknown ids', () => {
    expect([...selectRules(['usage,mailbox'], undefined)]).toEqual(['usage', 'mailbox']);
    expect(selectRules(undefined, ['usage']).has('usage')).toBe(false);
    expect(() => selectRules(['nope'], undefined)).toThrow(/unknown rule "nope" in --only/);
    expect(() => selectRules(['usage'], ['usage'])).toThrow(/no rule/);
  });
  it('sizes', () => {
    expect(parseByteSize('8MiB', 'x')).toBe(8 << 20);
    expect(parseByteSize('512k', 'x')).toBe(512 << 10);
    expect(() => parseByteSize('lots', 'x')).toThrow(UsageError);
  });
});

describe('states and perfdata', () => {
  it('worst state wins; UNKNOWN does not hide CRITICAL', () => {
    expect(worstState(['OK', 'WARNING'])).toBe('WARNING');
    expect(worstState(['UNKNOWN', 'CRITICAL', 'OK'])).toBe('CRITICAL');
    expect(worstState(['OK', 'UNKNOWN'])).toBe('UNKNOWN');
  });

  const dumpInput = (messages: number, atoms: number): LoadedInput => ({
    path: 'x.dump',
    name: 'x.dump',
    kind: 'crash-dump',
    dump: {
      slogan: 'test',
      largestMailbox: { messages, pid: '<0.1.0>', name: 'q' },
      limits: [{ id: 'atoms', label: 'atoms', count: atoms, limit: 1000, limitSource: 'dump' }],
    },
  });

  it('a limit rule reports the count with thresholds scaled to counts', () => {
    const r = evaluate([dumpInput(5, 960)], { rules: new Set(['atoms', 'mailbox'] as const), thresholds: resolveThresholds({}) });
    expect(r.state).toBe('CRITICAL');
    expect(r.exitCode).toBe(2);
    const atoms = r.inputs[0].metrics.find((m) => m.rule === 'atoms')!;
    expect(perfItem(atoms)).toBe("'atoms'=960;800;950;0;1000");
    const mb = r.inputs[0].metrics.find((m) => m.rule === 'mailbox')!;
    expect(perfItem(mb)).toBe("'mailbox_max'=5;10000;100000;0");
    expect(r.inputs[0].notChecked.map((n) => n.rule)).toEqual([]);
  });

  it('no applicable rule is UNKNOWN', () => {
    const r = evaluate([dumpInput(5, 1)], { rules: new Set(['usage'] as const), thresholds: resolveThresholds({}) });
    expect(r.state).toBe('UNKNOWN');
    expect(r.exitCode).toBe(3);
  });

  it('labels with quotes are doubled, text never carries a pipe', () => {
    const inp = { ...dumpInput(50_000, 1), name: "we|rd 'name'.dump" };
    const r = evaluate([inp, dumpInput(1, 1)], { rules: new Set(['mailbox'] as const), thresholds: resolveThresholds({}) });
    const out = renderNagios(r);
    const first = out.split('\n')[0];
    expect(first.split('|')).toHaveLength(2);
    // Stems lose spaces, quotes, = and |; a label with a quote in it is written with the quote doubled.
    expect(out).toContain("'we_rd_name_:mailbox_max'=50000");
    expect(perfItem({ ...r.inputs[0].metrics[0], label: "it's" })).toMatch(/^'it''s'=50000;/);
    // One `|` on the first line, at most one more (before the rest of the perfdata), none in the text.
    expect(out.split('\n').slice(1).filter((l) => l.includes('|')).length).toBeLessThanOrEqual(1);
    expect(out).toContain('we/rd');
  });

  it('many inputs stay under 1 KB on the first line and 4 KB in all', () => {
    const inputs = Array.from({ length: 200 }, (_, i) => ({ ...dumpInput(i * 1000, i * 5), name: `node-${i}.dump` }));
    const r = evaluate(inputs, { rules: new Set(['mailbox', 'atoms'] as const), thresholds: resolveThresholds({}) });
    const out = renderNagios(r);
    expect(Buffer.byteLength(out.split('\n')[0])).toBeLessThan(1024);
    expect(Buffer.byteLength(`${out}\n`)).toBeLessThan(4096);
    expect(out).toMatch(/left out to stay under 4 KB/);
  });

  it('under the 4 KB cut, the worst inputs keep their lines, and every detail line sits under its own input', () => {
    const inputs = Array.from({ length: 120 }, (_, i) => ({ ...dumpInput(i === 119 ? 500_000 : 10, 1), name: `node-${i}.dump` }));
    const r = evaluate(inputs, { rules: new Set(['mailbox'] as const), thresholds: resolveThresholds({}) });
    const lines = renderNagios(r).split('\n');
    expect(lines[0]).toMatch(/^BEAMSCOPE CRITICAL - node-119\.dump: mailbox 500,000 messages/);
    const at = lines.indexOf('node-119.dump: CRITICAL (crash dump)');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {2}CRITICAL: largest mailbox 500,000/);
    let current = '';
    for (const l of lines.slice(1)) {
      if (/^node-\d+\.dump: /.test(l)) current = l.split(':')[0];
      else if (/^ {2}(OK|WARNING|CRITICAL): /.test(l)) expect(current, l).not.toBe('');
    }
  });
});

describe('snapshot time from content', () => {
  it('reads taken_at from a comment and takenAt from JSON', () => {
    expect(contentTime('%% beamscope trend fixture: snapshot 1 of 23, taken_at 2026-11-28T01:33:01.299Z, phase baseline\n{[')).toBe(Date.parse('2026-11-28T01:33:01.299Z'));
    expect(contentTime('{"schema":"beamscope.alloc/1","takenAt":"2026-01-02T03:04:05Z"}')).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(contentTime('{[{total,1}],[]}.')).toBeUndefined();
  });
});

describe('perfdata labels are stable across runs (issue 15)', () => {
  const oracle = haveShared('oracle/recon_alloc') ? join(ORACLE_DIR, 'calm.snapshot') : undefined;
  it("collected files are labelled by the node they came from, not by their time-stamped names", async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { loadInput } = await import('../src/check/input.js');
    const source = oracle ?? join(import.meta.dirname, '../fixtures/trend/series/snap-01.snapshot');
    // Real snapshots under the header line and names beamscope collect writes, two runs apart.
    const body = readFileSync(source, 'latin1').replace(/^%%.*\n/gm, '');
    const labels = async (stamp: string) => {
      const inputs = [];
      for (const node of ['app@db1', 'app@db2']) {
        const file = join(mkdtempSync(join(tmpdir(), 'beamscope-labels-')), `alloc-${stamp}.snapshot`);
        writeFileSync(file, `%% beamscope collect: node ${node}, OTP 25, taken_at ${stamp}, sample 1 of 1\n${body}`, 'latin1');
        inputs.push(await loadInput(file));
      }
      return evaluate(inputs, { rules: new Set(['usage'] as const), thresholds: resolveThresholds({}) }).inputs.flatMap((i) => i.metrics.map((m) => m.label));
    };
    // collect's stamp: 20261205T030625.354Z.
    const first = await labels('20261205T030625.354Z');
    expect(first).toEqual(['app@db1:alloc:usage', 'app@db2:alloc:usage']);
    expect(await labels('20261205T031125.001Z')).toEqual(first);
  });
});

describe('alloc and check say the same of the same input (issue 15)', () => {
  const oracle = haveShared('oracle/recon_alloc') ? ['calm', 'spike', 'ets'].map((n) => join(ORACLE_DIR, `${n}.snapshot`)) : [];
  it('the allocator rules of check end in the state of alloc\'s worst finding, on dumps and snapshots of real VMs', async () => {
    const { loadInput } = await import('../src/check/input.js');
    const { allocatorFindings } = await import('../src/alloc/verdict.js');
    const root = join(import.meta.dirname, '..');
    const inputs = [
      // A small node (fragmented.dump, make-fragmented.sh): check said CRITICAL on 9 MiB unused, alloc WARNING.
      join(root, 'fixtures', 'fragmented.dump'),
      join(root, 'fixtures', 'alloc', 'tuned', 'aobf-lmbcs512.snapshot'),
      join(root, 'fixtures', 'alloc', 'tuned', 'sbct4k.snapshot'),
      join(root, 'fixtures', 'trend', 'series', 'snap-23.snapshot'),
      join(root, 'fixtures', 'trend', 'series', 'snap-20.snapshot'),
      ...oracle,
    ];
    const STATE: Record<string, string> = { critical: 'CRITICAL', warning: 'WARNING' };
    const rank = ['OK', 'WARNING', 'CRITICAL'];
    for (const file of inputs) {
      const input = await loadInput(file);
      const checked = evaluate([input], { rules: new Set(['usage', 'mbcs-usage', 'current-vs-max', 'mseg-hit-rate'] as const), thresholds: resolveThresholds({}) });
      const worst = allocatorFindings(input.model!).map((f) => STATE[f.severity] ?? 'OK').reduce((a, b) => (rank.indexOf(b) > rank.indexOf(a) ? b : a), 'OK');
      expect(checked.state, file).toBe(worst);
    }
  });
});
