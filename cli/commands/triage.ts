import type { TriageReport } from '../../src/dump/analyze/report-types.js';
import { renderTriageText } from '../../src/report/triage-text.js';
import { defineCommand, inputPath, runCommand, toJson, withCommonOptions, writeOut } from '../common.js';
import { readDumpWithProgress, useColor } from '../progress.js';
import { savedResult } from '../saved-results.js';
import { MiB } from '../../src/text/units.js';

const command = defineCommand({
  command: 'triage <dump>',
  describe: 'The on-call report for a crash dump: why it died, where the memory was, who stands out',
  builder: (y) =>
    withCommonOptions(y)
      .positional('dump', { type: 'string', demandOption: true, describe: 'erl_crash.dump (plain or gzip/zstd/xz), or - for stdin' })
      .option('decode', { type: 'boolean', default: true, describe: 'decode the heaps of the mailbox outliers (message shapes, ancestors); --no-decode skips it' })
      .option('decode-budget', { type: 'number', default: 256, describe: 'MiB of process heaps triage may read for message shapes (the first messages of a queue are near the start of its heap); shapes beyond are left to `beamscope proc`' }),
  handler: (args) =>
    runCommand(async () => {
      const path = inputPath(args.dump);
      // The report of an earlier triage of this unchanged dump with these options (and this build),
      // saved with its index: printed without reading the dump again.
      const saved = savedResult<TriageReport>('triage', path, { top: args.top, decode: args.decode, decodeBudget: args.decodeBudget });
      let report = saved?.get();
      if (!report) {
        // Loaded only now: a saved report needs neither the analyses nor the Elixir detection.
        const [{ triageDump }, { elixirFor }] = await Promise.all([import('../../src/usecases/triage.js'), import('../syntax.js')]);
        const dump = await readDumpWithProgress(path);
        report = triageDump(dump, { top: args.top, decode: args.decode, decodeBudgetBytes: args.decodeBudget * MiB, elixir: elixirFor(dump) });
        saved?.put(dump, report);
      }
      await writeOut(args.format === 'json' ? toJson(report) : renderTriageText(report, { color: useColor(), width: process.stdout.columns || 100 }));
    }),
});

export default command;
