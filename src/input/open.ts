/**
 * Opening an input to say what it is (detect.ts): the head of a file, with its size and time, or
 * the head of a stream (`-`) and the whole stream still to read from its first byte. Node only.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { cannotRead, InputError } from '../errors.js';
import { HEAD_BYTES } from './detect.js';

export interface FileHead {
  /** The first HEAD_BYTES bytes (fewer when the file is shorter). */
  head: Buffer;
  size: number;
  mtimeMs: number;
}

/**
 * The head of a file. What cannot be read is an InputError naming it, one line:
 * `PATH: cannot read: no such file` (is a directory, permission denied, ...); so is an empty file
 * (`PATH: empty file`): no command takes one.
 */
export async function peekFile(path: string, n = HEAD_BYTES): Promise<FileHead> {
  let fh;
  let head: FileHead;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw cannotRead(path, e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    head = { head: buf.subarray(0, bytesRead), size: st.size, mtimeMs: st.mtimeMs };
  } catch (e) {
    throw cannotRead(path, e);
  } finally {
    await fh.close();
  }
  if (head.head.length === 0) throw new InputError(`${path}: empty file`, path);
  return head;
}

/**
 * Standard input's head (peekStream), as a command reads `-`: a read error is an InputError
 * (`stdin: cannot read: ...`), and so is no input at all (`stdin: no input`).
 */
export async function peekStdin(
  stream: NodeJS.ReadableStream = process.stdin,
): Promise<{ head: Buffer; stream: Readable }> {
  let peeked;
  try {
    peeked = await peekStream(stream);
  } catch (e) {
    throw new InputError(`stdin: cannot read: ${(e as Error).message}`);
  }
  if (peeked.head.length === 0) throw new InputError('stdin: no input');
  return peeked;
}

/**
 * The first `n` bytes of a stream (fewer when it is shorter; empty when it has none) and the whole
 * stream, from its first byte, to read on. A read error is thrown as it came (the caller names it).
 */
export async function peekStream(
  stream: NodeJS.ReadableStream,
  n = HEAD_BYTES,
): Promise<{ head: Buffer; stream: Readable }> {
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = toBuffer(r.value);
    parts.push(b);
    len += b.length;
  }
  const all = Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (all.length) yield all;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuffer(r.value);
    }
  }
  return { head: all.subarray(0, n), stream: Readable.from(rest(), { objectMode: false }) };
}

/** A chunk as a Buffer of its own (a stream may hand out strings, or reuse its buffers). */
function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
}
