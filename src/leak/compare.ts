/**
 * Two process snapshots compared, joined by pid: recon bin_leak deltas (references and bytes a
 * garbage collection freed, when the snapshots are taken before and after garbage_collect/1), and
 * growth per process and per initial call (when they are taken some time apart). Pure: takes
 * the records as iterables; the before side is kept as one summary per process, the after side
 * is consumed as it comes.
 */
import { sortFindings, type Finding } from '../findings.js';
import { countOf, formatBytes, formatCount, who } from '../text/format.js';
import type {
  GroupGrowth, ProcessBinarySummary, ProcessDelta, ProcessGrowth, SnapshotLeakReport, SnapshotMeta,
  SnapshotSource,
} from './types.js';
import { MiB } from '../text/units.js';

export interface CompareOptions {
  /** Rows per list (default 10). */
  top?: number;
  /** A process's freed references are a finding from this many (default 100)... */
  freedRefsMin?: number;
  /** ...or this many bytes (default 1 MiB). */
  freedBytesMin?: number;
  /** Growth (process or group) is a finding from this many bytes (default 256 KiB)... */
  growthMinBytes?: number;
  /** ...and this share of the after snapshot's referenced bytes (default 0.1). */
  growthMinShare?: number;
}


function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function topN<T>(items: T[], n: number, cmp: (a: T, b: T) => number): T[] {
  return items.sort(cmp).slice(0, n);
}

/** Path, format and metadata record of a side, when it is an openSnapshot stream. */
function sideMeta(src: SnapshotSource, counted: { processes: number; refs: number; bytes: number }, fallback: string): SnapshotMeta {
  const m = (src as { meta?: SnapshotMeta }).meta;
  return {
    path: m?.path ?? fallback,
    format: m?.format ?? 'jsonl',
    ...counted,
    ...(m?.meta !== undefined ? { meta: m.meta } : {}),
  };
}

/**
 * Compares two snapshots: openSnapshot streams, or any (async) iterables of summaries. The before
 * side is read first, in full (one summary per process kept); the after side is joined as it comes.
 */
export async function compareSnapshots(before: SnapshotSource, after: SnapshotSource, opts: CompareOptions = {}): Promise<SnapshotLeakReport> {
  const top = Math.max(0, opts.top ?? 10);
  // lists are built this long so that findings do not depend on --top, then cut to top
  const rowsN = Math.max(top, 20);
  const freedRefsMin = opts.freedRefsMin ?? 100;
  const freedBytesMin = opts.freedBytesMin ?? MiB;
  const growthMinBytes = opts.growthMinBytes ?? 256 * 1024;
  const growthMinShare = opts.growthMinShare ?? 0.1;
  const notes: string[] = [];

  const prior = new Map<string, ProcessBinarySummary>();
  let duplicates = 0;
  const cb = { processes: 0, refs: 0, bytes: 0 };
  for await (const s of before) {
    if (prior.has(s.pid)) duplicates++;
    prior.set(s.pid, s);
    cb.processes++;
    cb.refs += s.refs;
    cb.bytes += s.bytes;
  }
  const ca = { processes: 0, refs: 0, bytes: 0 };
  const groups = new Map<string, GroupGrowth>();
  const group = (key: string): GroupGrowth => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, countBefore: 0, countAfter: 0, refsBefore: 0, refsAfter: 0, bytesBefore: 0, bytesAfter: 0, growthRefs: 0, growthBytes: 0, memoryBytesBefore: 0, memoryBytesAfter: 0 }));
    return g;
  };
  const keyOf = (s: ProcessBinarySummary) => s.initialCall ?? 'unknown';
  const deltas: ProcessDelta[] = [];
  const growth: ProcessGrowth[] = [];
  const seen = new Set<string>();
  const reused = new Set<string>();
  let matched = 0;
  let onlyAfter = 0;
  let freedRefs = 0;
  let freedBytes = 0;
  for await (const a of after) {
    ca.processes++;
    ca.refs += a.refs;
    ca.bytes += a.bytes;
    if (seen.has(a.pid)) {
      duplicates++;
      continue;
    }
    seen.add(a.pid);
    let b = prior.get(a.pid);
    // a pid reused by a new process (the initial calls differ) is not the same process
    if (b && b.initialCall !== undefined && a.initialCall !== undefined && b.initialCall !== a.initialCall) {
      reused.add(a.pid);
      b = undefined;
    }
    const ga = group(keyOf(a));
    ga.countAfter++;
    ga.refsAfter += a.refs;
    ga.bytesAfter += a.bytes;
    ga.memoryBytesAfter += a.memoryBytes ?? 0;
    // objects of one shape (undefined fields are left out of JSON anyway): sorting 10^5 of them stays fast
    const name = a.name ?? b?.name ?? null;
    const initialCall = a.initialCall ?? b?.initialCall ?? null;
    if (b) {
      matched++;
      const fr = b.refs - a.refs;
      const fb = b.bytes - a.bytes;
      if (fr > 0) {
        freedRefs += fr;
        freedBytes += Math.max(0, fb);
        deltas.push({ pid: a.pid, name, initialCall, refsBefore: b.refs, refsAfter: a.refs, bytesBefore: b.bytes, bytesAfter: a.bytes, freedRefs: fr, freedBytes: fb });
      }
      if (fb < 0) {
        growth.push({
          pid: a.pid, name, initialCall, refsBefore: b.refs, refsAfter: a.refs, bytesBefore: b.bytes, bytesAfter: a.bytes, growthRefs: -fr, growthBytes: -fb,
          memoryBytesBefore: b.memoryBytes, memoryBytesAfter: a.memoryBytes, isNew: false,
        });
      }
    } else {
      onlyAfter++;
      if (a.bytes > 0) {
        growth.push({
          pid: a.pid, name, initialCall, refsBefore: 0, refsAfter: a.refs, bytesBefore: 0, bytesAfter: a.bytes, growthRefs: a.refs, growthBytes: a.bytes,
          memoryBytesBefore: undefined, memoryBytesAfter: a.memoryBytes, isNew: true,
        });
      }
    }
  }
  let onlyBefore = 0;
  for (const b of prior.values()) {
    const g = group(keyOf(b));
    g.countBefore++;
    g.refsBefore += b.refs;
    g.bytesBefore += b.bytes;
    g.memoryBytesBefore += b.memoryBytes ?? 0;
    if (!seen.has(b.pid) || reused.has(b.pid)) onlyBefore++;
  }
  let growthRefs = 0;
  let growthBytes = 0;
  for (const g of groups.values()) {
    g.growthRefs = g.refsAfter - g.refsBefore;
    g.growthBytes = g.bytesAfter - g.bytesBefore;
  }
  for (const g of growth) {
    growthRefs += g.growthRefs;
    growthBytes += g.growthBytes;
  }
  if (reused.size > 0) notes.push(`${reused.size} pids belong to different processes in the two snapshots (other initial calls): counted as gone and new, not compared`);
  if (duplicates > 0) notes.push(`${duplicates} records repeat a pid already read; the later one was kept (before) or skipped (after)`);
  const mb = sideMeta(before, cb, 'before');
  const ma = sideMeta(after, ca, 'after');
  if (mb.meta?.node !== undefined && ma.meta?.node !== undefined && mb.meta.node !== ma.meta.node) notes.push(`the snapshots come from different nodes (${String(mb.meta.node)} and ${String(ma.meta.node)}): pids do not match across nodes`);

  const report: SnapshotLeakReport = {
    schemaVersion: 1,
    kind: 'snapshots',
    before: mb,
    after: ma,
    matched,
    onlyBefore,
    onlyAfter,
    totals: { freedRefs, freedBytes, growthRefs, growthBytes },
    deltas: topN(deltas, rowsN, (x, y) => y.freedRefs - x.freedRefs || y.freedBytes - x.freedBytes || cmpStr(x.pid, y.pid)),
    growth: topN(growth, rowsN, (x, y) => y.growthBytes - x.growthBytes || y.growthRefs - x.growthRefs || cmpStr(x.pid, y.pid)),
    groups: topN([...groups.values()].filter((g) => g.growthBytes !== 0 || g.growthRefs !== 0 || g.countAfter !== g.countBefore), rowsN,
      (x, y) => y.growthBytes - x.growthBytes || y.growthRefs - x.growthRefs || cmpStr(x.key, y.key)),
    notes,
    findings: [],
  };
  const findings: Finding[] = [];
  for (const d of report.deltas) {
    if (d.freedRefs < freedRefsMin && d.freedBytes < freedBytesMin) continue;
    findings.push({
      id: 'leak.gc-freed',
      severity: d.freedRefs >= 100_000 || d.freedBytes >= 256 * MiB ? 'critical' : d.freedRefs >= 10_000 || d.freedBytes >= 16 * MiB ? 'warning' : 'info',
      title: `A garbage collection freed ${formatCount(d.freedRefs)} binary references (${formatBytes(d.freedBytes)}) in ${who(d)}`,
      explanation: 'recon:bin_leak/1 reading: the process held references to refc binaries it no longer used, keeping them (and their binary_alloc carriers) alive until it collected. Hundreds of thousands of references in one process are a red flag. Fixes: hibernate when idle, do binary-heavy work in short-lived processes, binary:copy/1 slices kept for long, periodic garbage_collect/1 as a stopgap.',
      evidence: [`references ${formatCount(d.refsBefore)} -> ${formatCount(d.refsAfter)}, bytes ${formatBytes(d.bytesBefore)} -> ${formatBytes(d.bytesAfter)}`, ...(d.initialCall ? [`initial call: ${d.initialCall}`] : [])],
      subject: { kind: 'process', id: d.pid, ...(d.name ? { name: d.name } : {}) },
      metrics: { freedRefs: d.freedRefs, freedBytes: d.freedBytes, refsBefore: d.refsBefore, refsAfter: d.refsAfter },
    });
  }
  const afterBytes = ma.bytes;
  const grew = (b: number) => b >= growthMinBytes && (afterBytes <= 0 || b / afterBytes >= growthMinShare);
  for (const g of report.growth.filter((x) => grew(x.growthBytes))) {
    findings.push({
      id: 'leak.binary-growth',
      severity: 'warning',
      title: `${who(g)} references ${formatBytes(g.growthBytes)} more binary bytes (${countOf(g.growthRefs, 'reference')}) than in the earlier snapshot`,
      explanation: 'Between the two snapshots this process took on binary references and kept them. If the snapshots were taken after a GC (bin_leak does one), these are live: find what the process keeps (beamscope proc on a dump, or its state on the node).',
      evidence: [`bytes ${formatBytes(g.bytesBefore)} -> ${formatBytes(g.bytesAfter)}`, ...(g.isNew ? ['the process is new since the earlier snapshot'] : []), ...(g.initialCall ? [`initial call: ${g.initialCall}`] : [])],
      subject: { kind: 'process', id: g.pid, ...(g.name ? { name: g.name } : {}) },
      metrics: { growthBytes: g.growthBytes, growthRefs: g.growthRefs, bytesBefore: g.bytesBefore, bytesAfter: g.bytesAfter },
    });
  }
  const soloKeys = new Set(report.growth.filter((x) => grew(x.growthBytes)).map((x) => x.initialCall ?? 'unknown'));
  for (const g of report.groups.filter((x) => grew(x.growthBytes) && x.countAfter > 1 && !soloKeys.has(x.key))) {
    findings.push({
      id: 'leak.binary-growth-group',
      severity: 'warning',
      title: `Processes spawned as ${g.key} reference ${formatBytes(g.growthBytes)} more binary bytes together (${formatCount(g.countBefore)} -> ${countOf(g.countAfter, 'process', 'processes')})`,
      explanation: 'No single process stands out, but processes of this kind together keep more binaries than before: more of them, or each keeping a little more.',
      evidence: [`references ${formatCount(g.refsBefore)} -> ${formatCount(g.refsAfter)}, bytes ${formatBytes(g.bytesBefore)} -> ${formatBytes(g.bytesAfter)}`],
      subject: { kind: 'initial-call', id: g.key },
      metrics: { growthBytes: g.growthBytes, growthRefs: g.growthRefs, countBefore: g.countBefore, countAfter: g.countAfter },
    });
  }
  report.findings = sortFindings(findings);
  report.deltas = report.deltas.slice(0, top);
  report.growth = report.growth.slice(0, top);
  report.groups = report.groups.slice(0, top);
  return report;
}
