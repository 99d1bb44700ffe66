import type { Dump } from '../src/dump/index.js';
import { statSync } from 'node:fs';
import { formatBytes, sanitize } from '../src/text/format.js';

/**
 * Progress on stderr, only when stderr is a terminal: a line rewritten in place, cleared at the end.
 * Nothing at all for pipes, files and CI logs.
 */
export function progressReporter(label: string): { onProgress?: (read: number, total?: number) => void; done(): void } {
  if (!process.stderr.isTTY) return { done() {} };
  let shown = false;
  const started = Date.now();
  return {
    onProgress(read, total) {
      // Short reads finish before anyone could read a progress line.
      if (Date.now() - started < 1000) return;
      shown = true;
      const pct = total ? ` ${Math.floor((read / total) * 100)}%` : '';
      process.stderr.write(`\r${label}: ${formatBytes(read)}${total ? ` of ${formatBytes(total)}` : ''}${pct}\u001b[K`);
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K');
    },
  };
}

export type ColorMode = 'auto' | 'always' | 'never';
let colorMode: ColorMode = 'auto';

/** `--color auto|always|never` (set once, before the command runs). */
export function setColorMode(mode: ColorMode): void {
  colorMode = mode;
}

/**
 * Whether text output is coloured. `--color always|never` decides; with `auto` (the default),
 * NO_COLOR set to anything but "" turns it off (no-color.org), then FORCE_COLOR set to anything but
 * "" or "0" turns it on, then TERM=dumb turns it off, else colour goes to a terminal only.
 */
export function colorEnabled(mode: ColorMode, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

export function useColor(): boolean {
  return colorEnabled(colorMode, process.env, Boolean(process.stdout.isTTY));
}

let readThreads: number | undefined;
let readCache = true;

/** `--no-cache`: neither use nor save the index saved beside a dump (set once, before the command runs). */
export function setReadCache(on: boolean): void {
  readCache = on;
}

/** False under `--no-cache`: no saved index, and no saved results (saved-results.ts). */
export function readCacheOn(): boolean {
  return readCache;
}

/** `--threads N`, for every command that reads a dump (set once, before the command runs). */
export function setReadThreads(n: number | undefined): void {
  readThreads = n;
}

let spoolDir: string | undefined;

/** `--spool DIR`: where a compressed dump or stdin is decompressed to (set once, before the command runs). */
export function setSpoolDir(dir: string | undefined): void {
  spoolDir = dir === '' ? undefined : dir;
}

/** ReadOptions.spool: compressed dumps and stdin are copied to a file as they are read, so heaps can be decoded. */
export function spoolOption(): string | true {
  return spoolDir ?? true;
}

/** Reads a dump with a progress line on a terminal (cleared when done). */
export async function readDumpWithProgress(path: string, label = 'reading'): Promise<Dump> {
  const progress = progressReporter(label);
  let saved: string | undefined;
  // Loaded here, not at start-up: every command imports this module (a second triage prints its
  // saved report without the reader, and `--version` needs none of it).
  const { readDump } = await import('../src/dump/reader.js');
  try {
    return await readDump(path, {
      onProgress: progress.onProgress, threads: readThreads, cache: readCache,
      onIndex: (event, file) => { if (event === 'saved') saved = file; },
      spool: spoolOption(),
      onSpool: (dir) => {
        if (process.stderr.isTTY) {
          process.stderr.write(`beamscope: keeping the dump's text, as it is read, in a temporary file in ${sanitize(dir)} (as big as the plain dump; removed at exit; --spool DIR puts it elsewhere)\n`);
        }
      },
    });
  } finally {
    progress.done();
    // Someone at a terminal is told once where the index of their dump went (it can be hundreds
    // of MB beside a dump of millions of processes); scripts and pipes are not.
    if (saved && process.stderr.isTTY) {
      let size = '';
      try {
        size = ` (${formatBytes(statSync(saved).size)})`;
      } catch {
        // gone already: say where it was written anyway
      }
      process.stderr.write(`beamscope: saved an index of this dump${size} to ${sanitize(saved)}: the next command on it skips the scan (--no-cache neither reads nor saves one)\n`);
    }
  }
}
