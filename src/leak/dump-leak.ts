/**
 * Refc-binary leaks in a crash dump: who references binaries (holders), and which processes are
 * accounted binary bytes they no longer reference (stale estimates, what a GC would release).
 *
 * `analyzeDumpLeak` is pure over the dump model and a heap scan; `dumpLeakReport` does the file
 * work (the heap scan, and the real initial call of a bounded number of proc_lib processes).
 */
import { sortFindings, type Finding } from '../findings.js';
import type { Dump } from '../dump/types.js';
import { IDENTITY_LIMIT, procLibRows, readIdentities } from '../dump/terms/initial-calls.js';
import { packPid } from '../dump/section-index.js';
import { cutTakes, truncationHides } from '../dump/truncation.js';
import { formatCount } from '../text/format.js';
import { binaryHeaderBytes } from './binary-headers.js';
import { scanHeapBinaries, type HeapBinaryScan, type HeapScanOptions } from './heap-scan.js';
import type { BinaryHolder, DumpLeakReport, LeakFacts, LeakThresholds, StaleEstimate, StaleGroup } from './types.js';
import { runRules, type Rule } from '../rules/rule.js';
import { binaryNotInDumpRule } from './rule-binary-not-in-dump.js';
import { dumpCutRule } from './rule-dump-cut.js';
import { staleBinariesGroupRule } from './rule-stale-binaries-group.js';
import { staleBinariesRule } from './rule-stale-binaries.js';
import { topHolderRule } from './rule-top-holder.js';
import { DEFAULT_LEAK_THRESHOLDS } from './thresholds.js';

export { DEFAULT_LEAK_THRESHOLDS };

export interface DumpLeakOptions {
  /** Rows per list (default 10). */
  top?: number;
  thresholds?: Partial<LeakThresholds>;
  /** Real initial calls by pid (from the process dictionaries); `Spawned as` otherwise. */
  initialCalls?: Map<string, string>;
  /** Seconds the heap scan took, reported as is. */
  scanSeconds?: number;
  notes?: string[];
  /** The ports' output queues by owner (portQueuesByOwner), when the caller has them already. */
  portQueues?: PortQueues;
}

/** The ports' output queues: bytes by the process row of each port's owner (connected process), and in all. */
export interface PortQueues {
  byRow: Map<number, number>;
  bytes: number;
  ports: number;
}


function hasBinVHeap(dump: Dump): boolean {
  const p = dump.processes;
  for (let i = 0; i < p.count; i++) if (Number.isFinite(p.binVHeapBytes.at(i))) return true;
  return false;
}

function vheapOf(dump: Dump, i: number): number {
  const a = dump.processes.binVHeapBytes.at(i);
  const b = dump.processes.oldBinVHeapBytes.at(i);
  if (!Number.isFinite(a) && !Number.isFinite(b)) return NaN;
  return (Number.isFinite(a) ? a : 0) + (Number.isFinite(b) ? b : 0);
}

/** Indices of the n largest values (descending), ties by index. */
function topBy(n: number, count: number, value: (i: number) => number, keep: (i: number) => boolean): number[] {
  const idx: number[] = [];
  for (let i = 0; i < count; i++) if (keep(i)) idx.push(i);
  idx.sort((x, y) => value(y) - value(x) || x - y);
  return idx.slice(0, n);
}

/**
 * The stale estimate of process row i: vheap minus the reachable binaries as the vheap counts
 * them (once per ProcBin), minus `queuedBytes` (what the output queues of the ports it owns hold:
 * portQueuesByOwner), at least 0 (NaN without vheap fields).
 *
 * A binary a process sends to a port (gen_tcp:send/2, port_command/2) stays in the port's queue
 * until written, and in the sender's BinVHeap until the sender collects: its GC drops its
 * reference, not the binary. A broker's 2,000 connections, each with 88 KiB queued to a peer that
 * does not read (bench/shapes slow_clients), were "2,012 processes hold ~215 MiB of stale binary
 * references: a GC releases it"; a real VM whose 100 such senders collected freed 1.0 MB of binary
 * memory while 8.6 MiB stayed queued (fixtures/slow_clients.dump.vm.txt). The sender is taken to
 * be the port's owner (its connected process), as it is when a process owns the socket it writes to.
 */
export function staleBytesOf(dump: Dump, scan: HeapBinaryScan, i: number, queuedBytes = 0): number {
  const v = vheapOf(dump, i);
  if (!Number.isFinite(v)) return NaN;
  return Math.max(0, v - scan.accountedBytes[i] - queuedBytes);
}

/**
 * The ports' output queues by owner. The owners' rows are found through one hash of the pid column
 * (PidColumn.rowFinder), made when a port has output queued: `pid.find` scans the column, and a
 * broker's thousands of queued sockets on a node of a million processes were billions of reads.
 */
export function portQueuesByOwner(dump: Dump): PortQueues {
  const pids = dump.processes.pid;
  const byRow = new Map<number, number>();
  let bytes = 0;
  let ports = 0;
  let finder: ((packed: number) => number) | undefined;
  for (const port of dump.ports) {
    const q = port.queueBytes;
    if (!(q !== undefined && q > 0)) continue;
    bytes += q;
    ports++;
    if (!port.connected) continue;
    // A pid packPid cannot hold is kept as text, and found there.
    const packed = packPid(port.connected);
    const row = Number.isNaN(packed) ? pids.find(port.connected) : (finder ??= pids.rowFinder())(packed);
    if (row >= 0) byRow.set(row, (byRow.get(row) ?? 0) + q);
  }
  return { byRow, bytes, ports };
}

/** The report over a dump model and its heap scan. Reads nothing. */
export function analyzeDumpLeak(dump: Dump, scan: HeapBinaryScan, opts: DumpLeakOptions = {}): DumpLeakReport {
  const top = Math.max(0, opts.top ?? 10);
  // lists are built this long so that findings do not depend on --top, then cut to top
  const rowsN = Math.max(top, 20);
  const th: LeakThresholds = { ...DEFAULT_LEAK_THRESHOLDS, ...opts.thresholds };
  const p = dump.processes;
  const n = p.count;
  const calls = opts.initialCalls ?? new Map<string, string>();
  const initialCall = (i: number): string | undefined => calls.get(p.pid.at(i)) ?? p.spawnedAs.at(i);
  const withVHeap = hasBinVHeap(dump);
  const memBinary = dump.memory.binary;
  const share = (b: number) => (memBinary && memBinary > 0 ? b / memBinary : 0);
  const notes = [...(opts.notes ?? [])];

  // What a process's heap reaches is known when its heap is in the dump, whole, with the size of
  // every binary it refers to (a binary cut off the dump has the size of its `Yc` line; one reached
  // only through sub binaries has none): a dump cut in its heap, or before a =binary section only
  // such a line refers to, gives a reach too small and a stale estimate too large (an upper
  // bound, like that of a process without a heap: left out of totals, groups and flags).
  const cut = cutTakes(truncationHides(dump), 'binaries');
  const t = dump.truncation;
  const cutRow = t.truncated && t.lastTag === 'proc_heap' && t.lastId ? p.pid.find(t.lastId) : -1;
  const reachKnown = (i: number) => scan.heapDumped[i] === 1 && i !== cutRow && !(cut && scan.unsizedBinaries[i] > 0);
  let reachUnknown = 0;
  if (t.truncated) for (let i = 0; i < n; i++) if (scan.heapDumped[i] === 1 && !reachKnown(i)) reachUnknown++;

  const holderRows = topBy(rowsN, n, (i) => scan.reachableBytes[i], (i) => scan.reachableBytes[i] > 0 || scan.unknownBinaries[i] > 0);
  const holders: BinaryHolder[] = holderRows.map((i) => ({
    pid: p.pid.at(i),
    name: p.name.at(i) ?? null,
    initialCall: initialCall(i) ?? null,
    reachableBytes: scan.reachableBytes[i],
    exclusiveBytes: scan.exclusiveBytes[i],
    sharedBytes: scan.sharedBytes[i],
    binaries: scan.binaries[i],
    references: scan.references[i],
    vheapBytes: vheapOf(dump, i),
  }));

  const queues = opts.portQueues ?? portQueuesByOwner(dump);
  const queuedOf = (i: number) => queues.byRow.get(i) ?? 0;
  const stale = new Float64Array(n);
  let staleTotal = 0;
  let vheapTotal = 0;
  let withVHeapCount = 0;
  for (let i = 0; i < n; i++) {
    const v = vheapOf(dump, i);
    if (Number.isFinite(v)) {
      withVHeapCount++;
      vheapTotal += v;
    }
    stale[i] = withVHeap ? staleBytesOf(dump, scan, i, queuedOf(i)) : NaN;
    if (reachKnown(i) && Number.isFinite(stale[i])) staleTotal += stale[i];
  }
  const flag = (bytes: number) => bytes >= th.staleMinBytes && share(bytes) >= th.staleMinShare;

  const staleEstimates: StaleEstimate[] = withVHeap
    ? topBy(rowsN, n, (i) => stale[i], (i) => stale[i] > 0).map((i) => ({
        pid: p.pid.at(i),
        name: p.name.at(i) ?? null,
        initialCall: initialCall(i) ?? null,
        staleBytes: stale[i],
        vheapBytes: vheapOf(dump, i),
        binVHeapBytes: p.binVHeapBytes.at(i),
        oldBinVHeapBytes: p.oldBinVHeapBytes.at(i),
        reachableBytes: scan.reachableBytes[i],
        reachableAccountedBytes: scan.accountedBytes[i],
        queuedToPortsBytes: queuedOf(i),
        shareOfBinaryMemory: share(stale[i]),
        heapDumped: scan.heapDumped[i] === 1,
        reachableKnown: reachKnown(i),
        flagged: reachKnown(i) && flag(stale[i]),
      }))
    : [];
  if (memBinary === undefined) notes.push('the dump has no =memory section (cut before it): shares of binary memory are unknown, so nothing is flagged');
  if (!withVHeap) notes.push('the dump has no BinVHeap fields (written before OTP 21): no stale estimates, only the binaries the heaps reference');

  // groups by initial call (processes whose reach is known only, so that upper bounds do not mix in)
  const groupMap = new Map<string, StaleGroup>();
  if (withVHeap) {
    for (let i = 0; i < n; i++) {
      if (!reachKnown(i)) continue;
      const key = initialCall(i) ?? 'unknown';
      let g = groupMap.get(key);
      if (!g) groupMap.set(key, (g = { key, count: 0, staleBytes: 0, vheapBytes: 0, reachableBytes: 0, shareOfBinaryMemory: 0, largest: { pid: p.pid.at(i), name: null, staleBytes: -1 }, unflagged: { count: 0, staleBytes: 0, shareOfBinaryMemory: 0 }, flagged: false }));
      g.count++;
      const s = stale[i] || 0;
      g.staleBytes += s;
      g.vheapBytes += vheapOf(dump, i) || 0;
      g.reachableBytes += scan.reachableBytes[i];
      if (s > g.largest.staleBytes) g.largest = { pid: p.pid.at(i), name: p.name.at(i) ?? null, staleBytes: s };
    }
  }
  // What the members not flagged one by one hold: a group finding counts only that, so that the
  // same stale bytes are never in two findings (four planted holders were also 'a group of 2,019').
  if (withVHeap) {
    for (let i = 0; i < n; i++) {
      if (!reachKnown(i) || flag(stale[i])) continue;
      const g = groupMap.get(initialCall(i) ?? 'unknown');
      if (!g) continue;
      g.unflagged.count++;
      g.unflagged.staleBytes += stale[i] || 0;
    }
  }
  for (const g of groupMap.values()) {
    g.shareOfBinaryMemory = share(g.staleBytes);
    g.unflagged.shareOfBinaryMemory = share(g.unflagged.staleBytes);
    g.flagged = flag(g.unflagged.staleBytes);
  }
  const groups = [...groupMap.values()]
    .filter((g) => g.staleBytes > 0)
    .sort((a, b) => b.unflagged.staleBytes - a.unflagged.staleBytes || b.staleBytes - a.staleBytes || a.key.localeCompare(b.key))
    .slice(0, rowsN);

  const binarySectionsBytes = dump.binaries.totalBytes;
  const headerBytes = binaryHeaderBytes(dump.binaries.sizeBytes, dump.binaries.count, dump.header.wordSize);
  const binaries = {
    ...(memBinary !== undefined ? { memoryBinaryBytes: memBinary } : {}),
    binarySectionsBytes,
    binarySections: dump.binaries.count,
    heldByProcessesBytes: scan.heldByProcessesBytes,
    literalOnlyBytes: scan.literalOnlyBytes,
    unreferencedBytes: scan.unreferencedBytes,
    ...(memBinary !== undefined ? { notInDumpBytes: memBinary - binarySectionsBytes } : {}),
    ...(headerBytes !== undefined ? { headerEstimateBytes: headerBytes } : {}),
    staleEstimateBytes: staleTotal,
    vheapBytes: vheapTotal,
    portQueueBytes: queues.bytes,
    portQueues: queues.ports,
  };
  let heapDumped = 0;
  for (let i = 0; i < n; i++) heapDumped += scan.heapDumped[i];
  if (heapDumped < n) notes.push(`${formatCount(n - heapDumped)} of ${formatCount(n)} processes have no heap in the dump (exiting, garbage collecting, sensitive, or the dump was cut): their binaries are not counted as reachable and their stale estimates are upper bounds, left out of groups and flags`);
  if (t.truncated) notes.push('the dump is truncated: heaps and =binary sections after the cut are missing');
  if (reachUnknown > 0) notes.push(`${formatCount(reachUnknown)} processes have a heap cut by the end of the dump, or reach binaries cut off it whose size no Yc line gives: what they reach is not known, and their stale estimates are upper bounds, left out of groups and flags`);
  if (scan.orphanHeapSections > 0) notes.push(`${scan.orphanHeapSections} =proc_heap sections without a =proc record were ignored`);

  const report: DumpLeakReport = {
    schemaVersion: 1,
    kind: 'dump',
    source: { path: dump.source.path, bytes: dump.source.bytes },
    wordSize: dump.header.wordSize,
    hasBinVHeap: withVHeap,
    processes: { total: n, heapDumped, withVHeap: withVHeapCount },
    ...(t.truncated ? { truncation: { bytesRead: t.bytesRead, binariesCut: cut, reachUnknown } } : {}),
    binaries,
    holders,
    staleEstimates,
    groups,
    thresholds: th,
    heapScan: { sections: scan.heapSections, bytes: scan.heapBytesScanned, ...(opts.scanSeconds !== undefined ? { seconds: opts.scanSeconds } : {}) },
    notes,
    findings: [],
  };
  report.findings = dumpLeakFindings(report, 10);
  report.holders = holders.slice(0, top);
  report.staleEstimates = staleEstimates.slice(0, top);
  report.groups = groups.slice(0, top);
  return report;
}


/** The leak rules, in the order their findings are listed before sorting. */
export const DUMP_LEAK_RULES: ReadonlyArray<Rule<LeakFacts>> = [dumpCutRule, staleBinariesRule, staleBinariesGroupRule, binaryNotInDumpRule, topHolderRule];

function dumpLeakFindings(r: DumpLeakReport, top: number): Finding[] {
  return sortFindings(runRules(DUMP_LEAK_RULES, { report: r, top }));
}

export interface DumpLeakReportOptions extends DumpLeakOptions, HeapScanOptions {
  /** proc_lib processes whose dictionary is read for the real initial call (largest stale first; default IDENTITY_LIMIT). */
  identityBudget?: number;
}

/**
 * The whole `beamscope leak <dump>`: one pass over the heap sections, the real initial call of
 * the proc_lib processes that matter (bounded), then the analysis.
 */
export function dumpLeakReport(dump: Dump, opts: DumpLeakReportOptions = {}): DumpLeakReport {
  const t0 = process.hrtime.bigint();
  const scan = scanHeapBinaries(dump, opts);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const p = dump.processes;
  const budget = opts.identityBudget ?? IDENTITY_LIMIT;
  const calls = new Map<string, string>(opts.initialCalls ?? []);
  const notes: string[] = [...(opts.notes ?? [])];
  const isProcLib = procLibRows(p);
  const candidates = new Set<number>();
  const queues = portQueuesByOwner(dump);
  const stale = (i: number) => staleBytesOf(dump, scan, i, queues.byRow.get(i) ?? 0);
  const byStale = topBy(budget, p.count, (i) => stale(i) || 0, (i) => isProcLib(i) && scan.heapDumped[i] === 1 && (stale(i) || 0) > 0);
  const byReach = topBy(Math.min(budget, opts.top ?? 10), p.count, (i) => scan.reachableBytes[i], (i) => isProcLib(i) && scan.reachableBytes[i] > 0);
  for (const i of [...byStale, ...byReach]) candidates.add(i);
  const read = readIdentities(dump, [...candidates].filter((i) => !calls.has(p.pid.at(i))));
  for (const [pid, id] of read.identities) if (id.initialCall) calls.set(pid, id.initialCall);
  const failed = read.failed;
  let procLibStale = 0;
  for (let i = 0; i < p.count; i++) if (isProcLib(i) && scan.heapDumped[i] && (stale(i) || 0) > 0) procLibStale++;
  if (procLibStale > budget) notes.push(`the real initial call was read for the ${budget} proc_lib processes with the most stale bytes; ${formatCount(procLibStale - budget)} more are grouped as proc_lib:init_p/5`);
  if (failed > 0) notes.push(`${failed} process dictionaries could not be read for the real initial call`);
  return analyzeDumpLeak(dump, scan, { ...opts, initialCalls: calls, scanSeconds: seconds, notes, portQueues: queues });
}
