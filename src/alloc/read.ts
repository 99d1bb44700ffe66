/**
 * Reading allocator input: detects what a file (or stdin) holds and hands it to the one parser for
 * that format. Crash dumps go through the dump reader (src/dump), Erlang term text through
 * term-text.ts, JSON through stream-json.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { transcode } from 'node:buffer';
import { Readable } from 'node:stream';
import parser from 'stream-json/parser.js';
import Assembler from 'stream-json/assembler.js';
import { cannotRead, InputError } from '../errors.js';
import { readDump } from '../dump/index.js';
import { detectCompression } from '../dump/compression.js';
import { allocatorModelFromDump } from './from-dump.js';
import { allocatorModelFromTermText } from './from-terms.js';
import { decodeTermText } from './term-text.js';
import type { AllocatorModel } from './model.js';

export type InputKind = 'crash-dump' | 'term-text' | 'json';

/** What the first bytes of an input say it is. */
export function sniffInput(head: Buffer): InputKind {
  if (detectCompression(head)) return 'crash-dump'; // gzip, zstd, xz: only dumps are read compressed
  const text = head.toString('utf8').replace(/^\ufeff/, '');
  if (/^=erl_crash_dump:/.test(text) || text.startsWith('<Erlang crash dump>')) return 'crash-dump';
  // JSON objects start with `{"` (or `{}`), and arrays of them with `[{"`; Erlang allocator terms never do.
  const t = text.trimStart();
  if (/^\{\s*("|\})/.test(t) || /^\[\s*\{\s*"/.test(t)) return 'json';
  return 'term-text';
}

/**
 * Refuses input that is not text: allocator snapshots, system_info output and JSON never hold a NUL
 * byte, and images, archives and random bytes almost always do in their first few KiB. Without this
 * they fail deep in the term parser with a message about an unexpected character.
 */
export function refuseBinary(head: Buffer, name: string): void {
  if (sniffInput(head) === 'crash-dump') return; // compressed, or a dump: the dump reader judges it
  if (utf16Bom(head)) return;
  if (head.includes(0)) throw new InputError(`${name}: binary data, not a crash dump, allocator snapshot or JSON`, name);
}

/**
 * The encoding a UTF-16 byte order mark names. Windows PowerShell 5 writes UTF-16LE with a mark
 * when output is redirected with `>`, so a snapshot printed on a Windows node arrives this way.
 */
export function utf16Bom(head: Buffer): 'utf16le' | 'utf16be' | undefined {
  if (head.length < 2) return undefined;
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  return undefined;
}

/** UTF-16 text, byte order mark first, as UTF-8 bytes. */
export function utf16ToUtf8(buf: Buffer, encoding: 'utf16le' | 'utf16be'): Buffer {
  let body = buf.subarray(2, buf.length - (buf.length % 2));
  if (encoding === 'utf16be') body = Buffer.from(body).swap16();
  return transcode(body, 'utf16le', 'utf8');
}

/** The allocator model of a whole text input: term text or JSON. */
async function modelFromText(all: Buffer, name: string): Promise<{ kind: InputKind; model: AllocatorModel }> {
  const kind = sniffInput(all);
  if (kind === 'json') return { kind, model: await allocatorModelFromJson(Readable.from([all]), name) };
  return { kind: 'term-text', model: allocatorModelFromTermText(decodeTermText(all), name) };
}

/**
 * Allocator data (term text or JSON) is held whole while it is parsed, at about 20 times its size
 * (60 MB of term text: 1.2 GB RSS). A recon_alloc snapshot of a node with 192 schedulers is a few
 * MiB, so more than this is some other file, and is refused before it is read.
 */
export const MAX_ALLOCATOR_DATA_BYTES = 16 * 1024 * 1024;

function tooLarge(name: string, size: string): InputError {
  return new InputError(`${name}: ${size} is too large for allocator data (at most ${MAX_ALLOCATOR_DATA_BYTES >> 20} MiB is read; a recon_alloc snapshot is a few MiB)`, name);
}

/** Refuses an allocator data file over MAX_ALLOCATOR_DATA_BYTES without reading it. */
export async function checkAllocatorDataSize(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw cannotRead(path, e);
  }
  if (size > MAX_ALLOCATOR_DATA_BYTES) throw tooLarge(path, `${Math.round(size / 1048576)} MiB`);
}

/** Reads a whole stream of allocator data, `first` (already read) in front; stops past MAX_ALLOCATOR_DATA_BYTES. */
export async function readAllocatorData(stream: NodeJS.ReadableStream, name: string, first?: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = first ? [first] : [];
  let bytes = first?.length ?? 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    bytes += b.length;
    if (bytes > MAX_ALLOCATOR_DATA_BYTES) throw tooLarge(name, `more than ${MAX_ALLOCATOR_DATA_BYTES >> 20} MiB`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export async function readHead(path: string, n = 4096): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Reads allocator data from `path` ("-" for stdin) in any supported format. Unreadable or
 * unrecognised input is an InputError (one line, exit 1 in the CLI).
 */
export async function readAllocatorInput(path: string): Promise<{ kind: InputKind; model: AllocatorModel }> {
  if (path === '-') {
    // stdin cannot be reopened: buffer it (allocator snapshots are small; a dump on stdin goes through the dump reader's stdin path).
    const stdin = process.stdin;
    const first = await new Promise<Buffer | null>((resolve, reject) => {
      const onReadable = () => {
        cleanup();
        resolve((stdin.read() as Buffer | null) ?? null);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        stdin.off('readable', onReadable);
        stdin.off('end', onEnd);
        stdin.off('error', onError);
      };
      stdin.once('readable', onReadable);
      stdin.once('end', onEnd);
      stdin.once('error', onError);
    });
    if (!first || first.length === 0) throw new InputError('stdin: no input');
    refuseBinary(first, 'stdin');
    const kind = sniffInput(first);
    if (kind === 'crash-dump') {
      stdin.unshift(first);
      const dump = await readDump('-', { want: 'allocators' });
      return { kind, model: allocatorModelFromDumpChecked(dump.allocators, dump.memory, 'stdin') };
    }
    const all = await readAllocatorData(stdin, 'stdin', first);
    const bom = utf16Bom(first);
    return modelFromText(bom ? utf16ToUtf8(all, bom) : all, 'stdin');
  }

  let head: Buffer;
  try {
    head = await readHead(path);
  } catch (e) {
    throw cannotRead(path, e);
  }
  if (head.length === 0) throw new InputError(`${path}: empty file`, path);
  refuseBinary(head, path);
  const kind = sniffInput(head);
  if (kind === 'crash-dump') {
    const dump = await readDump(path, { want: 'allocators' });
    return { kind, model: allocatorModelFromDumpChecked(dump.allocators, dump.memory, path) };
  }
  await checkAllocatorDataSize(path);
  const bom = utf16Bom(head);
  if (bom) return modelFromText(utf16ToUtf8(await readFile(path), bom), path);
  if (kind === 'json') return { kind, model: await allocatorModelFromJson(createReadStream(path), path) };
  return { kind, model: allocatorModelFromTermText(decodeTermText(await readFile(path)), path) };
}

function allocatorModelFromDumpChecked(sections: Parameters<typeof allocatorModelFromDump>[0], memory: Record<string, number>, path: string): AllocatorModel {
  if (sections.length === 0) throw new InputError(`${path}: the crash dump has no =allocator sections (too old, or cut before them)`, path);
  return allocatorModelFromDump(sections, memory);
}

/**
 * The JSON form (docs/alloc.md): one AllocatorModel object, or the output of
 * `beamscope alloc --format json` (its `model`), or JSON lines each holding part of a model whose
 * arrays are appended in order. Read with stream-json, value by value.
 */
export async function allocatorModelFromJson(input: NodeJS.ReadableStream, path = 'input'): Promise<AllocatorModel> {
  const values: unknown[] = [];
  const p = parser.asStream({ jsonStreaming: true });
  Assembler.connectTo(p, { onDone: (asm) => values.push(asm.current) });
  await new Promise<void>((resolve, reject) => {
    p.on('error', (e: Error) => reject(new InputError(`${path}: bad JSON: ${e.message.replace(/^Parser cannot parse input: /, '')}`, path)));
    p.on('end', () => resolve());
    input.on('error', (e: Error) => reject(new InputError(`${path}: cannot read: ${e.message}`, path)));
    input.pipe(p);
    p.resume();
  });
  if (values.length === 0) throw new InputError(`${path}: no JSON value`, path);
  let model: AllocatorModel | undefined;
  values.forEach((v, n) => {
    const where = values.length > 1 ? `${path} value ${n + 1}` : path;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${where}: expected a JSON object`, path);
    const o = (v as Record<string, unknown>).model && typeof (v as Record<string, unknown>).model === 'object' ? ((v as Record<string, unknown>).model as Record<string, unknown>) : (v as Record<string, unknown>);
    const part = validateModel(o, where, model === undefined);
    if (!model) model = part;
    else {
      model.allocators.push(...part.allocators);
      model.mseg.push(...part.mseg);
      model.mmap.push(...part.mmap);
      model.notes.push(...part.notes);
      if (part.erlangMemory) model.erlangMemory = part.erlangMemory;
      if (part.sysAllocOptions) model.sysAllocOptions = part.sysAllocOptions;
      if (part.allocUtilOptions) model.allocUtilOptions = part.allocUtilOptions;
    }
  });
  const m = model!;
  if (m.blockShape === 'unknown') m.blockShape = m.allocators.some((a) => a.mbcs?.byOrigin) ? 'per-origin' : m.allocators.some((a) => a.mbcs) ? 'flat' : 'unknown';
  return m;
}

function fail(where: string, field: string, what: string): never {
  throw new InputError(`${where}: ${field}: ${what}`);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkColumn(v: unknown, where: string, field: string): void {
  if (!v || typeof v !== 'object') fail(where, field, 'expected {current, lastMax, max}');
  const c = v as Record<string, unknown>;
  for (const k of ['current', 'lastMax', 'max']) if (!isNum(c[k])) fail(where, `${field}.${k}`, 'expected a number');
}

/** An object of numbers (`numbers`) or of option values (numbers, strings, booleans). */
function checkRecord(v: unknown, where: string, field: string, numbers: boolean): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(where, field, 'expected an object');
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (numbers ? !isNum(x) : !(isNum(x) || typeof x === 'string' || typeof x === 'boolean')) fail(where, `${field}.${k}`, numbers ? 'expected a number' : 'expected a number, string or boolean');
  }
}

function checkCarriers(v: unknown, where: string, field: string): void {
  if (v === undefined) return;
  if (!v || typeof v !== 'object') fail(where, field, 'expected an object');
  const c = v as Record<string, unknown>;
  for (const k of ['blocks', 'blocksBytes', 'carriers', 'carriersBytes']) checkColumn(c[k], where, `${field}.${k}`);
}

/** Checks the fields the analyzers read; `first` is false for JSONL continuation parts, which may omit the header. */
function validateModel(o: Record<string, unknown>, where: string, first: boolean): AllocatorModel {
  if (o.schema !== undefined && o.schema !== 'beamscope.alloc/1') fail(where, 'schema', `unsupported ${JSON.stringify(o.schema)} (expected "beamscope.alloc/1")`);
  if (first && o.schema === undefined) fail(where, 'schema', 'missing; this is not a beamscope allocator model (see docs/alloc.md)');
  const arr = (k: string): unknown[] => {
    const v = o[k];
    if (v === undefined) return [];
    if (!Array.isArray(v)) fail(where, k, 'expected an array');
    return v;
  };
  const allocators = arr('allocators');
  allocators.forEach((a, i) => {
    const f = `allocators[${i}]`;
    if (!a || typeof a !== 'object') fail(where, f, 'expected an object');
    const x = a as Record<string, unknown>;
    if (typeof x.allocator !== 'string') fail(where, `${f}.allocator`, 'expected a string');
    if (!isNum(x.instance)) fail(where, `${f}.instance`, 'expected a number');
    checkCarriers(x.mbcs, where, `${f}.mbcs`);
    checkCarriers(x.sbcs, where, `${f}.sbcs`);
    if (x.mbcsPool !== undefined) {
      const p = x.mbcsPool as Record<string, unknown>;
      for (const k of ['blocks', 'blocksBytes', 'carriers', 'carriersBytes']) if (!isNum(p?.[k])) fail(where, `${f}.mbcsPool.${k}`, 'expected a number');
    }
    x.enabled ??= true;
    x.options ??= {};
    x.calls ??= {};
    if (typeof x.enabled !== 'boolean') fail(where, `${f}.enabled`, 'expected true or false');
    checkRecord(x.options, where, `${f}.options`, false);
    checkRecord(x.calls, where, `${f}.calls`, true);
  });
  const mseg = arr('mseg');
  mseg.forEach((m, i) => {
    const x = m as Record<string, unknown>;
    if (!x || typeof x !== 'object' || !isNum(x.instance)) fail(where, `mseg[${i}].instance`, 'expected a number');
    x.options ??= {};
    x.calls ??= {};
    checkRecord(x.options, where, `mseg[${i}].options`, false);
    checkRecord(x.calls, where, `mseg[${i}].calls`, true);
    for (const k of ['cachedSegments', 'cacheHits', 'segmentsWatermark']) if (x[k] !== undefined && !isNum(x[k])) fail(where, `mseg[${i}].${k}`, 'expected a number');
  });
  const mem = o.erlangMemory;
  if (mem !== undefined && (typeof mem !== 'object' || mem === null || Object.values(mem).some((v) => !isNum(v)))) fail(where, 'erlangMemory', 'expected an object of numbers (bytes)');
  return {
    schema: 'beamscope.alloc/1',
    source: 'json',
    blockShape: o.blockShape === 'per-origin' || o.blockShape === 'flat' ? o.blockShape : 'unknown',
    ...(mem ? { erlangMemory: mem as Record<string, number> } : {}),
    allocators: allocators as AllocatorModel['allocators'],
    mseg: mseg as AllocatorModel['mseg'],
    ...(o.sysAllocOptions ? { sysAllocOptions: o.sysAllocOptions as AllocatorModel['sysAllocOptions'] } : {}),
    ...(o.allocUtilOptions ? { allocUtilOptions: o.allocUtilOptions as AllocatorModel['allocUtilOptions'] } : {}),
    mmap: arr('mmap') as AllocatorModel['mmap'],
    notes: (arr('notes') as unknown[]).map(String),
  };
}
