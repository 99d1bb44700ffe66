/**
 * The verdict: summaries agree with recon's own per-type numbers, findings appear only where the
 * numbers support them and cite the numbers and the options in force. Rules that the oracle data
 * never triggers (mseg cache, strategy advice) are exercised on copies of a real snapshot's model
 * with one number changed, marked as such; nothing here is a hand-written fixture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocatorModelFromTermText } from '../src/alloc/from-terms.js';
import { allocatorFindings, summarizeByType, THRESHOLDS } from '../src/alloc/verdict.js';
import { allocReport } from '../src/alloc/report.js';
import type { AllocatorModel } from '../src/alloc/model.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

const load = (name: string): AllocatorModel => allocatorModelFromTermText(readFileSync(join(ORACLE, `${name}.snapshot`), 'utf8'));
const expected = (name: string) => JSON.parse(readFileSync(join(ORACLE, `${name}.expected.json`), 'utf8'));

describe.skipIf(!haveShared('oracle/recon_alloc'))('verdict on the oracle scenarios', () => {
  it('per-type carrier bytes equal recon memory(allocated_types) for its nine allocators', () => {
    for (const name of ['spike', 'calm', 'ets']) {
      const types = summarizeByType(load(name));
      for (const [type, bytes] of Object.entries(expected(name).memory.allocated_types as Record<string, number>)) {
        expect(types.find((t) => t.type === type)?.carriersBytes, `${name} ${type}`).toBe(bytes);
      }
      // literal_alloc is reported too, marked outside recon's scope.
      expect(types.find((t) => t.type === 'literal_alloc')?.inReconScope).toBe(false);
    }
  });

  it('spike: binary_alloc Logplex pattern, citing numbers and options in force', () => {
    const f = allocatorFindings(load('spike')).find((x) => x.id === 'alloc.logplex-pattern')!;
    expect(f.subject).toEqual({ kind: 'allocator', id: 'binary_alloc' });
    expect(f.severity).toBe('warning');
    expect(f.metrics.usage).toBeCloseTo(36143424 / 67829760, 12);
    expect(f.metrics.unusedBytes).toBe(67829760 - 36143424);
    expect(f.metrics.blocksShareOfPeak).toBeLessThanOrEqual(THRESHOLDS.logplexBlocksDrop);
    expect(f.evidence.join('\n')).toMatch(/options in force: as=aoffcbf, lmbcs=5242880/);
    expect(f.explanation).toMatch(/\+MBlmbcs/);
  });

  it('ets: binary_alloc and ets_alloc both show it; calm shows neither fragmentation nor the pattern', () => {
    const ids = allocatorFindings(load('ets')).filter((x) => x.id === 'alloc.logplex-pattern').map((x) => x.subject?.id);
    expect(ids.sort()).toEqual(['binary_alloc', 'ets_alloc']);
    const calm = allocatorFindings(load('calm'));
    expect(calm.filter((x) => x.id === 'alloc.fragmented' || x.id === 'alloc.logplex-pattern')).toEqual([]);
  });

  it('the mseg cache is not judged on a few dozen calls (oracle: 5 to 142 calls)', () => {
    for (const name of ['spike', 'calm', 'ets']) expect(allocatorFindings(load(name)).some((x) => x.id === 'alloc.mseg-cache')).toBe(false);
  });

  it('derived from spike: a low hit rate over many calls gives alloc.mseg-cache citing +MMmcs', () => {
    const m = load('spike');
    m.mseg[1].calls.mseg_alloc = 20000; // changed number: 12 hits in 20,000 calls
    const f = allocatorFindings(m).find((x) => x.id === 'alloc.mseg-cache')!;
    expect(f.subject?.id).toBe('mseg_alloc[1]');
    expect(f.metrics.hitRate).toBeCloseTo(12 / 20000, 12);
    expect(f.explanation).toMatch(/\+MMmcs, now 10/);
  });

  it('derived from spike: a non-address-order strategy gets the address-order advice', () => {
    const m = load('spike');
    for (const a of m.allocators) if (a.allocator === 'binary_alloc') a.options.as = 'bf'; // changed option
    const f = allocatorFindings(m).find((x) => x.subject?.id === 'binary_alloc' && x.id === 'alloc.logplex-pattern')!;
    expect(f.explanation).toMatch(/\+MBas aobf/);
    expect(f.evidence.join('\n')).toMatch(/as=bf/);
  });

  it('the report puts the most important finding first and bounds the instance list', () => {
    const r = allocReport(load('ets'), { top: 3 });
    // binary_alloc: 375 MiB of its carriers unused, 70% of the node's: critical on the waste scale.
    expect(r.findings[0]).toMatchObject({ severity: 'critical', subject: { id: 'binary_alloc' } });
    expect(r.worstInstances).toHaveLength(3);
    expect(r.worstInstances[0]).toMatchObject({ allocator: 'binary_alloc', instance: 1 });
    expect(r.memoryTotal?.memoryTotalBytes).toBe(load('ets').erlangMemory!.total);
  });
});

describe('advice already in force is never given (issue 15)', () => {
  it('a node with address-order and 512 KiB carriers already: says so, and what is left', () => {
    // fixtures/alloc/make-tuned.sh: the Logplex workload on a VM started with +MBas aobf +MBlmbcs 512.
    const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'alloc', 'tuned', 'aobf-lmbcs512.snapshot'), 'utf8');
    const f = allocatorFindings(allocatorModelFromTermText(text)).find((x) => x.subject?.id === 'binary_alloc')!;
    expect(f.id).toBe('alloc.logplex-pattern');
    expect(f.explanation).toMatch(/the usual fixes are in force \(address-order strategy \(aobf\), multiblock carriers of 512 KiB\); what is left: /);
    expect(f.explanation).toMatch(/\+MBacul/);
    // Not "what is left is carrier size" with 512 KiB carriers, nor a switch to what is set.
    expect(f.explanation).not.toMatch(/what is left is carrier size|switch to an address-order|use smaller multiblock carriers/);
  });
});

describe('the right culprit, and no two findings giving opposite advice (issue 15)', () => {
  it('+MBsbct 4: the headline says the unused memory is in single-block carriers and names sbct; nothing says smaller multiblock carriers', () => {
    // fixtures/alloc/make-tuned.sh: the Logplex workload on a VM started with +MBsbct 4.
    const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'alloc', 'tuned', 'sbct4k.snapshot'), 'utf8');
    const findings = allocatorFindings(allocatorModelFromTermText(text));
    const bin = findings.filter((f) => f.subject?.id === 'binary_alloc' && f.id !== 'alloc.pool-carriers');
    expect(bin.map((f) => f.id)).toEqual(['alloc.sbcs-unused']);
    expect(bin[0].severity).toBe('critical');
    expect(bin[0].title).toMatch(/^binary_alloc: .* unused in single-block carriers \(.* of blocks in .*\): sbct is 4\.00 KiB$/);
    expect(bin[0].explanation).toMatch(/Raise \+MBsbct back towards the default \(512 KiB\)/);
    for (const f of findings) expect(f.explanation, f.id).not.toMatch(/use smaller multiblock carriers \(\+MBlmbcs/);
  });
});

describe('mseg cache advice on real snapshots (issue 15)', () => {
  // fixtures/alloc/make-tuned.sh: the Logplex workload with +MBsbct 4 (a carrier per binary: many
  // segment allocations) and no bad fit allowed in the segment cache (+MMamcbf 0 +MMrmcbf 0).
  const read = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'alloc', 'tuned', `${name}.snapshot`), 'utf8');
  /** Per mseg_alloc instance, [cache_hits, calls to mseg_alloc] as the VM wrote them ({mseg_alloc, Giga, N}: Giga * 10^9 + N). */
  const recorded = (text: string): Map<number, [number, number]> => {
    const out = new Map<number, [number, number]>();
    for (const m of text.matchAll(/\{\{mseg_alloc,(\d+)\},[\s\S]*?\{cache_hits,(\d+)\}[\s\S]*?\{mseg_alloc,(\d+),(\d+)\}/g)) {
      out.set(Number(m[1]), [Number(m[2]), Number(m[3]) * 1e9 + Number(m[4])]);
    }
    return out;
  };

  it('+MMmcs 30 already: says the count is at its maximum and names the bad-fit limits, never "raise +MMmcs"', () => {
    const text = read('mseg-mcs30-nobadfit');
    const seen = recorded(text);
    const mseg = allocatorFindings(allocatorModelFromTermText(text)).filter((f) => f.id === 'alloc.mseg-cache');
    expect(mseg.length).toBeGreaterThan(0);
    for (const f of mseg) {
      const instance = Number(/mseg_alloc\[(\d+)\]/.exec(f.subject!.id)![1]);
      const [hits, calls] = seen.get(instance)!;
      expect(calls).toBeGreaterThanOrEqual(1000);
      expect(hits / calls).toBeLessThan(0.8);
      expect(f.evidence[0]).toBe(`${hits} hits in ${calls} mseg_alloc calls`);
      expect(f.severity).toBe('warning');
      expect(f.explanation).toMatch(/the number of cached segments is at its maximum already \(\+MMmcs 30\)/);
      expect(f.explanation).toMatch(/\+MMamcbf, now 0 B.*\+MMrmcbf, now 0%/);
      expect(f.explanation).not.toMatch(/raise the number of cached segments/);
    }
  });

  it('+MMmcs left at its default: says to raise it first, naming the value in force', () => {
    const text = read('mseg-nobadfit');
    const mseg = allocatorFindings(allocatorModelFromTermText(text)).filter((f) => f.id === 'alloc.mseg-cache');
    expect(mseg.length).toBeGreaterThan(0);
    for (const f of mseg) expect(f.explanation).toMatch(/raise the number of cached segments first \(\+MMmcs, now 10, at most 30\)/);
  });
});
