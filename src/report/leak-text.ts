/**
 * Text renderers for `beamscope leak` (dump and snapshots) and `beamscope diff`. Layout only:
 * every number comes from the report; everything printed from the input is sanitised.
 */
import type { DiffValue, DumpDiffReport, DumpLeakReport, SnapshotHoldersReport, SnapshotLeakReport } from '../leak/types.js';
import { countOf, formatBytes, formatCount, formatPercent, sanitize, table, who } from '../text/format.js';
import { heading, renderFinding, type TextOptions } from './finding-text.js';

function findingsBlock(out: string[], findings: DumpLeakReport['findings'], opts: TextOptions): void {
  out.push(heading(`Findings (${findings.length}, most important first)`));
  if (findings.length === 0) out.push('  none');
  // the explanation of a finding id is printed once; repeats point back to it
  const explained = new Set<string>();
  for (const f of findings) {
    const key = `${f.id}\u0000${f.explanation}`;
    const again = explained.has(key);
    explained.add(key);
    out.push(renderFinding(again ? { ...f, explanation: '(see above)' } : f, opts), '');
  }
}

function notesBlock(out: string[], notes: string[], width: number): void {
  if (notes.length === 0) return;
  out.push(heading('Notes'));
  for (const n of notes) out.push(`  - ${sanitize(n, width * 3)}`);
}


/** `beamscope leak <dump>`. */
export function renderDumpLeakText(r: DumpLeakReport, opts: TextOptions = {}): string {
  const width = opts.width ?? 100;
  const out: string[] = [];
  const b = r.binaries;
  out.push(`beamscope leak: ${sanitize(r.source.path)} (${formatBytes(r.source.bytes)}; ${countOf(r.processes.total, 'process', 'processes')}, ${formatCount(r.processes.heapDumped)} with a heap in the dump)`);
  findingsBlock(out, r.findings, opts);

  out.push(heading('Binary memory'));
  const rows: Array<[string, string]> = [];
  if (b.memoryBinaryBytes !== undefined) rows.push(['=memory binary', formatBytes(b.memoryBinaryBytes)]);
  rows.push([`=binary sections (${formatCount(b.binarySections)})`, formatBytes(b.binarySectionsBytes)]);
  rows.push(['  referenced by process heaps', formatBytes(b.heldByProcessesBytes)]);
  if (b.literalOnlyBytes > 0) rows.push(['  referenced only by literals', formatBytes(b.literalOnlyBytes)]);
  if (b.unreferencedBytes > 0) rows.push(['  referenced by no dumped heap', formatBytes(b.unreferencedBytes)]);
  if (b.notInDumpBytes !== undefined) rows.push(['not in the dump (=memory binary - =binary)', formatBytes(b.notInDumpBytes)]);
  if (b.notInDumpBytes !== undefined && b.headerEstimateBytes !== undefined) rows.push(['  of which the sections\' headers (estimate)', formatBytes(b.headerEstimateBytes)]);
  if (b.notInDumpBytes !== undefined && b.portQueueBytes > 0) rows.push([`  of which ports' output queues (${formatCount(b.portQueues)})`, formatBytes(b.portQueueBytes)]);
  if (r.hasBinVHeap) {
    rows.push(['BinVHeap + OldBinVHeap, all processes', formatBytes(b.vheapBytes)]);
    rows.push(['stale estimate, all processes', formatBytes(b.staleEstimateBytes)]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.push(`  ${k.padEnd(w)}  ${v.padStart(10)}`);

  out.push(heading(`Stale references (what a GC would likely free): BinVHeap + OldBinVHeap - reachable${b.portQueueBytes > 0 ? " - owned ports' queues" : ''}`));
  if (!r.hasBinVHeap) out.push('  (no BinVHeap fields in this dump)');
  else if (r.staleEstimates.length === 0) out.push('  none');
  else {
    // A column for what the ports a process owns have queued (left out of its stale) only when one has.
    const queued = r.staleEstimates.some((s) => s.queuedToPortsBytes > 0);
    out.push(table(
      [{ header: 'pid / name', max: 40 }, { header: 'initial call', max: 50 }, { header: 'stale', align: 'right' }, { header: 'vheap', align: 'right' },
        { header: 'reachable', align: 'right' }, ...(queued ? [{ header: 'port queues', align: 'right' as const }] : []), { header: '% binary', align: 'right' }, { header: '' }],
      r.staleEstimates.map((s) => [who({ pid: s.pid, name: s.elixir?.name ?? s.name }), s.elixir?.initialCall ?? s.initialCall ?? '-', formatBytes(s.staleBytes), formatBytes(s.vheapBytes), !s.heapDumped ? 'no heap' : s.reachableKnown ? formatBytes(s.reachableBytes) : `${formatBytes(s.reachableBytes)}, cut`,
        ...(queued ? [formatBytes(s.queuedToPortsBytes)] : []), formatPercent(s.shareOfBinaryMemory), s.flagged ? 'FLAGGED' : '']),
    ));
  }
  if (r.groups.length > 0) {
    out.push(heading('Stale references by initial call'));
    out.push(table(
      [{ header: 'initial call', max: 60 }, { header: 'processes', align: 'right' }, { header: 'stale', align: 'right' }, { header: '% binary', align: 'right' },
        { header: 'largest', max: 40 }, { header: '' }],
      r.groups.map((g) => [g.elixir?.key ?? g.key, formatCount(g.count), formatBytes(g.staleBytes), formatPercent(g.shareOfBinaryMemory), `${who({ pid: g.largest.pid, name: g.elixir?.largestName ?? g.largest.name })} ${formatBytes(g.largest.staleBytes)}`, g.flagged ? 'FLAGGED' : '']),
    ));
  }

  out.push(heading('Holders (refc binaries reachable from the dumped heap)'));
  if (r.holders.length === 0) out.push('  none');
  else {
    out.push(table(
      [{ header: 'pid / name', max: 40 }, { header: 'initial call', max: 50 }, { header: 'reachable', align: 'right' }, { header: 'exclusive', align: 'right' },
        { header: 'shared', align: 'right' }, { header: 'binaries', align: 'right' }, { header: 'refs', align: 'right' }],
      r.holders.map((h) => [who({ pid: h.pid, name: h.elixir?.name ?? h.name }), h.elixir?.initialCall ?? h.initialCall ?? '-', formatBytes(h.reachableBytes), formatBytes(h.exclusiveBytes), formatBytes(h.sharedBytes), formatCount(h.binaries), formatCount(h.references)]),
    ));
  }
  notesBlock(out, r.notes, width);
  return `${out.join('\n')}\n`;
}

/** `beamscope leak <before> <after>`. */
export function renderSnapshotLeakText(r: SnapshotLeakReport, opts: TextOptions = {}): string {
  const width = opts.width ?? 100;
  const out: string[] = [];
  const side = (m: SnapshotLeakReport['before']) => `${sanitize(m.path)}: ${countOf(m.processes, 'process', 'processes')}, ${formatCount(m.refs)} binary references, ${formatBytes(m.bytes)}${m.meta?.phase !== undefined ? ` (${sanitize(String(m.meta.phase), 40)})` : ''}`;
  out.push('beamscope leak: process snapshots compared by pid');
  out.push(`  before  ${side(r.before)}`);
  out.push(`  after   ${side(r.after)}`);
  out.push(`  ${countOf(r.matched, 'process', 'processes')} in both, ${formatCount(r.onlyBefore)} gone, ${formatCount(r.onlyAfter)} new`);
  findingsBlock(out, r.findings, opts);

  out.push(heading(`Freed between the snapshots (recon bin_leak): ${countOf(r.totals.freedRefs, 'reference')}, ${formatBytes(r.totals.freedBytes)}`));
  if (r.deltas.length === 0) out.push('  none');
  else {
    out.push(table(
      [{ header: 'pid / name', max: 40 }, { header: 'initial call', max: 50 }, { header: 'freed refs', align: 'right' }, { header: 'freed bytes', align: 'right' },
        { header: 'refs before', align: 'right' }, { header: 'after', align: 'right' }],
      r.deltas.map((d) => [who(d), d.initialCall ?? '-', formatCount(d.freedRefs), formatBytes(d.freedBytes), formatCount(d.refsBefore), formatCount(d.refsAfter)]),
    ));
  }
  out.push(heading(`Grew between the snapshots: ${countOf(r.totals.growthRefs, 'reference')}, ${formatBytes(r.totals.growthBytes)}`));
  if (r.growth.length === 0) out.push('  none');
  else {
    out.push(table(
      [{ header: 'pid / name', max: 40 }, { header: 'initial call', max: 50 }, { header: 'growth', align: 'right' }, { header: 'refs', align: 'right' },
        { header: 'bytes before', align: 'right' }, { header: 'after', align: 'right' }, { header: '' }],
      r.growth.map((g) => [who(g), g.initialCall ?? '-', formatBytes(g.growthBytes), `${g.growthRefs >= 0 ? '+' : ''}${formatCount(g.growthRefs)}`, formatBytes(g.bytesBefore), formatBytes(g.bytesAfter), g.isNew ? 'new' : '']),
    ));
  }
  if (r.groups.length > 0) {
    out.push(heading('By initial call'));
    out.push(table(
      [{ header: 'initial call', max: 60 }, { header: 'processes', align: 'right' }, { header: 'growth', align: 'right' }, { header: 'refs', align: 'right' },
        { header: 'bytes before', align: 'right' }, { header: 'after', align: 'right' }],
      r.groups.map((g) => [g.key, `${formatCount(g.countBefore)} -> ${formatCount(g.countAfter)}`, formatBytes(g.growthBytes), `${g.growthRefs >= 0 ? '+' : ''}${formatCount(g.growthRefs)}`, formatBytes(g.bytesBefore), formatBytes(g.bytesAfter)]),
    ));
  }
  notesBlock(out, r.notes, width);
  return `${out.join('\n')}\n`;
}

/** `beamscope leak <snapshot>`. */
export function renderSnapshotHoldersText(r: SnapshotHoldersReport, opts: TextOptions = {}): string {
  const width = opts.width ?? 100;
  const m = r.snapshot;
  const out: string[] = [];
  out.push(`beamscope leak: ${sanitize(m.path)}: ${countOf(m.processes, 'process', 'processes')}, ${formatCount(m.refs)} binary references, ${formatBytes(m.bytes)}${m.meta?.phase !== undefined ? ` (${sanitize(String(m.meta.phase), 40)})` : ''}`);
  const cols = [{ header: 'pid / name', max: 40 }, { header: 'initial call', max: 50 }, { header: 'bytes', align: 'right' as const }, { header: 'refs', align: 'right' as const }];
  const rows = (list: SnapshotHoldersReport['holders']) => list.map((h) => [who(h), h.initialCall ?? '-', formatBytes(h.bytes), formatCount(h.refs)]);
  out.push(heading('Most binary bytes referenced (recon proc_count(binary_memory))'));
  out.push(r.holders.length ? table(cols, rows(r.holders)) : '  none');
  out.push(heading('Most binary references (where bin_leak looks)'));
  out.push(r.byRefs.length ? table(cols, rows(r.byRefs)) : '  none');
  if (r.groups.length > 0) {
    out.push(heading('By initial call'));
    out.push(table([{ header: 'initial call', max: 60 }, { header: 'processes', align: 'right' }, { header: 'bytes', align: 'right' }, { header: 'refs', align: 'right' }],
      r.groups.map((g) => [g.key, formatCount(g.count), formatBytes(g.bytes), formatCount(g.refs)])));
  }
  notesBlock(out, r.notes, width);
  return `${out.join('\n')}\n`;
}

function signedBytes(v: DiffValue): string {
  return `${v.delta > 0 ? '+' : ''}${formatBytes(v.delta)}`;
}

function signedCount(v: DiffValue): string {
  return `${v.delta > 0 ? '+' : ''}${formatCount(v.delta)}`;
}

/** `beamscope diff <dumpA> <dumpB>`. */
export function renderDiffText(r: DumpDiffReport, opts: TextOptions & { top?: number } = {}): string {
  const width = opts.width ?? 100;
  const top = opts.top ?? 10;
  const out: string[] = [];
  out.push(`beamscope diff: what grew from A to B`);
  out.push(`  A  ${sanitize(r.a.path)}${r.a.created ? `, written ${sanitize(r.a.created)}` : ''}${r.a.node ? `, node ${sanitize(r.a.node)}` : ''}`);
  out.push(`  B  ${sanitize(r.b.path)}${r.b.created ? `, written ${sanitize(r.b.created)}` : ''}${r.b.node ? `, node ${sanitize(r.b.node)}` : ''}`);
  findingsBlock(out, r.findings, opts);

  out.push(heading('Memory by kind (=memory)'));
  out.push(table([{ header: 'kind' }, { header: 'A', align: 'right' }, { header: 'B', align: 'right' }, { header: 'change', align: 'right' }],
    r.memory.map((m) => [m.kind, formatBytes(m.before), formatBytes(m.after), signedBytes(m)])));

  out.push(heading('Counts'));
  const p = r.processes;
  out.push(table([{ header: '' }, { header: 'A', align: 'right' }, { header: 'B', align: 'right' }, { header: 'change', align: 'right' }], [
    ['processes', formatCount(p.count.before), formatCount(p.count.after), signedCount(p.count)],
    ['process memory (sum)', formatBytes(p.memoryBytes.before), formatBytes(p.memoryBytes.after), signedBytes(p.memoryBytes)],
    ['queued messages', formatCount(p.messageQueueLength.before), formatCount(p.messageQueueLength.after), signedCount(p.messageQueueLength)],
    ['atoms', formatCount(r.atoms.before), formatCount(r.atoms.after), signedCount(r.atoms)],
    ['=binary sections', formatCount(r.binaries.sections.before), formatCount(r.binaries.sections.after), signedCount(r.binaries.sections)],
    ['=binary bytes', formatBytes(r.binaries.sectionsBytes.before), formatBytes(r.binaries.sectionsBytes.after), signedBytes(r.binaries.sectionsBytes)],
  ]));

  if (r.groups.length > 0) {
    out.push(heading('Process groups'));
    out.push(table([{ header: 'group', max: 60 }, { header: 'count', align: 'right' }, { header: 'memory', align: 'right' }, { header: 'change', align: 'right' },
      { header: 'queued', align: 'right' }, { header: 'bin vheap', align: 'right' }],
    r.groups.slice(0, top).map((g) => [g.key, `${formatCount(g.count.before)} -> ${formatCount(g.count.after)}`, `${formatBytes(g.memoryBytes.before)} -> ${formatBytes(g.memoryBytes.after)}`,
      signedBytes(g.memoryBytes), `${formatCount(g.messageQueueLength.before)} -> ${formatCount(g.messageQueueLength.after)}`, signedBytes(g.binVHeapBytes)])));
  }
  if (r.ets.length > 0) {
    out.push(heading('ETS tables (by name)'));
    out.push(table([{ header: 'table', max: 50 }, { header: 'tables', align: 'right' }, { header: 'objects', align: 'right' }, { header: 'memory', align: 'right' }, { header: 'change', align: 'right' }],
      r.ets.map((e) => [e.name, `${e.tables.before} -> ${e.tables.after}`, `${formatCount(e.objects.before)} -> ${formatCount(e.objects.after)}`,
        `${formatBytes(e.memoryBytes.before)} -> ${formatBytes(e.memoryBytes.after)}`, signedBytes(e.memoryBytes)])));
  }
  const allocs = r.allocators.filter((a) => a.carriersBytes.delta !== 0 || a.blocksBytes.delta !== 0).slice(0, top);
  if (allocs.length > 0) {
    out.push(heading('Allocator carriers (current)'));
    out.push(table([{ header: 'type' }, { header: 'carriers', align: 'right' }, { header: 'change', align: 'right' }, { header: 'blocks', align: 'right' }, { header: 'change', align: 'right' }],
      allocs.map((a) => [a.type, `${formatBytes(a.carriersBytes.before)} -> ${formatBytes(a.carriersBytes.after)}`, signedBytes(a.carriersBytes),
        `${formatBytes(a.blocksBytes.before)} -> ${formatBytes(a.blocksBytes.after)}`, signedBytes(a.blocksBytes)])));
  }
  notesBlock(out, r.notes, width);
  return `${out.join('\n')}\n`;
}
