/**
 * Inputs of `check` and `trend`: file arguments and glob patterns expanded (fast-glob, so a quoted
 * pattern works too), each read into the allocator model and, for crash dumps, the process and limit
 * figures the dump rules need; plus the time each input was taken, for ordering.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import fg from 'fast-glob';
import { InputError } from '../errors.js';
import { detectInput, isProcessSnapshot } from '../input/detect.js';
import { peekFile, peekStdin } from '../input/open.js';
import { allocatorModelFromDump } from '../alloc/from-dump.js';
import { allocatorModelFromTermText } from '../alloc/from-terms.js';
import { allocatorModelFromJson, checkAllocatorDataSize, type InputKind, readAllocatorData, refuseBinary, sniffInput, utf16ToUtf8 } from '../alloc/read.js';
import { decodeTermText } from '../term-text/term-text.js';
import type { AllocatorModel } from '../alloc/model.js';
import { readDump } from '../dump/index.js';
import type { Dump } from '../dump/types.js';
import { DEFAULT_PROCESS_BITS, DEFAULT_PROCESS_LIMIT, defaultLimitUse, triage } from '../dump/analyze/triage.js';
import { provenTableOfPids } from '../dump/analyze/process-slots.js';
import type { LimitUse } from '../dump/analyze/report-types.js';
import { openSnapshot } from '../leak/snapshot.js';
import { contentNode, contentTime, inputStem } from './input-facts.js';

/** Where an input's time came from. */
export type TimeSource = 'content' | 'dump-header' | 'mtime';

/** What the process rules need, from a crash dump or a process snapshot (docs/leak.md). */
export interface DumpFigures {
  /** The process with the longest message queue (undefined when no process says). */
  largestMailbox?: { messages: number; pid: string; name?: string };
  /** Processes, ports, atoms (and more) against their limits, as triage computes them; a process snapshot gives processes only. */
  limits: LimitUse[];
  /** The dump's slogan (crash dumps only). */
  slogan?: string;
}

export interface LoadedInput {
  /** The path as expanded, or `-`. */
  path: string;
  /** For people: the path, or `stdin`. */
  name: string;
  kind: InputKind | 'process-snapshot';
  /** Absent for a process snapshot and a crash dump without `=allocator` sections. */
  model?: AllocatorModel;
  dump?: DumpFigures;
  /** When the input was taken (ms since the epoch) and how that is known. */
  takenAt?: { ms: number; source: TimeSource };
  /** The node it was taken from, when the input says (beamscope collect's files, a dump's =node). */
  node?: string;
}

/**
 * Expands arguments into paths: `-` stays, an existing file stays (even if its name has glob
 * characters), a directory gives its files, anything else is a glob pattern; a pattern that matches
 * nothing is an InputError. Order: as given, each pattern's matches sorted; duplicates dropped.
 */
export async function expandInputs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const raw of args) {
    const a = raw === '' ? '-' : raw;
    if (a === '-') {
      add(a);
      continue;
    }
    const st = await stat(a).catch(() => undefined);
    if (st?.isFile()) {
      add(a);
      continue;
    }
    if (st?.isDirectory()) {
      const files = (await readdir(a, { withFileTypes: true })).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => join(a, d.name));
      if (files.length === 0) throw new InputError(`${a}: directory has no files`, a);
      files.sort().forEach(add);
      continue;
    }
    if (fg.isDynamicPattern(a)) {
      const matches = await fg(a, { onlyFiles: true, dot: false, followSymbolicLinks: true });
      if (matches.length === 0) throw new InputError(`${a}: no file matches this pattern`, a);
      matches.sort().forEach(add);
      continue;
    }
    add(a); // reading it says what is wrong (no such file, permission denied)
  }
  if (out.filter((p) => p === '-').length > 0 && process.stdin.isTTY) throw new InputError('"-" reads from standard input; pipe a file into it');
  return out;
}

function dumpFigures(dump: Dump): DumpFigures {
  const p = dump.processes;
  let best = -1;
  for (let i = 0; i < p.count; i++) if (best < 0 || p.messageQueueLength.at(i) > p.messageQueueLength.at(best)) best = i;
  const report = triage(dump, { top: 1 });
  return {
    largestMailbox: best >= 0 ? { messages: p.messageQueueLength.at(best) || 0, pid: p.pid.at(best), ...(p.name.at(best) ? { name: p.name.at(best) } : {}) } : undefined,
    limits: report.limits,
    slogan: dump.header.slogan,
  };
}

function fromDump(dump: Dump, path: string, name: string, mtimeMs?: number): LoadedInput {
  const created = dump.header.created ? Date.parse(dump.header.created) : NaN;
  const takenAt = Number.isFinite(created) ? { ms: created, source: 'dump-header' as const } : mtimeMs !== undefined ? { ms: mtimeMs, source: 'mtime' as const } : undefined;
  const node = dump.distribution.thisNode?.replace(/^'|'$/g, '');
  return {
    path,
    name,
    ...(node && node !== 'nonode@nohost' ? { node } : {}),
    kind: 'crash-dump',
    ...(dump.allocators.length > 0 ? { model: allocatorModelFromDump(dump.allocators, dump.memory) } : {}),
    dump: dumpFigures(dump),
    ...(takenAt ? { takenAt } : {}),
  };
}

/** A beamscope.procs/1 process snapshot (docs/leak.md) rather than an allocator model? (src/input detects it.) */
export { isProcessSnapshot };

async function fromProcessSnapshot(path: string, name: string, head: string, stream?: Readable, mtimeMs?: number): Promise<LoadedInput> {
  const snap = await openSnapshot(path, stream);
  let best: DumpFigures['largestMailbox'];
  let n = 0;
  // The pids, while they are few enough to be under the default limit (provenTableOfPids).
  const pids: string[] = [];
  for await (const p of snap) {
    n++;
    if (n <= DEFAULT_PROCESS_LIMIT) pids.push(p.pid);
    if (p.messageQueueLen !== undefined && (!best || p.messageQueueLen > best.messages)) best = { messages: p.messageQueueLen, pid: p.pid, ...(p.name ? { name: p.name } : {}) };
  }
  const ct = contentTime(head);
  const takenAt = ct !== undefined ? { ms: ct, source: 'content' as const } : mtimeMs !== undefined ? { ms: mtimeMs, source: 'mtime' as const } : undefined;
  const node = contentNode(head);
  return {
    path,
    name,
    ...(node ? { node } : {}),
    kind: 'process-snapshot',
    dump: {
      ...(best ? { largestMailbox: best } : {}),
      // Process snapshots hold no limits: the VM's default process limit is assumed, as for dumps,
      // unless the pids prove a larger table.
      limits: [defaultLimitUse('processes', 'processes', n, DEFAULT_PROCESS_LIMIT, false, n <= DEFAULT_PROCESS_LIMIT ? provenTableOfPids(pids, n, DEFAULT_PROCESS_BITS) : undefined)],
    },
    ...(takenAt ? { takenAt } : {}),
  };
}

async function fromText(kind: InputKind, all: Buffer, path: string, name: string, mtimeMs?: number): Promise<LoadedInput> {
  const model = kind === 'json' ? await allocatorModelFromJson(Readable.from([all]), name) : allocatorModelFromTermText(decodeTermText(all), name);
  const head = all.subarray(0, 4096).toString('latin1');
  const ct = contentTime(head);
  const takenAt = ct !== undefined ? { ms: ct, source: 'content' as const } : mtimeMs !== undefined ? { ms: mtimeMs, source: 'mtime' as const } : undefined;
  const node = contentNode(head);
  return { path, name, kind, model, ...(takenAt ? { takenAt } : {}), ...(node ? { node } : {}) };
}

/** Reads one input (`-` is standard input). Unreadable or unrecognised input is an InputError. */
export async function loadInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<LoadedInput> {
  if (path === '-') {
    const peeked = await peekStdin(stdin);
    const first = peeked.head;
    refuseBinary(first, 'stdin');
    const facts = detectInput(first);
    const kind = sniffInput(first);
    const rest = peeked.stream;
    if (kind === 'crash-dump') return fromDump(await readDump('-', { stdin: rest }), '-', 'stdin');
    if (facts.processSnapshot) return fromProcessSnapshot('stdin', 'stdin', first.toString('utf8'), rest);
    const all = await readAllocatorData(rest, 'stdin');
    const bom = facts.utf16;
    if (bom) {
      const text = utf16ToUtf8(all, bom);
      return fromText(sniffInput(text), text, '-', 'stdin');
    }
    return fromText(kind, all, '-', 'stdin');
  }
  const { head, mtimeMs } = await peekFile(path);
  refuseBinary(head, path);
  const facts = detectInput(head);
  const kind = sniffInput(head);
  if (kind === 'crash-dump') return fromDump(await readDump(path), path, path, mtimeMs);
  if (facts.processSnapshot) return fromProcessSnapshot(path, path, head.toString('utf8'), undefined, mtimeMs);
  await checkAllocatorDataSize(path);
  const bom = facts.utf16;
  if (bom) {
    const text = utf16ToUtf8(await readFile(path), bom);
    return fromText(sniffInput(text), text, path, path, mtimeMs);
  }
  return fromText(kind, await readFile(path), path, path, mtimeMs);
}

/**
 * Files that are another form of a snapshot already in the list: `X.json` beside `X.snapshot`
 * (`beamscope alloc X.snapshot --format json > X.json`), the same sample twice. The `.snapshot`
 * stays (it says when it was taken); `twins` says which were left out, and of what.
 */
export function dropTwins(paths: string[]): { kept: string[]; twins: Array<{ path: string; of: string }> } {
  const snapshots = new Map<string, string>();
  for (const p of paths) if (p !== '-' && p.endsWith('.snapshot')) snapshots.set(join(dirname(p), inputStem(p)), p);
  const kept: string[] = [];
  const twins: Array<{ path: string; of: string }> = [];
  for (const p of paths) {
    const of = p !== '-' && p.endsWith('.json') ? snapshots.get(join(dirname(p), inputStem(p))) : undefined;
    if (of) twins.push({ path: p, of });
    else kept.push(p);
  }
  return { kept, twins };
}
