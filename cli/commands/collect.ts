import type { CommandModule } from 'yargs';
import { collect, type CollectResult } from '../../src/collect/index.js';
import type { CollectEvent } from '../../src/collect/options.js';
import { formatCount, sanitize } from '../../src/report/format.js';
import { runCommand, toJson, withCommonOptions, writeOut } from '../common.js';
import { checkOpenMetricsArgs, openMetricsOptions, type OpenMetricsArgs, writeOpenMetrics } from '../openmetrics.js';
import { loadInput } from '../../src/check/input.js';
import { nodeMetricsOf } from '../../src/exporter/node-metrics.js';

interface Args extends OpenMetricsArgs {
  node: string;
  cookie?: string;
  timeout?: number;
  out: string;
  'bin-leak'?: boolean;
  processes?: boolean;
  interval?: number;
  count?: number;
  'binary-list'?: number;
  format: 'text' | 'json' | 'openmetrics';
  top: number;
}

const command: CommandModule<object, Args> = {
  command: 'collect',
  describe: 'Snapshots from a live node over Erlang distribution: allocators (recon_alloc format and JSON), process records, bin_leak before/after GC',
  builder: (y) =>
    openMetricsOptions(withCommonOptions(y))
      .option('node', { type: 'string', demandOption: true, describe: 'the node, NAME@HOST (a dot in HOST means long names); NAME alone is NAME@this host' })
      .option('cookie', { type: 'string', describe: "the node's cookie (default: $BEAMSCOPE_COOKIE, else ~/.erlang.cookie)" })
      .option('timeout', { type: 'number', describe: 'seconds to wait for any one answer of the node (default 30)' })
      .option('out', { type: 'string', demandOption: true, describe: 'directory to write into (created if missing)' })
      .option('bin-leak', {
        type: 'boolean',
        describe: "also record every process before and after a garbage collection (recon:bin_leak's procedure). This GARBAGE-COLLECTS EVERY PROCESS on the node, one at a time",
      })
      .option('processes', { type: 'boolean', default: true, describe: 'write process records (--no-processes: allocators only)' })
      .option('interval', { type: 'number', describe: 'seconds between samples (with --count): a timestamped series for `beamscope trend`' })
      .option('count', { type: 'number', describe: 'number of samples (with --interval)' })
      .option('binary-list', { type: 'number', describe: 'list a process\'s binary references one by one up to N (default 1000), else only their count and bytes' })
      .example('$0 collect --node myapp@db1 --out snaps/', 'allocators and processes of myapp@db1 (cookie from ~/.erlang.cookie)')
      .example('$0 collect --node myapp@db1 --out snaps/ --bin-leak', 'then: beamscope leak snaps/binleak-before-*.jsonl snaps/binleak-after-*.jsonl')
      .example('$0 collect --node myapp@db1 --out series/ --no-processes --interval 60 --count 30', "then: beamscope trend 'series/alloc-*.snapshot'") as never,
  handler: (args) =>
    runCommand(async () => {
      checkOpenMetricsArgs(args);
      const progress = process.stderr.isTTY ? stderrProgress() : undefined;
      // Ctrl-C or a TERM stops the escript too (the node then unloads the module by itself).
      const stop = new AbortController();
      let signalled: NodeJS.Signals | undefined;
      const onSignal = (sig: NodeJS.Signals) => {
        signalled = sig;
        stop.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result: CollectResult;
      try {
        result = await collect({
          node: args.node,
          cookie: args.cookie,
          timeoutSeconds: args.timeout,
          out: args.out,
          binLeak: args['bin-leak'] ?? false,
          processes: args.processes ?? true,
          intervalSeconds: args.interval,
          count: args.count,
          maxBinaryList: args['binary-list'],
          onEvent: progress?.onEvent,
          signal: stop.signal,
        });
      } catch (e) {
        if (signalled) {
          progress?.done();
          process.stderr.write('beamscope: interrupted; files written so far are complete, none is half-written\n');
          process.exit(signalled === 'SIGINT' ? 130 : 143);
        }
        throw e;
      } finally {
        progress?.done();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (args.format === 'openmetrics') {
        // The last sample, as `check --format openmetrics` would give it on the files written.
        const f = result.files;
        const loaded = [await loadInput(f.alloc), ...(f.processes ? [await loadInput(f.processes)] : [])];
        await writeOpenMetrics(nodeMetricsOf(loaded, undefined, args['node-label'] ?? result.node), args);
      } else if (args.format === 'json') await writeOut(toJson(result));
      else await writeOut(renderCollectText(result));
    }),
};

/** One line on stderr (a terminal only), rewritten in place. */
function stderrProgress(): { onEvent(e: CollectEvent): void; done(): void } {
  let shown = false;
  const started = Date.now();
  return {
    onEvent(e) {
      // short runs finish before anyone could read a progress line
      if (Date.now() - started < 1000) return;
      let line: string | undefined;
      if (e.event === 'connected') line = `connected to ${sanitize(e.node)} (OTP ${sanitize(e.otpRelease)})`;
      else if (e.event === 'progress') line = `${e.phase === 'bin-leak' ? 'bin_leak (GC of every process)' : 'processes'}: ${formatCount(e.records)}`;
      else if (e.event === 'sample' && e.count > 1) line = `sample ${e.index} of ${e.count} written`;
      if (line) {
        shown = true;
        process.stderr.write(`\rcollect: ${line}\u001b[K`);
      }
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K');
    },
  };
}

export function renderCollectText(r: CollectResult): string {
  const lines: string[] = [];
  const n = r.samples.length;
  lines.push(`Collected from ${sanitize(r.node)} (OTP ${sanitize(r.otpRelease)}): ${n === 1 ? `1 sample, ${r.samples[0].takenAt}` : `${n} samples, ${r.samples[0].takenAt} to ${r.samples[n - 1].takenAt}`}`);
  lines.push(`into ${sanitize(r.out)}`);
  lines.push('');
  const f = r.files;
  const rows: Array<[string, string, string]> = [
    ['alloc', f.alloc, 'recon_alloc snapshot_save format'],
    ['alloc (JSON)', f.allocJson, 'beamscope allocator JSON'],
  ];
  const last = r.samples[n - 1];
  if (f.processes) rows.push(['processes', f.processes, last.processes !== undefined ? `${formatCount(last.processes)} process records` : 'process records']);
  if (f.binLeakBefore && f.binLeakAfter) {
    rows.push(['bin_leak before', f.binLeakBefore, 'before each process GC']);
    rows.push(['bin_leak after', f.binLeakAfter, 'after each process GC']);
  }
  if (n > 1) lines.push(`Last sample (${last.takenAt}):`);
  const w = Math.max(...rows.map((x) => x[0].length));
  for (const [label, path, what] of rows) lines.push(`  ${label.padEnd(w)}  ${sanitize(path)}  (${what})`);
  lines.push('');
  lines.push('Next:');
  lines.push(`  beamscope alloc ${sanitize(f.alloc)}`);
  if (f.binLeakBefore && f.binLeakAfter) lines.push(`  beamscope leak ${sanitize(f.binLeakBefore)} ${sanitize(f.binLeakAfter)}`);
  if (n > 1) lines.push(`  beamscope trend '${sanitize(r.out)}/alloc-*.snapshot'`);
  lines.push(`  beamscope check ${sanitize(f.alloc)}`);
  return lines.join('\n') + '\n';
}

export default command;
