import { procsReport } from '../../src/usecases/procs.js';
import { renderProcsText } from '../../src/report/procs-text.js';
import { defineCommand, inputPath, runCommand, toJson, withCommonOptions, writeOut } from '../common.js';
import { readDumpWithProgress } from '../progress.js';
import { elixirFor } from '../syntax.js';


const command = defineCommand({
  command: 'procs <dump>',
  describe: 'Processes of a crash dump sorted by one measure, or grouped',
  builder: (y) =>
    withCommonOptions(y)
      .positional('dump', { type: 'string', demandOption: true, describe: 'erl_crash.dump (plain or gzip/zstd/xz), or - for stdin' })
      .option('sort', { choices: ['mailbox', 'memory', 'binary', 'reductions'] as const, default: 'memory' as const, describe: 'what to sort processes (or groups) by' })
      .option('group-by', { choices: ['name', 'initial-call', 'ancestor'] as const, describe: 'group processes: by registered-name pattern, real initial call, or first ancestor (supervisor)' })
      .option('decode', { type: 'boolean', default: true, describe: 'decode dictionaries for real initial calls and ancestors' }),
  handler: (args) =>
    runCommand(async () => {
      const dump = await readDumpWithProgress(inputPath(args.dump));
      const report = procsReport(dump, { sort: args.sort, groupBy: args.groupBy, top: args.top, decode: args.decode, elixir: elixirFor(dump) });
      await writeOut(args.format === 'json' ? toJson(report) : renderProcsText(report, process.stdout.columns || 100));
    }),
});

export default command;
