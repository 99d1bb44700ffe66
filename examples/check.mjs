// beamscope/check: the health-check rules over an input, with the default thresholds.
// node examples/check.mjs fixtures/trend/series/snap-20.snapshot
import { evaluate, loadInput, resolveThresholds, selectRules } from 'beamscope/check';

const input = await loadInput(process.argv[2] ?? 'fixtures/trend/series/snap-20.snapshot');
const result = evaluate([input], { rules: selectRules([], []), thresholds: resolveThresholds({ warn: [], crit: [] }) });
console.log(result.state, result.exitCode);
