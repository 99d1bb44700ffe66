import type { CommandModule } from 'yargs';
import { evaluate } from '../../src/check/evaluate.js';
import { expandInputs, loadInput } from '../../src/check/input.js';
import { DEFAULT_MIN_MSEG_CALLS, DEFAULT_MIN_TYPE_BYTES } from '../../src/check/rules.js';
import { parseByteSize } from '../../src/check/size.js';
import { type Range, formatRange, resolveThresholds, selectRules } from '../../src/check/thresholds.js';
import { type NodeSnapshot, collectForCheck } from '../../src/collect/index.js';
import { InputError, UsageError } from '../../src/errors.js';
import { renderCheckText, renderRuleList } from '../../src/report/check-text.js';
import { renderNagios, renderNagiosUnknown } from '../../src/report/nagios.js';
import { reportError, runCommand, writeOut } from '../common.js';
import { checkOpenMetricsArgs, openMetricsOutputOptions, type OpenMetricsArgs, writeOpenMetrics } from '../openmetrics.js';
import { nodeMetricsOf } from '../../src/exporter/node-metrics.js';
import { useColor } from '../progress.js';

type Format = 'nagios' | 'text' | 'json' | 'openmetrics';

interface Args extends OpenMetricsArgs {
  input?: string[];
  format?: Format;
  warn?: string | string[];
  crit?: string | string[];
  only?: string | string[];
  skip?: string | string[];
  'list-rules'?: boolean;
  'min-type-bytes'?: string | number;
  'min-mseg-calls'?: number;
  node?: string;
  cookie?: string;
  timeout?: number;
  'node-processes'?: boolean;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * yargs drops a lone `-` from an array positional; put it back where it stood on the command line
 * (`-` is standard input).
 */
export function withStdinArg(inputs: string[], argv: string[] = process.argv.slice(2)): string[] {
  if (!argv.includes('-')) return inputs;
  const rest = [...inputs];
  const out: string[] = [];
  for (const a of argv) {
    if (a === '-') out.push('-');
    else if (rest[0] === a) out.push(rest.shift()!);
  }
  return [...out, ...rest];
}

/** Monitoring-plugin exit codes: bad arguments and unreadable input are UNKNOWN. */
const UNKNOWN = 3;

const command: CommandModule<object, Args> = {
  command: 'check [input..]',
  describe: 'Health check with monitoring-plugin output and exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)',
  builder: (y) =>
    openMetricsOutputOptions(y)
      .positional('input', {
        type: 'string',
        array: true,
        describe: 'recon_alloc snapshots, beamscope JSON, crash dumps, directories or glob patterns (quoted or not); - for stdin',
      })
      .option('format', {
        choices: ['nagios', 'text', 'json', 'openmetrics'] as const,
        describe: 'output format (default: text on a terminal, nagios otherwise; openmetrics: Prometheus, node_exporter textfile collector)',
      })
      // Not `array: true`: an array option would swallow the inputs after it. Repeats still collect.
      .option('warn', { type: 'string', describe: 'RULE=VALUE warning threshold (repeatable)' })
      .option('crit', { type: 'string', describe: 'RULE=VALUE critical threshold (repeatable)' })
      .option('only', { type: 'string', describe: 'check only these rules (comma-separated, repeatable)' })
      .option('skip', { type: 'string', describe: 'do not check these rules (comma-separated, repeatable)' })
      .option('list-rules', { type: 'boolean', describe: 'list the rules with their ids, defaults and meaning' })
      .option('min-type-bytes', { type: 'string', describe: `mbcs-usage and current-vs-max skip allocator types with fewer multiblock carrier bytes (default ${DEFAULT_MIN_TYPE_BYTES / 1048576}MiB)` })
      .option('min-mseg-calls', { type: 'number', describe: `mseg-hit-rate is judged from this many mseg_alloc calls on (default ${DEFAULT_MIN_MSEG_CALLS})` })
      .option('node', { type: 'string', describe: 'collect from this live node (NAME@HOST, docs/collect.md) and check it; unreachable, wrong cookie or timeout is UNKNOWN' })
      .option('cookie', { type: 'string', describe: "with --node: the node's cookie (default $BEAMSCOPE_COOKIE, else ~/.erlang.cookie)" })
      .option('timeout', { type: 'number', describe: 'with --node: seconds to wait for any one answer of the node (default 30)' })
      .option('node-processes', { type: 'boolean', default: true, describe: 'with --node: process records too, for the mailbox and processes rules (--no-node-processes: allocators only)' }) as never,
  handler: (args) =>
    runCommand(
      async () => {
        process.stdout.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'EPIPE') process.exit(UNKNOWN);
          throw e;
        });
        const format: Format = args.format ?? (process.stdout.isTTY ? 'text' : 'nagios');
        try {
          if (args['list-rules']) {
            await writeOut(renderRuleList());
            return 0;
          }
          checkOpenMetricsArgs({ ...args, format });
          const thresholds = resolveThresholds({ warn: list(args.warn), crit: list(args.crit) });
          const rules = selectRules(list(args.only), list(args.skip));
          const minTypeBytes = args['min-type-bytes'] === undefined ? DEFAULT_MIN_TYPE_BYTES : parseByteSize(args['min-type-bytes'], '--min-type-bytes');
          const minMsegCalls = args['min-mseg-calls'] ?? DEFAULT_MIN_MSEG_CALLS;
          if (!Number.isFinite(minMsegCalls) || minMsegCalls < 0) throw new UsageError(`--min-mseg-calls must be a number of calls (got ${String(args['min-mseg-calls'])})`);
          const inputs = withStdinArg(list(args.input));
          if (inputs.length === 0 && args.node === undefined) throw new UsageError('name at least one input (a snapshot, a crash dump, a glob, or - for stdin) or --node NAME@HOST; see --help');
          const loaded = [];
          let fromNode: NodeSnapshot | undefined;
          try {
            if (args.node !== undefined) fromNode = await collectForCheck({ node: args.node, cookie: args.cookie, timeoutSeconds: args.timeout, processes: args['node-processes'] ?? true });
            if (fromNode) {
              for (let i = 0; i < fromNode.paths.length; i++) loaded.push({ ...(await loadInput(fromNode.paths[i])), name: fromNode.names[i] });
            }
            for (const p of inputs.length > 0 ? await expandInputs(inputs) : []) loaded.push(await loadInput(p));
          } finally {
            await fromNode?.cleanup();
          }
          const result = evaluate(loaded, { rules, thresholds, minTypeBytes, minMsegCalls });
          if (format === 'openmetrics') await writeOpenMetrics(nodeMetricsOf(loaded, result, args['node-label']), args);
          else if (format === 'json') await writeOut(JSON.stringify(result, jsonReplacer, 2));
          else if (format === 'text') await writeOut(renderCheckText(result, { color: useColor() }));
          else await writeOut(renderNagios(result));
          return result.exitCode;
        } catch (e) {
          // A monitoring agent reads stdout: the UNKNOWN goes there as one plugin line.
          if (format === 'nagios' && (e instanceof UsageError || e instanceof InputError)) {
            await writeOut(renderNagiosUnknown(e.message));
            return UNKNOWN;
          }
          if (format === 'nagios' && !(e instanceof UsageError || e instanceof InputError)) {
            // Internal errors: still one plugin line on stdout, the detail on stderr.
            reportError(e, { input: UNKNOWN, usage: UNKNOWN });
            await writeOut(renderNagiosUnknown(`internal error: ${(e as Error)?.message ?? String(e)}`));
            return UNKNOWN;
          }
          throw e;
        }
      },
      { input: UNKNOWN, usage: UNKNOWN },
    ),
};

/** Ranges as plugin text (`50:`, `10000`), non-finite numbers as null. */
function jsonReplacer(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && 'start' in v && 'end' in v && 'inside' in v) return formatRange(v as Range);
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

export default command;
