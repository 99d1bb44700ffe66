import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLimitUse, triage } from '../src/dump/analyze/triage.js';
import { readDump } from '../src/dump/index.js';
import { renderTriageText } from '../src/report/triage-text.js';
import { FIXTURES } from './helpers/dumps.js';

/**
 * Limits no dump records (processes: +P; ports: +Q or the descriptor limit) are judged against
 * the VM's default, which a count over it shows was raised: a node of 300,040 processes started
 * with +P 2,000,000 (a real VM, 7 December) was reported "critical: 114.5% of the limit".
 */
describe('a limit assumed from the VM default', () => {
  it('is the default while the count is under it, unknown past it, and the count itself when the node died of it', () => {
    expect(defaultLimitUse('processes', 'processes', 131_072, 262_144)).toEqual({ id: 'processes', label: 'processes', count: 131_072, limit: 262_144, limitSource: 'default', share: 0.5 });
    expect(defaultLimitUse('processes', 'processes', 300_040, 262_144)).toEqual({ id: 'processes', label: 'processes', count: 300_040, limitSource: 'raised' });
    expect(defaultLimitUse('ports', 'ports', 70_000, 65_536, true)).toEqual({ id: 'ports', label: 'ports', count: 70_000, limit: 70_000, limitSource: 'slogan', share: 1 });
  });

  it('triage: no limit finding for a count over the default, and the limits table says why there is no share', async () => {
    const dump = await readDump(join(FIXTURES, 'many.dump'), { threads: 1, cache: false });
    const under = triage({ ...dump, sectionCounts: { ...dump.sectionCounts, proc: 250_000 } });
    expect(under.findings.find((f) => f.id === 'limits.processes')?.severity).toBe('critical');
    const over = triage({ ...dump, sectionCounts: { ...dump.sectionCounts, proc: 300_040 } });
    expect(over.findings.find((f) => f.id === 'limits.processes')).toBeUndefined();
    expect(over.limits.find((u) => u.id === 'processes')).toEqual({ id: 'processes', label: 'processes', count: 300_040, limitSource: 'raised' });
    expect(renderTriageText(over, { width: 100, color: false })).toMatch(/processes\s+300,040\s+over the default\s+-/);
  });
});
