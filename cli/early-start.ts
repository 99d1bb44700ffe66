import { closeSync } from 'node:fs';
import { fileCompression, openRegularFile } from '../src/input/regular-file.js';
import { commandIndex } from './argv.js';

/** The commands that read a dump into a spool (cli/progress.ts, readDumpWithProgress). */
const READ_DUMPS = new Set(['triage', 'procs', 'proc', 'report', 'leak', 'diff', 'serve']);

/**
 * Starts the decompressor of a zstd or xz dump named on the command line before the CLI's modules
 * load (src/dump/early-spool.ts says why); the reader takes it when it reads that file. The first
 * argument after the command that is a zstd or xz file is the dump: options' values are not (a
 * file named like one, in that format, would only be decompressed for nothing, and stopped at
 * exit). Nothing for help, --version, or an argument list it cannot read so.
 */
export async function startDecompressorEarly(argv: readonly string[]): Promise<void> {
  const at = commandIndex(argv);
  if (at < 0 || !READ_DUMPS.has(argv[at])) return;
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '--help' || a === '-h' || a === '--version' || a.startsWith('--no-spool')) return;
    if (a === '--spool') dir = argv[i + 1];
    else if (a.startsWith('--spool=')) dir = a.slice('--spool='.length);
  }
  if (dir === '') dir = undefined; // as setSpoolDir takes it
  for (let i = at + 1; i < argv.length && argv[i] !== '--'; i++) {
    const kind = argv[i].startsWith('-') ? undefined : programKind(argv[i]);
    if (kind === undefined) continue;
    const { startSpoolEarly } = await import('../src/dump/early-spool.js');
    startSpoolEarly(kind, argv[i], dir);
    return;
  }
}

/** 'zstd' or 'xz' for a regular file in that format, else undefined. */
function programKind(path: string): 'zstd' | 'xz' | undefined {
  // A named pipe is not opened (it would wait for its writer), nor read (its bytes are the reader's).
  const fd = openRegularFile(path);
  if (fd === undefined) return undefined;
  try {
    const kind = fileCompression(fd);
    return kind === 'zstd' || kind === 'xz' ? kind : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
