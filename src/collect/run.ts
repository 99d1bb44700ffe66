/**
 * Runs the collector escript against a node and reports what it wrote. The escript talks to the
 * node and streams the files; this side reads its event lines, writes each allocator snapshot once
 * more as JSON (through the one recon-snapshot parser, src/alloc), and turns a failure into one
 * CollectError line.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocatorModelFromTermText } from '../alloc/from-terms.js';
import { decodeTermText } from '../term-text/term-text.js';
import { InputError } from '../errors.js';
import { CollectError, type CollectErrorKind } from './errors.js';
import { collectorScript, findEscript, onEventLines } from './escript.js';
import { type CollectEvent, type CollectOptions, escriptArgs, resolveOptions } from './options.js';

/** Paths of what one sample wrote. */
export interface CollectedFiles {
  /** The allocator snapshot in recon_alloc's snapshot_save format (`file:consult/1` gives `[{Memory, Allocs}]`). */
  alloc: string;
  /** The same snapshot as beamscope's allocator JSON (docs/alloc.md), with `takenAt` and `node`. */
  allocJson: string;
  /** Process records, JSONL (docs/leak.md, schema `beamscope.procs/1`). */
  processes?: string;
  /** With bin-leak: the records before and after each process's garbage collection. */
  binLeakBefore?: string;
  binLeakAfter?: string;
}

export interface CollectSample {
  index: number;
  /** ISO 8601, UTC, when the sample was started. */
  takenAt: string;
  /** Process records written (undefined without process records). */
  processes?: number;
  files: CollectedFiles;
}

export interface CollectResult {
  schemaVersion: 1;
  node: string;
  otpRelease: string;
  out: string;
  /** The files of the last (or only) sample. */
  files: CollectedFiles;
  samples: CollectSample[];
}

const KINDS: ReadonlySet<string> = new Set(['node-down', 'cookie', 'name', 'timeout', 'host', 'no-escript', 'no-cookie', 'dist', 'agent', 'rpc', 'io', 'install', 'usage', 'interrupted', 'internal']);

/** Writes `<alloc>.json` next to an allocator snapshot: the allocator model with takenAt and node first. */
export async function writeAllocJson(snapshotPath: string, meta: { takenAt: string; node: string; otpRelease?: string }): Promise<string> {
  const target = snapshotPath.replace(/\.snapshot$/, '') + '.json';
  let model;
  try {
    model = allocatorModelFromTermText(decodeTermText(await readFile(snapshotPath)), snapshotPath);
  } catch (e) {
    throw new CollectError('internal', `${snapshotPath}: the collected snapshot does not read back: ${(e as Error).message}`);
  }
  const { schema, ...rest } = model;
  const doc = { schema, takenAt: meta.takenAt, node: meta.node, ...(meta.otpRelease ? { otpRelease: meta.otpRelease } : {}), ...rest };
  try {
    await writeFile(`${target}.partial`, JSON.stringify(doc) + '\n');
    await rename(`${target}.partial`, target);
  } catch (e) {
    throw new CollectError('io', `cannot write ${target}: ${(e as Error).message}`);
  }
  return target;
}

const PARTIAL = /^(alloc|processes|binleak-before|binleak-after)-\d{8}T\d{6}\.\d{3}Z\.(snapshot|jsonl|json)\.partial$/;

/** Removes the collector's half-written files (`*.partial`) from `dir`; never fails. */
async function removePartials(dir: string): Promise<void> {
  try {
    for (const f of await readdir(dir)) if (PARTIAL.test(f)) await unlink(join(dir, f)).catch(() => {});
  } catch {
    // the directory is not there or not readable: nothing to tidy
  }
}

/**
 * Collects from a live node into `options.out`. Resolves with what was written; rejects with a
 * UsageError (bad options) or a CollectError (one line saying what went wrong).
 */
export async function collect(options: CollectOptions): Promise<CollectResult> {
  const r = resolveOptions(options);
  const escript = findEscript(options.escript);
  const script = collectorScript();
  try {
    await mkdir(r.out, { recursive: true });
  } catch (e) {
    throw new CollectError('io', `cannot create ${r.out}: ${(e as Error).message}`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.cookie !== undefined) {
    if (options.cookie === '') throw new CollectError('no-cookie', '--cookie is empty');
    env.BEAMSCOPE_COOKIE = options.cookie;
  }
  // The escript enforces the timeout on every wait; this is only a guard against a stuck escript.
  const guardMs = 3 * r.timeoutMs + r.intervalMs + 15_000;

  const child = spawn(escript, [script, ...escriptArgs(r)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const samples: CollectSample[] = [];
  let connected: Extract<CollectEvent, { event: 'connected' }> | undefined;
  let failure: CollectError | undefined;
  let done = false;
  let stderrTail = '';
  let guard: NodeJS.Timeout | undefined;
  let guardFired = false;
  const arm = () => {
    if (guard) clearTimeout(guard);
    guard = setTimeout(() => {
      guardFired = true;
      child.kill('SIGKILL');
    }, guardMs);
  };
  arm();
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  // Sample events are handled in order (each writes its JSON before the next is looked at).
  let chain: Promise<void> = Promise.resolve();
  const onEvent = (ev: CollectEvent) => {
    options.onEvent?.(ev);
    switch (ev.event) {
      case 'connected':
        connected = ev;
        break;
      case 'error':
        failure = new CollectError((KINDS.has(ev.kind) ? ev.kind : 'internal') as CollectErrorKind, ev.message);
        break;
      case 'done':
        done = true;
        break;
      case 'sample': {
        const f = ev.files;
        chain = chain.then(async () => {
          const allocJson = await writeAllocJson(f.alloc, { takenAt: ev.takenAt, node: connected?.node ?? r.node.full, otpRelease: connected?.otpRelease });
          samples.push({
            index: ev.index,
            takenAt: ev.takenAt,
            ...(ev.processes !== null && ev.processes !== undefined ? { processes: ev.processes } : {}),
            files: {
              alloc: f.alloc,
              allocJson,
              ...(f.processes ? { processes: f.processes } : {}),
              ...(f.binLeakBefore ? { binLeakBefore: f.binLeakBefore, binLeakAfter: f.binLeakAfter } : {}),
            },
          });
        });
        break;
      }
    }
  };

  // Any output re-arms the watchdog, a whole line or not.
  child.stdout.on('data', arm);
  onEventLines(child.stdout, (ev) => onEvent(ev as unknown as CollectEvent), (line) => {
    // not an event (the escript printing something unexpected): keep it for the error message
    stderrTail = (stderrTail + '\n' + line).slice(-2000);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-2000);
  });

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolvePromise) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolvePromise({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolvePromise({ code, signal }));
  });
  if (guard) clearTimeout(guard);
  options.signal?.removeEventListener('abort', onAbort);
  try {
    await chain;
  } catch (e) {
    await removePartials(r.out);
    if (e instanceof InputError) throw e;
    throw new CollectError('internal', String((e as Error)?.message ?? e));
  }
  // A killed escript cannot tidy up after itself.
  if (exit.error || failure || guardFired || aborted || exit.code !== 0 || !done) await removePartials(r.out);
  if (aborted && !done) throw new CollectError('interrupted', 'interrupted: the collection was stopped');
  if (exit.error) {
    if (exit.error.code === 'ENOENT' || exit.error.code === 'EACCES') throw new CollectError('no-escript', `cannot run ${escript}: ${exit.error.code === 'ENOENT' ? 'not found' : 'permission denied'}; beamscope collect needs Erlang/OTP's escript`);
    throw new CollectError('internal', `cannot run ${escript}: ${exit.error.message}`);
  }
  if (failure) throw failure;
  if (guardFired) throw new CollectError('timeout', `timed out: the collector gave no sign of life for ${Math.round(guardMs / 1000)} s and was stopped`);
  if (exit.code !== 0 || !done) {
    const last = stderrTail.trim().split('\n').filter(Boolean).pop() ?? '';
    throw new CollectError('internal', `the collector (escript) ${exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`}${last ? `: ${last.trim()}` : ''}`);
  }
  if (samples.length === 0 || !connected) throw new CollectError('internal', 'the collector finished without writing a sample');
  samples.sort((a, b) => a.index - b.index);
  return {
    schemaVersion: 1,
    node: connected.node,
    otpRelease: connected.otpRelease,
    out: r.out,
    files: samples[samples.length - 1].files,
    samples,
  };
}
