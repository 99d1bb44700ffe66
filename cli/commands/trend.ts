import { dropTwins, expandInputs, loadInput } from '../../src/check/input.js';
import { parseByteSize } from '../../src/check/size.js';
import { UsageError } from '../../src/errors.js';
import { renderTrendText } from '../../src/report/trend-text.js';
import { trendReport } from '../../src/trend/index.js';
import { defineCommand, runCommand, stdinArgs, withCommonOptions, writeOut } from '../common.js';
import { useColor } from '../progress.js';
import { MiB } from '../../src/text/units.js';


const command = defineCommand({
  command: 'trend [input..]',
  describe: 'Allocator snapshots over time: table and charts per allocator type, steady growth and the Logplex pattern',
  builder: (y) =>
    withCommonOptions(y)
      .positional('input', {
        type: 'string',
        array: true,
        describe: 'recon_alloc snapshots, beamscope JSON or crash dumps: files, directories or glob patterns; - for stdin',
      })
      .option('height', { type: 'number', default: 10, describe: 'chart height in rows' })
      .option('width', { type: 'number', describe: 'chart width in columns (default: the terminal width, else 80)' })
      .option('type', { type: 'string', describe: 'allocator type to show, e.g. binary_alloc (repeatable; default: types reaching --min-bytes, up to --top)' })
      .option('min-bytes', { type: 'string', describe: 'types must reach this many bytes to be shown or flagged (default 8MiB)' }),
  handler: (args) =>
    runCommand(async () => {
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
      if (!Number.isInteger(args.height) || args.height < 2 || args.height > 100) throw new UsageError(`--height must be a whole number from 2 to 100 (got ${String(args.height)})`);
      if (args.width !== undefined && (!Number.isInteger(args.width) || args.width < 30)) throw new UsageError(`--width must be a whole number of at least 30 (got ${String(args.width)})`);
      if (!Number.isInteger(args.top) || args.top < 1) throw new UsageError(`--top must be a positive integer (got ${String(args.top)})`);
      const minBytes = args['min-bytes'] === undefined ? 8 * MiB : parseByteSize(args['min-bytes'], '--min-bytes');
      if (stdinArgs(args.input).length === 0) throw new UsageError('name the snapshots: files, a directory, a glob, or - for stdin');
      // A directory (or glob) of snapshots with their JSON forms beside them holds each sample twice.
      const { kept: paths, twins } = dropTwins(await expandInputs(stdinArgs(args.input)));
      const loaded = [];
      for (const p of paths) loaded.push(await loadInput(p));
      const report = trendReport(loaded, { minBytes, twins });
      const types = args.type === undefined ? undefined : (Array.isArray(args.type) ? args.type : [args.type]).flatMap((t) => t.split(',')).map((t) => t.trim());
      if (types) {
        const known = new Set(report.types.map((t) => t.type));
        const unknown = types.filter((t) => !known.has(t));
        if (unknown.length) throw new UsageError(`--type ${unknown.join(', ')}: not in these snapshots (they have ${[...known].join(', ')})`);
      }
      if (args.format === 'json') await writeOut(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
      else
        await writeOut(
          renderTrendText(report, {
            width: args.width ?? (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80,
            height: args.height,
            color: useColor(),
            types,
            top: args.top,
            minBytes,
          }),
        );
    }),
});

export default command;
