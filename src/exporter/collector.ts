/**
 * The exporter's collector: collect's escript (collect/beamscope_collect.escript) started once in
 * its `serve` mode, taking one request per node and scrape on stdin and answering with tagged event
 * lines. One Erlang VM for every node and scrape, instead of one started per node per scrape (a VM
 * start and the script's compilation, about 0.7 s of CPU each). The escript drops its connection to
 * a node after each request, so every scrape connects afresh. If the collector dies, the requests
 * in flight fail and the next scrape starts a new one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CollectError, type CollectErrorKind } from '../collect/errors.js';
import { collectorScript, findEscript } from '../collect/escript.js';
import { escriptArgs, resolveOptions } from '../collect/options.js';

/** `processes=summary`: what the exporter needs of the processes, without a record each. */
export interface ProcessSummary {
  largestMailbox: { pid: string; messages: number; name?: string } | null;
  process_count?: number;
  process_limit?: number;
  port_count?: number;
  port_limit?: number;
  atom_count?: number;
  atom_limit?: number;
}

export interface CollectedSample {
  node: string;
  /** recon_alloc snapshot file. */
  alloc: string;
  /** With `summary`: the largest mailbox and the counts against their limits. */
  summary?: ProcessSummary;
}

interface Pending {
  resolve: (s: CollectedSample) => void;
  reject: (e: Error) => void;
  node?: string;
  sample?: CollectedSample;
}

const KINDS: ReadonlySet<string> = new Set(['node-down', 'cookie', 'name', 'timeout', 'host', 'no-escript', 'no-cookie', 'dist', 'agent', 'rpc', 'io', 'install', 'usage', 'interrupted', 'internal']);

export class ServeCollector {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private pending = new Map<string, Pending>();
  private seq = 0;

  constructor(private readonly opts: { cookie?: string; names: 'short' | 'long'; escript?: string }) {}

  /** Starts the collector now (else the first request does); resolves when it is ready. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const escript = findEscript(this.opts.escript);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (this.opts.cookie !== undefined) env.BEAMSCOPE_COOKIE = this.opts.cookie;
    const child = spawn(escript, [collectorScript(), 'serve', `names=${this.opts.names}`], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderrTail = '';
    this.ready = new Promise<void>((resolve, reject) => {
      let carry = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        carry += chunk;
        let nl: number;
        while ((nl = carry.indexOf('\n')) >= 0) {
          const line = carry.slice(0, nl).trim();
          carry = carry.slice(nl + 1);
          if (!line) continue;
          let ev: Record<string, unknown>;
          try {
            ev = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue; // not an event
          }
          if (ev.event === 'ready') resolve();
          else if (ev.req === undefined && ev.event === 'error') reject(new CollectError(kindOf(ev.kind), String(ev.message)));
          else this.onEvent(ev);
        }
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (c: string) => (stderrTail = (stderrTail + c).slice(-2000)));
      child.stdin!.on('error', () => {}); // a collector that died: its exit says so
      const gone = (why: string) => {
        const e = new CollectError('internal', `the collector (escript serve) ${why}${stderrTail.trim() ? `: ${stderrTail.trim().split('\n').pop()}` : ''}`);
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
      };
      child.on('error', (e) => gone(`could not run: ${e.message}`));
      child.on('exit', (code, signal) => gone(signal ? `was killed by ${signal}` : `exited with status ${code}`));
    });
    return this.ready;
  }

  private onEvent(ev: Record<string, unknown>): void {
    const p = this.pending.get(String(ev.req));
    if (!p) return; // a request given up on (its deadline passed)
    const id = String(ev.req);
    switch (ev.event) {
      case 'connected':
        p.node = String(ev.node);
        break;
      case 'sample': {
        const f = ev.files as Record<string, string>;
        p.sample = { node: p.node ?? '', alloc: f.alloc, ...(ev.summary ? { summary: ev.summary as ProcessSummary } : {}) };
        break;
      }
      case 'done':
        this.pending.delete(id);
        if (p.sample) p.resolve(p.sample);
        else p.reject(new CollectError('internal', 'the collector finished without writing a sample'));
        break;
      case 'error':
        this.pending.delete(id);
        p.reject(new CollectError(kindOf(ev.kind), String(ev.message)));
        break;
    }
  }

  /**
   * One sample of `node` into `out` (a fresh directory): the allocator snapshot, and with `summary`
   * the process summary (one process_info call per process on the node, no records). Rejects with
   * a CollectError.
   */
  async collect(req: { node: string; out: string; timeoutSeconds: number; summary: boolean; signal?: AbortSignal }): Promise<CollectedSample> {
    const args = escriptArgs(resolveOptions({ node: req.node, out: req.out, timeoutSeconds: req.timeoutSeconds, processes: false })).map((a) =>
      a === 'processes=false' && req.summary ? 'processes=summary' : a,
    );
    // One request a line, arguments split at spaces.
    if (args.some((a) => /\s/.test(a))) throw new CollectError('io', `the temporary directory ${req.out} has a space in its path (set TMPDIR to one without)`);
    await this.start();
    const id = `r${++this.seq}`;
    return new Promise<CollectedSample>((resolve, reject) => {
      const onAbort = () => {
        if (this.pending.delete(id)) reject(new CollectError('interrupted', 'interrupted: the deadline passed'));
      };
      this.pending.set(id, {
        resolve: (s) => {
          req.signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: (e) => {
          req.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      if (req.signal?.aborted) return onAbort();
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.child!.stdin!.write(`${id} ${args.join(' ')}\n`);
    });
  }

  /** Ends the collector (it stops when its stdin closes). */
  close(): void {
    this.child?.stdin?.end();
    const c = this.child;
    if (c) setTimeout(() => c.exitCode === null && c.kill('SIGKILL'), 3000).unref();
  }
}

function kindOf(k: unknown): CollectErrorKind {
  return (KINDS.has(String(k)) ? String(k) : 'internal') as CollectErrorKind;
}
