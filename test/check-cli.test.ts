/**
 * `beamscope check` end to end: the built command (`npx tsc -p tsconfig.json` first) on real
 * recon_alloc snapshots (../shared/oracle/recon_alloc), real crash dumps (fixtures/) and the trend
 * series (fixtures/trend/series), for every state and exit code. Every plugin output is checked
 * against the monitoring-plugin grammar of reference peers-and-node-practice.md 3.5, written out
 * below from the reference's description (not from the renderer).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, beamscope } from './helpers/cli.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

const ROOT = join(import.meta.dirname, '..');
const FIX = join(ROOT, 'fixtures');
const SERIES = join(FIX, 'trend', 'series');
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-check-'));

// ---- The plugin grammar (reference 3.5), as a checker -------------------------------------------

const STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
const UOM = new Set(['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'TB', 'c']);
/** value, min, max: characters [-0-9.]; warn/crit: [@]start:end with ~ for minus infinity. */
const NUMBER = /^-?[0-9.]+$/;
const RANGE = /^@?(?:(?:~|-?[0-9.]+)?:)?(?:-?[0-9.]+)?$/;

interface PerfItem {
  label: string;
  value: number;
  uom: string;
  warn: string;
  crit: string;
  min: string;
  max: string;
}

/** Splits perfdata into items: `'label with spaces'=...` or `label=...`, separated by spaces. */
function parsePerfdata(text: string): PerfItem[] {
  const items: PerfItem[] = [];
  let rest = text.trim();
  while (rest.length) {
    const m = /^('(?:[^']|'')+'|[^'= ]+)=(\S*)(?:\s+|$)/.exec(rest);
    if (!m) throw new Error(`perfdata does not parse at: ${rest.slice(0, 60)}`);
    rest = rest.slice(m[0].length);
    const label = m[1].startsWith("'") ? m[1].slice(1, -1).replace(/''/g, "'") : m[1];
    const fields = m[2].split(';');
    if (fields.length > 5) throw new Error(`too many fields in ${m[0]}`);
    const vm = /^(-?[0-9.]+)([a-zA-Z%]*)$/.exec(fields[0]);
    if (!vm || !NUMBER.test(vm[1]) || !UOM.has(vm[2])) throw new Error(`bad value or UOM in ${m[0]}`);
    const [, warn = '', crit = '', min = '', max = ''] = fields;
    for (const r of [warn, crit]) if (r !== '' && !RANGE.test(r)) throw new Error(`bad range ${r} in ${m[0]}`);
    for (const n of [min, max]) if (n !== '' && !NUMBER.test(n)) throw new Error(`bad min/max ${n} in ${m[0]}`);
    items.push({ label, value: Number(vm[1]), uom: vm[2], warn, crit, min, max });
  }
  return items;
}

/**
 * Checks a whole plugin output against the multi-line plugin API and our limits; returns its parts.
 * Layout: `SERVICE STATE - text | perfdata`, long-text lines, then optionally `text | perfdata` on
 * one later line and perfdata-only continuation lines after it.
 */
function checkPlugin(stdout: string, code: number): { state: string; summary: string; long: string[]; perf: PerfItem[] } {
  expect(Buffer.byteLength(stdout), 'whole output under 4 KB').toBeLessThan(4096);
  const lines = stdout.replace(/\n$/, '').split('\n');
  expect(Buffer.byteLength(lines[0]), 'first line under 1 KB').toBeLessThan(1024);
  const m = /^BEAMSCOPE (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]+?)(?: \| (.*))?$/.exec(lines[0]);
  expect(m, `first line: ${lines[0]}`).not.toBeNull();
  const state = m![1];
  expect(code, 'exit code is the state').toBe(STATES.indexOf(state as (typeof STATES)[number]));
  const perf = m![3] ? parsePerfdata(m![3]) : [];
  const long: string[] = [];
  let inPerf = false;
  for (const l of lines.slice(1)) {
    if (inPerf) {
      expect(l.includes('|'), `continuation perfdata line has no |: ${l}`).toBe(false);
      perf.push(...parsePerfdata(l));
      continue;
    }
    const bar = l.indexOf('|');
    if (bar < 0) long.push(l);
    else {
      long.push(l.slice(0, bar).trimEnd());
      perf.push(...parsePerfdata(l.slice(bar + 1)));
      inPerf = true;
    }
  }
  const labels = perf.map((p) => p.label);
  expect(new Set(labels).size, 'labels unique').toBe(labels.length);
  for (const p of perf) if (p.uom === '%') expect(p.value).toBeGreaterThanOrEqual(0);
  return { state, summary: m![2], long, perf };
}

function expectOneLineStderr(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^beamscope: /);
  expect(lines[0]).toMatch(pattern);
}

/** An UNKNOWN that stopped the check: one plugin line on stdout, exit 3. */
function expectUnknownLine(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^BEAMSCOPE UNKNOWN - /);
  expect(lines[0]).toMatch(pattern);
  checkPlugin(r.stdout, r.code);
  expect(r.stderr).toBe('');
}

describe('the grammar checker itself', () => {
  it('accepts the reference example and rejects broken perfdata', () => {
    const ok = checkPlugin(
      "BEAMSCOPE CRITICAL - binary_alloc mbcs utilisation 31% (crit < 40%) | 'binary_alloc_util'=31%;50:;40:;0;100 'binary_alloc_carriers'=2147483648B;;;0\nline two\nline three | 'x'=1;~:5;@2:3\n'y y'=2c\n",
      2,
    );
    expect(ok.perf.map((p) => p.label)).toEqual(['binary_alloc_util', 'binary_alloc_carriers', 'x', 'y y']);
    expect(ok.long).toEqual(['line two', 'line three']);
    expect(() => parsePerfdata("'a'=1;2;3;4;5;6")).toThrow();
    expect(() => parsePerfdata("'a'=1XB")).toThrow();
    expect(() => parsePerfdata("'a'=1;x:")).toThrow();
    expect(() => parsePerfdata('a=1e5')).toThrow();
  });
});

describe.skipIf(!existsSync(CLI))('beamscope check (built CLI)', () => {
  describe.skipIf(!haveShared('oracle/recon_alloc'))('on real recon_alloc snapshots', () => {
    it('calm.snapshot: OK, exit 0, perfdata for every metric checked', () => {
      const r = beamscope(['check', join(ORACLE, 'calm.snapshot')]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('OK');
      expect(r.stderr).toBe('');
      const labels = p.perf.map((x) => x.label);
      expect(labels).toEqual(expect.arrayContaining(['usage', 'binary_alloc_mbcs', 'binary_alloc_cur_of_max']));
      // One perfdata item per metric line in the details.
      expect(p.perf).toHaveLength(p.long.filter((l) => /^ {2}(OK|WARNING|CRITICAL|UNKNOWN): /.test(l)).length);
      // recon_alloc:memory(usage) of calm.expected.json, as a percentage.
      const expected = JSON.parse(readFileSync(join(ORACLE, 'calm.expected.json'), 'utf8'));
      expect(p.perf.find((x) => x.label === 'usage')!.value).toBeCloseTo(expected.memory.usage * 100, 1);
      expect(p.perf.find((x) => x.label === 'usage')).toMatchObject({ uom: '%', warn: '50:', crit: '25:', min: '0', max: '100' });
      expect(p.long.join('\n')).toMatch(/not checked: mseg-hit-rate \(no mseg_alloc instance has 1,000 calls/);
    });

    it('spike.snapshot: WARNING, exit 1, as alloc says (binary_alloc\'s carriers kept by remnants of a peak)', () => {
      const r = beamscope(['check', join(ORACLE, 'spike.snapshot')]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('WARNING');
      expect(p.summary).toMatch(/^binary_alloc mbcs usage 53\.3% \(alloc: carriers kept alive by remnants of a peak\)/);
      expect(p.perf[0]).toMatchObject({ label: 'binary_alloc_mbcs', uom: '%', warn: '50:', crit: '25:' });
      // eheap_alloc at 46.5% with 7 MiB unused is not worth an alert, for alloc as for check.
      expect(p.long.find((l) => l.includes('eheap_alloc mbcs usage 46.5%:'))).toMatch(/^ {2}OK: .*not judged: only 7\.09 MiB of its carriers unused/);
    });

    it('ets.snapshot: CRITICAL, exit 2 (usage 13% after 6 of 7 objects were deleted)', () => {
      const r = beamscope(['check', join(ORACLE, 'ets.snapshot')]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('CRITICAL');
      expect(p.summary).toMatch(/allocator usage 13\.1% \(crit < 25%\)/);
      // binary_alloc's 375 MiB unused (70% of the carriers) are critical; ets_alloc's 88 MiB a warning, as in alloc.
      expect(p.long.filter((l) => l.startsWith('  CRITICAL: '))).toHaveLength(3);
      expect(p.long.filter((l) => l.startsWith('  WARNING: ') && l.includes('ets_alloc'))).toHaveLength(2);
    });

    it('--warn/--crit move the state both ways', () => {
      const crit = beamscope(['check', join(ORACLE, 'spike.snapshot'), '--crit', 'usage=60', '--only', 'usage']);
      expect(checkPlugin(crit.stdout, crit.code).state).toBe('CRITICAL');
      expect(crit.stdout).toMatch(/'usage'=53\.38%;50:;60:;0;100/);
      const warn = beamscope(['check', '--warn', 'usage=80%', '--only', 'usage', join(ORACLE, 'calm.snapshot')]);
      expect(checkPlugin(warn.stdout, warn.code).state).toBe('WARNING');
      const ok = beamscope(['check', join(ORACLE, 'ets.snapshot'), '--warn', 'usage=10', '--crit', 'usage=5', '--only', 'usage']);
      expect(checkPlugin(ok.stdout, ok.code).state).toBe('OK');
      // A plugin range: alert inside 0..60.
      const at = beamscope(['check', join(ORACLE, 'calm.snapshot'), '--only', 'usage', '--warn', 'usage=@0:80']);
      expect(checkPlugin(at.stdout, at.code).state).toBe('WARNING');
      expect(at.stdout).toMatch(/'usage'=77\.3%;@0:80;25:;0;100/);
    });

    it('--skip leaves a rule out; mseg-hit-rate is judged per instance, once an instance has enough calls', () => {
      // spike.expected.json cache_hit_rates: instances with 33, 82 and 11 calls.
      const e = JSON.parse(readFileSync(join(ORACLE, 'spike.expected.json'), 'utf8'));
      const none = beamscope(['check', join(ORACLE, 'spike.snapshot'), '--skip', 'mbcs-usage,current-vs-max', '--min-mseg-calls', '100']);
      expect(checkPlugin(none.stdout, none.code).perf.map((x) => x.label)).toEqual(['usage']);
      const r = beamscope(['check', join(ORACLE, 'spike.snapshot'), '--skip', 'mbcs-usage,current-vs-max', '--min-mseg-calls', '30']);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.perf.map((x) => x.label).sort()).toEqual(['mseg_hit_rate', 'usage']);
      // The lowest hit rate of the instances with 30 calls or more: instance 1, 12 of 33 (36.4%).
      const judged = e.cache_hit_rates.filter((x: { calls: number }) => x.calls >= 30);
      const worst = Math.min(...judged.map((x: { hit_rate: number }) => x.hit_rate));
      expect(p.perf.find((x) => x.label === 'mseg_hit_rate')!.value).toBeCloseTo(worst * 100, 1);
      // Below the 50% crit line, but a cache that misses is at most a warning (as alloc says it).
      expect(p.state).toBe('WARNING');
    });

    it('a quoted glob: worst state wins, every input named in the details, labels prefixed', () => {
      const r = beamscope(['check', join(ORACLE, '*.snapshot')]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('CRITICAL');
      expect(p.summary).toBe('3 inputs: 1 CRITICAL, 1 WARNING, 1 OK; worst: ets.snapshot: allocator usage 13.1% (crit < 25%)');
      for (const n of ['calm', 'spike', 'ets']) {
        expect(p.long.some((l) => l.startsWith(join(ORACLE, `${n}.snapshot`)))).toBe(true);
        expect(p.perf.some((x) => x.label === `${n}:usage`)).toBe(true);
      }
      expect(p.long.find((l) => l.includes('calm.snapshot'))).toMatch(/: OK \(allocator snapshot\)$/);
      expect(p.long.find((l) => l.includes('spike.snapshot'))).toMatch(/: WARNING /);
    });

    it('stdin (-) reads a snapshot', () => {
      const r = beamscope(['check', '-'], readFileSync(join(ORACLE, 'spike.snapshot')));
      expect(checkPlugin(r.stdout, r.code).state).toBe('WARNING');
      expect(r.stdout).toMatch(/^stdin: WARNING/m);
    });

    it('--format json and text carry the same verdict', () => {
      const j = beamscope(['check', join(ORACLE, 'spike.snapshot'), '--format', 'json']);
      expect(j.code).toBe(1);
      const out = JSON.parse(j.stdout);
      expect(out).toMatchObject({ schema: 'beamscope.check/1', state: 'WARNING', exitCode: 1 });
      expect(out.inputs[0].metrics.find((m: { label: string }) => m.label === 'binary_alloc_mbcs')).toMatchObject({ state: 'WARNING', warn: '50:', crit: '25:', because: 'alloc: carriers kept alive by remnants of a peak' });
      const t = beamscope(['check', join(ORACLE, 'spike.snapshot'), '--format', 'text']);
      expect(t.code).toBe(1);
      expect(t.stdout.split('\n')[0]).toMatch(/^beamscope check: WARNING - binary_alloc mbcs usage 53\.3%/);
      expect(t.stdout).not.toMatch(/\u001b\[/);
    });
  });

  describe('on real crash dumps (fixtures/)', () => {
    it('mailbox.dump: WARNING for the 20,000-message mailbox; a higher threshold makes it OK', () => {
      const r = beamscope(['check', join(FIX, 'mailbox.dump')]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('WARNING');
      expect(p.summary).toBe('mailbox 20,000 messages (big_mailbox) (warn > 10,000)');
      expect(p.perf.find((x) => x.label === 'mailbox_max')).toMatchObject({ value: 20000, warn: '10000', crit: '100000', min: '0' });
      expect(p.perf.find((x) => x.label === 'processes')).toMatchObject({ value: 3044, max: '262144' });
      const ok = beamscope(['check', join(FIX, 'mailbox.dump'), '--warn', 'mailbox=50000']);
      expect(checkPlugin(ok.stdout, ok.code).state).toBe('OK');
      const crit = beamscope(['check', join(FIX, 'mailbox.dump'), '--crit', 'mailbox=15000']);
      expect(checkPlugin(crit.stdout, crit.code).state).toBe('CRITICAL');
    });

    it.skipIf(!haveShared('oracle/recon_alloc'))('oom.dump: the slogan is in the details (nagios, text and JSON), next to the thresholds it does not change', () => {
      const slogan = 'eheap_alloc: Cannot allocate 147852528 bytes of memory (of type "heap").';
      const n = beamscope(['check', join(FIX, 'oom.dump')]);
      expect(checkPlugin(n.stdout, n.code).long).toContain(`  slogan: ${slogan}`);
      const t = beamscope(['check', join(FIX, 'oom.dump'), '--format', 'text']);
      expect(t.stdout.split('\n').slice(2, 4)).toEqual([`${join(FIX, 'oom.dump')}: OK`, `  slogan: ${slogan}`]);
      const j = JSON.parse(beamscope(['check', join(FIX, 'oom.dump'), '--format', 'json']).stdout);
      expect(j.inputs[0].slogan).toBe(slogan);
      // A snapshot has none.
      expect(JSON.parse(beamscope(['check', join(ORACLE, 'calm.snapshot'), '--format', 'json']).stdout).inputs[0]).not.toHaveProperty('slogan');
    });

    it('atom_limit.dump: CRITICAL, atoms at the +t 8192 limit read from the dump', () => {
      const r = beamscope(['check', join(FIX, 'atom_limit.dump'), '--only', 'atoms,processes,ports,mailbox']);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('CRITICAL');
      expect(p.perf.find((x) => x.label === 'atoms')).toMatchObject({ value: 8192, max: '8192' });
      expect(p.summary).toMatch(/atoms 100\.0% of limit \(crit > 95%\)/);
      // A small node (14.6 MiB of carriers, 7.4 MiB unused) is not judged on usage: reported, OK.
      const small = beamscope(['check', join(FIX, 'atom_limit.dump'), '--only', 'usage']);
      const s = checkPlugin(small.stdout, small.code);
      expect(s.state).toBe('OK');
      expect(s.perf.find((x) => x.label === 'usage')!.value).toBeCloseTo(49.23, 1);
      expect(s.long.join('\n')).toMatch(/OK: allocator usage 49\.2%.*\(not judged: only 7\.\d+ MiB unused, less than --min-type-bytes 8\.00 MiB\)/);
    });

    it.skipIf(!haveShared('oracle/recon_alloc'))('dump rules on a snapshot are not checked; only such rules is UNKNOWN (exit 3)', () => {
      const r = beamscope(['check', join(ORACLE, 'calm.snapshot'), '--only', 'mailbox,atoms']);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('UNKNOWN');
      expect(p.long.join('\n')).toMatch(/not checked: mailbox \(needs a crash dump or a process snapshot\); atoms \(needs a crash dump\)/);
    });
  });

  describe.skipIf(!existsSync(join(FIX, 'leak', 'gc-before.jsonl')))('on process snapshots (beamscope.procs/1, fixtures/leak)', () => {
    it('largest mailbox and process count from a real node\'s snapshot, JSON lines, JSON array and stdin', () => {
      for (const f of ['gc-before.jsonl', 'gc-after.json']) {
        const r = beamscope(['check', join(FIX, 'leak', f)]);
        const p = checkPlugin(r.stdout, r.code);
        expect(p.state).toBe('OK');
        expect(p.perf.map((x) => x.label)).toEqual(['mailbox_max', 'processes']);
        expect(p.long[0]).toMatch(/: OK \(process snapshot\)$/);
        expect(p.long.join('\n')).toMatch(/not checked: usage \(a process snapshot has no allocator statistics\)/);
      }
      const s = beamscope(['check', '-'], readFileSync(join(FIX, 'leak', 'gc-before.jsonl')));
      expect(checkPlugin(s.stdout, s.code).state).toBe('OK');
    });
    it('a long queue in a snapshot is CRITICAL', () => {
      const f = join(tmp, 'procs.jsonl');
      writeFileSync(f, '{"schema":"beamscope.procs/1","takenAt":"2026-11-28T01:00:00Z"}\n{"pid":"<0.1.0>","messageQueueLen":5,"binaryRefs":0}\n{"pid":"<0.2.0>","name":"router","messageQueueLen":150000,"binaryRefs":0}\n');
      const r = beamscope(['check', f]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('CRITICAL');
      expect(p.summary).toBe('mailbox 150,000 messages (router) (crit > 100,000)');
    });
  });

  describe('UNKNOWN (exit 3) with one clear line', () => {
    it('a missing file', () => {
      expectUnknownLine(beamscope(['check', join(tmp, 'nope.snapshot')]), /nope\.snapshot: cannot read: no such file$/);
      const t = beamscope(['check', join(tmp, 'nope.snapshot'), '--format', 'text']);
      // text too speaks the plugin protocol: the status line on stdout, the error on stderr
      expect(t.code).toBe(3);
      expect(t.stdout).toMatch(/^BEAMSCOPE UNKNOWN - .*no such file\n$/);
      expectOneLineStderr(t.stderr, /no such file/);
    });
    it('binary data', () => {
      const p = join(tmp, 'x.png');
      writeFileSync(p, Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'));
      expectUnknownLine(beamscope(['check', p]), /x\.png: binary data, not a crash dump, allocator snapshot or JSON$/);
    });
    it('a pattern that matches nothing', () => {
      expectUnknownLine(beamscope(['check', join(tmp, '*.snapshot')]), /no file matches this pattern/);
    });
    it('a malformed threshold', () => {
      expectUnknownLine(beamscope(['check', join(ORACLE, 'calm.snapshot'), '--warn', 'usage=abc']), /malformed threshold --warn usage=abc: usage takes a percentage 0-100/);
      expectUnknownLine(beamscope(['check', join(ORACLE, 'calm.snapshot'), '--crit', 'usage']), /malformed threshold --crit "usage": expected RULE=VALUE/);
      expectUnknownLine(beamscope(['check', join(ORACLE, 'calm.snapshot'), '--crit', 'usage=120']), /malformed threshold/);
    });
    it('an unknown rule', () => {
      expectUnknownLine(beamscope(['check', join(ORACLE, 'calm.snapshot'), '--warn', 'fragmentation=40']), /unknown rule "fragmentation" in --warn/);
      expectUnknownLine(beamscope(['check', join(ORACLE, 'calm.snapshot'), '--only', 'usage,nope']), /unknown rule "nope" in --only/);
    });
    it('no input, unreadable content', () => {
      expectUnknownLine(beamscope(['check']), /name at least one input/);
      const bad = join(tmp, 'bad.snapshot');
      writeFileSync(bad, '{[{total,1}], [{{binary_alloc,0}, oops');
      const r = beamscope(['check', bad]);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^BEAMSCOPE UNKNOWN - .*bad\.snapshot/);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
    });
    it('an unknown option (yargs) exits 3 too, not yargs\'s 1', () => {
      const r = beamscope(['check', join(ORACLE, 'calm.snapshot'), '--bogus']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^beamscope: Unknown argument: bogus/);
    });
  });

  it('--list-rules lists every rule with its defaults', () => {
    const r = beamscope(['check', '--list-rules']);
    expect(r.code).toBe(0);
    for (const id of ['usage', 'mbcs-usage', 'current-vs-max', 'mseg-hit-rate', 'mailbox', 'processes', 'ports', 'atoms']) expect(r.stdout).toMatch(new RegExp(`^  ${id} `, 'm'));
    expect(r.stdout).toMatch(/^ {2}usage +allocators +lower +< 50% +< 25%$/m);
    expect(r.stdout).toMatch(/^ {2}mailbox +dump, procs +higher +> 10,000 +> 100,000$/m);
    expect(r.stdout).toMatch(/^ {2}atoms +crash dump +higher +> 80% +> 95%$/m);
  });

  describe.skipIf(!existsSync(SERIES))('on the 23-snapshot trend series', () => {
    it('stays under 1 KB / 4 KB, names what it left out, worst state wins', () => {
      const r = beamscope(['check', SERIES]);
      const p = checkPlugin(r.stdout, r.code);
      expect(p.state).toBe('CRITICAL');
      expect(p.long[p.long.length - 1]).toMatch(/left out to stay under 4 KB; --format text or json shows all/);
      // The baseline snapshot (nothing allocated yet) is OK.
      const first = beamscope(['check', join(SERIES, 'snap-01.snapshot')]);
      expect(checkPlugin(first.stdout, first.code).state).toBe('OK');
    });
  });
});
