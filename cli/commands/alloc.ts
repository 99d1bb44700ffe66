import { allocReport } from '../../src/alloc/report.js';
import { readAllocatorInput, readHead } from '../../src/alloc/read.js';
import { contentNode } from '../../src/check/input-facts.js';
import { UsageError } from '../../src/errors.js';
import { nodeMetricsOf } from '../../src/exporter/node-metrics.js';
import { renderAllocText } from '../../src/report/alloc-text.js';
import { defineCommand, inputPath, runCommand, withCommonOptions, writeOut } from '../common.js';
import { checkOpenMetricsArgs, openMetricsOutputOptions, writeOpenMetrics } from '../openmetrics.js';
import { useColor } from '../progress.js';

const command = defineCommand({
  command: 'alloc <input>',
  describe: "recon_alloc's views and a fragmentation verdict from a crash dump, a recon_alloc snapshot, system_info output or JSON",
  builder: (y) =>
    openMetricsOutputOptions(withCommonOptions(y))
      .option('format', { choices: ['text', 'json', 'openmetrics'] as const, default: 'text' as const, describe: 'output format (openmetrics: Prometheus / node_exporter textfile collector)' })
      .positional('input', {
        type: 'string',
        demandOption: true,
        describe: 'erl_crash.dump (plain or gzip/zstd/xz), recon_alloc snapshot, printed system_info({allocator, A}), beamscope JSON, or - for stdin',
      })
      .option('view', {
        choices: ['memory', 'fragmentation', 'cache', 'blocks', 'sbcs'] as const,
        describe: 'print one recon_alloc view: memory/1, fragmentation/1, cache_hit_rates/0, average_block_sizes/1, sbcs_to_mbcs/1',
      }),
  handler: (args) =>
    runCommand(async () => {
      // `beamscope alloc x | head`: a closed pipe is the reader being done, not an error.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
      checkOpenMetricsArgs(args);
      if (!Number.isInteger(args.top) || args.top < 1) throw new UsageError(`--top must be a positive integer (got ${String(args.top)})`);
      const { model } = await readAllocatorInput(inputPath(args.input));
      const report = allocReport(model, { top: args.top });
      if (args.format === 'openmetrics') {
        const path = inputPath(args.input);
        // The node label: the node the snapshot names (collect's files), else the file's name.
        const node = path === '-' ? undefined : contentNode((await readHead(path)).toString('latin1'));
        const input = { path, name: path === '-' ? 'stdin' : path, kind: 'json' as const, model, ...(node ? { node } : {}) };
        await writeOpenMetrics(nodeMetricsOf([input], undefined, args['node-label']), args);
      } else if (args.format === 'json') {
        // The recon object keeps every row (it must match recon's answers); --top bounds the rest.
        await writeOut(JSON.stringify(report, jsonReplacer, 2));
      } else {
        await writeOut(renderAllocText(report, { view: args.view, top: args.top, color: useColor() }));
      }
    }),
});

/** NaN (recon would have crashed: blocks in no carriers) is not JSON: null. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export default command;
