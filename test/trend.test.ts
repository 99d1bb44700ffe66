/**
 * `beamscope trend` on a series made by a real node: fixtures/trend/make-series.escript ran a spiky
 * binary workload under `erl` and wrote 23 recon_alloc-format snapshots (fixtures/trend/series).
 * What the findings must say is read from what the workload did (the comment line each snapshot
 * starts with: its number, time and phase), not from beamscope's code:
 * - growth phase: each step kept 1 in 40 of a bigger burst of refc binaries in a long-lived
 *   process, so binary_alloc blocks grew at every growth step and at the spike, and nothing was ever
 *   freed from the holder, so carriers never shrank;
 * - spike: 400 MiB held while the snapshot was taken, then released with 1 in 40 kept: binary_alloc
 *   usage must stay low in every snapshot after it while the carriers stay (Logplex).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countChanges, orderByTime } from '../src/trend/index.js';
import { fitToWidth, overlayDotted, renderTrendText } from '../src/report/trend-text.js';
import type { TrendReport } from '../src/trend/index.js';
import { CLI, beamscope } from './helpers/cli.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

const ROOT = join(import.meta.dirname, '..');
const SERIES = join(ROOT, 'fixtures', 'trend', 'series');
const SCRIPT = join(ROOT, 'fixtures', 'trend', 'make-series.escript');
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-trend-'));

interface Taken {
  file: string;
  n: number;
  total: number;
  ms: number;
  phase: 'baseline' | 'growth' | 'spike' | 'after';
}

/** What the workload wrote in each snapshot's first line. */
function workload(dir: string): Taken[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.snapshot'))
    .map((f) => {
      const first = readFileSync(join(dir, f), 'latin1').split('\n')[0];
      const m = /snapshot (\d+) of (\d+), taken_at (\S+), phase (\w+)/.exec(first);
      if (!m) throw new Error(`${f}: no workload comment`);
      return { file: f, n: Number(m[1]), total: Number(m[2]), ms: Date.parse(m[3]), phase: m[4] as Taken['phase'] };
    })
    .sort((a, b) => a.n - b.n);
}

/** The assertions on a trend report of a series made by make-series.escript. */
function expectWorkloadFindings(report: TrendReport, taken: Taken[]): void {
  const n = taken.length;
  expect(n).toBeGreaterThanOrEqual(20);
  expect(report.snapshots).toHaveLength(n);
  // Time order is the workload's order.
  expect(report.snapshots.map((s) => s.name.split('/').pop())).toEqual(taken.map((t) => t.file));
  expect(report.ordering).toBe('time');

  const spikeAt = taken.findIndex((t) => t.phase === 'spike');
  const after = taken.filter((t) => t.phase === 'after').length;
  // Intervals ending in a snapshot taken after more binaries were kept: growth steps and the spike.
  const keptMore = taken.slice(1).filter((t) => t.phase === 'growth' || t.phase === 'spike').length;

  const logplex = report.findings.filter((f) => f.id === 'trend.logplex-pattern');
  expect(logplex.map((f) => f.subject?.id)).toEqual(['binary_alloc']);
  const l = logplex[0];
  expect(l.metrics.spikeIndex).toBe(spikeAt);
  expect(l.subject?.name).toContain(taken[spikeAt].file);
  expect(l.metrics.snapshotsAfter).toBe(after);
  expect(l.metrics.spikeUsage).toBeGreaterThan(0.9); // 400 MiB held in carriers made for it
  expect(l.metrics.maxUsageAfter).toBeLessThan(0.6);
  expect(l.metrics.minCarriersShareAfter).toBeGreaterThan(0.7);
  expect(l.title).toMatch(/^binary_alloc: usage stayed at or below [\d.]+% in the 3 snapshots after a spike/);

  const growth = report.findings.filter((f) => f.id === 'trend.growth' && f.subject?.id === 'binary_alloc');
  expect(growth).toHaveLength(1);
  const g = growth[0];
  expect(g.metrics.intervals).toBe(n - 1);
  expect(g.metrics.blocksGrewIntervals).toBeGreaterThanOrEqual(keptMore - 2);
  expect(g.metrics.blocksGrewIntervals).toBeLessThanOrEqual(keptMore + 1);
  expect(g.metrics.carriersShrankIntervals).toBeLessThanOrEqual(1);
  // Every burst is bigger than the last and fully live at once, and the remnants pin the carriers it
  // filled, so the carriers grow with the blocks.
  expect(g.metrics.carriersGrewIntervals).toBeGreaterThanOrEqual(keptMore - 2);
  expect(g.title).toMatch(new RegExp(`^binary_alloc (carriers|blocks \\(used bytes\\)) grew in \\d+ of ${n - 1} intervals`));
  // Findings are about what the workload did, nothing else.
  expect(report.findings.every((f) => f.subject?.id === 'binary_alloc')).toBe(true);
}

describe('series helpers', () => {
  it('counts growing and shrinking intervals above the noise floor', () => {
    const M = 1 << 20;
    expect(countChanges([1 * M, 2 * M, 2 * M + 1000, 3 * M, 2 * M])).toEqual({ intervals: 4, grew: 2, shrank: 1, first: M, last: 2 * M });
  });
  it('fits a series to the width: buckets when long, repeats when short, no NaN', () => {
    const long = fitToWidth(Array.from({ length: 100 }, (_, i) => i), 20, (xs) => Math.max(...xs));
    expect(long.values.length).toBeLessThanOrEqual(20);
    expect(long.values[long.values.length - 1]).toBe(99);
    expect(long.perColumn).toBe(5);
    const short = fitToWidth([1, NaN, 3], 30, (xs) => xs[0]);
    expect(short.values).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
  });
  it('without colour, the used line is dotted where the allocated line is not', () => {
    expect(overlayDotted('   1 ┤  ╭─\n   0 ┼──╯ ', '   1 ┤    \n   0 ┼────')).toBe('   1 ┤  ╭─\n   0 ┼──╯·');
  });
  it('orders by time, and keeps the given order when a time is missing', () => {
    const a = { takenAt: { ms: 3, source: 'mtime' as const } };
    const b = { takenAt: { ms: 1, source: 'content' as const } };
    expect(orderByTime([a, b]).ordered).toEqual([b, a]);
    expect(orderByTime([a, {}]).ordering).toBe('as-given');
  });
});

describe.skipIf(!existsSync(CLI) || !existsSync(SERIES))('beamscope trend on the committed series', () => {
  const taken = existsSync(SERIES) ? workload(SERIES) : [];

  it('json: ordered by the time in the snapshots, growth and Logplex findings on binary_alloc', () => {
    const r = beamscope(['trend', SERIES, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as TrendReport;
    expect(report.schema).toBe('beamscope.trend/1');
    expectWorkloadFindings(report, taken);
    expect(report.snapshots.every((s) => s.timeSource === 'content')).toBe(true);
    const bin = report.types.find((t) => t.type === 'binary_alloc')!;
    expect(bin.points).toHaveLength(taken.length);
    expect(report.types[0].type).toBe('binary_alloc'); // largest peak first
  });

  it('orders by content time even when names and file times say otherwise (quoted glob)', () => {
    const dir = join(tmp, 'shuffled');
    mkdirSync(dir);
    // Reverse the names and the mtimes: z-01 is the last snapshot and the oldest file.
    for (const t of taken) {
      const to = join(dir, `z-${String(taken.length + 1 - t.n).padStart(2, '0')}.snapshot`);
      copyFileSync(join(SERIES, t.file), to);
      utimesSync(to, new Date(2020, 0, 1, 0, taken.length - t.n), new Date(2020, 0, 1, 0, taken.length - t.n));
    }
    const r = beamscope(['trend', join(dir, 'z-*.snapshot'), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as TrendReport;
    expect(report.snapshots.map((s) => s.takenAtMs)).toEqual(taken.map((t) => t.ms));
    expect(report.snapshots[0].name).toMatch(/z-23\.snapshot$/);
  });

  it.skipIf(!haveShared('oracle/recon_alloc'))('falls back to file times for snapshots without one (recon_alloc:snapshot_save/1 writes none)', () => {
    const dir = join(tmp, 'mtime');
    mkdirSync(dir);
    const order = ['ets', 'calm', 'spike'];
    order.forEach((n, i) => {
      copyFileSync(join(ORACLE, `${n}.snapshot`), join(dir, `${n}.snapshot`));
      utimesSync(join(dir, `${n}.snapshot`), new Date(2026, 0, 1, 10, i), new Date(2026, 0, 1, 10, i));
    });
    const r = beamscope(['trend', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as TrendReport;
    expect(report.snapshots.map((s) => s.name.split('/').pop())).toEqual(order.map((n) => `${n}.snapshot`));
    expect(report.snapshots.every((s) => s.timeSource === 'mtime')).toBe(true);
    expect(report.orderingNote).toBe('ordered by file modification time');
  });

  it('text: findings first, then a table and two charts per type, of the height asked for', () => {
    const r = beamscope(['trend', SERIES, '--height', '6', '--width', '70']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^Trend of 23 snapshots, .* \(ordered by the time written in the snapshot\)$/);
    expect(lines[2]).toBe('Findings:');
    expect(lines[3]).toMatch(/^ {2}\[warning\] binary_alloc: usage stayed at or below/);
    expect(out).toMatch(/^binary_alloc$/m);
    expect(out).toMatch(/^ {2}binary_alloc: allocated \(carriers\) and used \(blocks\), MiB$/m);
    expect(out).toMatch(/^ {2}binary_alloc: usage \(used \/ allocated\), %$/m);
    expect(out).toMatch(/── allocated {3}·· used/);
    expect(out).toMatch(/·/);
    // Every chart is height + 1 rows of axis labels; none wider than --width.
    const charts = out.split(/\n(?= {2}\S.*: (?:allocated \(carriers\) and used \(blocks\), \S+|usage \(used \/ allocated\), %)$)/m).slice(1);
    expect(charts.length).toBeGreaterThanOrEqual(4); // node and binary_alloc at least, two charts each
    for (const c of charts) {
      const rows = c.split('\n').filter((l) => /^ {0,10}[-\d.]+%? [┼┤]/.test(l));
      expect(rows).toHaveLength(7);
      for (const row of rows) expect(row.length).toBeLessThanOrEqual(70);
    }
    expect(out).not.toMatch(/\u001b\[/);
    // The table has a row per snapshot with allocated, used and usage.
    expect(out).toMatch(/^ +20 +.*snap-20\.snapshot +2026-\S+ \S+ +\d+ MiB +\d+ MiB +9\d\.\d%$/m);
  });

  it('too few snapshots to judge are said to be too few, not "no growth"', () => {
    const one = beamscope(['trend', join(SERIES, 'snap-01.snapshot')]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.split('\n')[2]).toBe('Findings: none; 1 snapshot is too few to judge steady growth (it needs 5) or a spike that stayed (a spike and 2 after it)');
    const four = beamscope(['trend', ...taken.slice(0, 4).map((t) => join(SERIES, t.file))]);
    expect(four.stdout.split('\n')[2]).toBe('Findings: none; 4 snapshots are too few to judge steady growth (it needs 5)');
  });

  it('downsamples to a narrow terminal width', () => {
    const r = beamscope(['trend', SERIES, '--width', '30', '--type', 'binary_alloc']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/one column per 2 snapshots \(bytes: their maximum, usage: their minimum\)/);
    for (const l of r.stdout.split('\n').filter((x) => /[┼┤]/.test(x))) expect(l.length).toBeLessThanOrEqual(30);
  });

  it('colour only when asked (a terminal without NO_COLOR)', () => {
    const r = beamscope(['trend', SERIES, '--format', 'json']);
    const report = JSON.parse(r.stdout) as TrendReport;
    expect(renderTrendText(report, { color: true })).toMatch(/\u001b\[34m/);
    expect(renderTrendText(report, { color: false })).not.toMatch(/\u001b\[/);
  });

  it('usage errors exit 2 with one line', () => {
    const r = beamscope(['trend', SERIES, '--type', 'nope_alloc']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--type nope_alloc: not in these snapshots/);
    const m = beamscope(['trend', join(tmp, 'missing.snapshot')]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/missing\.snapshot: cannot read: no such file/);
  });
});

/** Runs the fixture script for real (about 15 s): the workload's findings must hold on a fresh series too. */
const hasErl = (() => {
  try {
    execFileSync('escript', ['-s', SCRIPT], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!existsSync(CLI) || !hasErl)('make-series.escript on a live node', () => {
  it('makes >= 20 snapshots whose trend shows the growth and the spike', () => {
    const dir = join(tmp, 'fresh');
    execFileSync('escript', [SCRIPT, dir], { stdio: 'pipe', timeout: 120_000 });
    const taken = workload(dir);
    expect(taken.map((t) => t.phase)).toEqual(['baseline', ...Array(18).fill('growth'), 'spike', 'after', 'after', 'after']);
    const r = beamscope(['trend', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expectWorkloadFindings(JSON.parse(r.stdout) as TrendReport, taken);
  }, 180_000);
});

describe('a directory with each snapshot\'s JSON form beside it (issue 15)', () => {
  it('gives the same series as the glob of the snapshots: the JSON twins are left out and named', () => {
    // The committed series, and beside each snapshot what `beamscope alloc X.snapshot --format json` writes.
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-twins-'));
    const names = readdirSync(SERIES).filter((f) => f.endsWith('.snapshot')).sort().slice(0, 8);
    for (const f of names) {
      copyFileSync(join(SERIES, f), join(dir, f));
      const json = beamscope(['alloc', join(dir, f), '--format', 'json']);
      expect(json.code).toBe(0);
      writeFileSync(join(dir, f.replace(/\.snapshot$/, '.json')), json.stdout);
    }
    const fromDir = JSON.parse(beamscope(['trend', dir, '--format', 'json']).stdout);
    const fromGlob = JSON.parse(beamscope(['trend', join(dir, '*.snapshot'), '--format', 'json']).stdout);
    expect(fromDir.snapshots.length).toBe(names.length);
    expect(fromDir.findings).toEqual(fromGlob.findings);
    expect(fromDir.snapshots).toEqual(fromGlob.snapshots);
    expect(fromDir.twins).toHaveLength(names.length);
    expect(beamscope(['trend', dir]).stdout).toMatch(/left out as the JSON form of a snapshot already in the series: snap-01\.json \(of snap-01\.snapshot\)/);
  });
});
