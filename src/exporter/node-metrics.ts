/**
 * Loaded inputs (and check's verdict on them) grouped by node, for the OpenMetrics renderer: the
 * allocator report `alloc --format json` prints, the process figures, and check's rule states.
 * Shared by `check`, `alloc` and `collect --format openmetrics` and by the exporter, so that all of
 * them give the same numbers for the same snapshot.
 */
import { allocReport } from '../alloc/report.js';
import type { CheckResult } from '../check/evaluate.js';
import type { LoadedInput } from '../check/input.js';
import { inputKind } from '../check/input-facts.js';
import type { NodeMetrics } from '../report/openmetrics.js';

/**
 * The `node` label of an input: `override`, else the node the input names (collect's files, a
 * dump's `=node`), else its file name without extension and time stamp, so that the label stays the
 * same from one snapshot to the next.
 */
export function nodeLabel(input: Pick<LoadedInput, 'node' | 'name'>, override?: string): string {
  return override ?? input.node ?? inputKind(input.name);
}

/**
 * One NodeMetrics per node. An allocator snapshot and a process snapshot of the same node (what
 * collect writes) are merged; a second input with the same kind of figures for a node it already
 * has gets `#N` (its place in the list) after the node, since two equal series cannot be exposed.
 * `check` is the CheckResult of evaluate() over the same inputs, in the same order.
 */
export function nodeMetricsOf(inputs: LoadedInput[], check?: CheckResult, override?: string): NodeMetrics[] {
  const byNode = new Map<string, NodeMetrics>();
  inputs.forEach((input, i) => {
    let label = nodeLabel(input, override);
    const prev = byNode.get(label);
    if (prev && ((input.model && prev.alloc) || (input.dump && prev.figures))) label = `${label}#${i + 1}`;
    const n = byNode.get(label) ?? { node: label };
    byNode.set(label, n);
    if (input.model) n.alloc = allocReport(input.model);
    if (input.dump) n.figures = input.dump;
    const result = check?.inputs[i];
    if (result) (n.check ??= []).push(result);
  });
  return [...byNode.values()];
}
