/** The options every `--format openmetrics` command shares, and where its text goes. */
import type { Argv } from 'yargs';
import { type NodeMetrics, renderOpenMetrics } from '../src/report/openmetrics.js';
import { UsageError } from '../src/errors.js';
import { writeOut } from './common.js';
import { writeFileAtomic } from './output-file.js';

export interface OpenMetricsArgs {
  output?: string;
  'node-label'?: string;
  'per-instance'?: boolean;
}

/** `--format text|json|openmetrics` and the openmetrics options, for commands that take withCommonOptions. */
export function openMetricsOptions<T>(y: Argv<T>) {
  return openMetricsOutputOptions(
    y.option('format', { choices: ['text', 'json', 'openmetrics'] as const, default: 'text' as const, describe: 'output format (openmetrics: Prometheus / node_exporter textfile collector)' }),
  );
}

export function openMetricsOutputOptions<T>(y: Argv<T>) {
  return y
    .option('output', { type: 'string', describe: 'with --format openmetrics: write to FILE atomically (a temporary file, then a rename), e.g. node_exporter\'s textfile directory' })
    .option('node-label', { type: 'string', describe: 'with --format openmetrics: the node label (default: the node the input names, else its file name)' })
    .option('per-instance', { type: 'boolean', default: true, describe: 'with --format openmetrics: per allocator instance series (--no-per-instance: per type only)' });
}

/** `--output` is for the openmetrics text only. */
export function checkOpenMetricsArgs(args: OpenMetricsArgs & { format?: string }): void {
  if (args.output !== undefined && args.format !== 'openmetrics') throw new UsageError('--output goes with --format openmetrics (other formats write to standard output)');
  if (args.output === '') throw new UsageError('--output needs a file name');
}

export async function writeOpenMetrics(nodes: NodeMetrics[], args: OpenMetricsArgs): Promise<void> {
  const text = renderOpenMetrics(nodes, { perInstance: args['per-instance'] ?? true });
  if (args.output !== undefined) await writeFileAtomic(args.output, text);
  else await writeOut(text);
}
