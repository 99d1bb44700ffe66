import { programToFile, type Held, type ToFile } from './compression.js';
import { Spool } from './spool.js';

/**
 * A zstd or xz dump's decompressor started before the program that reads it has loaded: the CLI's
 * entry starts one for the dump named on its command line (cli/early-start.ts), and readDump
 * takes it instead of starting its own when it reads that file into a spool in that directory.
 * `zstd -dc dump.zst | awk` has zstd decoding from its first millisecond, where the CLI reached
 * its own spawn 130-180 ms in (Node's start, yargs, the command's modules); the decompressor
 * being the slower of the two, that was most of the gap to the pipeline.
 *
 * It is what readDump would have started (the same program, arguments and spool), so a result is
 * the same whether it was used or not. One not taken keeps neither the process alive nor, once
 * the process exits, the decompressor running or the spool's disk.
 */
interface EarlySpool {
  path: string;
  /** The spool's directory: undefined for the OS temporary directory (ReadOptions.spool true). */
  dir: string | undefined;
  spool: Spool;
  writer: Promise<ToFile | undefined>;
  held?: Held;
}

/** A spool and the decompressor writing into it, as readDump's startSpoolWriter takes them. */
export interface EarlyStart {
  spool: Spool;
  writer: Promise<ToFile | undefined>;
}

let early: EarlySpool | undefined;

/** Starts `kind`'s program decompressing the file at `path` into a new spool in `dir`. Never throws. */
export function startSpoolEarly(kind: 'zstd' | 'xz', path: string, dir: string | undefined): void {
  if (early) return;
  let spool: Spool;
  try {
    spool = new Spool(dir);
  } catch {
    return; // readDump says why when it tries
  }
  const e: EarlySpool = { path, dir, spool, writer: Promise.resolve(undefined) };
  e.writer = programToFile(kind, path, spool.fd, (h) => { e.held = h; }).catch(() => undefined);
  early = e;
  process.once('exit', () => {
    if (early !== e) return;
    early = undefined;
    e.held?.kill();
    spool.discard();
  });
}

/**
 * The early decompressor of the file at `path` into a spool in `dir`, handed over once (it keeps
 * the process alive from now on, as one readDump started would), or undefined.
 */
export function takeSpoolEarly(path: string, dir: string | undefined): EarlyStart | undefined {
  const e = early;
  if (!e || e.path !== path || e.dir !== dir) return undefined;
  early = undefined;
  e.held?.attach();
  return { spool: e.spool, writer: e.writer };
}
