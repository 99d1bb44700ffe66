/**
 * `--format openmetrics`: the values are `alloc --format json`'s for the same snapshot (every
 * series, nothing more), the text passes `promtool check metrics`, label values from untrusted
 * input are escaped, and `--output` writes atomically.
 *
 * Snapshots: the repo's own (fixtures/alloc, made by a real VM) and recon's oracle snapshots in
 * ../shared/oracle/recon_alloc (test/helpers/shared.ts: skipped with a reason when absent, required under CI=true).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderOpenMetrics } from '../src/report/openmetrics.js';
import { allocReport } from '../src/alloc/report.js';
import { allocatorModelFromTermText } from '../src/alloc/from-terms.js';
import { beamscope } from './helpers/cli.js';
import { REPO } from './helpers/dumps.js';
import { parseSamples, promtool, runPromtool, type Sample } from './helpers/openmetrics.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

const haveOracle = haveShared('oracle/recon_alloc');

const OWN = [
  'fixtures/alloc/tuned/aobf-lmbcs512.snapshot',
  'fixtures/alloc/tuned/sbct4k.snapshot',
  'fixtures/alloc/otp25/raw-snapshot.terms',
  'fixtures/alloc/otp25/system_info.terms',
  'fixtures/fragmented.dump',
];
const FROM_ORACLE = ['spike', 'calm', 'ets'].map((n) => join(ORACLE, `${n}.snapshot`));

interface AllocJson {
  types: Array<Record<string, number> & { type: string }>;
  recon: {
    memory: { used: number; allocated: number; usage: number };
    fragmentation: { current: Array<{ allocator: string; instance: number; mbcs_carriers_size: number; sbcs_carriers_size: number; mbcs_block_size: number; sbcs_block_size: number }> };
    cache_hit_rates: Array<{ instance: number; hit_rate: number; hits: number; calls: number }>;
  };
  model: { erlangMemory?: Record<string, number> };
}

/** The series `alloc --format json` says there must be, by key `name{labels}`. */
function expectedFromJson(j: AllocJson, node: string): Map<string, number | null> {
  const want = new Map<string, number | null>();
  const put = (name: string, labels: Record<string, string | number>, v: number | null) =>
    want.set(key(name, Object.fromEntries(Object.entries({ node, ...labels }).map(([k, x]) => [k, String(x)]))), v);
  const m = j.recon.memory;
  if (m.allocated > 0 || m.used > 0) {
    put('beamscope_alloc_used_bytes', {}, m.used);
    put('beamscope_alloc_allocated_bytes', {}, m.allocated);
    put('beamscope_alloc_usage_ratio', {}, m.usage);
  }
  for (const t of j.types) {
    const a = { allocator: t.type };
    for (const [carrier, c, b] of [['mbcs', 'mbcsCarriersBytes', 'mbcsBlocksBytes'], ['sbcs', 'sbcsCarriersBytes', 'sbcsBlocksBytes'], ['pool', 'poolCarriersBytes', 'poolBlocksBytes']]) {
      put('beamscope_allocator_carriers_bytes', { ...a, carrier }, t[c]);
      put('beamscope_allocator_blocks_bytes', { ...a, carrier }, t[b]);
    }
    for (const [carrier, c, b] of [['mbcs', 'mbcsMaxCarriersBytes', 'mbcsMaxBlocksBytes'], ['sbcs', 'sbcsMaxCarriersBytes', 'sbcsMaxBlocksBytes']]) {
      put('beamscope_allocator_peak_carriers_bytes', { ...a, carrier }, t[c]);
      put('beamscope_allocator_peak_blocks_bytes', { ...a, carrier }, t[b]);
    }
    put('beamscope_allocator_usage_ratio', a, t.usage);
    put('beamscope_allocator_peak_usage_ratio', a, t.maxUsage);
  }
  for (const e of j.recon.fragmentation.current) {
    const a = { allocator: e.allocator, alloc_instance: e.instance };
    put('beamscope_allocator_instance_carriers_bytes', { ...a, carrier: 'mbcs' }, e.mbcs_carriers_size);
    put('beamscope_allocator_instance_carriers_bytes', { ...a, carrier: 'sbcs' }, e.sbcs_carriers_size);
    put('beamscope_allocator_instance_blocks_bytes', { ...a, carrier: 'mbcs' }, e.mbcs_block_size);
    put('beamscope_allocator_instance_blocks_bytes', { ...a, carrier: 'sbcs' }, e.sbcs_block_size);
  }
  for (const c of j.recon.cache_hit_rates) {
    put('beamscope_mseg_cache_hit_ratio', { alloc_instance: c.instance }, c.hit_rate);
    put('beamscope_mseg_cache_hits_total', { alloc_instance: c.instance }, c.hits);
    put('beamscope_mseg_alloc_calls_total', { alloc_instance: c.instance }, c.calls);
  }
  for (const [kind, v] of Object.entries(j.model.erlangMemory ?? {})) put('beamscope_memory_bytes', { kind }, v);
  return want;
}

function key(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

function compare(path: string): void {
  const json = beamscope(['alloc', path, '--format', 'json']);
  expect(json.code, json.stderr).toBe(0);
  const om = beamscope(['alloc', path, '--format', 'openmetrics', '--node-label', 'n1']);
  expect(om.code, om.stderr).toBe(0);
  const want = expectedFromJson(JSON.parse(json.stdout) as AllocJson, 'n1');
  const got = new Map(parseSamples(om.stdout).map((s: Sample) => [key(s.name, s.labels), s.value]));
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [k, v] of want) {
    // JSON writes NaN as null
    if (v === null) expect(got.get(k), k).toBeNaN();
    else expect(got.get(k), k).toBe(v);
  }
  expect(om.stdout.endsWith('# EOF\n')).toBe(true);
}

describe('alloc --format openmetrics: the values of alloc --format json', () => {
  for (const f of OWN) it(f, () => compare(join(REPO, f)));
});

describe.skipIf(!haveOracle)('alloc --format openmetrics on recon oracle snapshots (../shared)', () => {
  for (const f of FROM_ORACLE) it(f.replace(/.*\//, ''), () => compare(f));
});

describe.skipIf(!runPromtool)('promtool check metrics', () => {
  const inputs = [...OWN.map((f) => join(REPO, f)), ...(haveOracle ? FROM_ORACLE : [])];
  it('passes on alloc --format openmetrics of every snapshot', () => {
    for (const f of inputs) {
      const om = beamscope(['alloc', f, '--format', 'openmetrics']);
      expect(om.code, om.stderr).toBe(0);
      const r = promtool(['check', 'metrics'], om.stdout);
      expect(r.code, `${f}: ${r.out}`).toBe(0);
    }
  });
  it('passes on check --format openmetrics of snapshots and a crash dump together', () => {
    const om = beamscope(['check', ...inputs, join(REPO, 'fixtures/oom.dump'), '--format', 'openmetrics']);
    expect([0, 1, 2]).toContain(om.code);
    expect(om.stdout).toMatch(/^beamscope_check_state\{node="oom",rule="atoms",subject="atoms"\} 0$/m);
    expect(om.stdout).toMatch(/^beamscope_largest_mailbox_messages\{node="oom"\} \d+$/m);
    const r = promtool(['check', 'metrics'], om.stdout);
    expect(r.code, r.out).toBe(0);
  });
  it('passes with hostile label values (escaped, and read back as they were)', () => {
    const model = allocatorModelFromTermText(readFileSync(join(REPO, OWN[0]), 'utf8'), 'x');
    const node = 'evil"node\\\n} 1\n# EOF\nbeamscope_up{node="x"} 1 \ud800';
    const text = renderOpenMetrics([{ node, up: 1, alloc: allocReport(model) }]);
    expect(text.split('\n').filter((l) => l === '# EOF')).toHaveLength(1);
    const r = promtool(['check', 'metrics'], text);
    expect(r.code, r.out).toBe(0);
    const up = parseSamples(text).filter((s) => s.name === 'beamscope_up');
    expect(up).toHaveLength(1);
    expect(up[0].labels.node).toBe(node.replace('\ud800', '\ufffd'));
  });
});
if (!runPromtool) describe.skip('promtool check metrics: promtool is not installed (apt-get install prometheus)', () => it('skipped', () => {}));

describe('--output FILE', () => {
  it('writes the file whole through a temporary name, and leaves nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-om-'));
    try {
      const out = join(dir, 'beamscope.prom');
      const r = beamscope(['alloc', join(REPO, OWN[0]), '--format', 'openmetrics', '--output', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(readdirSync(dir)).toEqual(['beamscope.prom']);
      expect(readFileSync(out, 'utf8')).toBe(beamscope(['alloc', join(REPO, OWN[0]), '--format', 'openmetrics']).stdout);
      const bad = beamscope(['alloc', join(REPO, OWN[0]), '--output', out]);
      expect(bad.code).toBe(2);
      const missing = beamscope(['alloc', join(REPO, OWN[0]), '--format', 'openmetrics', '--output', join(dir, 'no', 'such', 'x.prom')]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^beamscope: cannot write /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
