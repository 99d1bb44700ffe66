/**
 * The contract every rule keeps, in alloc, check and leak alike: a rule has a stable id, says what it
 * looks at and the inputs it needs, names its thresholds with their units, and evaluates one input
 * to its findings (check's rules to their metrics). One rule, one file; a list of rules is run in
 * order, so the order of the list is the order of the output.
 *
 * The rule files sit beside the model they read (src/alloc/rule-*.ts, src/check/rule-*.ts,
 * src/leak/rule-*.ts): a rule needs its folder's model, and its folder runs it, so a folder of rules
 * above them would close a folder cycle. This folder holds only the contract, and imports nothing
 * but the Finding type.
 */
import type { Finding } from '../findings.js';

/** What a threshold is measured in: `ratio` is 0-1, `percent` 0-100. */
export type ThresholdUnit = 'bytes' | 'ratio' | 'percent' | 'count';

/** A named threshold: its default value, its unit, and what crossing it means. */
export interface Threshold {
  value: number;
  unit: ThresholdUnit;
  /** One line: what the value is compared with, and which side is flagged. */
  about: string;
}

export interface Rule<Input, Output = Finding> {
  /** Stable: the finding id (`alloc.mseg-cache`), or check's rule id (`mseg-hit-rate`). */
  id: string;
  /** What it looks at, one line. */
  title: string;
  /** The finding ids it gives, when more than its own id (one verdict of several per subject). */
  gives?: readonly string[];
  /** The parts of the input it reads, in words (`allocator types`, `mseg_alloc instances`). */
  needs: readonly string[];
  thresholds: Readonly<Record<string, Threshold>>;
  evaluate(input: Input): Output[];
}

/** Runs the rules in order over one input: their outputs, in the order of the list. */
export function runRules<Input, Output>(rules: ReadonlyArray<Rule<Input, Output>>, input: Input): Output[] {
  return rules.flatMap((r) => r.evaluate(input));
}

/** A threshold, for the rules' tables. */
export function threshold(value: number, unit: ThresholdUnit, about: string): Threshold {
  return { value, unit, about };
}
