import type { TriageReport } from '../dump/analyze/report-types.js';
import { sampledCalls, traitLine } from '../dump/analyze/triage.js';
import { heading, renderFinding, type TextOptions } from './finding-text.js';
import { countOf, formatBytes, formatCount, formatPercent, sanitize, table, who } from '../text/format.js';
import { elixirText } from '../elixir/report.js';

export type { TextOptions };

/** The on-call report as text: the verdict first, then the evidence section by section. */
export function renderTriageText(r: TriageReport, opts: TextOptions = {}): string {
  const width = opts.width ?? 100;
  const h = r.header;
  const out: string[] = [];
  // Names not carried as data in the report (ancestors, ETS owners, schedulers) are rewritten here.
  const ex = r.syntax?.name === 'elixir' ? elixirText : (t: string) => t;
  const vm = [h.otpRelease ? `OTP ${h.otpRelease}` : undefined, h.erts ? `erts ${h.erts}` : undefined, `${h.wordSize * 8}-bit`,
    h.schedulers ? `${h.schedulers.online} scheduler${h.schedulers.online === 1 ? '' : 's'}` : undefined, h.jit ? 'JIT' : undefined].filter(Boolean).join(', ');
  out.push(`beamscope triage: ${sanitize(r.source.path)} (${formatBytes(r.source.bytes)}${r.source.compression ? `, ${r.source.compression}` : r.source.gzip ? ', gzip' : ''}; dump format ${sanitize(h.dumpVersion)})`);
  out.push(`${vm}${h.created ? `; written ${sanitize(h.created)}` : ''}${r.nodes.thisNode ? `; node ${sanitize(r.nodes.thisNode)}` : ''}`);
  if (r.syntax) out.push(`Names and terms in Elixir syntax (${sanitize(r.syntax.reason)}; --syntax erlang for Erlang's)`);
  out.push(`Slogan: ${sanitize(r.slogan, width * 3)}`);
  if (r.truncated) out.push(`TRUNCATED: the dump stops after ${formatBytes(r.truncation.bytesRead)}; see the end of this report.`);

  out.push(heading(`Findings (${r.findings.length}, most important first)`));
  for (const f of r.findings) out.push(renderFinding(f, opts), '');

  out.push(heading('Memory'));
  if (r.memory.totalBytes !== undefined) {
    out.push(table([{ header: 'kind' }, { header: 'bytes', align: 'right' }, { header: 'share', align: 'right' }],
      [['total', formatBytes(r.memory.totalBytes), '100%'], ...r.memory.kinds.map((k) => [k.kind, formatBytes(k.bytes), formatPercent(k.share)])]));
  } else out.push('  no =memory section in the dump');
  const mp = r.memory.kinds.find((k) => k.kind === 'processes');
  out.push(`  processes: sum of ${formatCount(r.counts.processes)} per-process Memory lines = ${formatBytes(r.memory.processesSumBytes)}${mp ? ` against =memory processes ${formatBytes(mp.bytes)}` : ''}`);
  const mb = r.memory.kinds.find((k) => k.kind === 'binary');
  out.push(`  binary: sum of ${formatCount(r.counts.binaries)} =binary sections = ${formatBytes(r.memory.binarySectionsBytes)}${mb ? ` against =memory binary ${formatBytes(mb.bytes)}` : ''}`);

  out.push(heading('Mailbox outliers'));
  out.push(`  typical queue (90th percentile): ${formatCount(r.mailbox.typicalQueueLength)}; outlier threshold: ${formatCount(r.mailbox.thresholdQueueLength)}; queued on the node: ${formatCount(r.mailbox.totalQueuedMessages)}`);
  if (r.mailboxOutliers.length === 0) out.push('  none');
  else {
    out.push(procTable(r.mailboxOutliers, 'queue', width));
    for (const o of r.mailboxOutliers) {
      if (!o.messageShapes?.length && !o.ancestors?.length && !o.messageShapesMissing) continue;
      out.push(`  ${sanitize(o.pid)}${o.name ? ` (${sanitize(o.elixir?.name ?? o.name)})` : ''}${o.elixir?.role ? ` [${o.elixir.role}]` : ''}:`);
      if (o.ancestors?.length) out.push(`    ancestors: ${sanitize(o.ancestors.map(ex).join(', '), width - 16)}`);
      if (o.messageShapesMissing) out.push(`    message shapes: not in the dump (${sanitize(o.messageShapesMissing, width - 40)})`);
      if (o.messageShapes?.length) {
        const of = o.messagesSampled !== undefined && o.messagesSampled < o.messageQueueLength ? ` (first ${formatCount(o.messagesSampled)} of ${countOf(o.messageQueueLength, 'message')})` : '';
        out.push(`    message shapes${of}:`);
      }
      for (const s of o.messageShapes ?? []) {
        out.push(`    ${formatCount(s.count).padStart(12)} x ${sanitize(s.elixir?.shape ?? s.shape, width - 20)}`);
        out.push(`    ${''.padStart(12)}   e.g. ${sanitize(s.elixir?.example ?? s.example, width - 24)}`);
      }
    }
  }

  out.push(heading('Top processes'));
  out.push('  by memory:', procTable(r.topProcesses.byMemory, 'memory', width));
  out.push('  by binary virtual heap (refc binaries referenced):', r.topProcesses.byBinary.length ? procTable(r.topProcesses.byBinary, 'binary', width) : '  none (or not in this dump format)');
  out.push('  by reductions:', procTable(r.topProcesses.byReductions, 'reductions', width));

  out.push(heading('Process groups'));
  out.push(table([{ header: 'count', align: 'right' }, { header: 'group', max: 60 }, { header: 'memory', align: 'right' }, { header: 'queued', align: 'right' }, { header: 'max queue', align: 'right' }],
    r.groups.map((g) => [formatCount(g.count), `${g.elixir?.key ?? g.key}${g.by === 'name' ? ' (name)' : ''}${g.elixir?.role ? ` [${g.elixir.role}]` : ''}`, formatBytes(g.memoryBytes), formatCount(g.messageQueueLength), formatCount(g.maxMessageQueueLength)])));
  for (const g of r.groups) {
    const s = g.sampledInitialCalls;
    if (s) out.push(sanitize(`  ${g.elixir?.key ?? g.key}: by \`$initial_call\`, in ${formatCount(s.sampled)} of them (one in ${formatCount(s.every)}): ${sampledCalls(s, 5, ex)}`, width * 3));
    const traits = traitLine(g);
    if (traits) out.push(sanitize(`  ${traits}`, width * 3));
  }

  out.push(heading('Against limits'));
  out.push(table([{ header: 'what' }, { header: 'count', align: 'right' }, { header: 'limit', align: 'right' }, { header: 'use', align: 'right' }],
    r.limits.map((u) => [u.label, u.cut === 'not in the file' ? 'not in the file' : `${u.cut === 'at least' ? 'at least ' : ''}${formatCount(u.count)}`, u.limit ? `${u.limitSource === 'pids' ? 'at least ' : ''}${formatCount(u.limit)}${u.limitSource === 'default' ? ' (default)' : ''}` : u.limitSource === 'raised' ? 'over the default' : '-', u.share !== undefined ? `${u.cut ? 'at least ' : ''}${formatPercent(u.share)}` : '-'])));

  out.push(heading('ETS tables (largest by memory)'));
  out.push(r.ets.length ? table([{ header: 'name', max: 40 }, { header: 'type' }, { header: 'objects', align: 'right' }, { header: 'memory', align: 'right' }, { header: 'owner', max: 40 }],
    r.ets.map((e) => [ex(e.name), e.type ?? '', formatCount(e.objects), formatBytes(e.memoryBytes), e.ownerName ? `${e.owner} ${ex(e.ownerName)}` : e.owner])) : '  none');
  // By name, where some name has more than one table (a table per process is many small tables).
  if (r.etsNames.some((n) => n.tables > 1)) {
    out.push('  by name:');
    out.push(table([{ header: 'name', max: 40 }, { header: 'tables', align: 'right' }, { header: 'objects', align: 'right' }, { header: 'memory', align: 'right' }, { header: 'owners', align: 'right' }],
      r.etsNames.slice(0, 5).map((n) => [ex(n.name), formatCount(n.tables), formatCount(n.objects), formatBytes(n.memoryBytes), formatCount(n.owners)])));
  }

  out.push(heading('Ports'));
  const kinds = Object.entries(r.ports.byKind).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  out.push(`  ${countOf(r.counts.ports, 'port')}${kinds.length ? `: ${kinds.map(([k, n]) => `${formatCount(n ?? 0)} ${k}`).join(', ')}` : ''}`);
  if (r.ports.largestQueues.length) {
    out.push(table([{ header: 'port' }, { header: 'kind' }, { header: 'queue', align: 'right' }, { header: 'connected' }],
      r.ports.largestQueues.map((p) => [p.id, p.driver ?? p.kind, formatBytes(p.queueBytes), p.connected ? who({ pid: p.connected, name: p.connectedName }) : ''])));
  }

  out.push(heading('Schedulers and distribution'));
  const s = r.schedulers;
  const normal = s.countsFrom.normal === 'unknown' ? 'normal schedulers: not in the dump' : `${s.normal} normal`;
  const dirty = s.countsFrom.dirty === 'unknown' ? 'no dirty schedulers in the dump' : `${s.dirtyCpu} dirty CPU, ${s.dirtyIo} dirty I/O schedulers`;
  const fromVersion = [s.countsFrom.normal === 'system version' ? 'normal' : '', s.countsFrom.dirty === 'system version' ? 'dirty' : ''].filter(Boolean);
  const from = fromVersion.length ? ` (${fromVersion.join(' and ')} counts from the System version line: the dump has no sections for them)` : '';
  out.push(`  ${normal}, ${dirty}${from}; ${countOf(s.runQueueProcesses, 'process', 'processes')} and ${countOf(s.runQueuePorts, 'port')} in run queues`);
  for (const b of s.busy.slice(0, 8)) out.push(`  ${b.type} scheduler ${b.id} was running ${sanitize(b.currentProcess ?? '?')}${b.currentFunction ? ` in ${sanitize(ex(b.currentFunction))}` : ''}`);
  const n = r.nodes;
  out.push(`  node ${sanitize(n.thisNode ?? '?')}: ${n.distributed === false ? 'not distributed' : `${n.visible} visible and ${n.hidden} hidden connections${n.connected.length ? ` (${sanitize(n.connected.join(', '), width)})` : ''}`}`);

  out.push(heading('Allocators'));
  if (r.allocators.length) {
    out.push(table([{ header: 'type' }, { header: 'carriers', align: 'right' }, { header: 'blocks', align: 'right' }, { header: 'usage', align: 'right' }, { header: 'unused', align: 'right' }],
      r.allocators.map((a) => [a.type, formatBytes(a.carriersBytes), formatBytes(a.blocksBytes), formatPercent(a.usage), formatBytes(a.unusedBytes)])));
  } else out.push(`  ${r.counts.allocators ? `${r.counts.allocators} =allocator sections; see \`beamscope alloc\`` : 'no =allocator sections in the dump'}`);

  out.push(heading('The dump'));
  const c = r.counts;
  const counts = [countOf(c.processes, 'process', 'processes'), countOf(c.ports, 'port'), countOf(c.etsTables, 'ETS table'), countOf(c.timers, 'timer'),
    countOf(c.modules, 'module'), countOf(c.funs, 'fun'), countOf(c.binaries, 'binary', 'binaries'), ...(c.atoms !== undefined ? [countOf(c.atoms, 'atom')] : [])];
  out.push(`  ${counts.join(', ')}`);
  if (r.truncated) {
    out.push(`  truncated after ${formatBytes(r.truncation.bytesRead)} in =${sanitize(r.truncation.lastTag ?? '?')}${r.truncation.abortReason ? ` (${sanitize(r.truncation.abortReason)})` : ''}`);
    if (r.truncation.hides.length) out.push(`  not in the file: ${r.truncation.hides.join(', ')}`);
  } else out.push('  complete (ends with =end)');
  for (const n of r.notes) out.push(`  note: ${sanitize(n, width * 2)}`);
  const unknown = [...Object.entries(r.unknown.tags).map(([k, v]) => `=${k} x ${v}`), ...Object.entries(r.unknown.keys).map(([k, v]) => `${k} x ${v}`)];
  if (unknown.length) out.push(`  not understood: ${sanitize(unknown.slice(0, 20).join('; '), width * 3)}`);
  return `${out.join('\n')}\n`;
}

function procTable(rows: TriageReport['topProcesses']['byMemory'], key: 'queue' | 'memory' | 'binary' | 'reductions', width: number): string {
  const cut = Math.max(20, Math.floor((width - 60) / 2));
  return table([
    { header: 'pid' }, { header: 'name / initial call', max: cut }, { header: 'queue', align: 'right' }, { header: 'memory', align: 'right' },
    { header: key === 'reductions' ? 'reductions' : 'binary', align: 'right' }, { header: 'state' }, { header: 'current function', max: cut },
  ], rows.map((p) => [
    p.pid, p.elixir?.name ?? p.name ?? p.elixir?.initialCall ?? p.initialCall ?? '', formatCount(p.messageQueueLength), formatBytes(p.memoryBytes),
    key === 'reductions' ? formatCount(p.reductions) : formatBytes(p.binaryBytes), p.state, p.elixir?.currentFunction ?? p.currentFunction ?? '',
  ]));
}
