/**
 * Reading allocator input: detects what a file (or stdin) holds and hands it to the one parser for
 * that format. Crash dumps go through the dump reader (src/dump), Erlang term text through
 * term-text.ts, JSON through stream-json.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { transcode } from 'node:buffer';
import { Readable } from 'node:stream';
import parser from 'stream-json/parser.js';
import Assembler from 'stream-json/assembler.js';
import { cannotRead, InputError } from '../errors.js';
import { detectInput, isDumpFormat, utf16Bom } from '../input/detect.js';
import { peekFile, peekStdin } from '../input/open.js';
import { readDump } from '../dump/reader.js';
import { cutTakes, lastSection, truncationHides } from '../dump/truncation.js';
import type { Dump } from '../dump/types.js';
import { allocatorModelFromDump } from './from-dump.js';
import { allocatorModelFromJsonValues } from './from-json.js';
import { allocatorModelFromTermText } from './from-terms.js';
import { decodeTermText } from '../term-text/term-text.js';
import type { AllocatorModel } from './model.js';
import { MiB } from '../text/units.js';

export type InputKind = 'crash-dump' | 'term-text' | 'json';

/** What the first bytes of an input say it is, for allocator data (src/input detects). */
export function sniffInput(head: Buffer): InputKind {
  const { format } = detectInput(head);
  if (isDumpFormat(format)) return 'crash-dump'; // gzip, zstd, xz too: only dumps are read compressed
  return format === 'json' ? 'json' : 'term-text';
}

/**
 * Refuses input that is not text (detectInput's `binary`): without this, images, archives and
 * random bytes fail deep in the term parser with a message about an unexpected character.
 */
export function refuseBinary(head: Buffer, name: string): void {
  if (detectInput(head).format === 'binary') throw new InputError(`${name}: binary data, not a crash dump, allocator snapshot or JSON`, name);
}

export { utf16Bom };

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
export const MAX_ALLOCATOR_DATA_BYTES = 16 * MiB;

function tooLarge(name: string, size: string): InputError {
  return new InputError(`${name}: ${size} is too large for allocator data (at most ${MAX_ALLOCATOR_DATA_BYTES / MiB} MiB is read; a recon_alloc snapshot is a few MiB)`, name);
}

/** Refuses an allocator data file over MAX_ALLOCATOR_DATA_BYTES without reading it. */
export async function checkAllocatorDataSize(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw cannotRead(path, e);
  }
  if (size > MAX_ALLOCATOR_DATA_BYTES) throw tooLarge(path, `${Math.round(size / MiB)} MiB`);
}

/** Reads a whole stream of allocator data, `first` (already read) in front; stops past MAX_ALLOCATOR_DATA_BYTES. */
export async function readAllocatorData(stream: NodeJS.ReadableStream, name: string, first?: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = first ? [first] : [];
  let bytes = first?.length ?? 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    bytes += b.length;
    if (bytes > MAX_ALLOCATOR_DATA_BYTES) throw tooLarge(name, `more than ${MAX_ALLOCATOR_DATA_BYTES / MiB} MiB`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The first bytes of a file (src/input's peekFile); unreadable is an InputError naming it. */
export async function readHead(path: string): Promise<Buffer> {
  return (await peekFile(path)).head;
}

/**
 * Reads allocator data from `path` ("-" for stdin) in any supported format. Unreadable or
 * unrecognised input is an InputError (one line, exit 1 in the CLI).
 */
export async function readAllocatorInput(path: string): Promise<{ kind: InputKind; model: AllocatorModel }> {
  if (path === '-') {
    // stdin cannot be reopened: buffer it (allocator snapshots are small; a dump on stdin goes through the dump reader's stdin path).
    const peeked = await peekStdin(process.stdin);
    const first = peeked.head;
    refuseBinary(first, 'stdin');
    const kind = sniffInput(first);
    if (kind === 'crash-dump') {
      const dump = await readDump('-', { want: 'allocators', stdin: peeked.stream });
      return { kind, model: allocatorModelFromDumpChecked(dump, 'stdin') };
    }
    const all = await readAllocatorData(peeked.stream, 'stdin');
    const bom = utf16Bom(first);
    return modelFromText(bom ? utf16ToUtf8(all, bom) : all, 'stdin');
  }

  const head = await readHead(path);
  refuseBinary(head, path);
  const kind = sniffInput(head);
  if (kind === 'crash-dump') {
    const dump = await readDump(path, { want: 'allocators' });
    return { kind, model: allocatorModelFromDumpChecked(dump, path) };
  }
  await checkAllocatorDataSize(path);
  const bom = utf16Bom(head);
  if (bom) return modelFromText(utf16ToUtf8(await readFile(path), bom), path);
  if (kind === 'json') return { kind, model: await allocatorModelFromJson(createReadStream(path), path) };
  return { kind, model: allocatorModelFromTermText(decodeTermText(await readFile(path)), path) };
}

function allocatorModelFromDumpChecked(dump: Dump, path: string): AllocatorModel {
  if (dump.allocators.length === 0) throw new InputError(`${path}: the crash dump has no =allocator sections (too old, or cut before them)`, path);
  const model = allocatorModelFromDump(dump.allocators, dump.memory);
  // Cut in its =allocator sections: the model is of those read, and says so (alloc.dump-cut).
  const section = lastSection(dump.truncation);
  if (cutTakes(truncationHides(dump), 'allocator statistics')) model.cut = { bytesRead: dump.truncation.bytesRead, ...(section ? { lastSection: section } : {}) };
  return model;
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
  return allocatorModelFromJsonValues(values, path);
}
