/**
 * The allocator verdict: the allocator rules (one file each, src/alloc/rule-*.ts, on the contract
 * of src/rules/rule.ts) run in order over the model's summaries. check's allocator rules follow the
 * same findings (src/check/evaluate.ts), so that alloc and check say the same of one input.
 */
import type { Finding } from '../findings.js';
import { runRules, type Rule } from '../rules/rule.js';
import type { AllocatorModel } from './model.js';
import { msegCacheRule } from './rule-mseg-cache.js';
import { dumpCutRule } from './rule-dump-cut.js';
import { notFragmentedRule } from './rule-not-fragmented.js';
import { poolCarriersRule } from './rule-pool-carriers.js';
import { sbcsHeavyRule } from './rule-sbcs-heavy.js';
import { unusedCarriersRule } from './rule-unused-carriers.js';
import { allocatorFacts, type AllocatorFacts } from './summary.js';

export { THRESHOLDS, wasteSeverity, WASTE_CRITICAL_BYTES, WASTE_WARNING_BYTES } from './thresholds.js';
export {
  allocatorFacts,
  blocksAgainstMemoryTotal,
  summarizeByType,
  summarizeInstances,
  type AllocatorFacts,
  type InstanceSummary,
  type MemoryTotalCheck,
  type TypeSummary,
} from './summary.js';

/** The allocator rules, in the order their findings are listed (not-fragmented last: it reads the others' verdict). */
export const ALLOCATOR_RULES: ReadonlyArray<Rule<AllocatorFacts>> = [dumpCutRule, unusedCarriersRule, poolCarriersRule, sbcsHeavyRule, msegCacheRule, notFragmentedRule];

/** Findings over the model, most important first is left to sortFindings (same-severity order kept). */
export function allocatorFindings(model: AllocatorModel): Finding[] {
  return runRules(ALLOCATOR_RULES, allocatorFacts(model));
}
