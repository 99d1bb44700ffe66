import { diffDumps, procLibInitialCalls } from '../../src/leak/index.js';
import { renderDiffText } from '../../src/report/leak-text.js';
import { UsageError } from '../../src/errors.js';
import { defineCommand, inputPath, runCommand, withCommonOptions, writeOut } from '../common.js';
import { readDumpWithProgress, useColor } from '../progress.js';


const command = defineCommand({
  command: 'diff <dumpA> <dumpB>',
  describe: 'What grew between two dumps of the same node: memory by kind, process groups, ETS, binaries, atoms, allocator carriers',
  builder: (y) =>
    withCommonOptions(y)
      .positional('dumpA', { type: 'string', demandOption: true, describe: 'the earlier erl_crash.dump (plain or gzip/zstd/xz)' })
      .positional('dumpB', { type: 'string', demandOption: true, describe: 'the later one' }),
  handler: (args) =>
    runCommand(async () => {
      const a = inputPath(String(args.dumpA));
      const b = inputPath(String(args.dumpB));
      if (a === '-' && b === '-') throw new UsageError('only one dump can be "-" (stdin)');
      const top = Math.max(0, Math.floor(Number(args.top)));
      const dumpA = await readDumpWithProgress(a, `reading ${a}`);
      const dumpB = await readDumpWithProgress(b, `reading ${b}`);
      const ia = procLibInitialCalls(dumpA);
      const ib = procLibInitialCalls(dumpB);
      const notes = [ia.note, ib.note].filter((n): n is string => n !== undefined);
      const report = diffDumps(dumpA, dumpB, { top, initialCalls: { a: ia.calls, b: ib.calls }, notes });
      await writeOut(args.format === 'json' ? JSON.stringify(report, null, 2) : renderDiffText(report, { color: useColor(), width: process.stdout.columns || 100, top }));
      return 0;
    }),
});

export default command;
