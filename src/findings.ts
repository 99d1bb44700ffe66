/**
 * Findings: what every analyzer returns. Typed, JSON-serialisable, with ids that stay stable across
 * releases so that dashboards and monitoring can key on them.
 */
export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  /** Stable id, dotted: `slogan.out-of-memory`, `mailbox.outlier`, `alloc.fragmented`. */
  id: string;
  severity: Severity;
  /** One line for people. */
  title: string;
  /** Why it matters and what to do, a few sentences. */
  explanation: string;
  /** The facts behind it, one per line, already phrased for people. */
  evidence: string[];
  /** What it is about, when it is about one thing (a process, a table, an allocator). */
  subject?: { kind: string; id: string; name?: string };
  /** The numbers, by name with the unit in it (`requestBytes`, `share`). */
  metrics: Record<string, number>;
  /**
   * With `--syntax elixir` (src/elixir): title and evidence with Elixir names and terms, and advice
   * in Elixir's own idioms (GenServer calls, Logger thresholds) where it has them.
   */
  elixir?: { title: string; evidence: string[]; advice: string[] };
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Most important first; stable for equal severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}
