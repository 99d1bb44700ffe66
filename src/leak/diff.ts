/**
 * What grew between two crash dumps of the same node: `=memory` by kind, process groups (count,
 * memory, queues, binary vheaps), ETS tables by name, binaries, atoms and allocator carriers.
 * Pure over two dump models.
 */
import { allocatorModelFromDump, summarizeByType, type TypeSummary } from '../alloc/index.js';
import { sortFindings, type Finding } from '../findings.js';
import { sum } from '../dump/analyze/stats.js';
import { groupProcesses } from '../dump/analyze/processes.js';
import { cutTakes, truncationHides, type CutKind } from '../dump/truncation.js';
import type { Dump } from '../dump/types.js';
import { countOf, formatBytes, formatCount, formatPercent } from '../text/format.js';
import { DIFF_WARNING_SHARE_OF_GROWTH } from './thresholds.js';
import type { AllocatorDiff, DiffValue, DumpDiffReport, EtsDiff, GroupDiff } from './types.js';
import { MiB } from '../text/units.js';

export interface DiffOptions {
  /** Rows per list (default 10). */
  top?: number;
  /** Growth worth a finding: at least this many bytes (default 1 MiB)... */
  minBytes?: number;
  /** ...and this relative growth (default 0.2 = +20%). */
  minRatio?: number;
  /** Real initial calls by pid for each dump (see procLibInitialCalls); `Spawned as` otherwise. */
  initialCalls?: { a?: Map<string, string>; b?: Map<string, string> };
  notes?: string[];
}

function dv(before: number, after: number): DiffValue {
  const b = Number.isFinite(before) ? before : 0;
  const a = Number.isFinite(after) ? after : 0;
  return { before: b, after: a, delta: a - b };
}

interface GroupAcc { key: string; by: 'initial-call' | 'name'; count: number; memoryBytes: number; messageQueueLength: number; binVHeapBytes: number }

/**
 * Processes grouped as triage groups them (groupProcesses 'auto'): a registered-name pattern
 * shared by several, else the real initial call when known, else `Spawned as`.
 */
function processGroups(d: Dump, calls: Map<string, string> | undefined): Map<string, GroupAcc> {
  const details = new Map([...(calls ?? [])].map(([pid, initialCall]) => [pid, { initialCall }]));
  const groups = new Map<string, GroupAcc>();
  for (const g of groupProcesses(d.processes, 'auto', details)) {
    // 'auto' never groups by ancestor.
    const by = g.by === 'name' ? 'name' : 'initial-call';
    groups.set(`${by}\u0000${g.key}`, { key: g.key, by, count: g.count, memoryBytes: g.memoryBytes, messageQueueLength: g.messageQueueLength, binVHeapBytes: g.binaryBytes });
  }
  return groups;
}

function etsByName(d: Dump): Map<string, { tables: number; objects: number; memoryBytes: number }> {
  const m = new Map<string, { tables: number; objects: number; memoryBytes: number }>();
  for (const t of d.ets) {
    let e = m.get(t.name);
    if (!e) m.set(t.name, (e = { tables: 0, objects: 0, memoryBytes: 0 }));
    e.tables++;
    e.objects += t.objects || 0;
    e.memoryBytes += Number.isFinite(t.memoryBytes) ? t.memoryBytes : 0;
  }
  return m;
}

function allocatorTypes(d: Dump): TypeSummary[] {
  if (d.allocators.length === 0) return [];
  try {
    return summarizeByType(allocatorModelFromDump(d.allocators, d.memory));
  } catch {
    return [];
  }
}


/** Largest growth first, then largest shrink. */
const byDelta = <T>(f: (x: T) => number) => (x: T, y: T) => f(y) - f(x);

export function diffDumps(a: Dump, b: Dump, opts: DiffOptions = {}): DumpDiffReport {
  const top = Math.max(0, opts.top ?? 10);
  // lists are built this long so that findings do not depend on --top, then cut to top
  const rowsN = Math.max(top, 20);
  const minBytes = opts.minBytes ?? MiB;
  const minRatio = opts.minRatio ?? 0.2;
  const notes: string[] = [...(opts.notes ?? [])];
  const side = (d: Dump) => ({
    path: d.source.path,
    ...(d.header.created ? { created: d.header.created } : {}),
    slogan: d.header.slogan,
    ...(d.distribution.thisNode ? { node: d.distribution.thisNode } : {}),
    ...(d.header.systemVersion ? { systemVersion: d.header.systemVersion } : {}),
  });
  if (a.distribution.thisNode && b.distribution.thisNode && a.distribution.thisNode !== b.distribution.thisNode) {
    notes.push(`the dumps come from different nodes (${a.distribution.thisNode} and ${b.distribution.thisNode})`);
  }
  if (a.header.otpRelease && b.header.otpRelease && a.header.otpRelease !== b.header.otpRelease) notes.push(`the dumps come from different OTP releases (${a.header.otpRelease} and ${b.header.otpRelease})`);
  // The header's time has no zone, but both come from the same host's clock.
  const writtenA = a.header.created ? Date.parse(a.header.created) : NaN;
  const writtenB = b.header.created ? Date.parse(b.header.created) : NaN;
  if (writtenB < writtenA) notes.push(`dump B was written before dump A (${b.header.created} < ${a.header.created}): growth reads as shrinking; swap them`);
  if (a.truncation.truncated || b.truncation.truncated) notes.push('a dump is truncated: what comes after its cut is missing from its side');
  // Growth from a dump A cut before the end of some sections would be growth from the cut: what
  // grew there is not said (B's counts past its own cut are lower bounds, and growth to them holds).
  const hidesA = truncationHides(a);
  const cutInA = (kind: CutKind) => cutTakes(hidesA, kind);
  const notSaid = (what: string, kind: string) => notes.push(`dump A is cut before the end of its ${kind}: no ${what} is said to have grown`);
  if (cutInA('processes')) notSaid('group of processes', '=proc sections');
  if (cutInA('ETS tables')) notSaid('ETS table', '=ets sections');
  if (cutInA('allocator statistics')) notSaid("allocator type's carriers", '=allocator sections');

  const kinds = new Set([...Object.keys(a.memory), ...Object.keys(b.memory)]);
  const memory = [...kinds].map((kind) => ({ kind, ...dv(a.memory[kind] ?? 0, b.memory[kind] ?? 0) })).sort(byDelta((x) => x.delta));

  const pa = a.processes;
  const pb = b.processes;
  const processes = {
    count: dv(pa.count, pb.count),
    memoryBytes: dv(sum(pa.memoryBytes, pa.count), sum(pb.memoryBytes, pb.count)),
    messageQueueLength: dv(sum(pa.messageQueueLength, pa.count), sum(pb.messageQueueLength, pb.count)),
  };

  const ga = processGroups(a, opts.initialCalls?.a);
  const gb = processGroups(b, opts.initialCalls?.b);
  const allGroups: GroupDiff[] = [];
  for (const k of new Set([...ga.keys(), ...gb.keys()])) {
    const x = ga.get(k);
    const y = gb.get(k);
    const g = (x ?? y)!;
    allGroups.push({
      key: g.key,
      by: g.by,
      count: dv(x?.count ?? 0, y?.count ?? 0),
      memoryBytes: dv(x?.memoryBytes ?? 0, y?.memoryBytes ?? 0),
      messageQueueLength: dv(x?.messageQueueLength ?? 0, y?.messageQueueLength ?? 0),
      binVHeapBytes: dv(x?.binVHeapBytes ?? 0, y?.binVHeapBytes ?? 0),
    });
  }
  // the groups that grew most in memory, then those whose count or queue grew most
  const pick = new Map<string, GroupDiff>();
  const add = (list: GroupDiff[]) => list.forEach((g) => pick.set(`${g.by}\u0000${g.key}`, g));
  add([...allGroups].filter((g) => g.memoryBytes.delta > 0).sort(byDelta((g) => g.memoryBytes.delta)).slice(0, rowsN));
  add([...allGroups].filter((g) => g.count.delta > 0).sort(byDelta((g) => g.count.delta)).slice(0, Math.ceil(rowsN / 2)));
  add([...allGroups].filter((g) => g.messageQueueLength.delta > 0).sort(byDelta((g) => g.messageQueueLength.delta)).slice(0, Math.ceil(rowsN / 2)));
  add([...allGroups].filter((g) => g.memoryBytes.delta < 0).sort(byDelta((g) => -g.memoryBytes.delta)).slice(0, Math.ceil(rowsN / 4)));
  const groups = [...pick.values()].sort((x, y) => y.memoryBytes.delta - x.memoryBytes.delta || y.count.delta - x.count.delta);

  const ea = etsByName(a);
  const eb = etsByName(b);
  const ets: EtsDiff[] = [...new Set([...ea.keys(), ...eb.keys()])]
    .map((name) => {
      const x = ea.get(name);
      const y = eb.get(name);
      return { name, tables: dv(x?.tables ?? 0, y?.tables ?? 0), objects: dv(x?.objects ?? 0, y?.objects ?? 0), memoryBytes: dv(x?.memoryBytes ?? 0, y?.memoryBytes ?? 0) };
    })
    .filter((e) => e.memoryBytes.delta !== 0 || e.objects.delta !== 0 || e.tables.delta !== 0)
    .sort((x, y) => y.memoryBytes.delta - x.memoryBytes.delta || y.objects.delta - x.objects.delta)
    .slice(0, rowsN);

  const ta = new Map(allocatorTypes(a).map((t) => [t.type, t]));
  const tb = new Map(allocatorTypes(b).map((t) => [t.type, t]));
  const allocators: AllocatorDiff[] = [...new Set([...ta.keys(), ...tb.keys()])]
    .map((type) => ({ type, carriersBytes: dv(ta.get(type)?.carriersBytes ?? 0, tb.get(type)?.carriersBytes ?? 0), blocksBytes: dv(ta.get(type)?.blocksBytes ?? 0, tb.get(type)?.blocksBytes ?? 0) }))
    .sort((x, y) => y.carriersBytes.delta - x.carriersBytes.delta);
  if (ta.size === 0 || tb.size === 0) notes.push('a dump has no =allocator sections: no carrier comparison');

  const atomsOf = (d: Dump) => (d.atoms.count > 0 ? d.atoms.count : (d.header.atoms ?? 0));
  const report: DumpDiffReport = {
    schemaVersion: 1,
    kind: 'diff',
    a: side(a),
    b: side(b),
    memory,
    processes,
    groups,
    ets,
    binaries: {
      sections: dv(a.binaries.count, b.binaries.count),
      sectionsBytes: dv(a.binaries.totalBytes, b.binaries.totalBytes),
      memoryBinaryBytes: dv(a.memory.binary ?? 0, b.memory.binary ?? 0),
    },
    atoms: dv(atomsOf(a), atomsOf(b)),
    allocators,
    notes,
    findings: [],
  };

  const grewEnough = (v: DiffValue) => v.delta >= minBytes && (v.before <= 0 || v.delta / v.before >= minRatio);
  const rel = (v: DiffValue) => (v.before > 0 ? ` (${v.delta >= 0 ? '+' : ''}${formatPercent(v.delta / v.before)})` : '');
  const findings: Finding[] = [];
  const total = memory.find((m) => m.kind === 'total');
  for (const m of memory.filter((x) => x.kind !== 'total' && !x.kind.endsWith('_used') && grewEnough(x)).slice(0, 3)) {
    findings.push({
      id: 'diff.memory-grew',
      severity: total && total.delta > 0 && m.delta / total.delta >= DIFF_WARNING_SHARE_OF_GROWTH ? 'warning' : 'info',
      title: `=memory ${m.kind} grew by ${formatBytes(m.delta)}${rel(m)}: ${formatBytes(m.before)} -> ${formatBytes(m.after)}`,
      explanation: total && total.delta > 0 ? `This kind accounts for ${formatPercent(Math.min(1, m.delta / total.delta))} of the growth of total memory between the dumps.` : 'Memory of this kind grew between the dumps.',
      evidence: total ? [`total ${formatBytes(total.before)} -> ${formatBytes(total.after)}`] : [],
      subject: { kind: 'memory', id: m.kind },
      metrics: { beforeBytes: m.before, afterBytes: m.after, deltaBytes: m.delta },
    });
  }
  for (const g of groups.filter((x) => !cutInA('processes') && (grewEnough(x.memoryBytes) || (x.count.delta >= 100 && (x.count.before === 0 || x.count.delta / x.count.before >= minRatio)))).slice(0, 3)) {
    findings.push({
      id: 'diff.group-grew',
      severity: 'info',
      title: `Processes ${g.by === 'name' ? 'named' : 'spawned as'} ${g.key}: ${formatCount(g.count.before)} -> ${formatCount(g.count.after)}, memory ${formatBytes(g.memoryBytes.before)} -> ${formatBytes(g.memoryBytes.after)}`,
      explanation: 'A group of processes grew in number or in memory between the dumps: the first place to look for what the node accumulates.',
      evidence: [`queued messages ${formatCount(g.messageQueueLength.before)} -> ${formatCount(g.messageQueueLength.after)}`, `binary vheaps ${formatBytes(g.binVHeapBytes.before)} -> ${formatBytes(g.binVHeapBytes.after)}`],
      subject: { kind: g.by, id: g.key },
      metrics: { countBefore: g.count.before, countAfter: g.count.after, memoryBytesBefore: g.memoryBytes.before, memoryBytesAfter: g.memoryBytes.after },
    });
  }
  for (const e of ets.filter((x) => !cutInA('ETS tables') && grewEnough(x.memoryBytes)).slice(0, 3)) {
    findings.push({
      id: 'diff.ets-grew',
      severity: 'info',
      title: `ETS ${e.name}: ${formatCount(e.objects.before)} -> ${countOf(e.objects.after, 'object')}, ${formatBytes(e.memoryBytes.before)} -> ${formatBytes(e.memoryBytes.after)}`,
      explanation: 'An ETS table grew between the dumps; tables are never garbage collected, so unbounded inserts show up here.',
      evidence: [`${formatCount(e.tables.after)} table(s) of this name in the later dump`],
      subject: { kind: 'ets', id: e.name },
      metrics: { objectsBefore: e.objects.before, objectsAfter: e.objects.after, memoryBytesBefore: e.memoryBytes.before, memoryBytesAfter: e.memoryBytes.after },
    });
  }
  if (report.atoms.delta >= 10_000 || (report.atoms.before > 0 && report.atoms.delta / report.atoms.before >= minRatio && report.atoms.delta >= 1000)) {
    findings.push({
      id: 'diff.atoms-grew',
      severity: 'warning',
      title: `Atoms: ${formatCount(report.atoms.before)} -> ${formatCount(report.atoms.after)} (+${formatCount(report.atoms.delta)})`,
      explanation: 'Atoms are never freed. Steady growth means atoms are made from data (list_to_atom/1, binary_to_atom/2 on input): the node will hit the atom limit. The newest atoms are at the top of =atoms.',
      evidence: [],
      subject: { kind: 'atoms', id: 'atoms' },
      metrics: { atomsBefore: report.atoms.before, atomsAfter: report.atoms.after },
    });
  }
  const bin = report.binaries.memoryBinaryBytes;
  if (grewEnough(bin)) {
    findings.push({
      id: 'diff.binary-grew',
      severity: 'info',
      title: `Binary memory grew by ${formatBytes(bin.delta)}${rel(bin)}; the =binary sections by ${formatBytes(report.binaries.sectionsBytes.delta)}`,
      explanation: 'Growth of =memory binary beyond what the dumped heaps reference points at stale references (beamscope leak on the later dump estimates them), ETS or ports.',
      evidence: [`=binary sections ${formatCount(report.binaries.sections.before)} -> ${formatCount(report.binaries.sections.after)}`],
      subject: { kind: 'memory', id: 'binary' },
      metrics: { beforeBytes: bin.before, afterBytes: bin.after, sectionsBytesBefore: report.binaries.sectionsBytes.before, sectionsBytesAfter: report.binaries.sectionsBytes.after },
    });
  }
  for (const t of allocators.filter((x) => !cutInA('allocator statistics') && grewEnough(x.carriersBytes)).slice(0, 2)) {
    findings.push({
      id: 'diff.carriers-grew',
      severity: 'info',
      title: `${t.type} carriers ${formatBytes(t.carriersBytes.before)} -> ${formatBytes(t.carriersBytes.after)}, blocks ${formatBytes(t.blocksBytes.before)} -> ${formatBytes(t.blocksBytes.after)}`,
      explanation: 'Carriers that grow faster than the blocks in them mean fragmentation (beamscope alloc); growing with them, just more data.',
      evidence: [],
      subject: { kind: 'allocator', id: t.type },
      metrics: { carriersBytesBefore: t.carriersBytes.before, carriersBytesAfter: t.carriersBytes.after, blocksBytesBefore: t.blocksBytes.before, blocksBytesAfter: t.blocksBytes.after },
    });
  }
  report.findings = sortFindings(findings);
  report.groups = groups.slice(0, top);
  report.ets = ets.slice(0, top);
  return report;
}
