import { InputError } from '../../src/errors.js';
import { decodeProcess, resolvePid } from '../../src/dump/terms/index.js';
import { cutTakes, truncationHides } from '../../src/dump/truncation.js';
import { formatBytes } from '../../src/text/format.js';
import { procToJson, renderProcText } from '../../src/report/proc-text.js';
import { defineCommand, inputPath, runCommand, withCommonOptions, writeOut } from '../common.js';
import { readDumpWithProgress } from '../progress.js';
import { elixirFor } from '../syntax.js';
import { elixirStructs } from '../../src/elixir/detect.js';
import { elixirShapeRow } from '../../src/elixir/report.js';


const command = defineCommand({
  command: 'proc <dump> <process>',
  describe: 'One process in full: record, stack, dictionary, message shapes and samples, binaries held',
  builder: (y) =>
    withCommonOptions(y)
      .positional('dump', { type: 'string', demandOption: true, describe: 'erl_crash.dump (plain or gzip/zstd/xz, or - for stdin)' })
      .positional('process', { type: 'string', demandOption: true, describe: 'a pid such as <0.85.0> (or 0.85.0, pid(0,85,0)), or a registered name' })
      .option('samples', { type: 'number', default: 5, describe: 'messages to print in full' })
      .option('sharing', { type: 'boolean', default: true, describe: 'scan the other heaps to tell shared from exclusive binaries (--no-sharing skips it)' }),
  handler: (args) =>
    runCommand(async () => {
      const dump = await readDumpWithProgress(inputPath(args.dump));
      const wanted = String(args.process);
      // An Elixir name as Elixir writes it (MyApp.Repo, :logger) is found as the dump writes it, and
      // so is an atom given without the quotes the dump writes it with (Elixir.MyApp.Repo).
      const pid = resolvePid(dump, wanted) ?? resolvePid(dump, `'Elixir.${wanted}'`) ?? (wanted.startsWith(':') ? resolvePid(dump, wanted.slice(1)) : undefined)
        ?? (wanted.startsWith("'") ? undefined : resolvePid(dump, `'${wanted}'`));
      if (!pid) {
        // A dump cut in or before its =proc sections may have had it.
        const cut = cutTakes(truncationHides(dump), 'processes') ? ` (the dump is cut after ${formatBytes(dump.truncation.bytesRead)}, before the end of its processes)` : '';
        throw new InputError(`no process ${wanted} in ${args.dump}${cut}`);
      }
      const width = process.stdout.columns || 100;
      const ex = elixirFor(dump);
      const elixir = ex ? { isStruct: elixirStructs(dump), reason: ex.reason } : undefined;
      const exampleWidth = args.format === 'json' ? 500 : width;
      const detail = decodeProcess(dump, pid, {
        maxSamples: Math.max(0, args.samples),
        sampleWidth: args.format === 'json' ? 2000 : width * 2,
        exampleWidth,
        binarySharing: args.sharing,
        ...(elixir ? { timerShapeSyntax: (row) => elixirShapeRow(row, exampleWidth, elixir.isStruct) } : {}),
      });
      await writeOut(args.format === 'json'
        ? JSON.stringify(procToJson(detail, args.top, elixir), (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)
        : renderProcText(detail, { width, top: args.top, elixir }));
    }),
});

export default command;
