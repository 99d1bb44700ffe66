import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readAllocatorInput, readHead, sniffInput } from '../../src/alloc/read.js';
import { dropTwins, expandInputs, loadInput } from '../../src/check/input.js';
import { UsageError } from '../../src/errors.js';
import { renderAllocReportPage } from '../../src/report/html/alloc-page.js';
import { renderDumpReportPage } from '../../src/report/html/dump-page.js';
import { renderTrendReportPage } from '../../src/report/html/trend-page.js';
import { trendReport } from '../../src/trend/index.js';
import { allocReportData, dumpReportData } from '../../src/usecases/report.js';
import { formatBytes } from '../../src/text/format.js';
import { MiB } from '../../src/text/units.js';
import { defineCommand, runCommand, stdinArgs, writeOut } from '../common.js';
import { writeFileAtomic } from '../output-file.js';
import { readDumpWithProgress } from '../progress.js';
import { elixirFor } from '../syntax.js';

const command = defineCommand({
  command: 'report <input..>',
  describe: 'An incident report in one self-contained HTML file: findings, memory, mailboxes, processes, allocators (of a dump, a snapshot or a trend series)',
  builder: (y) =>
    y
      .positional('input', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'erl_crash.dump (plain or gzip/zstd/xz, or - for stdin); an allocator snapshot; several snapshots, a directory or a glob: a trend',
      })
      .option('output', { alias: 'o', type: 'string', describe: 'the HTML file to write (default: INPUT.html beside the input; - for stdout)' })
      .option('decode-budget', { type: 'number', default: 256, describe: 'MiB of process heaps read for message shapes (as triage)' }),
  handler: (args) =>
    runCommand(async () => {
      const inputs = stdinArgs(args.input);
      if (inputs.length === 0) throw new UsageError('name a crash dump, an allocator snapshot, or several snapshots');
      if (inputs.length === 1 && inputs[0] === '-' && process.stdin.isTTY) throw new UsageError('"-" reads the input from standard input; pipe a file into it');
      const paths = inputs.length === 1 && inputs[0] === '-' ? ['-'] : dropTwins(await expandInputs(inputs)).kept;
      let html: string;
      let defaultOut: string | undefined;
      if (paths.length > 1) {
        const loaded = [];
        for (const p of paths) loaded.push(await loadInput(p));
        html = renderTrendReportPage({ kind: 'trend', trend: trendReport(loaded, { minBytes: 8 * MiB }) }).html;
        const first = paths.find((p) => p !== '-');
        defaultOut = first ? join(dirname(first), 'beamscope-trend.html') : undefined;
      } else {
        const path = paths[0];
        const isDump = path === '-' || sniffInput(await readHead(path)) === 'crash-dump';
        if (isDump) {
          const dump = await readDumpWithProgress(path);
          html = renderDumpReportPage(dumpReportData(dump, { top: 10, decodeBudgetBytes: args.decodeBudget * MiB, elixir: elixirFor(dump) })).html;
        } else {
          const { model } = await readAllocatorInput(path);
          html = renderAllocReportPage(allocReportData(model), path).html;
        }
        defaultOut = path === '-' ? undefined : `${path}.html`;
      }
      // protectStdinArgs turned a lone "-" into its token: `-o -` is stdout.
      const out = args.output === undefined ? (defaultOut ?? '-') : stdinArgs([args.output])[0];
      if (out === '-') {
        await writeOut(html);
        return;
      }
      if ((await stat(out).catch(() => undefined))?.isDirectory()) throw new UsageError(`-o ${out}: a directory; name the HTML file`);
      await writeFileAtomic(out, html);
      await writeOut(`${out} (${formatBytes(Buffer.byteLength(html))}): open it in a browser`);
    }),
});

export default command;
