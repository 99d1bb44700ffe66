/**
 * Compile-only: how a dashboard uses beamscope as a library, through the built package's public
 * entry points and types. `npm test` type-checks this file against dist/ (test/types.test.ts).
 */
import { readDump, processAt, type Dump, type ProcessRecord } from 'beamscope/dump';
import { triageDump, type TriageReport, type Finding } from 'beamscope';
import { allocatorModelFromDump, summarizeByType, reconReport, type AllocatorModel } from 'beamscope/alloc';

export async function dashboardPanel(path: string): Promise<{ title: string; critical: Finding[]; biggest?: ProcessRecord; usage: number[] }> {
  const dump: Dump = await readDump(path, { bufferSize: 1 << 20 });
  const report: TriageReport = triageDump(dump, { top: 5, decode: false });
  const critical = report.findings.filter((f) => f.severity === 'critical');
  const row = report.topProcesses.byMemory[0];
  let biggest: ProcessRecord | undefined;
  for (let i = 0; i < dump.processes.count; i++) if (dump.processes.pid.at(i) === row?.pid) biggest = processAt(dump.processes, i);
  const model: AllocatorModel = allocatorModelFromDump(dump.allocators, dump.memory);
  const usage = summarizeByType(model).map((t) => t.usage);
  void reconReport;
  const outliers: Array<{ pid: string; messageQueueLength: number; name?: string }> = report.mailboxOutliers;
  return { title: `${report.slogan} (${outliers.length} mailbox outliers, ${report.counts.processes} processes)`, critical, biggest, usage };
}
