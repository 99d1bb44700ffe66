/**
 * Process snapshots (docs/leak.md): JSONL or a JSON array of process records, one per process,
 * each with its `process_info(P, binary)` references or their totals. Read with stream-json one
 * record at a time; each record is reduced to a ProcessBinarySummary at once, so memory follows
 * the number of processes, not the size of the file.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { jsonlParser } from 'stream-json/jsonl/parser.js';
import streamArray from 'stream-json/streamers/stream-array.js';
import { InputError } from '../errors.js';
import { detectInput, isDumpFormat } from '../input/detect.js';
import { peekFile } from '../input/open.js';
import type { ProcessBinarySummary, SnapshotMeta } from './types.js';
import { MiB } from '../text/units.js';

/** A process record as the collector writes it (docs/leak.md). */
export interface ProcessSnapshotRecord {
  pid: string;
  name?: string | null;
  initialCall?: string | null;
  currentFunction?: string | null;
  memory?: number | null;
  messageQueueLen?: number | null;
  /** `process_info(P, binary)`: one entry per reference. `id` is accepted for `address`. */
  binary?: Array<{ address?: string | number; id?: string | number; size: number; refc?: number }>;
  /** Totals, for writers that do not list references (used when `binary` is absent). */
  binaryRefs?: number;
  binaryBytes?: number;
}

export const PROCESS_SNAPSHOT_SCHEMA = 'beamscope.procs/1';

/**
 * The longest JSON line read as one record. The collector lists at most 1,000 references a process
 * (about 60 KB); even a writer listing a million would stay under this.
 */
const MAX_RECORD_BYTES = 64 * MiB;

function bad(where: string, what: string): never {
  throw new InputError(`${where}: ${what} (see docs/leak.md)`);
}

function optString(v: unknown, where: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(where, `${field}: expected a string`);
  return v;
}

function optNumber(v: unknown, where: string, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(where, `${field}: expected a number`);
  return v;
}

/**
 * One record reduced to its summary; a record without `pid` is metadata (returns undefined).
 * Throws InputError naming the record and field when a field has the wrong type.
 */
export function summarizeProcessRecord(value: unknown, where: string): ProcessBinarySummary | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) bad(where, 'expected a JSON object (a process record)');
  const r = value as Record<string, unknown>;
  if (r.pid === undefined) return undefined;
  if (typeof r.pid !== 'string' || r.pid === '') bad(where, 'pid: expected a string such as "<0.85.0>"');
  let refs: number;
  let bytes: number;
  if (r.binary !== undefined && r.binary !== null) {
    if (!Array.isArray(r.binary)) bad(where, 'binary: expected an array of {address, size, refc}');
    refs = r.binary.length;
    bytes = 0;
    for (let k = 0; k < r.binary.length; k++) {
      const b = r.binary[k] as Record<string, unknown> | null;
      const size = b && typeof b === 'object' ? b.size : undefined;
      if (typeof size !== 'number' || !Number.isFinite(size)) bad(where, `binary[${k}].size: expected a number`);
      bytes += size;
    }
  } else {
    const nr = optNumber(r.binaryRefs, where, 'binaryRefs');
    const nb = optNumber(r.binaryBytes, where, 'binaryBytes');
    if (nr === undefined && nb === undefined) bad(where, 'neither binary nor binaryRefs/binaryBytes');
    refs = nr ?? 0;
    bytes = nb ?? 0;
  }
  const name = optString(r.name, where, 'name');
  const initialCall = optString(r.initialCall, where, 'initialCall');
  const currentFunction = optString(r.currentFunction, where, 'currentFunction');
  const memoryBytes = optNumber(r.memory, where, 'memory');
  const messageQueueLen = optNumber(r.messageQueueLen, where, 'messageQueueLen');
  // one object shape for every record (undefined fields are left out of JSON)
  return { pid: r.pid, name, initialCall, currentFunction, refs, bytes, memoryBytes, messageQueueLen };
}

/** A snapshot being read: its records one at a time, then `meta` (complete once iterated). */
export interface SnapshotStream extends AsyncIterable<ProcessBinarySummary> {
  meta: SnapshotMeta;
}

/**
 * Streams a snapshot file: a JSON array (first character `[`) through stream-json's array
 * streamer, anything else as JSON lines. Errors are InputErrors naming the file and record.
 */
export async function openSnapshot(path: string, input?: Readable): Promise<SnapshotStream> {
  let format: 'jsonl' | 'json-array';
  if (input) format = 'jsonl';
  else {
    const facts = detectInput((await peekFile(path)).head);
    if (facts.blank) throw new InputError(`${path}: empty file`, path);
    if (!facts.opener) throw new InputError(`${path}: not a process snapshot (expected JSON lines or a JSON array of process records, see docs/leak.md)`, path);
    format = facts.opener === '[' ? 'json-array' : 'jsonl';
  }
  const meta: SnapshotMeta = { path, format, processes: 0, refs: 0, bytes: 0 };
  const iterate = async function* (): AsyncGenerator<ProcessBinarySummary> {
    // made when iterated, so that a second snapshot is not read (nor fails) before its turn
    const source: Readable = input ?? createReadStream(path, { highWaterMark: MiB });
    let n = 0;
    const take = (value: unknown, where: string): ProcessBinarySummary | undefined => {
      n++;
      const s = summarizeProcessRecord(value, where);
      if (!s) {
        if (meta.meta === undefined && meta.processes === 0) {
          const m = value as Record<string, unknown>;
          if (m.schema !== undefined && m.schema !== PROCESS_SNAPSHOT_SCHEMA) throw new InputError(`${where}: schema: unsupported ${JSON.stringify(m.schema)} (expected "${PROCESS_SNAPSHOT_SCHEMA}")`, path);
          meta.meta = m;
          return undefined;
        }
        throw new InputError(`${where}: pid: missing (only the first record may be metadata)`, path);
      }
      meta.processes++;
      meta.refs += s.refs;
      meta.bytes += s.bytes;
      return s;
    };
    let line = 0;
    try {
      if (format === 'jsonl') {
        // Lines are cut on the byte 0x0A (never inside a UTF-8 sequence) and each is parsed by
        // stream-json's JSONL line parser: no per-line stream machinery.
        const parseLine = jsonlParser();
        // The part of a line that spans chunks, kept as a list: appending by concatenation copies
        // the whole line again at every chunk (a 600 MB line took 140 s before failing).
        let carry: Buffer[] = [];
        let carryBytes = 0;
        const joinCarry = (tail: Buffer): string => {
          const text = Buffer.concat([...carry, tail]).toString('utf8');
          carry = [];
          carryBytes = 0;
          return text;
        };
        const one = (text: string): ProcessBinarySummary | undefined => {
          line++;
          if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          if (text.trim() === '') return undefined;
          let item: ReturnType<typeof parseLine>;
          try {
            item = parseLine(text);
          } catch (e) {
            throw new InputError(`${path} line ${line}: bad JSON: ${String((e as Error).message).slice(0, 200)}`, path);
          }
          if (typeof item === 'symbol') return undefined;
          return take(item.value, `${path} line ${line}`);
        };
        let first = true;
        for await (const chunk of source) {
          const buf: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
          if (first && buf.length > 0) {
            first = false;
            if (isDumpFormat(detectInput(buf).format)) {
              throw new InputError(`${path}: a crash dump, not a process snapshot; leak reads a dump only from a plain file (its heaps are re-read)`, path);
            }
          }
          let start = 0;
          let nl = buf.indexOf(0x0a);
          if (carryBytes > 0 && nl >= 0) {
            const s = one(joinCarry(buf.subarray(0, nl)));
            if (s) yield s;
            start = nl + 1;
            nl = buf.indexOf(0x0a, start);
          }
          while (nl >= 0) {
            const s = one(buf.toString('utf8', start, nl));
            if (s) yield s;
            start = nl + 1;
            nl = buf.indexOf(0x0a, start);
          }
          if (start < buf.length) {
            carry.push(Buffer.from(buf.subarray(start)));
            carryBytes += buf.length - start;
            if (carryBytes > MAX_RECORD_BYTES) throw new InputError(`${path} line ${line + 1}: longer than 64 MiB, not a process record`, path);
          }
        }
        if (carryBytes > 0) {
          const s = one(joinCarry(Buffer.alloc(0)));
          if (s) yield s;
        }
      } else {
        const pipeline: Readable = source.pipe(streamArray.withParserAsStream({ streamValues: false }));
        source.on('error', (e: Error) => pipeline.destroy(e));
        // errors reach the loop below through the iterator; this keeps a late one from being unhandled
        pipeline.on('error', () => {});
        try {
          for await (const item of pipeline as AsyncIterable<{ key: number; value: unknown }>) {
            const s = take(item.value, `${path} element ${item.key + 1}`);
            if (s) yield s;
          }
        } finally {
          pipeline.destroy();
        }
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err && err.syscall) throw new InputError(`${path}: cannot read: ${err.code === 'EISDIR' ? 'is a directory' : err.message}`, path);
      throw new InputError(`${path}: bad JSON${n > 0 ? ` after record ${n}` : ''}: ${String(err?.message ?? e).replace(/^Parser cannot parse input: /, '').slice(0, 200)}`, path);
    } finally {
      if (!input) source.destroy();
    }
    if (meta.processes === 0) throw new InputError(`${path}: no process records`, path);
  };
  return { meta, [Symbol.asyncIterator]: iterate };
}
