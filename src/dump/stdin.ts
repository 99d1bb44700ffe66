import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync, readSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { MAGIC_BYTES } from '../input/magic.js';

/**
 * What standard input is, for the dump reader (reader.ts) to read it at file speed:
 * - `regular`: a regular file at its first byte (`beamscope triage - < dump`): read as that file
 *   through /proc/self/fd/0 (in parallel, compressed ones by their own writers, no copy);
 * - `pipe`: an anonymous pipe (`zcat dump.gz | beamscope triage -`); `polled`: a socket or a named
 *   FIFO. A worker thread reads either with fixed buffers into the spool (compression.ts,
 *   stdinToFile). It must always be stoppable: Node waits at exit for a thread blocked in read(2),
 *   so a producer that never closes the pipe would hold the process up for ever. A pipe is read
 *   through a blocking descriptor of its own (opened again through /proc/self/fd/0), which
 *   stopStdinReads unblocks by writing a byte into the pipe; a socket (no such open) or a FIFO
 *   (whose blocking open can wait for a writer) is made non-blocking and polled;
 * - `stream`: anything else (a terminal, a device, a platform without /proc, standard input that
 *   something already reads): process.stdin as a Node stream.
 * Linux only: the file offset and flags are read from /proc/self/fdinfo/0.
 * BEAMSCOPE_STDIN=stream always takes the stream (the tests compare the ways).
 */
export type StdinKind = 'regular' | 'pipe' | 'polled' | 'stream';

const O_NONBLOCK = 0o4000;

let kind: StdinKind | undefined;

/** What standard input is (decided once: the first call may make it non-blocking). */
export function stdinKind(): StdinKind {
  kind ??= decideKind();
  return kind;
}

function decideKind(): StdinKind {
  if (process.platform !== 'linux' || process.env.BEAMSCOPE_STDIN === 'stream') return 'stream';
  let st;
  try {
    st = fstatSync(0);
  } catch {
    return 'stream';
  }
  if (st.isFile()) return fdInfo()?.pos === 0 ? 'regular' : 'stream';
  if (!(st.isFIFO() || st.isSocket()) || isatty(0)) return 'stream';
  if (st.isFIFO() && /^pipe:/.test(readlinkOr(STDIN_FILE))) return 'pipe';
  // Node makes the descriptor of a piped standard input non-blocking when process.stdin is first
  // asked for (uv_pipe_open), without reading from it; Node puts the flag back at exit.
  const stdin = process.stdin;
  if (stdin.readableFlowing !== null || stdin.readableLength > 0 || stdin.readableEnded) return 'stream';
  const info = fdInfo();
  return info && info.flags & O_NONBLOCK ? 'polled' : 'stream';
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/**
 * For the worker that reads standard input (stdinKind `pipe` or `polled`): the descriptor to read,
 * and whether reads on it block. Close it (closeStdinReads) once the worker is gone.
 */
export function openStdinReads(): { fd: number; blocking: boolean } {
  if (stdinKind() === 'pipe') return { fd: openSync(STDIN_FILE, 'r'), blocking: true };
  return { fd: 0, blocking: false };
}

/** Makes a read blocked on the pipe return (a byte written into it; nothing when it is full). */
export function unblockStdinReads(): void {
  if (stdinKind() !== 'pipe') return;
  try {
    const w = openSync(STDIN_FILE, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      writeSync(w, Buffer.of(0x0a));
    } catch {
      // full: the reader is not waiting
    } finally {
      closeSync(w);
    }
  } catch {
    // cannot: the reader ends when the producer does
  }
}

export function closeStdinReads(r: { fd: number }): void {
  if (r.fd !== 0) closeSync(r.fd);
}

/** Standard input's file offset and open flags, or undefined where /proc does not say. */
function fdInfo(): { pos: number; flags: number } | undefined {
  try {
    const text = readFileSync('/proc/self/fdinfo/0', 'latin1');
    const pos = /^pos:\s*(\d+)/m.exec(text);
    const flags = /^flags:\s*([0-7]+)/m.exec(text);
    return pos && flags ? { pos: Number(pos[1]), flags: parseInt(flags[1], 8) } : undefined;
  } catch {
    return undefined;
  }
}

let head: Promise<Buffer> | undefined;

/**
 * The first bytes of a `pipe` standard input (MAGIC_BYTES, fewer at its end), which tell a dump,
 * compressed or not, from anything else: read once, the same bytes for every caller (the leak
 * command looks before the reader reads). Whoever reads on starts after them (stdinAfter).
 */
export function stdinHead(): Promise<Buffer> {
  head ??= readHead(MAGIC_BYTES);
  return head;
}

/**
 * Reads `n` bytes, waiting without blocking this thread while the producer has not written them:
 * a pipe through a non-blocking descriptor of its own (fd 0 stays as it is), else fd 0.
 */
async function readHead(n: number): Promise<Buffer> {
  const fd = stdinKind() === 'pipe' ? openSync(STDIN_FILE, constants.O_RDONLY | constants.O_NONBLOCK) : 0;
  const buf = Buffer.alloc(n);
  let got = 0;
  try {
    while (got < n) {
      let r: number;
      try {
        r = readSync(fd, buf, got, n - got, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      if (r === 0) break;
      got += r;
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return buf.subarray(0, got);
}

/** Standard input as a stream, from its first byte, once `first` (stdinHead) was read. */
export function stdinAfter(first: Buffer): Readable {
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    // Leaving early (enough was read) ends process.stdin too: nothing holds the process up.
    for await (const b of process.stdin as AsyncIterable<Buffer | string>) yield typeof b === 'string' ? Buffer.from(b) : b;
  }
  return Readable.from(all(), { objectMode: false });
}

/** The path that opens standard input's file again (`regular` above). */
export const STDIN_FILE = '/proc/self/fd/0';
