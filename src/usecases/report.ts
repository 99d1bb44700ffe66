/**
 * What `beamscope report` shows, gathered once per kind of input: a crash dump (triage plus the
 * longer lists the page's tables hold), an allocator snapshot (alloc's report) or a trend series.
 * The page itself is rendered by src/report/html/; these objects are plain data.
 */
import { allocatorModelFromDump } from '../alloc/from-dump.js';
import type { AllocatorModel } from '../alloc/model.js';
import { allocReport, type AllocReport } from '../alloc/report.js';
import { summarizeInstances, type InstanceSummary } from '../alloc/verdict.js';
import { groupProcesses, processSummary, topProcessRows, type ProcessDetails } from '../dump/analyze/processes.js';
import type { ProcessGroup, ProcessSummary, TriageReport } from '../dump/analyze/report-types.js';
import { largestEts, withSample } from '../dump/analyze/triage.js';
import { findProcess } from '../dump/process-table.js';
import type { Dump, PortKind } from '../dump/types.js';
import type { TrendReport } from '../trend/index.js';
import { elixirGroup, elixirSummary } from '../elixir/report.js';
import { identityRows } from '../dump/terms/initial-calls.js';
import { resolveIdentities, triageDump, type TriageDumpOptions } from './triage.js';

/** How many rows the page's tables hold at most (the total is said beside each). */
export const REPORT_ROWS = { processes: 2000, groups: 500, ets: 500, ports: 500, instances: 2000 } as const;

/** The top of a longer list, and how long the list is. */
export interface Bounded<T> {
  rows: T[];
  total: number;
}

export interface ReportPort {
  id: string;
  name?: string;
  kind: PortKind;
  driver?: string;
  connected?: string;
  connectedName?: string;
  state?: string;
  queueBytes?: number;
  inputBytes?: number;
  outputBytes?: number;
}

export interface DumpReportData {
  kind: 'dump';
  triage: TriageReport;
  /** By memory, largest first. */
  processes: Bounded<ProcessSummary>;
  /** As triage groups them (a name pattern, else the initial call), most memory first. */
  groups: Bounded<ProcessGroup>;
  ets: Bounded<TriageReport['ets'][number]>;
  /** Largest output queue first, then by id order. */
  ports: Bounded<ReportPort>;
  /** Every allocator instance, most unused carrier bytes first. */
  allocatorInstances: Bounded<InstanceSummary>;
}

export interface AllocReportData {
  kind: 'alloc';
  alloc: AllocReport;
  allocatorInstances: Bounded<InstanceSummary>;
}

export interface TrendReportData {
  kind: 'trend';
  trend: TrendReport;
}

export type ReportData = DumpReportData | AllocReportData | TrendReportData;

function bounded<T>(all: T[], limit: number): Bounded<T> {
  return { rows: all.slice(0, limit), total: all.length };
}

function instancesOf(model: AllocatorModel): Bounded<InstanceSummary> {
  return bounded(summarizeInstances(model).filter((i) => i.carriersBytes > 0), REPORT_ROWS.instances);
}

/** Triage (the findings, as `triage` gives them) and the longer lists behind the page's tables. */
export function dumpReportData(dump: Dump, opts: Omit<TriageDumpOptions, 'detailsOut'> = {}): DumpReportData {
  const details = new Map<string, ProcessDetails>();
  const triage = triageDump(dump, { ...opts, detailsOut: details });
  const p = dump.processes;
  // With the sample triage read of the proc_lib processes' dictionaries (a group of over
  // IDENTITY_LIMIT members, so among triage's first groups by count).
  const sample = triage.groups.find((g) => g.sampledInitialCalls)?.sampledInitialCalls;
  const groups = withSample(groupProcesses(p, 'auto', details, sample?.groupKey), sample).sort((a, b) => b.memoryBytes - a.memoryBytes || b.count - a.count);
  // The page lists more processes than triage: past the identity limit, theirs are read too.
  const listed = topProcessRows(p, 'memory', REPORT_ROWS.processes);
  if (opts.decode !== false && dump.source.seekable) resolveIdentities(dump, 'proc_lib', details, [], identityRows(p, 'proc_lib', opts.identityLimit), listed);
  const rows = listed.map((i) => processSummary(p, i, details));
  const shown = bounded(groups, REPORT_ROWS.groups);
  // The page's longer lists get the Elixir names triage gives its own (--syntax, src/elixir).
  if (opts.elixir) {
    for (const r of rows) r.elixir = elixirSummary(r);
    for (const g of shown.rows) g.elixir = elixirGroup(g);
  }
  return {
    kind: 'dump',
    triage,
    processes: { rows, total: p.count },
    groups: shown,
    ets: { rows: largestEts(dump, REPORT_ROWS.ets), total: dump.ets.length },
    ports: { rows: portRows(dump), total: dump.ports.length },
    allocatorInstances: instancesOf(allocatorModelFromDump(dump.allocators, dump.memory)),
  };
}

function portRows(dump: Dump): ReportPort[] {
  const order = dump.ports.map((_, i) => i).sort((a, b) => (dump.ports[b].queueBytes ?? 0) - (dump.ports[a].queueBytes ?? 0) || a - b);
  const rows: ReportPort[] = [];
  for (const i of order.slice(0, REPORT_ROWS.ports)) {
    const p = dump.ports[i];
    const row: ReportPort = { id: p.id, kind: p.kind };
    if (p.name !== undefined) row.name = p.name;
    if (p.driver !== undefined) row.driver = p.driver;
    if (p.connected !== undefined) {
      row.connected = p.connected;
      const at = findProcess(dump.processes, p.connected);
      const name = at >= 0 ? dump.processes.name.at(at) : undefined;
      if (name !== undefined) row.connectedName = name;
    }
    if (p.state !== undefined) row.state = p.state;
    if (p.queueBytes !== undefined) row.queueBytes = p.queueBytes;
    if (p.inputBytes !== undefined) row.inputBytes = p.inputBytes;
    if (p.outputBytes !== undefined) row.outputBytes = p.outputBytes;
    rows.push(row);
  }
  return rows;
}

export function allocReportData(model: AllocatorModel): AllocReportData {
  return { kind: 'alloc', alloc: allocReport(model, { top: 20 }), allocatorInstances: instancesOf(model) };
}
