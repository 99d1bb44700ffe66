/**
 * The rules `beamscope check` evaluates: ids, defaults and meaning. Ids are stable (monitoring
 * configurations name them in --warn/--crit/--only/--skip); docs/check.md lists the same table.
 *
 * Where a number comes from: recon_alloc documents one threshold (mseg cache hit rate "usually above
 * 0.80"); "Erlang in Anger" says usage near 100% rules fragmentation out and gives no cut-off. The
 * allocator defaults below are the allocator rules' own (src/alloc/thresholds.ts THRESHOLDS: a type
 * is fragmented below 50% usage; recon's 0.80 hit rate; the same minimum bytes and calls), so that
 * check and alloc judge with one set of numbers; the limit defaults follow triage (80% warning, 95%
 * critical). Each rule is evaluated by its own file, src/check/rule-*.ts.
 */
import { THRESHOLDS } from '../alloc/thresholds.js';
import { threshold, type Threshold } from '../rules/rule.js';
export type RuleId = 'usage' | 'mbcs-usage' | 'current-vs-max' | 'mseg-hit-rate' | 'mailbox' | 'processes' | 'ports' | 'atoms';

export interface RuleDef {
  id: RuleId;
  /** What is measured, one line. */
  title: string;
  /** Which inputs it can be evaluated on: allocator statistics, processes (crash dumps and process snapshots), or a crash dump only. */
  needs: 'allocators' | 'processes' | 'dump';
  /** `lower`: lower values are worse (ratios); `higher`: higher values are worse (counts, shares of a limit). */
  worse: 'lower' | 'higher';
  /** Unit thresholds are given in: `%` (0-100) or a plain count. */
  unit: '%' | 'count';
  defaultWarn: number;
  defaultCrit: number;
  /** Why it matters and how to read it. */
  meaning: string;
}

export const RULES: readonly RuleDef[] = [
  {
    id: 'usage',
    title: 'node-wide allocator usage (recon_alloc memory(usage)): used / allocated bytes of the nine util allocators',
    needs: 'allocators',
    worse: 'lower',
    unit: '%',
    defaultWarn: THRESHOLDS.fragmentedUsage * 100,
    defaultCrit: 25,
    meaning:
      'Share of carrier memory the VM took from the OS that holds live blocks. Near 100% means no fragmentation, just data; low means carriers kept alive by few blocks (fragmentation). Judged only when at least --min-type-bytes of carrier memory is unused (a small idle node at 45% wastes nothing); below that it is reported, OK.',
  },
  {
    id: 'mbcs-usage',
    title: 'per-type multiblock-carrier utilisation (blocks / carriers in mbcs + mbcs_pool), for types with at least --min-type-bytes of mbcs carriers',
    needs: 'allocators',
    worse: 'lower',
    unit: '%',
    defaultWarn: THRESHOLDS.fragmentedUsage * 100,
    defaultCrit: 25,
    meaning:
      'recon_alloc fragmentation(current) mbcs_usage summed per allocator type. Small types are skipped: a 1 MiB carrier at 20% wastes nothing worth a page.',
  },
  {
    id: 'current-vs-max',
    title: 'per-type current mbcs utilisation as a share of the utilisation at the peak (fragmentation(current) against fragmentation(max)), same types as mbcs-usage',
    needs: 'allocators',
    worse: 'lower',
    unit: '%',
    defaultWarn: 60,
    defaultCrit: 30,
    meaning:
      '"Erlang in Anger" 7.4: a big difference between current and max usage means fragmentation after a usage spike (the Logplex pattern). The peak is the sum of per-instance max-ever values, an upper bound.',
  },
  {
    id: 'mseg-hit-rate',
    title: 'mseg_alloc segment cache hit rate over all instances (recon_alloc cache_hit_rates), when there were at least --min-mseg-calls calls',
    needs: 'allocators',
    worse: 'lower',
    unit: '%',
    defaultWarn: THRESHOLDS.msegHitRate * 100,
    defaultCrit: 50,
    meaning: 'recon: "should usually be above 0.80" unless memory use is expected to be spiky. Misses go to mmap/munmap. Tune +MMmcs first, then +MMrmcbf/+MMamcbf.',
  },
  {
    id: 'mailbox',
    title: 'largest message queue of any process (crash dumps, process snapshots)',
    needs: 'processes',
    worse: 'higher',
    unit: 'count',
    defaultWarn: 10_000,
    defaultCrit: 100_000,
    meaning: 'Unbounded mailboxes are the most common cause of out-of-memory crashes ("Erlang in Anger" 3, 7.1). queue_fun.awk flags 1,000; the book\'s example uses 10,000.',
  },
  {
    id: 'processes',
    title: 'processes as a share of the process limit (crash dumps, process snapshots; neither records +P, so the default 262,144 is assumed)',
    needs: 'processes',
    worse: 'higher',
    unit: '%',
    defaultWarn: 80,
    defaultCrit: 95,
    meaning: 'At the limit spawn fails with system_limit. Compare with the node\'s own baseline too.',
  },
  {
    id: 'ports',
    title: 'ports as a share of the port limit (crash dumps; the default 65,536 is assumed)',
    needs: 'dump',
    worse: 'higher',
    unit: '%',
    defaultWarn: 80,
    defaultCrit: 95,
    meaning: 'At the limit opening sockets and files fails. A high count suggests overload or a port leak.',
  },
  {
    id: 'atoms',
    title: 'atoms as a share of the atom table limit (crash dumps; the limit is read from the dump)',
    needs: 'dump',
    worse: 'higher',
    unit: '%',
    defaultWarn: 80,
    defaultCrit: 95,
    meaning: 'Atoms are never collected; at the limit the VM dies. Growth means list_to_atom/binary_to_term on untrusted data.',
  },
];

export const RULE_IDS: readonly RuleId[] = RULES.map((r) => r.id);

export function ruleById(id: string): RuleDef | undefined {
  return RULES.find((r) => r.id === id);
}

/** Default minimum mbcs carrier bytes of a type for mbcs-usage and current-vs-max. */
export const DEFAULT_MIN_TYPE_BYTES = THRESHOLDS.minUnusedBytes;
/** Default minimum mseg_alloc calls before the hit rate is judged (alloc.mseg-cache's). */
export const DEFAULT_MIN_MSEG_CALLS = THRESHOLDS.msegMinCalls;

/** A rule's default thresholds, named with their units, for its rule file (src/check/rule-*.ts). */
export function defaultThresholds(id: RuleId): Record<'warn' | 'crit', Threshold> {
  const r = ruleById(id)!;
  const unit = r.unit === '%' ? 'percent' : 'count';
  const side = r.worse === 'lower' ? 'at or below' : 'at or above';
  return {
    warn: threshold(r.defaultWarn, unit, `WARNING ${side} this`),
    crit: threshold(r.defaultCrit, unit, `CRITICAL ${side} this`),
  };
}
