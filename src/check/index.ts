/** `beamscope check`: rules, thresholds, inputs and evaluation (renderers in src/report/nagios.ts and check-text.ts). */
export { RULES, RULE_IDS, ruleById, DEFAULT_MIN_MSEG_CALLS, DEFAULT_MIN_TYPE_BYTES, type RuleDef, type RuleId } from './rules.js';
export { parseRange, formatRange, alerts, describeRange, plainRange, resolveThresholds, parseThresholdSpec, selectRules, type Range, type Thresholds, type ThresholdArgs } from './thresholds.js';
export { expandInputs, loadInput, type LoadedInput, type DumpFigures, type TimeSource } from './input.js';
export { contentTime, inputStem } from './input-facts.js';
export { evaluate, evaluateInput, worstState, problems, EXIT_CODE, type State, type Metric, type InputResult, type CheckResult, type CheckOptions } from './evaluate.js';
export { parseByteSize } from './size.js';
