import type { CommandModule } from 'yargs';
import { UsageError, InputError } from '../../src/errors.js';
import { parseNodeName } from '../../src/collect/options.js';
import { scrape } from '../../src/exporter/scrape.js';
import { ServeCollector } from '../../src/exporter/collector.js';
import { findEscript } from '../../src/collect/escript.js';
import { startExporter } from '../../src/exporter/server.js';
import { oneLine, runCommand } from '../common.js';

interface Args {
  node: string | string[];
  cookie?: string;
  listen: string;
  timeout: number;
  processes: boolean;
  'per-instance': boolean;
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`--listen ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:9717`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

const command: CommandModule<object, Args> = {
  command: 'exporter',
  describe: 'Serve /metrics for Prometheus: allocator, process and check figures collected from live nodes at each scrape',
  builder: (y) =>
    y
      .option('node', { type: 'string', demandOption: true, describe: 'a node to watch, NAME@HOST (repeatable)' })
      .option('cookie', { type: 'string', describe: "the nodes' cookie (default: $BEAMSCOPE_COOKIE, else ~/.erlang.cookie)" })
      .option('listen', { type: 'string', default: '127.0.0.1:9717', describe: 'address to serve /metrics on (HOST:PORT; port 0 picks a free one)' })
      .option('timeout', { type: 'number', default: 8, describe: "seconds one node may take in a scrape (keep it below Prometheus's scrape_timeout)" })
      .option('processes', { type: 'boolean', default: true, describe: 'the largest mailbox, and processes, ports and atoms against their limits: one process_info call per process on the node, no records (--no-processes: allocators only)' })
      .option('per-instance', { type: 'boolean', default: true, describe: 'per allocator instance series (--no-per-instance: per type only)' })
      .example('$0 exporter --node app@db1 --node app@db2 --cookie "$COOKIE"', 'then scrape http://127.0.0.1:9717/metrics') as never,
  handler: (args) =>
    runCommand(async () => {
      const nodes = (Array.isArray(args.node) ? args.node : [args.node]).map(String);
      for (const n of nodes) parseNodeName(n);
      if (new Set(nodes.map((n) => parseNodeName(n).full)).size !== nodes.length) throw new UsageError('--node: a node is named twice');
      const kinds = new Set(nodes.map((n) => parseNodeName(n).names));
      if (kinds.size > 1) throw new UsageError('--node: short names (NAME@HOST) and long names (NAME@HOST.DOMAIN) cannot be mixed in one exporter (Erlang distribution runs one kind); run one exporter for each');
      findEscript(); // no Erlang here: say so now, not at every scrape
      const failing = new Map<string, string>();
      const collector = new ServeCollector({ cookie: args.cookie, names: [...kinds][0] });
      if (!(args.timeout > 0)) throw new UsageError(`--timeout takes a number of seconds above 0 (got ${String(args.timeout)})`);
      const { host, port } = parseListen(args.listen);
      const log = (line: string) => process.stderr.write(`beamscope exporter: ${oneLine(line)}\n`);
      let exporter;
      try {
        exporter = await startExporter(host, port, () =>
          scrape({ nodes, failing, timeoutSeconds: args.timeout, processes: args.processes, perInstance: args['per-instance'], log, collector }),
        );
      } catch (e) {
        throw new InputError(`cannot listen on ${args.listen}: ${(e as Error).message}`);
      }
      // The collector's VM starts now, not in the first scrape's time (a failure here is logged,
      // and the first scrape tries again).
      await collector.start().catch((e: Error) => log(`collector: ${e.message}`));
      const a = exporter.address;
      const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      log(`listening on http://${shown}:${a.port}/metrics for ${nodes.length} node${nodes.length === 1 ? '' : 's'}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          collector.close();
          void exporter.close().then(resolve);
          // keep-alive connections would hold close() open
          exporter.server.closeAllConnections();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    }),
};

export default command;
