import type { Readable } from 'node:stream';
import { InputError, UsageError } from '../../src/errors.js';
import { detectInput, isDumpFormat, peekFile } from '../../src/input/index.js';
import { compareSnapshots, dumpLeakReport, openSnapshot, snapshotHolders } from '../../src/leak/index.js';
import { renderDumpLeakText, renderSnapshotHoldersText, renderSnapshotLeakText } from '../../src/report/leak-text.js';
import { defineCommand, inputPath, runCommand, stdinArgs, withCommonOptions, writeOut } from '../common.js';
import { progressReporter, readDumpWithProgress, useColor } from '../progress.js';
import { elixirFor } from '../syntax.js';
import { addElixirToDumpLeak } from '../../src/elixir/report.js';
import { STDIN_FILE, stdinAfter, stdinHead, stdinKind } from '../../src/dump/stdin.js';


type Kind = 'dump' | 'snapshot';

/** A crash dump (plain or compressed) or a process snapshot (JSON lines or a JSON array)? src/input says. */
async function kindOf(path: string): Promise<Kind> {
  if (path === '-') return (await stdinDump()) ? 'dump' : 'snapshot';
  const facts = detectInput((await peekFile(path)).head);
  // A compressed file is taken for a dump (the dump reader judges it): snapshots are read plain.
  if (isDumpFormat(facts.format)) return 'dump';
  if (facts.opener) return 'snapshot';
  throw new InputError(`${path}: neither a crash dump nor a process snapshot (JSON lines or a JSON array, see docs/leak.md)`, path);
}

/**
 * Whether standard input holds a crash dump (plain or compressed), told by its first bytes where
 * they can be looked at (a pipe or a file: src/dump/stdin.ts); else it is taken for a snapshot.
 */
async function stdinDump(): Promise<boolean> {
  const kind = stdinKind();
  if (kind === 'stream') return false;
  const head = kind === 'regular' ? (await peekFile(STDIN_FILE)).head : await stdinHead();
  return isDumpFormat(detectInput(head).format);
}

/** A snapshot on standard input, from its first byte (stdinDump may have read the first ones). */
async function stdinSnapshot(): Promise<Readable> {
  return stdinKind() === 'pipe' || stdinKind() === 'polled' ? stdinAfter(await stdinHead()) : process.stdin;
}

const command = defineCommand({
  command: 'leak <inputs..>',
  describe: 'Refc binary leaks: holders and stale references in a dump; bin_leak deltas and growth between two process snapshots',
  builder: (y) =>
    withCommonOptions(y)
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'one erl_crash.dump (plain or gzip/zstd/xz); or one process snapshot (top holders); or two, <before> <after> (JSONL or JSON array; "-" reads one from stdin as JSONL)' })
      .option('stale-min-bytes', { type: 'number', describe: 'flag stale estimates from this many bytes (default 524288)' })
      .option('stale-min-share', { type: 'number', describe: 'and this share of =memory binary (default 0.05)' })
      .example('$0 leak erl_crash.dump', 'who holds binaries, and what a GC would free')
      .example('$0 leak snapshot.jsonl', 'who references the most binary bytes and references')
      .example('$0 leak before.jsonl after.jsonl --top 20', 'recon bin_leak deltas (snapshots before and after a GC) or growth'),
  handler: (args) =>
    runCommand(async () => {
      const inputs = stdinArgs(args.inputs).map((x) => inputPath(x));
      if (inputs.length === 0 || inputs.length > 2) throw new UsageError('leak takes one crash dump, one process snapshot, or two (before and after)');
      if (inputs.filter((x) => x === '-').length > 1) throw new UsageError('only one input can be "-" (stdin)');
      const top = Math.max(0, Math.floor(Number(args.top)));
      if (!Number.isFinite(top)) throw new UsageError('--top takes a number');
      const kinds = await Promise.all(inputs.map(kindOf));
      const textOpts = { color: useColor(), width: process.stdout.columns || 100 };
      if (inputs.length === 1) {
        if (kinds[0] !== 'dump') {
          const snap = await openSnapshot(inputs[0], inputs[0] === '-' ? await stdinSnapshot() : undefined);
          const report = await snapshotHolders(snap, { top });
          await writeOut(args.format === 'json' ? JSON.stringify(report, null, 2) : renderSnapshotHoldersText(report, textOpts));
          return 0;
        }
        const dump = await readDumpWithProgress(inputs[0]);
        const scanProgress = progressReporter('scanning heaps');
        let report;
        try {
          report = dumpLeakReport(dump, {
            top,
            onProgress: scanProgress.onProgress,
            thresholds: {
              ...(args['stale-min-bytes'] !== undefined ? { staleMinBytes: args['stale-min-bytes'] } : {}),
              ...(args['stale-min-share'] !== undefined ? { staleMinShare: args['stale-min-share'] } : {}),
            },
          });
        } finally {
          scanProgress.done();
        }
        const ex = elixirFor(dump);
        if (ex) addElixirToDumpLeak(report, ex.reason);
        await writeOut(args.format === 'json' ? JSON.stringify(report, null, 2) : renderDumpLeakText(report, textOpts));
        return 0;
      }
      if (kinds[0] !== kinds[1]) throw new UsageError('leak compares two process snapshots; a crash dump goes alone (beamscope leak <dump>)');
      if (kinds[0] === 'dump') throw new UsageError('two crash dumps: use beamscope diff <dumpA> <dumpB>');
      const before = await openSnapshot(inputs[0], inputs[0] === '-' ? await stdinSnapshot() : undefined);
      const after = await openSnapshot(inputs[1], inputs[1] === '-' ? await stdinSnapshot() : undefined);
      const report = await compareSnapshots(before, after, { top });
      await writeOut(args.format === 'json' ? JSON.stringify(report, null, 2) : renderSnapshotLeakText(report, textOpts));
      return 0;
    }),
});

export default command;
