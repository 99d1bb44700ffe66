import type { TypeSummary } from '../../alloc/index.js';
import { sortFindings, type Finding } from '../../findings.js';
import { countOf, formatBytes, formatCount, formatDurationRange, formatEstimate, formatPercent, who } from '../../text/format.js';
import { OTHER_TAGS, type Bytes, type Dump, type PortKind, type ProcessTable } from '../types.js';
import type {
  AtomPattern, CallWaits, EtsName, EtsOwner, InitialCallSample, LimitUse, MailboxOutlier, MemoryKind, MessageShape, ProcessesByFunction, ProcessGroup, ProcessSummary, StackSketch, TimerOwner, TimerSample, TriageReport,
} from './report-types.js';
import { decodeSlogan, missingBootFile, type SloganCause, undefinedFunction } from './slogan.js';
import { CUT_BEFORE_INNERMOST, startFailure } from './start-failure.js';
import { provenProcessTable } from './process-slots.js';
import { callWaitFindings } from './call-waits.js';
import { binariesReadText, cutPlace, cutTakes, truncationHides, type CutKind } from '../truncation.js';
import { findProcess } from '../process-table.js';
import { groupProcesses, namePattern, processSummary, registeredName, topProcessRows, type ProcessDetails } from './processes.js';
import { percentile, sum, topIndices } from './stats.js';
import { MiB } from '../../text/units.js';

export interface TriageOptions {
  /** Bound for every list (default 10). */
  top?: number;
  /**
   * What the term decoder found for some processes (ancestors, real initial call, message shapes),
   * by pid. Triage itself never reads the dump file; the caller decodes what it wants shown.
   */
  details?: Map<string, ProcessDetails>;
  /** Allocator types summarised by the allocator analysis (src/alloc), with its findings. */
  allocators?: { summary: TypeSummary[]; findings: Finding[] };
  /** mailboxOutlierRows(dump.processes, top), when the caller has it already (triageDump does). */
  mailboxRows?: MailboxRows;
  /** Real initial calls of a sample of one initial-call group (triageDump: the proc_lib processes, when too many to read all). */
  initialCallSample?: InitialCallSample;
  /** The rows of the `top` processes by memory, binary and reductions, when the caller ranked them already (triageDump). */
  topRows?: TopRows;
  /** Reads what the atom table holds, by shape; asked only when it is near its limit (triageDump: the `=atoms` section again). */
  atomPatterns?: () => AtomPattern[] | undefined;
  /** Reads what the first timers of one owner deliver; asked only for an owner with enough for a finding (triageDump: its `=timer` sections). */
  timerSample?: (keys: string[]) => TimerSample | undefined;
  /**
   * Processes whose dumped heaps reach far more refc binary bytes than their binary virtual heaps
   * count (triageDump: a scan of every heap, made only when no virtual heap accounts for the
   * node's binaries): parts of large binaries kept (see partHolderFindings).
   */
  binaryReach?: BinaryReach[];
  /** Who waits in a call for whom (triageDump: src/dump/terms/call-waits.ts). */
  callWaits?: CallWaits;
}

/** What a process's dumped heap reaches of the refc binaries (src/leak/heap-scan.ts). */
export interface BinaryReach {
  /** Its row in the process table. */
  row: number;
  /** Distinct binaries reached, and their bytes; those no other heap reaches. */
  binaries: number;
  reachableBytes: Bytes;
  exclusiveBytes: Bytes;
}

export type { ProcessDetails };

/** The rows of the top processes by each measure triage lists, largest first. */
export type TopRows = Record<'memory' | 'binary' | 'reductions', number[]>;

/** Ranks the processes by each measure triage lists, once. */
export function topRows(p: ProcessTable, top: number): TopRows {
  return { memory: topProcessRows(p, 'memory', top), binary: topProcessRows(p, 'binary', top), reductions: topProcessRows(p, 'reductions', top) };
}

/** A mailbox this long is never healthy, whatever the rest of the node looks like. */
const ABSOLUTE_QUEUE = 10_000;
/** Queues shorter than this are not worth a person's attention. */
const QUEUE_FLOOR = 100;
/** An outlier is this many times the node's typical (90th percentile) queue. */
const QUEUE_FACTOR = 10;
/** VM defaults for limits the dump does not record. */
export const DEFAULT_PROCESS_LIMIT = 262_144;
/** Its table's slots, 2^18: pids that share their low 18 bits show a larger one (process-slots.ts). */
export const DEFAULT_PROCESS_BITS = 18;
const DEFAULT_PORT_LIMIT = 65_536;

/**
 * The use of a limit no dump or snapshot records (processes: +P; ports: +Q, or the file descriptor
 * limit when that is higher), against the VM's default. A count over the default shows that the
 * node ran with a higher limit, of a size nothing says: then there is no share (a dump of 300,040
 * processes with +P 2,000,000 was "critical: 114.5% of the limit"), unless the node died of that
 * limit (`reachedBySlogan`), which it then had reached. `provenAtLeast`: a limit over the default
 * that the live pids prove (provenProcessTable), taken as the limit: the share against it is the
 * most the real one can be.
 */
export function defaultLimitUse(id: 'processes' | 'ports', label: string, count: number, defaultLimit: number, reachedBySlogan = false, provenAtLeast?: number): LimitUse {
  if (reachedBySlogan && count > defaultLimit) return { id, label, count, limit: count, limitSource: 'slogan', share: 1 };
  if (provenAtLeast !== undefined && provenAtLeast > defaultLimit) return { id, label, count, limit: provenAtLeast, limitSource: 'pids', share: count / provenAtLeast };
  if (count <= defaultLimit) return { id, label, count, limit: defaultLimit, limitSource: 'default', share: defaultLimit > 0 ? count / defaultLimit : undefined };
  return { id, label, count, limitSource: 'raised' };
}

/** The on-call report: why the node died, where the memory was, who stands out. */
export function triage(dump: Dump, opts: TriageOptions = {}): TriageReport {
  const top = Math.max(0, opts.top ?? 10);
  const details = opts.details ?? new Map<string, ProcessDetails>();
  const p = dump.processes;
  const cause = decodeSlogan(dump.header.slogan);
  const findings: Finding[] = [];

  const ranked = opts.topRows ?? topRows(p, top);
  const summary = (i: number) => processSummary(p, i, details);
  const memory = memoryBreakdown(dump);
  const mailbox = mailboxOutliers(dump, top, details, opts.mailboxRows);
  const allGroups = withSample(groupProcesses(p, 'auto', details, opts.initialCallSample?.groupKey), opts.initialCallSample);
  const groups = allGroups.slice(0, top);
  // The group with the most memory, whatever its size (sorted by count above).
  const heaviestGroup = allGroups.reduce<typeof allGroups[number] | undefined>((best, g) => (!best || g.memoryBytes > best.memoryBytes ? g : best), undefined);
  const binaryGroup = allGroups.reduce<typeof allGroups[number] | undefined>((best, g) => (!best || g.binaryBytes > best.binaryBytes ? g : best), undefined);
  const hides = truncationHides(dump);
  const limits = limitUse(dump, cause, hides, opts.atomPatterns);
  const ets = largestEts(dump, top);
  const etsOwners = etsByOwner(dump, top);
  const etsNames = etsByName(dump, top);
  const ports = portSummary(dump, top);
  const timers = timerSummary(dump, top, opts.timerSample);
  const schedulers = schedulerSummary(dump);
  const nodes = nodeSummary(dump, top);

  const report: TriageReport = {
    schemaVersion: 1,
    source: { path: dump.source.path, gzip: dump.source.gzip, compression: dump.source.compression ?? null, bytes: dump.source.bytes },
    header: dump.header,
    slogan: dump.header.slogan,
    cause,
    truncated: dump.truncation.truncated,
    truncation: { ...dump.truncation, hides },
    counts: {
      processes: dump.sectionCounts.proc ?? 0,
      ports: dump.sectionCounts.port ?? 0,
      etsTables: (dump.sectionCounts.ets ?? 0) + (dump.sectionCounts.internal_ets ?? 0),
      timers: dump.sectionCounts.timer ?? 0,
      funs: dump.sectionCounts.fun ?? 0,
      modules: dump.sectionCounts.mod ?? 0,
      binaries: dump.sectionCounts.binary ?? 0,
      atoms: dump.header.atoms,
      nodes: (dump.sectionCounts.visible_node ?? 0) + (dump.sectionCounts.hidden_node ?? 0),
      allocators: dump.sectionCounts.allocator ?? 0,
    },
    memory,
    mailbox: mailbox.stats,
    mailboxOutliers: mailbox.outliers,
    topProcesses: {
      byMemory: ranked.memory.map(summary),
      byBinary: ranked.binary.map(summary).filter((s) => s.binaryBytes > 0),
      byReductions: ranked.reductions.map(summary),
    },
    groups,
    limits,
    ets,
    etsOwners,
    etsNames,
    timers,
    ports,
    schedulers,
    nodes,
    allocators: opts.allocators?.summary ?? [],
    unknown: dump.unknown,
    notes: [],
    findings: [],
  };

  findings.push(sloganFinding(dump, report, cause));
  findings.push(...memoryFindings(report));
  findings.push(...queueFindings(mailbox.outliers, opts.callWaits, p, summary, report));
  const groupFinding = memoryGroupFinding(heaviestGroup, report);
  const sharing = sharingMembers(binaryGroup, report);
  // The same group by count and by memory: the memory finding says more.
  findings.push(...processFindings(report, sharing).filter((f) => !(groupFinding && f.id === 'process.dominant-group' && f.subject?.id === heaviestGroup?.key)));
  if (groupFinding) findings.push(groupFinding);
  findings.push(...binaryGroupFinding(binaryGroup, report, sharing), ...partHolderFindings(opts.binaryReach ?? [], summary, report));
  findings.push(...limitFindings(limits), ...etsFindings(report), ...timerFindings(report), ...portFindings(report), ...schedulerFindings(report));
  if (opts.allocators) findings.push(...opts.allocators.findings);
  findings.push(...dumpFindings(dump, report));
  report.findings = sortFindings(findings);
  return report;
}

/** The distribution: this node, its connections by kind, the first connected ones. */
function nodeSummary(dump: Dump, top: number): TriageReport['nodes'] {
  const conns = dump.distribution.connections;
  return {
    thisNode: dump.distribution.thisNode,
    distributed: dump.distribution.distributed,
    visible: conns.filter((c) => c.kind === 'visible').length,
    hidden: conns.filter((c) => c.kind === 'hidden').length,
    notConnected: conns.filter((c) => c.kind === 'not_connected').length,
    connected: conns.filter((c) => c.kind !== 'not_connected').map((c) => c.name ?? c.channel).slice(0, top),
  };
}

// ---------------------------------------------------------------------------------------------
// Memory

function memoryBreakdown(dump: Dump): TriageReport['memory'] {
  const m = dump.memory;
  const total = m.total;
  const kinds: MemoryKind[] = [];
  const add = (kind: string, bytes: number | undefined) => {
    if (bytes !== undefined && Number.isFinite(bytes)) kinds.push({ kind, bytes, share: total ? bytes / total : NaN });
  };
  add('processes', m.processes);
  add('binary', m.binary);
  add('ets', m.ets);
  add('code', m.code);
  add('atom', m.atom);
  if (m.system !== undefined) {
    const named = (m.binary ?? 0) + (m.ets ?? 0) + (m.code ?? 0) + (m.atom ?? 0);
    add('other system', m.system - named);
  }
  kinds.sort((a, b) => b.bytes - a.bytes);
  return {
    totalBytes: total,
    kinds,
    processesSumBytes: sum(dump.processes.memoryBytes, dump.processes.count),
    binarySectionsBytes: dump.binaries.totalBytes,
  };
}

function memoryFindings(r: TriageReport): Finding[] {
  const out: Finding[] = [];
  const m = r.memory;
  const top = m.kinds[0];
  if (top && Number.isFinite(top.share) && top.share >= 0.5 && (m.totalBytes ?? 0) > 0) {
    // The processes' own figures must account for `=memory processes` before the reader is sent
    // to them: an R15B dump has no per-process Memory: line, and its stack+heap sums can be 2% of it.
    const unreconciled = top.kind === 'processes' && m.processesSumBytes < 0.5 * top.bytes;
    out.push({
      id: 'memory.dominant-kind',
      severity: top.share >= 0.75 ? 'warning' : 'info',
      title: `${KIND_SUBJECT[top.kind] ?? `${top.kind} memory holds`} ${formatPercent(top.share, 0)} of the node's memory (${formatBytes(top.bytes)} of ${formatBytes(m.totalBytes!)})`,
      explanation: unreconciled && cutTakes(r.truncation.hides, 'processes')
        ? `=memory says processes use ${formatBytes(top.bytes)}, but the processes the dump has before its cut sum to ${formatBytes(m.processesSumBytes)} (${formatPercent(m.processesSumBytes / top.bytes, 0)} of it): the others are past the cut. The largest processes below are the largest of those read.`
        : unreconciled && timersOutsideHeaps(r) !== undefined
        ? `=memory says processes use ${formatBytes(top.bytes)}, but the processes' own figures in the dump sum to ${formatBytes(m.processesSumBytes)} (${formatPercent(m.processesSumBytes / top.bytes, 0)} of it): ${countOf(r.counts.timers, 'pending timer')} keep their messages outside the heaps, counted there and in no process, and are the likely rest (see the timers finding).`
        : unreconciled
        ? `=memory says processes use ${formatBytes(top.bytes)}, but the processes' own figures in the dump sum to ${formatBytes(m.processesSumBytes)} (${formatPercent(m.processesSumBytes / top.bytes, 0)} of it), so the dump does not show which processes hold the rest: dumps before OTP R16 write no per-process Memory: line, and mailboxes kept off the heap or heap fragments are not in the stack+heap figures. The largest processes below are not necessarily where it went.`
        : DOMINANT_ADVICE[top.kind] ?? 'Look at what this kind of memory is made of before tuning anything else.',
      evidence: [
        ...m.kinds.map((k) => `${k.kind}: ${formatBytes(k.bytes)} (${formatPercent(k.share)})`),
        ...(top.kind === 'processes' ? [`sum of the processes' own memory figures: ${formatBytes(m.processesSumBytes)}`] : []),
        ...(top.kind === 'binary' && r.topProcesses.byBinary.length
          ? [`processes referring to the most (binary virtual heaps; a binary several refer to counts in each): ${r.topProcesses.byBinary.slice(0, 3).map((s) => `${whoIs(s)} ${formatBytes(s.binaryBytes)}`).join(', ')}`]
          : []),
        ...(top.kind === 'binary' ? [...queuedBinaryEvidence(r), ...portQueueEvidence(r)] : []),
        ...(top.kind === 'ets' && r.etsNames.length
          ? [`by table name: ${r.etsNames.slice(0, 3).map((n) => `${n.name} ${formatBytes(n.memoryBytes)} in ${countOf(n.tables, 'table')}`).join(', ')}`]
          : []),
      ],
      subject: { kind: 'memory', id: top.kind },
      metrics: { bytes: top.bytes, share: top.share, totalBytes: m.totalBytes! },
    });
  }
  const binary = m.kinds.find((k) => k.kind === 'binary');
  // A dump cut before (the rest of) its =binary sections does not say what no heap refers to: the
  // truncation finding says how much of them was read.
  if (binary && binary.bytes > 0 && !binariesCut(r)) {
    const unseen = binary.bytes - m.binarySectionsBytes;
    const share = unseen / binary.bytes;
    if (unseen > 64 * MiB || (unseen > 8 * MiB && share > 0.5)) {
      out.push({
        id: 'memory.binary-not-in-heaps',
        severity: 'info',
        title: `${formatBytes(unseen)} of binary memory is not referenced from any dumped process heap`,
        explanation:
          'The dump writes an off-heap binary only when a dumped heap or literal refers to it. Binary memory beyond that is held by ETS tables, ports, distribution buffers, processes left out of the deep dump, or refc binaries kept alive by stale references. `beamscope leak` looks at who holds binaries.',
        evidence: [`=memory binary: ${formatBytes(binary.bytes)}`, `sum of ${formatCount(r.counts.binaries)} =binary sections: ${formatBytes(m.binarySectionsBytes)}`, ...portQueueEvidence(r), ...distributionEvidence(r)],
        metrics: { binaryBytes: binary.bytes, binarySectionsBytes: m.binarySectionsBytes, unseenBytes: unseen },
      });
    }
  }
  return out;
}

/** True when the dump stops before the end of its =binary sections (truncationHides). */
function binariesCut(r: TriageReport): boolean {
  return cutTakes(r.truncation.hides, 'binaries');
}

/** `=memory binary` in bytes, when the dump has it. */
function binaryMemory(r: TriageReport): Bytes | undefined {
  return r.memory.kinds.find((k) => k.kind === 'binary')?.bytes;
}

/** The queues whose messages refer to refc binaries, as one line (a mailbox of binaries holds them off the process's heap and vheap). */
function queuedBinaryEvidence(r: TriageReport): string[] {
  const queued = r.mailboxOutliers.flatMap((o) => {
    const b = queuedBinaries(o, r);
    return b && b.bytes > 0 ? [`${whoIs(o)} about ${formatBytes(b.bytes)}`] : [];
  });
  return queued.length ? [`queued messages refer to (mailbox outliers): ${queued.slice(0, 3).join(', ')}`] : [];
}

/**
 * The ports' output queues, when long, as one line: data queued to a port is kept as binaries,
 * referred to by the queue and by no heap, so no =binary section shows them.
 */
function portQueueEvidence(r: TriageReport): string[] {
  const { queued, largestQueues } = r.ports;
  if (queued.bytes < MiB) return [];
  const longest = largestQueues.slice(0, 3).map((q) => `${q.id} (${q.driver ?? q.kind}) ${formatBytes(q.queueBytes)}`).join(', ');
  return [`ports' output queues (no heap refers to what they hold): ${formatBytes(queued.bytes)} on ${countOf(queued.ports, 'port')}; the longest: ${longest}`];
}

/**
 * For the findings on binary virtual heaps, when the ports' output queues are long: a binary sent
 * to a port (gen_tcp:send/2) counts in its sender's virtual heap until the sender collects, and
 * stays in the port's queue until written, whatever the sender's collection (a real VM's 100
 * senders with 8.6 MiB queued freed 1.0 MiB when collected: fixtures/slow_clients.dump).
 */
function sentToPortsEvidence(r: TriageReport): string[] {
  const { queued } = r.ports;
  if (queued.bytes < MiB) return [];
  return [`ports' output queues hold ${formatBytes(queued.bytes)} on ${countOf(queued.ports, 'port')}: a binary sent to a port counts in its sender's virtual heap until the sender collects, and stays queued until written, whatever the collection`];
}

/**
 * The nodes this one is connected to, as one line: what is sent to a node that does not take it
 * waits in the connection's distribution buffer, which no section of the dump shows (a real VM
 * sent 20 MiB to a peer it had stopped: 18.1 MiB of binary memory no heap, port queue or section
 * held; fixtures/busy_dist.dump).
 */
function distributionEvidence(r: TriageReport): string[] {
  const n = r.nodes.visible + r.nodes.hidden;
  if (n === 0) return [];
  const names = r.nodes.connected.slice(0, 3).join(', ');
  return [`connected to ${countOf(n, 'node')} (${names}${n > 3 ? ', ...' : ''}): what a node does not take waits in its distribution buffer, not in the dump (+zdbbl each: 1 MiB by default, RabbitMQ's 128 MB)`];
}

/** The subject of "... hold N% of the node's memory", by =memory kind. */
const KIND_SUBJECT: Record<string, string> = {
  processes: 'Processes hold', binary: 'Binaries hold', ets: 'ETS tables hold', code: 'Loaded code holds', atom: 'Atoms hold',
  'other system': 'Other system memory holds', system: 'System memory holds',
};

const DOMINANT_ADVICE: Record<string, string> = {
  processes: 'Process heaps and mailboxes hold most of the memory: look at the largest processes and mailboxes below; a single process with a huge heap or queue is the usual cause.',
  binary: 'Refc binaries hold most of the memory: either something keeps many large binaries (caches, ETS, big messages) or processes hold references to binaries they no longer use (see `beamscope leak`).',
  ets: 'ETS tables hold most of the memory: look at the largest tables, their names and their owners below.',
  code: 'Loaded code holds most of the memory: unusual; look for dynamically generated or repeatedly loaded modules.',
  atom: 'Atoms hold most of the memory: atoms are never freed; something is creating atoms from external input.',
  'other system': 'Memory outside processes, binaries, ETS, code and atoms: allocator overhead, ports and drivers, or NIFs. Check the allocator section and the port queues.',
};

// ---------------------------------------------------------------------------------------------
// Mailboxes and processes

/**
 * The processes whose queues stand out, largest first, at most `top`: at least QUEUE_FACTOR times
 * the node's typical (90th percentile) queue and QUEUE_FLOOR, or ABSOLUTE_QUEUE whatever the rest
 * look like. triageDump decodes the heaps of these and no others.
 */
export interface MailboxRows {
  rows: number[];
  typicalQueueLength: number;
  thresholdQueueLength: number;
}

export function mailboxOutlierRows(p: ProcessTable, top: number): MailboxRows {
  const typical = percentile(p.messageQueueLength, 0.9, p.count);
  const typicalQueueLength = Number.isFinite(typical) ? typical : 0;
  const thresholdQueueLength = Math.min(Math.max(QUEUE_FLOOR, QUEUE_FACTOR * typicalQueueLength), ABSOLUTE_QUEUE);
  const rows = topIndices(p.messageQueueLength, top, p.count).filter((i) => p.messageQueueLength.at(i) >= thresholdQueueLength);
  return { rows, typicalQueueLength, thresholdQueueLength };
}

function mailboxOutliers(dump: Dump, top: number, details: Map<string, ProcessDetails>, known?: MailboxRows) {
  const p = dump.processes;
  const { rows, typicalQueueLength, thresholdQueueLength } = known ?? mailboxOutlierRows(p, top);
  const totalQueued = sum(p.messageQueueLength, p.count);
  const outliers: MailboxOutlier[] = [];
  for (const i of rows) {
    const q = p.messageQueueLength.at(i);
    const d = details.get(p.pid.at(i));
    const o: MailboxOutlier = { ...processSummary(p, i, details), shareOfQueuedMessages: totalQueued ? q / totalQueued : 0 };
    if (d?.ancestors) o.ancestors = d.ancestors;
    if (d?.messageShapes) o.messageShapes = d.messageShapes;
    if (d?.messagesSampled !== undefined) o.messagesSampled = d.messagesSampled;
    if (d?.messageShapesMissing !== undefined) o.messageShapesMissing = d.messageShapesMissing;
    if (d?.messagesBinaryBytes !== undefined) o.messagesBinaryBytes = d.messagesBinaryBytes;
    outliers.push(o);
  }
  return {
    stats: { typicalQueueLength, thresholdQueueLength, totalQueuedMessages: totalQueued },
    outliers,
  };
}

/** The process by name, or by initial call when it has none. */
function whoIs(s: ProcessSummary): string {
  return who({ pid: s.pid, name: s.name || s.initialCall });
}

/**
 * Refc binary bytes a queue refers to, from its sampled messages (scaled to the whole queue when
 * only its first messages were read), at most =memory binary: its Memory figure leaves them out.
 */
function queuedBinaries(o: MailboxOutlier, r: TriageReport): { bytes: Bytes; line: string } | undefined {
  const read = o.messagesBinaryBytes;
  const sampled = o.messagesSampled;
  if (!read || !sampled) return undefined;
  const q = o.messageQueueLength;
  const binary = binaryMemory(r) ?? Infinity;
  const bytes = Math.min(sampled >= q ? read : (read * q) / sampled, binary);
  const total = r.memory.totalBytes;
  const share = total ? ` (${formatPercent(bytes / total)} of the node's memory)` : '';
  return {
    bytes,
    line: sampled >= q
      ? `its messages refer to ${formatBytes(read)} of refc binaries${share}, off its heap`
      : `its messages refer to refc binaries off its heap: ${formatBytes(read)} in the first ${countOf(sampled, 'message')}, about ${formatBytes(bytes)} for the whole queue${share}`,
  };
}

function mailboxFinding(o: MailboxOutlier, r: TriageReport): Finding {
  const q = o.messageQueueLength;
  const bins = queuedBinaries(o, r);
  const total = r.memory.totalBytes;
  const evidence = [
    `queue: ${countOf(q, 'message')}, ${formatPercent(o.shareOfQueuedMessages)} of all queued messages on the node (typical queue: ${formatCount(r.mailbox.typicalQueueLength)})`,
    `memory: ${formatBytes(o.memoryBytes)}${total ? ` (${formatPercent(o.memoryBytes / total)} of the node)` : ''}`,
    ...(bins ? [bins.line] : []),
    `initial call: ${o.initialCall ?? '?'}; current function: ${o.currentFunction ?? '?'}; state: ${o.state}`,
  ];
  if (o.spawnedBy) evidence.push(`spawned by: ${o.spawnedBy}`);
  if (o.ancestors?.length) evidence.push(`ancestors: ${o.ancestors.join(', ')}`);
  if (o.messageShapes && o.messagesSampled !== undefined && o.messagesSampled < q) evidence.push(`message shapes of the first ${countOf(o.messagesSampled, 'message')}:`);
  for (const s of o.messageShapes?.slice(0, 3) ?? []) evidence.push(`${formatCount(s.count)} x ${s.shape}`);
  if (!o.messageShapes) {
    evidence.push(o.messageShapesMissing ? `message shapes: not in the dump (${o.messageShapesMissing})` : `message shapes: not decoded here; \`beamscope proc <dump> ${o.pid}\` shows them`);
  }
  return {
    id: 'mailbox.outlier',
    severity: q >= 100_000 || (total && (o.memoryBytes + (bins?.bytes ?? 0)) / total > 0.25) ? 'critical' : q >= 1000 ? 'warning' : 'info',
    title: `${whoIs(o)} has ${countOf(q, 'message')} queued`,
    explanation:
      o.state === 'Running' || o.state === 'Scheduled'
        ? 'The process is busy but receives faster than it handles messages. Find what sends to it (the message shapes), and apply back-pressure or spread the work.'
        : 'The process is not working through its queue: it may be blocked in a call, waiting on a selective receive that skips these messages, or simply too slow. Its current function says where it waits.',
    evidence,
    subject: { kind: 'process', id: o.pid, ...(o.name ? { name: o.name } : {}) },
    metrics: { messageQueueLength: q, memoryBytes: o.memoryBytes, shareOfQueuedMessages: o.shareOfQueuedMessages, ...(bins ? { queuedBinaryBytes: bins.bytes } : {}) },
  };
}

function processFindings(r: TriageReport, sharing: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  const total = r.memory.totalBytes;
  const big = r.topProcesses.byMemory[0];
  for (const deep of r.topProcesses.byMemory) if (deep.stack) out.push(deepStackFinding(deep, deep.stack, total ?? 0));
  if (big && total && big.memoryBytes / total >= 0.2 && !big.stack && !r.mailboxOutliers.some((o) => o.pid === big.pid)) {
    const dict = big.dictionaryEntries !== undefined && big.dictionaryEntries >= LARGE_DICTIONARY ? big.dictionaryEntries : undefined;
    out.push({
      id: 'process.memory-outlier',
      severity: big.memoryBytes / total >= 0.5 ? 'critical' : 'warning',
      title: `${whoIs(big)} uses ${formatBytes(big.memoryBytes)}, ${formatPercent(big.memoryBytes / total)} of the node's memory`,
      explanation: dict !== undefined
        ? `One process holds a large share of the memory in its heap, and its process dictionary has ${countOf(dict, 'entry', 'entries')}: a cache or registry kept with put/2, whose keys stay until erase/1 (a normal process has a few). Keep such data in ETS or in the state, bounded or expired; \`beamscope proc\` shows what the entries are.`
        : 'One process holds a large share of the memory in its heap: a large state, a big term being built, or a long list. Its current function says what it was doing.',
      evidence: [`initial call: ${big.initialCall ?? '?'}; current function: ${big.currentFunction ?? '?'}; state: ${big.state}`,
        `message queue: ${formatCount(big.messageQueueLength)}`, ...(dict !== undefined ? [`process dictionary: ${countOf(dict, 'entry', 'entries')}`] : [])],
      subject: { kind: 'process', id: big.pid, ...(big.name ? { name: big.name } : {}) },
      metrics: { memoryBytes: big.memoryBytes, share: big.memoryBytes / total },
    });
  }
  out.push(...binaryHolderFindings(r, sharing));
  const g = r.groups[0];
  if (g && r.counts.processes >= 1000 && g.count / r.counts.processes >= 0.5) {
    out.push({
      id: 'process.dominant-group',
      severity: 'info',
      title: `${formatCount(g.count)} x ${g.key} (${formatPercent(g.count / r.counts.processes, 0)} of ${cutTakes(r.truncation.hides, 'processes') ? `the ${formatCount(r.counts.processes)} processes before the dump's cut` : 'all processes'})`,
      explanation: 'Most processes are of one kind. If their number grows without bound (one per request or connection that never ends), the node runs into the process limit or out of memory.',
      evidence: [`memory: ${formatBytes(g.memoryBytes)}; queued messages: ${formatCount(g.messageQueueLength)} (largest ${formatCount(g.maxMessageQueueLength)})`, ...traitEvidence(g), ...sampleEvidence(g)],
      subject: { kind: 'process-group', id: g.key },
      metrics: { count: g.count, memoryBytes: g.memoryBytes, messageQueueLength: g.messageQueueLength },
    });
  }
  return out;
}

/** A process dictionary this large is a cache or a registry, not the few keys OTP and libraries put there. */
const LARGE_DICTIONARY = 10_000;

/** A process referring to refc binaries of this share of the node's memory is a finding (warning at 0.25, critical at 0.5). */
const BINARY_HOLDER_SHARE = 0.1;
/** ... and at least this much: a tenth of a tiny node is not worth a person's attention. */
const BINARY_HOLDER_FLOOR = 1 * MiB;

/** Whether a process whose binary virtual heap is `binaryBytes` is a finding on a node of `totalBytes` (triageDump reads its heap's binaries then). */
export function isBinaryHolder(binaryBytes: number, totalBytes: number | undefined): boolean {
  return totalBytes !== undefined && totalBytes > 0 && binaryBytes >= BINARY_HOLDER_FLOOR && binaryBytes / totalBytes >= BINARY_HOLDER_SHARE;
}

/** Processes with the most binary memory that triage looks at for findings (and triageDump reads the heaps of). */
export const BINARY_HOLDERS = 3;

/**
 * The processes whose binary virtual heap (BinVHeap + OldBinVHeap: the sizes of the refc binaries
 * they have taken in since their last full garbage collection) is a large share of the node. The
 * Memory figure leaves them out, so the largest-process finding and table never name them: a
 * process that read a whole file into one binary shows 2 KiB of memory and holds half the node.
 * What a dumped heap still refers to (`heapBinaries`, when triageDump read it) tells a process
 * that keeps its binaries (a finding each) from ones that no longer reach them and have not
 * collected since (one finding for all of them).
 */
function binaryHolderFindings(r: TriageReport, sharing: ReadonlySet<string>): Finding[] {
  const total = r.memory.totalBytes ?? 0;
  const holders = binaryHolders(r, sharing);
  const isStale = (h: ProcessSummary) => h.heapBinaries !== undefined && h.heapBinaries.bytes < 0.5 * h.binaryBytes;
  const binary = binaryMemory(r);
  const against = binary ? ` against =memory binary ${formatBytes(binary)}` : '';
  const severity = (share: number): Finding['severity'] => (share >= 0.5 ? 'critical' : share >= 0.25 ? 'warning' : 'info');
  const out: Finding[] = [];
  for (const h of holders.filter((x) => !isStale(x))) {
    const share = h.binaryBytes / total;
    const reach = h.heapBinaries;
    out.push({
      id: 'process.binary-holder',
      severity: severity(share),
      title: `${whoIs(h)} refers to ${formatBytes(h.binaryBytes)} of refc binaries, ${formatPercent(share)} of the node's memory`,
      explanation: 'Refc binaries live outside the process heap, so its own memory figure leaves them out. One process holding this much has read a whole file, socket stream or HTTP body into memory, keeps large binaries in its state, or keeps a small part (a sub-binary) of a large one, which keeps all of it alive. Read and pass data in chunks (file:read/2, {active, once}, streaming bodies), and binary:copy/1 the part you keep.' +
        (reach ? '' : ' The figure also counts binaries a garbage collection would free and ones shared with other processes: `beamscope leak` tells them apart.'),
      evidence: [
        `binary virtual heap (BinVHeap + OldBinVHeap): ${formatBytes(h.binaryBytes)}${against}; its own memory: ${formatBytes(h.memoryBytes)}`,
        ...(reach ? [`reachable from its dumped heap: ${formatBytes(reach.bytes)} in ${countOf(reach.binaries, 'binary', 'binaries')}`] : []),
        `initial call: ${h.initialCall ?? '?'}; current function: ${h.currentFunction ?? '?'}; state: ${h.state}${h.spawnedBy ? `; spawned by ${h.spawnedBy}` : ''}`,
      ],
      subject: { kind: 'process', id: h.pid, ...(h.name ? { name: h.name } : {}) },
      metrics: { binaryBytes: h.binaryBytes, memoryBytes: h.memoryBytes, share, ...(reach ? { reachableBytes: reach.bytes } : {}) },
    });
  }
  const stale = holders.filter(isStale);
  const unreached = (h: ProcessSummary) => h.binaryBytes - h.heapBinaries!.bytes;
  // A binary several processes saw is counted by each: the figures overlap, and none frees more
  // than =memory binary, less what another heap read still reaches (100 subscribers of a 16 MiB
  // broadcast reach it: the process that sent it, which counted it, was critical).
  const elsewhere = Math.max(0, ...r.topProcesses.byBinary.filter((h) => !stale.includes(h)).map((h) => h.heapBinaries?.bytes ?? 0));
  const freeable = (h: ProcessSummary) => Math.max(0, Math.min(unreached(h), (binary ?? Infinity) - elsewhere));
  if (stale.length && isBinaryHolder(freeable(stale[0]), total)) {
    const first = stale[0];
    const share = freeable(first) / total;
    out.push({
      id: 'process.stale-binaries',
      severity: severity(share),
      title: `${whoIs(first)}${stale.length > 1 ? ` and ${countOf(stale.length - 1, 'other process', 'other processes')}` : ''} ${stale.length > 1 ? 'count' : 'counts'} refc binaries ${stale.length > 1 ? 'their heaps' : 'its heap'} no longer reach: ${stale.map((h) => formatBytes(unreached(h))).join(', ')}`,
      explanation: 'A binary virtual heap counts the refc binaries a process took in since its last garbage collection; its heap no longer refers to most of these: binaries received, passed on or dropped. A process that allocates little on its own heap collects rarely, and each binary stays allocated until every process that saw it has collected (the refc binary leak of Erlang in Anger), so figures of several processes overlap. A garbage collection (erlang:garbage_collect/1) frees them; for good, hibernate such a process when idle or lower its fullsweep_after. `beamscope leak` lists every process in this state.',
      evidence: [
        ...stale.map((h) => `${whoIs(h)}: binary virtual heap ${formatBytes(h.binaryBytes)}${against}, reachable from its dumped heap ${formatBytes(h.heapBinaries!.bytes)} in ${countOf(h.heapBinaries!.binaries, 'binary', 'binaries')}; current function: ${h.currentFunction ?? '?'}`),
        ...(elsewhere > 0 && freeable(first) < unreached(first) ? [`another heap read still reaches ${formatBytes(elsewhere)} of refc binaries, which stay: a collection frees at most ${formatBytes(freeable(first))}`] : []),
        ...sentToPortsEvidence(r),
      ],
      subject: { kind: 'process', id: first.pid, ...(first.name ? { name: first.name } : {}) },
      metrics: { processes: stale.length, unreachedBytes: unreached(first), share },
    });
  }
  return out;
}

/**
 * A process with a stack of thousands to millions of frames: a body recursion that did not stop
 * (or did not stop soon enough). Replaces the memory outlier for the same process, whose advice
 * (a large state, a big term) would point the wrong way.
 */
function deepStackFinding(p: ProcessSummary, st: StackSketch, total: number): Finding {
  const share = total ? p.memoryBytes / total : 0;
  const main = st.functions[0];
  const frames = st.exact ? countOf(st.estimatedFrames, 'frame') : `about ${formatEstimate(st.estimatedFrames)} frames`;
  const evidence = [
    `stack: ${frames} (${formatBytes(st.sectionBytes)} of dump text)${main ? `; ${main.frames === st.sampledFrames ? 'all' : formatCount(main.frames)} of the ${formatCount(st.sampledFrames)} at the top in ${main.function}` : ''}`,
    ...(st.functions.length > 1 ? [`others at the top: ${st.functions.slice(1, 4).map((f) => `${f.function} (${formatCount(f.frames)})`).join(', ')}`] : []),
    ...(st.calledFrom.length > 0 ? [`called from (innermost first): ${st.calledFrom.join(' <- ')}`] : []),
    `memory: ${formatBytes(p.memoryBytes)}${total ? ` (${formatPercent(share)} of the node)` : ''}; initial call: ${p.initialCall ?? '?'}; state: ${p.state}`,
  ];
  return {
    id: 'process.deep-stack',
    severity: share >= 0.5 || st.estimatedFrames >= 1_000_000 ? 'critical' : share >= 0.2 || st.estimatedFrames >= 100_000 ? 'warning' : 'info',
    title: `${whoIs(p)} is ${frames} deep${main ? ` in ${main.function}` : ''}`,
    explanation: 'A body recursion that did not stop, or not soon enough: each call keeps a frame (its live variables) until the calls below it return, so the stack and the terms it holds grow with the input. Find the missing or unreachable base case, bound the input, or make the function tail-recursive with an accumulator; a max_heap_size on such processes stops one before it takes the node.',
    evidence,
    subject: { kind: 'process', id: p.pid, ...(p.name ? { name: p.name } : {}) },
    metrics: { frames: st.estimatedFrames, stackSectionBytes: st.sectionBytes, memoryBytes: p.memoryBytes, share },
  };
}

/** The groups, the one the sample is of (by its initial call) with the sample. */
export function withSample(groups: ProcessGroup[], sample: InitialCallSample | undefined): ProcessGroup[] {
  const g = sample && groups.find((x) => x.by === 'initial-call' && x.key === sample.groupKey);
  if (g) g.sampledInitialCalls = sample;
  return groups;
}

/** What most of a group share: who spawned them, where they are (a group of funs, `erlang:apply/2`, is told by these). */
export function traitEvidence(g: ProcessGroup): string[] {
  const out: string[] = [];
  if (g.spawnedBy) out.push(`spawned by ${who({ pid: g.spawnedBy.pid, name: g.spawnedBy.name })}: ${formatCount(g.spawnedBy.count)} of them`);
  if (g.currentFunction) out.push(`current function ${g.currentFunction.function}: ${formatCount(g.currentFunction.count)} of them`);
  return out;
}

/** The line under a group table that says what most of the group share, as the text reports print it; undefined for none. */
export function traitLine(g: ProcessGroup): string | undefined {
  const traits = traitEvidence(g);
  return traits.length > 0 ? `${g.elixir?.key ?? g.key}: ${traits.join('; ')}` : undefined;
}

/** What a group's sampled dictionaries say its members really are (proc_lib processes), as evidence. */
function sampleEvidence(g: ProcessGroup): string[] {
  const s = g.sampledInitialCalls;
  if (!s || s.sampled === 0) return [];
  return [`real initial calls (\`$initial_call\`) of ${formatCount(s.sampled)} of them (one in ${formatCount(s.every)}): ${sampledCalls(s, 3)}`];
}

/** The first `shown` initial calls of a sample, `1,962 x m:f/1, ...`, and how many others (names through `name`). */
export function sampledCalls(s: InitialCallSample, shown: number, name: (call: string) => string = (c) => c): string {
  const calls = s.calls.slice(0, shown).map((c) => `${formatCount(c.count)} x ${name(c.initialCall)}`).join(', ');
  return `${calls}${s.calls.length > shown ? `, ${countOf(s.calls.length - shown, 'other')}` : ''}`;
}

/** A group holding this share of the node's memory is a finding, whatever its size or count. */
const GROUP_MEMORY_SHARE = 0.25;

/**
 * The group of processes (same initial call or name pattern) that holds the most memory, when it
 * is a large share of the node: 20 RabbitMQ queue processes holding 40% of a node are not a
 * dominant group by count, nor one process, and were named nowhere.
 */
function memoryGroupFinding(g: ProcessGroup | undefined, r: TriageReport): Finding | undefined {
  const total = r.memory.totalBytes;
  if (!g || g.count < 2 || total === undefined || !(total > 0)) return undefined;
  const share = g.memoryBytes / total;
  // Not when one member holds it (the largest-process and mailbox findings name that one).
  if (!(share >= GROUP_MEMORY_SHARE) || !((g.memoryBytes - g.maxMemoryBytes) / total >= GROUP_MEMORY_SHARE)) return undefined;
  return {
    id: 'process.memory-group',
    severity: share >= 0.5 ? 'warning' : 'info',
    title: `${formatCount(g.count)} x ${g.key} hold ${formatBytes(g.memoryBytes)} (${formatPercent(share, 0)} of the node's memory), ${formatBytes(g.memoryBytes / g.count)} each on average`,
    explanation: 'The memory is in a group of processes of one kind, not in one process. When there is one of them per queue, connection or session, what to cut is their number or what each keeps: smaller state, hibernation of idle ones (which compacts their heaps), no large min_heap_size, or fewer of them.',
    evidence: [
      `${g.by === 'name' ? 'registered as' : 'initial call'}: ${g.key}; ${formatCount(g.count)} processes`,
      `memory: ${formatBytes(g.memoryBytes)} of ${formatBytes(total)} (largest member ${formatBytes(g.maxMemoryBytes)}); queued messages: ${formatCount(g.messageQueueLength)}`,
      ...traitEvidence(g),
      ...sampleEvidence(g),
    ],
    subject: { kind: 'process-group', id: g.key },
    metrics: { count: g.count, memoryBytes: g.memoryBytes, share },
  };
}

/**
 * The processes binaryHolderFindings names: the few with the most binaries, each a large share,
 * but for members of a group that shares its binaries (sharingMembers), which the group's finding names.
 */
function binaryHolders(r: TriageReport, sharing: ReadonlySet<string>): ProcessSummary[] {
  return r.topProcesses.byBinary.slice(0, BINARY_HOLDERS).filter((h) => isBinaryHolder(h.binaryBytes, r.memory.totalBytes) && !sharing.has(h.pid));
}

/** The listed processes (topProcesses.byBinary) of group g. */
function groupMembers(g: ProcessGroup, r: TriageReport): ProcessSummary[] {
  return r.topProcesses.byBinary.filter((s) => (g.by === 'name' ? s.name !== undefined && s.name !== null && namePattern(s.name) === g.key : s.initialCall === g.key));
}

/**
 * The listed members of a group whose binary virtual heaps sum to more than SHARED_SUM times the
 * node's binary memory: they count the same binaries, each one (100 subscribers of one 16 MiB
 * broadcast: each 56% of the node, two of them critical findings, and the group's a third). The
 * group's finding says it once, and names them.
 */
function sharingMembers(g: ProcessGroup | undefined, r: TriageReport): Set<string> {
  return g && g.count >= 2 && countsShared(g, binaryMemory(r) ?? Infinity) ? new Set(groupMembers(g, r).map((m) => m.pid)) : new Set();
}

/** Whether a group's binary virtual heaps sum to more than SHARED_SUM times the node's binary memory. */
function countsShared(g: ProcessGroup, binary: Bytes): boolean {
  return g.binaryBytes > SHARED_SUM * binary;
}

/**
 * A group whose binary virtual heaps add up to a large share of the node while no member holds
 * most of it: many connection or worker processes that each took in binaries (the refc binary
 * leak of Erlang in Anger: they collect rarely, or keep what they received). The process findings
 * name one process at a time; 10,000 processes of 100 KiB each are none of them.
 */
function binaryGroupFinding(g: ProcessGroup | undefined, r: TriageReport, sharing: ReadonlySet<string>): Finding[] {
  const total = r.memory.totalBytes;
  // Binaries several members saw count in each: no more than =memory binary is held (2,000
  // subscribers of one 1 MiB broadcast were "refer to 1.95 GiB of refc binaries" on a node of 1 MiB).
  const binary = binaryMemory(r) ?? Infinity;
  const held = (bytes: number) => Math.min(bytes, binary);
  if (!g || g.count < 2 || !isBinaryHolder(held(g.binaryBytes), total)) return [];
  const members = groupMembers(g, r);
  // What the members that have a finding of their own (binaryHolderFindings) leave: a group of
  // 12 whose two largest each counted the same 800 MiB (a holder and the process that made the
  // binaries) was "12 x erlang:apply/2 refer to 1.56 GiB, and no one of them holds much".
  const own = new Set(binaryHolders(r, sharing));
  const rest = g.binaryBytes - members.filter((m) => own.has(m)).reduce((n, m) => n + m.binaryBytes, 0);
  if (!isBinaryHolder(held(rest), total)) return [];
  // The largest other member: when it holds half of the rest, its own finding says it. One not
  // among the top processes listed holds no more than the last of them.
  const listed = r.topProcesses.byBinary;
  const largest = members.find((m) => !own.has(m))?.binaryBytes ?? listed[listed.length - 1]?.binaryBytes ?? 0;
  if (largest >= 0.5 * rest) return [];
  const share = held(g.binaryBytes) / total!;
  return [{
    id: 'process.binary-group',
    severity: share >= 0.5 ? 'critical' : share >= 0.25 ? 'warning' : 'info',
    title: countsShared(g, binary)
      ? `${formatCount(g.count)} x ${g.key} share refc binaries of at most ${formatBytes(binary)} (${formatPercent(share)} of the node's memory): their binary virtual heaps sum ${formatBytes(g.binaryBytes)}, a binary counted in each that holds it`
      : `${formatCount(g.count)} x ${g.key} refer to ${formatBytes(g.binaryBytes)} of refc binaries (${formatPercent(share)} of the node's memory), ${formatBytes(g.binaryBytes / g.count)} each on average`,
    explanation: 'Refc binaries live outside the process heaps: the processes\' own memory figures leave them out, and no one of them holds much. Processes of one kind that receive binaries (request bodies, socket data, messages passed along) keep them until each one\'s next full garbage collection, and one that allocates little on its own heap collects rarely (the refc binary leak of Erlang in Anger); or each keeps what it received in its state. A binary several of them saw counts in each. `beamscope leak` tells what a garbage collection would free; hibernating idle ones or a lower fullsweep_after frees stale binaries for good, binary:copy/1 of the part kept frees the rest of a large one.',
    evidence: [
      `${g.by === 'name' ? 'registered as' : 'initial call'}: ${g.key}; ${formatCount(g.count)} processes; their own memory: ${formatBytes(g.memoryBytes)}`,
      `binary virtual heaps (BinVHeap + OldBinVHeap) summed: ${formatBytes(g.binaryBytes)}${Number.isFinite(binary) ? ` against =memory binary ${formatBytes(binary)}` : ''}`,
      ...(members.length ? [`of them, by binaries: ${members.slice(0, 3).map((m) => `${who({ pid: m.pid, name: m.name })} ${formatBytes(m.binaryBytes)}`).join(', ')}`] : []),
      ...reachEvidence(members),
      ...sentToPortsEvidence(r),
      ...traitEvidence(g),
      ...sampleEvidence(g),
    ],
    subject: { kind: 'process-group', id: g.key },
    metrics: { count: g.count, binaryBytes: g.binaryBytes, memoryBytes: g.memoryBytes, share },
  }];
}

/**
 * Processes that keep refc binaries alive through parts of them: their dumped heaps reach binaries
 * of a large share of the node while their binary virtual heaps count little (a sub-binary counts
 * its own size there, and keeps all of the binary it points into). A process that kept 1 KiB of a
 * 64 MiB binary held 84% of a node with no finding (a real VM, 7 December): each virtual heap was
 * 148 KiB at most.
 */
function partHolderFindings(reach: readonly BinaryReach[], summary: (row: number) => ProcessSummary, r: TriageReport): Finding[] {
  const total = r.memory.totalBytes;
  return reach.filter((x) => isPartHolder(x, summary(x.row).binaryBytes, total)).slice(0, BINARY_HOLDERS).map((x) => {
    const h = summary(x.row);
    const share = x.reachableBytes / total!;
    return {
      id: 'process.binary-parts',
      severity: share >= 0.5 ? 'critical' : share >= 0.25 ? 'warning' : 'info',
      title: `${whoIs(h)} keeps ${formatBytes(x.reachableBytes)} of refc binaries alive, ${formatPercent(share)} of the node's memory, through parts of them: its binary virtual heap counts ${formatBytes(h.binaryBytes)}`,
      explanation: 'A sub-binary (binary:part/3, binary:split/2, a match such as <<Head:1024/binary, _/binary>>) points into the binary it was taken from and keeps all of it alive, while the binary virtual heap of the process that holds it counts only the part: the process looks small and the binary memory is not counted anywhere. Keep a copy of the part instead (binary:copy/1), so that the large binary can be freed.',
      evidence: [
        `reachable from its dumped heap: ${formatBytes(x.reachableBytes)} in ${countOf(x.binaries, 'binary', 'binaries')}, ${formatBytes(x.exclusiveBytes)} of it no other heap reaches`,
        `initial call: ${h.initialCall ?? '?'}; current function: ${h.currentFunction ?? '?'}; state: ${h.state}${h.spawnedBy ? `; spawned by ${h.spawnedBy}` : ''}`,
      ],
      subject: { kind: 'process', id: h.pid, ...(h.name ? { name: h.name } : {}) },
      metrics: { reachableBytes: x.reachableBytes, binaryBytes: h.binaryBytes, share },
    };
  });
}

/** Reached bytes a holder's share of the node, and over PART_FACTOR times what its virtual heap counts. */
export function isPartHolder(x: Pick<BinaryReach, 'reachableBytes'>, vheapBytes: number, totalBytes: number | undefined): boolean {
  return isBinaryHolder(x.reachableBytes, totalBytes) && x.reachableBytes > PART_FACTOR * vheapBytes;
}

/** A heap reaching this many times the bytes its virtual heap counts holds parts of what it reaches. */
const PART_FACTOR = 4;

/**
 * A group's binary virtual heaps summing to this many times the node's binary memory count the
 * same binaries in several members (a broadcast): the title says so. Just over it is the two
 * figures' own difference (ports.dump: 19.2 MiB summed, 19.1 MiB held).
 */
const SHARED_SUM = 2;

/** What the heaps read of a group's members still reach (stale when it is little of what they count). */
function reachEvidence(members: ProcessSummary[]): string[] {
  const read = members.filter((m) => m.heapBinaries !== undefined);
  if (!read.length) return [];
  const reached = read.reduce((a, m) => a + m.heapBinaries!.bytes, 0);
  const counted = read.reduce((a, m) => a + m.binaryBytes, 0);
  return [`reachable from the ${countOf(read.length, 'heap')} read: ${formatBytes(reached)} of the ${formatBytes(counted)} ${read.length === 1 ? 'it counts' : 'they count'}${reached < 0.5 * counted ? ' (stale: a garbage collection frees the rest)' : ''}`];
}

// ---------------------------------------------------------------------------------------------
// Limits, ETS, ports, schedulers

/**
 * The mailbox findings, and who waits in a call for whom: a process many wait for gets a line in
 * its mailbox finding (their calls are its queue) or a finding of its own (callWaitFindings).
 */
function queueFindings(outliers: MailboxOutlier[], waits: CallWaits | undefined, p: ProcessTable, summary: (row: number) => ProcessSummary, r: TriageReport): Finding[] {
  // The few processes the findings name, each looked up once (findProcess scans the table).
  const rows = new Map<string, number>();
  const rowOf = (pid: string) => {
    if (!rows.has(pid)) rows.set(pid, findProcess(p, pid));
    return rows.get(pid)!;
  };
  const known = new Map<string, ProcessSummary | undefined>();
  const about = (pid: string) => {
    if (!known.has(pid)) known.set(pid, ((i) => (i >= 0 ? summary(i) : undefined))(rowOf(pid)));
    return known.get(pid);
  };
  const monitoredBy = (pid: string) => ((i) => (i >= 0 ? p.monitoredBy.at(i) : undefined))(rowOf(pid));
  const calls = callWaitFindings(waits, about, new Set(outliers.map((o) => o.pid)), monitoredBy);
  return [...outliers.map((o) => {
    const f = mailboxFinding(o, r);
    const lines = calls.mailboxEvidence.get(o.pid);
    return lines ? { ...f, evidence: [...f.evidence, ...lines] } : f;
  }), ...calls.findings];
}

/** A limit used this much is a finding (and, for atoms, worth reading what the table holds). */
const LIMIT_SHARE = 0.8;

function limitUse(dump: Dump, cause: SloganCause, hides: string[], atomPatterns?: () => AtomPattern[] | undefined): LimitUse[] {
  const out: LimitUse[] = [];
  const idx = (name: string) => dump.indexTables.find((t) => t.name === name);
  const withShare = (u: LimitUse): LimitUse => (u.limit ? { ...u, share: u.count / u.limit } : u);
  // The limit the node died of, if it did, and the maximum its slogan gives.
  const died = cause.kind === 'system_limit' ? cause : undefined;
  const sloganMax = (limit: string) => (died?.limit === limit ? died.max : undefined);

  // Over the default, the count shows a larger table by itself (and the pass over 3,000,000 pids
  // would be 18 ms for a bound that makes no finding).
  const processes = dump.sectionCounts.proc ?? 0;
  const proven = processes <= DEFAULT_PROCESS_LIMIT ? provenProcessTable(dump.processes, DEFAULT_PROCESS_BITS) : undefined;
  out.push(defaultLimitUse('processes', 'processes', processes, DEFAULT_PROCESS_LIMIT, died?.limit === 'processes', proven));
  out.push(defaultLimitUse('ports', 'ports', dump.sectionCounts.port ?? 0, DEFAULT_PORT_LIMIT, died?.limit === 'ports'));
  const atomTab = idx('atom_tab');
  const atoms = dump.header.atoms ?? atomTab?.entries ?? dump.atoms.count;
  const atomLimit = sloganMax('atoms') ?? atomTab?.limit;
  const atomUse = withShare({ id: 'atoms', label: 'atoms', count: atoms, limit: atomLimit, limitSource: atomLimit === undefined ? undefined : 'dump' });
  const patterns = (atomUse.share ?? 0) >= LIMIT_SHARE ? atomPatterns?.() : undefined;
  out.push(patterns?.length ? { ...atomUse, patterns } : atomUse);
  const exp = idx('export_list');
  if (exp) out.push(withShare({ id: 'exports', label: 'exports', count: exp.entries, limit: exp.limit, limitSource: 'dump' }));
  const mods = idx('module_code');
  if (mods) out.push(withShare({ id: 'modules', label: 'modules', count: mods.entries, limit: mods.limit, limitSource: 'dump' }));
  out.push({ id: 'ets', label: 'ETS tables', count: (dump.sectionCounts.ets ?? 0) + (dump.sectionCounts.internal_ets ?? 0) });
  out.push({ id: 'timers', label: 'timers', count: dump.sectionCounts.timer ?? 0 });
  return out.map((u) => cutLimit(u.limitSource === undefined ? (({ limitSource: _, ...rest }) => rest)(u) : u, hides));
}

/** The sections each count is of, as truncationHides names them. */
const LIMIT_SECTIONS: Partial<Record<LimitUse['id'], CutKind>> = { processes: 'processes', ports: 'ports', ets: 'ETS tables', timers: 'timers' };

/**
 * A count of sections the dump was cut in or before: a lower bound, or not known at all (no share
 * then, and so no finding).
 */
function cutLimit(u: LimitUse, hides: string[]): LimitUse {
  const kind = LIMIT_SECTIONS[u.id];
  if (!kind || !cutTakes(hides, kind)) return u;
  if (u.count > 0) return { ...u, cut: 'at least' };
  const { share: _, ...rest } = u;
  return { ...rest, cut: 'not in the file' };
}

function limitFindings(limits: LimitUse[]): Finding[] {
  const out: Finding[] = [];
  for (const u of limits) {
    if (u.share === undefined || u.limit === undefined || u.share < LIMIT_SHARE) continue;
    out.push({
      id: `limits.${u.id}`,
      severity: u.share >= 0.95 ? 'critical' : 'warning',
      title: `${u.label}: ${u.cut ? 'at least ' : ''}${formatCount(u.count)} of ${formatCount(u.limit)} (${formatPercent(u.share)})`,
      explanation: LIMIT_ADVICE[u.id] ?? 'Close to a VM limit: when it is reached, the VM refuses or dies.',
      evidence: [`limit from ${limitFrom(u)}`, ...patternEvidence(u)],
      subject: { kind: 'limit', id: u.id },
      metrics: { count: u.count, limit: u.limit, share: u.share },
    });
  }
  return out;
}

const LIMIT_FROM: Record<NonNullable<LimitUse['limitSource']>, string> = {
  default: "the VM's default (the dump does not record the configured limit)",
  dump: 'the dump',
  slogan: 'the slogan: the node died of reaching it',
  raised: 'nowhere: the count is over the default, so the node ran with a higher limit',
  pids: "the live processes' pids: two of them share a slot of a table of half this size, so the node's limit (+P) is at least this",
};

function limitFrom(u: LimitUse): string {
  if (u.limitSource !== 'default') return LIMIT_FROM[u.limitSource ?? 'dump'];
  if (u.id === 'ports') return PORT_DEFAULT;
  return u.id === 'processes' ? `${LIMIT_FROM.default}; the live pids show no larger table (a node with a higher +P shows one once it has spawned past its first slots)` : LIMIT_FROM.default;
}

/** The VM takes the file descriptor limit for its port limit when that is higher than 65,536 (erl +Q). */
const PORT_DEFAULT = "the VM's default: 65,536, or the file descriptor limit (ulimit -n) when that is higher; the dump records neither";

/** What a full atom table holds: `1,035,771 x session_N (98.8%; newest session_8250383)`, the three largest shapes. */
function patternEvidence(u: LimitUse): string[] {
  if (!u.patterns?.length) return [];
  const shapes = u.patterns.slice(0, 3).map((p) => `${formatCount(p.count)} x ${p.pattern} (${formatPercent(p.count / u.count)}; newest ${p.newest})`);
  // A flood of list_to_atom/1 is one shape; a table full of many small ones is the code's own atoms.
  if (u.patterns[0].count / u.count >= DOMINANT_SHAPE) return [`the atoms by shape (numbers as N): ${shapes.join(', ')}`];
  return [`no one shape holds most of the atoms (numbers as N, largest: ${shapes.join(', ')}): the table may be too small for the code the node loads (+t raises it)`];
}

/** A share of the atom table one shape must hold to be named as what filled it. */
const DOMINANT_SHAPE = 0.5;

const LIMIT_ADVICE: Record<string, string> = {
  atoms: 'Atoms are never garbage collected; the VM dies when the table is full. Look for list_to_atom/binary_to_atom on external input (the newest atoms show the pattern); use existing atoms or keep strings.',
  processes: 'Near the process limit (+P): find the group of processes that keeps growing below; raising +P only buys time.',
  ports: 'Near the port limit (+Q; by default 65,536 or the file descriptor limit, whichever is higher): sockets or files are opened and not closed.',
  exports: 'Near the export table limit: code is being generated or loaded without bound.',
  modules: 'Near the module table limit: modules are being generated or loaded without bound.',
};

export function largestEts(dump: Dump, top: number): TriageReport['ets'] {
  // A loop, not Float64Array.from's iteration (136 ms of 500,000 tables).
  const mem = new Float64Array(dump.ets.length);
  for (let i = 0; i < mem.length; i++) mem[i] = dump.ets[i].memoryBytes;
  return topIndices(mem, top).map((i) => {
    const e = dump.ets[i];
    const r: TriageReport['ets'][number] = { owner: e.owner, table: e.table, name: e.name, objects: e.objects, memoryBytes: e.memoryBytes };
    if (e.type) r.type = e.type;
    const n = registeredName(dump.processes, e.owner);
    if (n) r.ownerName = n;
    return r;
  });
}

/** An owner of this many tables makes tables and does not delete them (info; a warning from 10x). */
const OWNER_TABLES = 1000;

/** ETS tables by owner, most tables first (the owners' names looked up for the listed ones only). */
function etsByOwner(dump: Dump, top: number): EtsOwner[] {
  const acc = new Map<string, { tables: number; objects: number; memoryBytes: number; names: Map<string, { tables: number; memoryBytes: number }> }>();
  for (const t of dump.ets) {
    let a = acc.get(t.owner);
    if (!a) acc.set(t.owner, (a = { tables: 0, objects: 0, memoryBytes: 0, names: new Map() }));
    const bytes = Number.isFinite(t.memoryBytes) ? t.memoryBytes : 0;
    a.tables++;
    a.objects += t.objects || 0;
    a.memoryBytes += bytes;
    const n = a.names.get(t.name);
    if (n) {
      n.tables++;
      n.memoryBytes += bytes;
    } else if (a.names.size < 1000) a.names.set(t.name, { tables: 1, memoryBytes: bytes });
  }
  return [...acc]
    .sort((x, y) => y[1].tables - x[1].tables || y[1].memoryBytes - x[1].memoryBytes)
    .slice(0, top)
    .map(([owner, a]) => {
      const [name, common] = [...a.names].reduce((best, e) => (e[1].tables > best[1].tables ? e : best));
      const ownerName = registeredName(dump.processes, owner);
      return { owner, ...(ownerName ? { ownerName } : {}), tables: a.tables, objects: a.objects, memoryBytes: a.memoryBytes, commonName: { name, ...common } };
    });
}

/** ETS tables by name, most memory first (owners counted distinct). */
function etsByName(dump: Dump, top: number): EtsName[] {
  const acc = new Map<string, { tables: number; objects: number; memoryBytes: number; owners: Set<string> }>();
  for (const t of dump.ets) {
    let a = acc.get(t.name);
    if (!a) acc.set(t.name, (a = { tables: 0, objects: 0, memoryBytes: 0, owners: new Set() }));
    a.tables++;
    a.objects += t.objects || 0;
    a.memoryBytes += Number.isFinite(t.memoryBytes) ? t.memoryBytes : 0;
    a.owners.add(t.owner);
  }
  return [...acc]
    .sort((x, y) => y[1].memoryBytes - x[1].memoryBytes || y[1].tables - x[1].tables)
    .slice(0, top)
    .map(([name, a]) => ({ name, tables: a.tables, objects: a.objects, memoryBytes: a.memoryBytes, owners: a.owners.size }));
}

function etsFindings(r: TriageReport): Finding[] {
  return [...largeTableFinding(r), ...manyTablesFinding(r), ...tablesByNameFinding(r)];
}

/** Tables of one name owned by this many processes are a table per process. */
const NAME_OWNERS = 100;

/**
 * Many processes each owning a table of one name: a table per connection, session or worker.
 * Neither the largest-table finding (each is small) nor the many-tables one (each owner has one)
 * names them: 100,000 connection processes with a 4 KiB table each held 58% of a node's memory,
 * and the only finding was "ETS tables hold 58%: look at the largest tables" (a real VM).
 */
function tablesByNameFinding(r: TriageReport): Finding[] {
  const n = r.etsNames.find((x) => x.tables >= OWNER_TABLES && x.owners >= NAME_OWNERS);
  const total = r.memory.totalBytes;
  if (!n || !total) return [];
  const share = n.memoryBytes / total;
  if (share < 0.05 && n.tables < 10 * OWNER_TABLES) return [];
  return [{
    id: 'ets.tables-by-name',
    severity: share >= 0.5 ? 'critical' : share >= 0.2 || n.tables >= 10 * OWNER_TABLES ? 'warning' : 'info',
    title: `${countOf(n.tables, 'ETS table')} named ${n.name} hold ${formatBytes(n.memoryBytes)} (${formatPercent(share)} of the node's memory), owned by ${countOf(n.owners, 'process', 'processes')}`,
    explanation: 'Processes of one kind each make tables of this name: a table per connection, session, worker or job. Each table costs its own bucket array, locks and metadata besides its objects (an empty set takes about 2.4 KiB on a 64-bit node), and lives until its owner exits or deletes it. Keep their entries in one shared table keyed by the process (or in the process state), or delete each table when its work is done.',
    evidence: [
      `${formatBytes(n.memoryBytes / n.tables)} a table on average; ${formatCount(n.objects)} objects in all (${formatCount(Math.round(n.objects / n.tables))} a table)`,
      `ETS tables on the node: ${formatCount(r.counts.etsTables)}`,
    ],
    subject: { kind: 'ets-name', id: n.name },
    metrics: { tables: n.tables, owners: n.owners, memoryBytes: n.memoryBytes, objects: n.objects, share },
  }];
}

/**
 * One owner with thousands of tables: a table made per request, session or job and never deleted
 * (ERL_MAX_ETS_TABLES is no longer a hard limit, so nothing stops it but memory). The largest-table
 * finding never names it: each table is small. When the owner also owns the table that finding
 * names, that table's memory is its own finding's and not counted here: an owner of one 275 MiB
 * table and 2,000 of 2.4 KiB was a critical "2,002 tables holding 310 MiB", which told the reader
 * the many small tables were the problem.
 */
function manyTablesFinding(r: TriageReport): Finding[] {
  const o = r.etsOwners[0];
  if (!o || o.tables < OWNER_TABLES) return [];
  const total = r.memory.totalBytes;
  const large = largeTable(r);
  const apart = large && large.owner === o.owner ? large : undefined;
  const counted = o.memoryBytes - (apart?.memoryBytes ?? 0);
  const share = total ? counted / total : 0;
  const owner = who({ pid: o.owner, name: o.ownerName });
  const common = o.commonName;
  return [{
    id: 'ets.many-tables',
    severity: share >= 0.5 ? 'critical' : o.tables >= 10 * OWNER_TABLES || share >= 0.2 ? 'warning' : 'info',
    title: `${owner} owns ${countOf(o.tables, 'ETS table')} holding ${formatBytes(counted)}${apart ? ` besides table ${apart.name}` : ''}${total ? ` (${formatPercent(share)} of the node's memory)` : ''}`,
    explanation: 'One process owns thousands of tables: it makes a table per request, session or job and does not delete it (ets:delete/1), or the processes that should own them (and take them with them when they exit) hand them over to it. A table lives until its owner exits or it is deleted, and current releases set no hard limit on their number (ERL_MAX_ETS_TABLES only sizes an internal table). Delete tables when their work is done, or keep the entries in one table keyed by the request.',
    evidence: [
      `${formatCount(common.tables)} of them named ${common.name}, ${formatBytes(common.memoryBytes)} in all (${formatBytes(common.memoryBytes / common.tables)} a table); ${formatCount(o.objects)} objects in all its tables`,
      ...(apart ? [`its table ${apart.name} (${formatBytes(apart.memoryBytes)}) is the large-table finding's, not counted here`] : []),
      ...(r.etsOwners.length > 1 ? [`owners with the most tables: ${r.etsOwners.slice(0, 3).map((x) => `${who({ pid: x.owner, name: x.ownerName })} ${formatCount(x.tables)}`).join(', ')}`] : []),
      `ETS tables on the node: ${formatCount(r.counts.etsTables)}`,
    ],
    subject: { kind: 'process', id: o.owner, ...(o.ownerName ? { name: o.ownerName } : {}) },
    metrics: { tables: o.tables, memoryBytes: o.memoryBytes, countedBytes: counted, objects: o.objects, share },
  }];
}

/** The largest table when it holds enough of the node's memory for a finding of its own. */
function largeTable(r: TriageReport): TriageReport['ets'][number] | undefined {
  const t = r.ets[0];
  const total = r.memory.totalBytes;
  return t && total && t.memoryBytes / total >= LARGE_TABLE_SHARE ? t : undefined;
}

/** A table holding this share of the node's memory is a finding (a warning; critical from 0.5). */
const LARGE_TABLE_SHARE = 0.2;

function largeTableFinding(r: TriageReport): Finding[] {
  const t = largeTable(r);
  if (!t) return [];
  const share = t.memoryBytes / r.memory.totalBytes!;
  return [{
    id: 'ets.large-table',
    severity: share >= 0.5 ? 'critical' : 'warning',
    title: `ETS table ${t.name} holds ${formatBytes(t.memoryBytes)} (${formatPercent(share)} of the node) in ${countOf(t.objects, 'object')}`,
    explanation: 'One table holds a large share of the memory: a cache without eviction, or entries that are never deleted. Its owner is the code that manages it.',
    evidence: [`owner: ${t.owner}${t.ownerName ? ` (${t.ownerName})` : ''}; type: ${t.type ?? '?'}`],
    subject: { kind: 'ets', id: t.table, name: t.name },
    metrics: { memoryBytes: t.memoryBytes, objects: t.objects, share },
  }];
}

// ---------------------------------------------------------------------------------------------
// Timers

/**
 * Pending timers of one owner from which they are a finding: a process this far ahead of its
 * timers starts them faster than they fire (info; a warning from 10x, critical from 100x).
 */
const OWNER_TIMERS = 10_000;
/** Timer owners keyed by a registered name that are counted with their process (the ones with the most). */
const NAMED_OWNERS_FOLDED = 100;

function timerSummary(dump: Dump, top: number, sample?: TriageOptions['timerSample']): TriageReport['timers'] {
  const p = dump.processes;
  // A timer sent to a registered name is keyed by the name: counted with the process of that name
  // (the names among the keys with the most timers looked up, each a pass over the names).
  const byOwner = new Map<string, number>();
  const entries = Object.entries(dump.timers.byOwner).sort((a, b) => b[1] - a[1]);
  let named = 0;
  for (const [key, n] of entries) {
    const row = !key.startsWith('<') && named++ < NAMED_OWNERS_FOLDED ? p.name.find(key) : -1;
    const owner = row < 0 ? key : p.pid.at(row);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + n);
  }
  const owners: TimerOwner[] = [...byOwner]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([owner, timers]) => {
      const name = registeredName(p, owner);
      return name ? { owner, name, timers } : { owner, timers };
    });
  const first = owners[0];
  const read = first && first.timers >= OWNER_TIMERS ? sample?.([first.owner, ...(first.name ? [first.name] : [])]) : undefined;
  return read ? { owners, sample: read } : { owners };
}

/**
 * `=memory processes` beyond the processes' own Memory figures, when pending timers are a likely
 * home for it: the messages of timers are counted there and in no process (OTP 25: a million
 * timers of an atom took 163 MiB, 170 bytes each; bigger messages more).
 */
function timersOutsideHeaps(r: TriageReport): Bytes | undefined {
  const processes = r.memory.kinds.find((k) => k.kind === 'processes')?.bytes;
  const timers = r.counts.timers;
  if (processes === undefined || timers < OWNER_TIMERS) return undefined;
  const gap = processes - r.memory.processesSumBytes;
  const perTimer = gap / timers;
  return perTimer >= 64 && perTimer <= MiB ? gap : undefined;
}

/**
 * What the timers read of the owner will deliver, by shape, and an example: two lines of the
 * timers finding, in the syntax `shape` and `example` write (elixir/report.ts makes Elixir's).
 */
export function timerShapeEvidence(s: TimerSample, shape: (x: MessageShape) => string, example: (x: MessageShape) => string): string[] {
  if (!s.shapes.length) return [];
  return [
    `its first ${countOf(s.sampled, 'timer')} will deliver: ${s.shapes.slice(0, 3).map((x) => `${formatCount(x.count)} x ${shape(x)}`).join('; ')}${s.unreadable ? `; ${formatCount(s.unreadable)} not readable` : ''}`,
    `e.g. ${example(s.shapes[0])}`,
  ];
}

function timerFindings(r: TriageReport): Finding[] {
  const o = r.timers.owners[0];
  if (!o || o.timers < OWNER_TIMERS) return [];
  const total = r.counts.timers;
  const s = r.timers.sample;
  const outside = timersOutsideHeaps(r);
  const share = outside !== undefined && r.memory.totalBytes ? outside / r.memory.totalBytes : 0;
  const owner = who({ pid: o.owner, name: o.name });
  const evidence: string[] = [];
  if (r.timers.owners.length > 1) evidence.push(`owners with the most: ${r.timers.owners.slice(0, 3).map((x) => `${who({ pid: x.owner, name: x.name })} ${formatCount(x.timers)}`).join(', ')}`);
  if (s) evidence.push(...timerShapeEvidence(s, (x) => x.shape, (x) => x.example));
  if (s?.timeLeftMs) evidence.push(`time left${s.sampled < s.timers ? ' (those read)' : ''}: ${formatDurationRange(s.timeLeftMs.min, s.timeLeftMs.max)}`);
  if (outside !== undefined) {
    evidence.push(`=memory processes is ${formatBytes(outside + r.memory.processesSumBytes)}, the processes' own figures ${formatBytes(r.memory.processesSumBytes)}: pending timers are kept in the ${formatBytes(outside)} between (${formatPercent(share)} of the node, at most ${formatBytes(outside / total)} a timer)`);
  }
  return [{
    id: 'timers.pending',
    // By share only when the bytes are many too: on a small node a few MiB is a large share.
    severity: o.timers >= 100 * OWNER_TIMERS || (share >= 0.25 && (outside ?? 0) >= 64 * MiB) ? 'critical'
      : o.timers >= 10 * OWNER_TIMERS || (share >= 0.1 && (outside ?? 0) >= 16 * MiB) ? 'warning' : 'info',
    title: `${owner} has ${countOf(o.timers, 'timer')} pending${total > o.timers ? ` (${formatCount(total)} on the node)` : ''}`,
    explanation: 'Each erlang:send_after/3 or erlang:start_timer/3 keeps its message in the VM until the timer fires or is cancelled. A process with this many pending starts them faster than they fire: a timeout or retry timer per request that is not cancelled when the reply comes, or long timeouts on frequent events. The messages are kept outside the process heaps: no process\'s memory shows them, =memory processes counts them. Keep the reference and erlang:cancel_timer/1 it when the work is done, or keep one timer per process for periodic work.',
    evidence,
    subject: { kind: 'process', id: o.owner, ...(o.name ? { name: o.name } : {}) },
    metrics: { timers: o.timers, totalTimers: total, ...(outside !== undefined ? { outsideHeapsBytes: outside, share } : {}) },
  }];
}

function portSummary(dump: Dump, top: number): TriageReport['ports'] {
  const byKind: Partial<Record<PortKind, number>> = {};
  for (const p of dump.ports) byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
  const q = Float64Array.from(dump.ports, (p) => p.queueBytes ?? NaN);
  const queued = { ports: 0, bytes: 0 };
  for (const b of q) {
    if (!(b > 0)) continue;
    queued.ports++;
    queued.bytes += b;
  }
  const largestQueues = topIndices(q, top)
    .filter((i) => q[i] > 0)
    .map((i) => {
      const p = dump.ports[i];
      const connectedName = p.connected ? registeredName(dump.processes, p.connected) : undefined;
      return { id: p.id, kind: p.kind, driver: p.driver, connected: p.connected, ...(connectedName ? { connectedName } : {}), queueBytes: q[i] };
    });
  return { byKind, largestQueues, queued, sendersWaiting: processesIn(dump.processes, SEND_WAITS, SEND_WAITS.length) };
}

/**
 * Where a process waits for a port's answer to a send (gen_tcp:send/2 on OTP 24 and later, and
 * before): the answer of a busy port (its output queue over the high watermark) is held back until
 * the queue is under the low one. Processes sending to peers that did not read were all in
 * the first (a real VM: 500 of them by hand, 200 in fixtures/busy_senders.dump).
 */
const SEND_WAITS = ['prim_inet:send_recv_reply/2', 'prim_inet:send/3', 'prim_inet:send/2'];

/**
 * An output queue this long is a finding (a warning; critical from QUEUE_CRITICAL, or half the
 * node's memory); so are the queues of all ports together from this long, when they hold
 * QUEUES_SHARE of the node or QUEUES_MANY: a broker's many slow clients, none far behind alone.
 */
const QUEUE_FINDING = 8 * MiB;
const QUEUE_CRITICAL = 256 * MiB;
const QUEUES_SHARE = 0.2;
const QUEUES_MANY = 64 * MiB;

/** Processes waiting for busy ports' answers from this many are a finding. */
const SENDERS_WAITING = 100;

/** Many processes waiting for ports' answers to their sends: ports busy with what their peers do not read. */
function sendersWaitingFinding(r: TriageReport): Finding[] {
  const w = r.ports.sendersWaiting;
  if (w.processes < SENDERS_WAITING) return [];
  return [{
    id: 'ports.senders-waiting',
    severity: 'warning',
    title: `${countOf(w.processes, 'process', 'processes')} wait for ports to take what they send (${w.byFunction.map((f) => f.function).join(', ')})`,
    explanation: 'gen_tcp:send/2 waits for the port\'s answer, and a busy port (its output queue over the high watermark, 8 KiB by default) holds the answer back until its queue is under the low watermark: the peers do not read as fast as these processes write. That is back-pressure at work, and these processes do nothing else meanwhile. Find the slow peers (the ports with the longest queues), bound what is sent to each, or drop what a slow peer cannot take.',
    evidence: [
      ...w.byFunction.map((f) => `in ${f.function}: ${formatCount(f.processes)}`),
      ...(r.ports.queued.ports > 0 ? [`ports with output queued: ${formatCount(r.ports.queued.ports)}, ${formatBytes(r.ports.queued.bytes)} in all; the longest: ${r.ports.largestQueues.slice(0, 3).map((q) => `${q.id} ${formatBytes(q.queueBytes)}`).join(', ')}`] : []),
    ],
    metrics: { processes: w.processes, queuedPorts: r.ports.queued.ports, queuedBytes: r.ports.queued.bytes },
  }];
}

function portFindings(r: TriageReport): Finding[] {
  return [...portQueueFindings(r), ...sendersWaitingFinding(r)];
}

function portQueueFindings(r: TriageReport): Finding[] {
  const { largestQueues: queues, queued } = r.ports;
  const p = queues[0];
  if (!p) return [];
  const total = r.memory.totalBytes;
  const share = (b: Bytes) => (total && b <= total ? b / total : undefined);
  const one = p.queueBytes >= QUEUE_FINDING;
  const all = queued.ports > 1 && queued.bytes >= QUEUE_FINDING && (queued.bytes >= QUEUES_MANY || (share(queued.bytes) ?? 0) >= QUEUES_SHARE);
  if (!one && !all) return [];
  const bytes = one ? p.queueBytes : queued.bytes;
  const s = share(bytes);
  const owner = p.connected ? who({ pid: p.connected, name: p.connectedName }) : '?';
  return [{
    id: 'ports.queue',
    severity: bytes >= QUEUE_CRITICAL || (s ?? 0) >= 0.5 ? 'critical' : 'warning',
    title: one
      ? `port ${p.id} (${p.driver ?? p.kind}) has ${formatBytes(p.queueBytes)} waiting in its output queue`
      : `${countOf(queued.ports, 'port')} have ${formatBytes(queued.bytes)} waiting in their output queues`,
    explanation: 'Data is written to the port faster than the other side reads it (a slow peer or a full disk): the queue lives in the VM\'s memory. Bound what is sent (back-pressure, busy limits).',
    evidence: [
      ...(one ? [`owner (connected process): ${owner}`] : [`the longest: ${queues.slice(0, 3).map((x) => `${x.id} (${x.driver ?? x.kind}) ${formatBytes(x.queueBytes)}`).join(', ')}; the first owned by ${owner}`]),
      ...(total ? [queueShare(bytes, total)] : []),
      ...(one && queued.ports > 1 ? [`all ports' output queues: ${formatBytes(queued.bytes)} on ${countOf(queued.ports, 'port')}`] : []),
    ],
    subject: { kind: 'port', id: p.id },
    metrics: { queueBytes: p.queueBytes, queuedBytes: queued.bytes, queuedPorts: queued.ports, ...(s !== undefined ? { share: s } : {}) },
  }];
}

/**
 * What a port's queue is of the node's memory. A queue holds the binaries sent by reference, and
 * counts each one queued as often as it is (one message sent to many sockets is in each of their
 * queues): a queue can be larger than the whole node.
 */
function queueShare(queue: Bytes, total: Bytes): string {
  if (queue <= total) return `${formatPercent(queue / total)} of the node's memory (=memory total ${formatBytes(total)})`;
  return `more than the node's whole memory (=memory total ${formatBytes(total)}): the queue refers to the binaries sent, and counts one queued more than once (here or on other ports) each time`;
}

function schedulerSummary(dump: Dump): TriageReport['schedulers'] {
  const s = dump.schedulers;
  const h = dump.header;
  let normal = s.filter((x) => x.type === 'normal').length;
  let dirtyCpu = s.filter((x) => x.type === 'dirty_cpu').length;
  let dirtyIo = s.filter((x) => x.type === 'dirty_io').length;
  // Dumps before OTP 18 write no =scheduler sections, and some later ones no dirty ones: then the
  // System version line's [smp:Total:Online] and [ds:Cpu:CpuOnline:Io] say how many there were.
  const countsFrom: TriageReport['schedulers']['countsFrom'] = { normal: 'sections', dirty: 'sections' };
  if (normal === 0) {
    countsFrom.normal = h.schedulers ? 'system version' : 'unknown';
    normal = h.schedulers?.total ?? 0;
  }
  if (dirtyCpu === 0 && dirtyIo === 0) {
    countsFrom.dirty = h.dirtySchedulers ? 'system version' : 'unknown';
    dirtyCpu = h.dirtySchedulers?.cpu ?? 0;
    dirtyIo = h.dirtySchedulers?.io ?? 0;
  }
  return {
    normal, dirtyCpu, dirtyIo, countsFrom,
    runQueueProcesses: s.reduce((a, x) => a + x.runQueueProcesses, 0) + dump.runQueues.reduce((a, x) => a + x.processes, 0),
    runQueuePorts: s.reduce((a, x) => a + x.runQueuePorts, 0),
    busy: s.filter((x) => x.currentProcess).map((x) => ({
      type: x.type, id: x.id, currentProcess: x.currentProcess, currentFunction: x.currentProcessStack[0],
    })),
    runnable: runnableProcesses(dump.processes, RUNNABLE_FUNCTIONS),
  };
}

/** States of a process that is in a run queue or on a scheduler (OTP 25 writes Scheduled; earlier releases Runnable). */
const RUNNABLE_STATES = ['Scheduled', 'Runnable', 'Running'];
/** Current functions of runnable processes listed. */
const RUNNABLE_FUNCTIONS = 3;

/**
 * The rows `keep` takes, counted by current function: Current call's code (positive), else Program
 * counter's (negative), as groupProcesses keys them; the `top` functions with the most.
 */
function byCurrentFunction(p: ProcessTable, keep: (i: number, code: number) => boolean, top: number): ProcessesByFunction {
  const callCodes = p.currentCall.codes;
  const pcCodes = p.programCounter.codes;
  const byCode = new Map<number, number>();
  let processes = 0;
  for (let i = 0; i < p.count; i++) {
    const c = callCodes[i] !== 0 ? callCodes[i] : -pcCodes[i];
    if (!keep(i, c)) continue;
    processes++;
    if (c !== 0) byCode.set(c, (byCode.get(c) ?? 0) + 1);
  }
  const byFunction = [...byCode].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([c, n]) => ({ function: c > 0 ? p.currentCall.values[c - 1] : p.programCounter.values[-c - 1], processes: n }));
  return { processes, byFunction };
}

/** A flag per cell of a text column (a value's code + 1; 0 for none) set for `values`: a lookup per distinct value, not per row. */
function cellFlags(c: { values: readonly string[]; codeOf(v: string): number }, values: readonly string[]): Uint8Array {
  const f = new Uint8Array(c.values.length + 1);
  for (const v of values) f[c.codeOf(v) + 1] = 1;
  f[0] = 0;
  return f;
}

/** The processes whose current function is one of `functions`, counted by function. */
function processesIn(p: ProcessTable, functions: readonly string[], top: number): ProcessesByFunction {
  const calls = cellFlags(p.currentCall, functions);
  const pcs = cellFlags(p.programCounter, functions);
  if (!calls.includes(1) && !pcs.includes(1)) return { processes: 0, byFunction: [] };
  return byCurrentFunction(p, (_, c) => c !== 0 && (c > 0 ? calls[c] : pcs[-c]) === 1, top);
}

/** The processes that were runnable, and the current functions most of them were in. */
function runnableProcesses(p: ProcessTable, top: number): ProcessesByFunction {
  const runnable = cellFlags(p.state, RUNNABLE_STATES);
  if (!runnable.includes(1)) return { processes: 0, byFunction: [] };
  const stateCodes = p.state.codes;
  return byCurrentFunction(p, (i) => runnable[stateCodes[i]] === 1, top);
}

function schedulerFindings(r: TriageReport): Finding[] {
  const s = r.schedulers;
  const n = Math.max(1, s.normal || r.header.schedulers?.online || 1);
  if (s.runQueueProcesses < 20 * n) return [];
  return [{
    id: 'schedulers.run-queue',
    severity: s.runQueueProcesses >= 100 * n ? 'critical' : 'warning',
    title: `${countOf(s.runQueueProcesses, 'process', 'processes')} waiting in run queues for ${countOf(n, 'scheduler')}`,
    explanation: 'The node was CPU-bound: more work was runnable than the schedulers could run. Mailboxes grow under such load; look for busy-looping or expensive processes (top by reductions).',
    evidence: [
      `run queue lengths summed over all schedulers; port tasks waiting: ${formatCount(s.runQueuePorts)}`,
      ...(s.runnable.byFunction.length ? [`runnable processes (Scheduled, Runnable or Running): ${formatCount(s.runnable.processes)}; what most of them run: ${s.runnable.byFunction.map((f) => `${f.function} ${formatCount(f.processes)}`).join(', ')}`] : []),
    ],
    metrics: { runQueueProcesses: s.runQueueProcesses, schedulers: n },
  }];
}

// ---------------------------------------------------------------------------------------------
// The slogan, with the evidence from the rest of the dump

/** The reason of a boot failure or a kernel process exit, saying when the slogan was cut short. */
function reasonLine(cause: { reason: string; cut?: true }): string {
  const reason = cause.reason.trim() === '' ? '(none written in the slogan)' : cause.reason.slice(0, 600);
  return `reason${cause.cut ? ' (cut short: before OTP 25 the VM kept about 200 characters of a slogan)' : ''}: ${reason}`;
}

function sloganFinding(dump: Dump, r: TriageReport, cause: SloganCause): Finding {
  const total = r.memory.totalBytes;
  const topKind = r.memory.kinds[0];
  const memLine = total !== undefined && Number.isFinite(total)
    ? `memory at the time of the dump: ${formatBytes(total)}${topKind ? `, mostly ${topKind.kind} (${formatBytes(topKind.bytes)}, ${formatPercent(topKind.share)})` : ''}`
    : total !== undefined ? `the =memory total is damaged${topKind ? `; the largest kind is ${topKind.kind} (${formatBytes(topKind.bytes)})` : ''}`
      : 'the dump has no =memory section';
  const big = r.topProcesses.byMemory[0];
  const binHolder = r.topProcesses.byBinary[0];
  // The largest process by its own memory, and the one holding more in refc binaries when there is one (its memory leaves them out).
  const bigLine = big ? `largest process: ${whoIs(big)} with ${formatBytes(big.memoryBytes)}, ${countOf(big.messageQueueLength, 'message')} queued${
    binHolder && binHolder.binaryBytes > big.memoryBytes ? `; by refc binaries (binary virtual heap): ${binHolder.pid === big.pid ? 'the same' : whoIs(binHolder)}, ${formatBytes(binHolder.binaryBytes)}` : ''}` : undefined;
  const base = { subject: { kind: 'slogan', id: cause.kind } };
  switch (cause.kind) {
    case 'out_of_memory': {
      const evidence = [`${cause.allocator} failed to ${cause.operation} ${formatBytes(cause.requestBytes)} (${formatCount(cause.requestBytes)} bytes) for "${cause.memoryType}"`, memLine];
      if (bigLine) evidence.push(bigLine);
      // A process heap is allocated when a process garbage collects: the process caught in GC is
      // the one whose heap could not grow.
      if (/heap/.test(cause.memoryType)) {
        const p = dump.processes;
        for (let i = 0; i < p.count; i++) {
          if (p.state.at(i) === 'Garbing') evidence.push(`caught garbage collecting (most likely the one that asked): ${p.pid.at(i)}${p.name.at(i) ? ` (${p.name.at(i)})` : ''} with ${formatBytes(p.memoryBytes.at(i))}`);
        }
      }
      let explanation: string;
      if (total !== undefined && cause.requestBytes >= total * 0.25) {
        explanation = `The failed request alone is ${formatPercent(cause.requestBytes / total, 0)} of everything the node used: one huge allocation, typically a process building a giant term (a heap growing to hold a huge list, binary or message), not gradual growth.`;
      } else if (total !== undefined && total < 512 * MiB) {
        explanation = 'The node used little memory when the request failed: the operating system refused it. Look at a container or cgroup limit, ulimit -v, or other programs using the machine\'s memory.';
      } else {
        explanation = `The node ran out of memory: the failed request is only the last straw. ${topKind ? `Most memory was ${topKind.kind}; ` : ''}see the memory breakdown and the largest processes, mailboxes and tables below.`;
      }
      return { id: 'slogan.out-of-memory', severity: 'critical', title: `Out of memory: ${cause.allocator} could not ${cause.operation} ${formatBytes(cause.requestBytes)} (${cause.memoryType})`, explanation, evidence, ...base,
        metrics: { requestBytes: cause.requestBytes, ...(total !== undefined ? { totalBytes: total } : {}) } };
    }
    case 'system_limit': {
      const use = r.limits.find((u) => u.id === cause.limit);
      const evidence = [cause.text];
      if (use) evidence.push(`${use.label} in the dump: ${formatCount(use.count)}${use.limit ? ` of ${formatCount(use.limit)}` : ''}`);
      if (cause.limit === 'atoms' && dump.atoms.newest.length) evidence.push(`newest atoms: ${dump.atoms.newest.slice(0, 8).join(', ')}`);
      if (use) evidence.push(...patternEvidence(use));
      if (cause.limit === 'processes' && r.groups[0]) evidence.push(`largest group: ${formatCount(r.groups[0].count)} x ${r.groups[0].key}`);
      return { id: 'slogan.system-limit', severity: 'critical', title: `System limit reached: ${cause.table ?? cause.limit}${cause.max ? ` (max ${formatCount(cause.max)})` : ''}`,
        explanation: LIMIT_ADVICE[cause.limit] ?? 'A VM limit was reached.', evidence, ...base, metrics: cause.max ? { max: cause.max } : {} };
    }
    case 'signal':
      return { id: 'slogan.signal', severity: 'warning', title: `Dump written on ${cause.signal}`,
        explanation: cause.signal === 'SIGUSR1' ? 'Someone (or a supervisor such as systemd or heart) sent SIGUSR1 to take a dump; the node may have been healthy.' : 'The VM received a signal and wrote a dump.',
        evidence: [memLine], ...base, metrics: {} };
    case 'kernel_pid_terminated':
      if (cause.event === 'terminated') {
        return { id: 'slogan.kernel-pid-terminated', severity: 'critical',
          title: `Permanent application ${cause.application} stopped (${(cause.exitReason ?? '').slice(0, 80)}), so the node stopped`,
          explanation: 'An application started as permanent (every application of a release is, unless told otherwise) stopped, and the application controller stopped the node with it. ' +
            '`shutdown` most often means its top supervisor gave up after too many restarts of a child: the cause is in the logs just before this point. `killed` means something killed the supervisor.',
          evidence: [reasonLine(cause)], ...base, metrics: {} };
      }
      if (cause.event === 'start_failure') {
        const sf = startFailure(cause.reason);
        const evidence: string[] = [];
        const known = sf && sf.innermost !== CUT_BEFORE_INNERMOST;
        if (sf) evidence.push(`innermost error: ${sf.innermost.slice(0, 300)}${sf.hint ? ` (${sf.hint})` : ''}${known && sf.cut ? ' (read from the slogan as far as it was written)' : ''}`);
        if (sf?.children.length) evidence.push(`child that failed to start: ${sf.children.join(' -> ')}`);
        if (sf?.callback) evidence.push(`start callback: ${sf.callback}`);
        evidence.push(reasonLine(cause));
        return { id: 'slogan.kernel-pid-terminated', severity: 'critical',
          title: `Application ${cause.application} failed to start${known ? `: ${sf.innermost.slice(0, 100)}` : sf ? ' (the slogan was cut before its innermost error)' : ` (${cause.who} terminated)`}`,
          explanation: `The application ${cause.application} could not start while the node booted, and a release stops the node when one of its applications cannot start. The reason nests the real error under the supervisors that could not start their children; the innermost error is where to look.`,
          evidence, ...base, metrics: {} };
      }
      return { id: 'slogan.kernel-pid-terminated', severity: 'critical', title: `Kernel process ${cause.who} terminated`,
        explanation: 'A process the kernel application depends on died, so the VM stopped. The reason below is what it died with.',
        evidence: [reasonLine(cause)], ...base, metrics: {} };
    case 'boot_failure': {
      const undef = undefinedFunction(cause.reason);
      const cfg = cause.configFile;
      const title =
        cause.phase === 'do_boot' ? 'The node failed to boot (init terminating in do_boot)'
        : cause.phase === 'kernel_pid_start' ? `The node failed to boot: kernel process ${cause.who} could not start${cfg ? ' (bad config file)' : ''}`
        : 'The runtime terminated during boot';
      const explanation = cfg
        ? 'The node never finished starting: the system configuration (sys.config, or a file given with -config) could not be read, so the application controller could not start. file:consult/1 on the file shows the same error; in a release, check the sys.config generated from templates and environment variables.'
        : 'The node never finished starting: a boot script, a missing module or application, or a bad configuration. The reason is the error the boot sequence raised.';
      const evidence = [reasonLine(cause)];
      if (cfg) evidence.push(`config file ${cfg.path}${cfg.line === 'none' ? '' : `, line ${cfg.line}`}: ${cfg.message}`);
      if (undef) evidence.push(`undefined function ${undef}: its module is not in the code path (a missing -pa, ERL_LIBS or dependency), or does not export it`);
      const bootFile = missingBootFile(cause.reason);
      if (bootFile !== undefined) evidence.push(`boot file ${bootFile} cannot be read: a wrong -boot argument, or a release started from another directory than it was built for (RELEASE_ROOT, ROOTDIR)`);
      return { id: 'slogan.boot-failure', severity: 'critical', title, explanation, evidence, ...base, metrics: {} };
    }
    case 'child_setup':
      return { id: 'slogan.child-setup', severity: 'critical', title: 'The VM lost its erl_child_setup helper process',
        explanation: 'erl_child_setup is the small helper the VM starts to fork port programs (os:cmd/1, open_port/2). When its pipe closes the VM stops at once. ' +
          'It was killed from outside: most often by the kernel\'s OOM killer, or by a stop that signals the whole process group (systemd, a container runtime) before the VM. ' +
          'Look in the kernel log (dmesg, journalctl -k) for an OOM kill at this time; the memory below says whether this node was the one growing.',
        evidence: [...(cause.errno !== undefined ? [`read error from the helper: errno ${cause.errno}${cause.errno === 104 ? ' (ECONNRESET)' : ''}`] : []), memLine], ...base, metrics: {} };
    case 'user_requested':
      return { id: 'slogan.user-requested', severity: 'info', title: 'Dump requested by a user (break menu)', explanation: 'Someone took this dump on purpose from the shell\'s break menu; the node may have been healthy.', evidence: [memLine], ...base, metrics: {} };
    case 'halt':
      return { id: 'slogan.halt', severity: 'warning', title: `Halted: ${cause.text.slice(0, 200)}`,
        explanation: 'The node called erlang:halt/1 with this text (the application decided to stop), or the VM stopped for a reason beamscope does not recognise.',
        evidence: [memLine, ...(bigLine ? [bigLine] : [])], ...base, metrics: {} };
  }
}

// ---------------------------------------------------------------------------------------------
// The dump itself

function dumpFindings(dump: Dump, r: TriageReport): Finding[] {
  const out: Finding[] = [];
  const t = dump.truncation;
  if (t.truncated) {
    const why = t.compressedInputError ? `the compressed file is damaged (${t.compressedInputError})`
      : t.abortReason ? `the writer stopped: "${t.abortReason}" (ERL_CRASH_DUMP_BYTES was reached)`
      : 'the file ends without =end: the writer was killed, timed out (ERL_CRASH_DUMP_SECONDS) or the disk was full';
    out.push({
      id: 'dump.truncated',
      severity: 'warning',
      title: `The dump is truncated after ${formatBytes(t.bytesRead)}, in ${cutPlace(t)}`,
      explanation: `Everything before that point is reported; ${why}. Counts and totals that come after it are missing or too low.`,
      evidence: [...(t.cutMidLine ? ['the last line is cut in the middle'] : []), ...(r.truncation.hides.length ? [`not in the file: ${r.truncation.hides.join(', ')}`] : []),
        ...(binariesCut(r) ? [binariesReadText(r.counts.binaries, r.memory.binarySectionsBytes, binaryMemory(r) || undefined)] : [])],
      metrics: { bytesRead: t.bytesRead },
    });
  }
  if (t.compressedTrailerError) {
    out.push({
      id: 'dump.gzip-trailer',
      severity: 'info',
      title: 'The gzip trailer is damaged, but every byte of the dump decompressed',
      explanation: 'The checksum or length at the end of the gzip file does not match what decompressed (a copy cut by a few bytes, or damaged in transit). The dump itself was read to its end, as zcat reads it; if it also lacks =end, the truncation finding says so.',
      evidence: [`gzip: ${t.compressedTrailerError.replace(/^gzip: /, '')}`],
      metrics: {},
    });
  }
  if (dump.header.wordSizeAssumed) {
    out.push({ id: 'dump.word-size-assumed', severity: 'info', title: 'Word size assumed to be 8 bytes', explanation: 'The dump has no usable system version line, so word-sized fields (heap sizes, ETS memory) were converted with 8 bytes per word.', evidence: [], metrics: {} });
  }
  const corrupt = dump.corruptValues;
  if (corrupt.count > 0) {
    out.push({
      id: 'dump.corrupt-values',
      severity: 'warning',
      title: `${countOf(corrupt.count, 'value')} in the dump ${corrupt.count === 1 ? 'is' : 'are'} impossible and ${corrupt.count === 1 ? 'was' : 'were'} left out of the figures`,
      explanation: 'No VM writes these (a negative size, a count past what any node can hold): the dump was damaged after it was written, or by the writer itself. The processes and totals they belong to are reported without them; treat what is near them with care.',
      evidence: corrupt.examples.slice(0, 5).map((e) => `${e.where} ${e.key}: ${e.value}`),
      metrics: { corruptValues: corrupt.count },
    });
  }
  const tags = Object.entries(dump.unknown.tags);
  const keys = Object.entries(dump.unknown.keys);
  if (tags.length || keys.length) {
    // Past the tags kept by name, the rest were counted together (a damaged file can have millions).
    const more = Object.hasOwn(dump.unknown.tags, OTHER_TAGS) ? 'more than ' : '';
    const named = tags.filter(([k]) => k !== OTHER_TAGS);
    out.push({
      id: 'dump.not-understood',
      severity: 'info',
      title: `${more}${named.length} unknown section tag(s) and ${keys.length} unknown key(s) were skipped`,
      explanation: 'A newer (or unusual) VM wrote something beamscope does not know. The rest of the report is not affected; please report these with the OTP version.',
      evidence: [...named.slice(0, 20).map(([k, n]) => `=${k} x ${formatCount(n)}`), ...(more ? [`sections of other unknown tags: ${formatCount(dump.unknown.tags[OTHER_TAGS])}`] : []),
        ...keys.slice(0, 20).map(([k, n]) => `${k} x ${formatCount(n)}`)],
      metrics: { unknownTags: tags.length, unknownKeys: keys.length },
    });
  }
  return out;
}
