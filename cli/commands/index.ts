import { readDump } from '../../src/dump/reader.js';
import { removeIndex, savedIndexOf, type IndexResult } from '../../src/dump/index-file.js';
import { InputError } from '../../src/errors.js';
import { formatCount, sanitize } from '../../src/text/format.js';
import { defineCommand, inputPath, runCommand, toJson, writeOut } from '../common.js';
import { progressReporter, spoolOption } from '../progress.js';


/**
 * `beamscope index <dump>`: builds the saved index ahead of time (every other command on a dump
 * file saves one on its first read anyway), so that the first command run in an incident is
 * already instant. A gzip dump's index keeps restart points (src/dump/gzip-seek.ts): later
 * commands inflate only the parts they read. A zstd or xz dump has none (zstd writes one frame,
 * whose decoder's state is not 32 KiB of output as deflate's is): later commands decompress it
 * whole again, on a core of its own, but do not scan it.
 */
const command = defineCommand({
  command: 'index <dump>',
  describe: 'Build the saved index of a crash dump ahead of time, so later commands skip the scan',
  builder: (y) =>
    y
      .positional('dump', { type: 'string', demandOption: true, describe: 'erl_crash.dump (a plain, gzip, zstd or xz file; not stdin)' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
      .option('rebuild', { type: 'boolean', default: false, describe: 'scan the dump again even when a valid index exists' }),
  handler: (args) =>
    runCommand(async () => {
      const path = inputPath(args.dump);
      if (path === '-') throw new InputError('stdin cannot be indexed: the index records where sections lie in a file', '-');
      if (args.rebuild) removeIndex(path);
      const started = process.hrtime.bigint();
      // Up to date: said without reading the dump (a zstd one would be decompressed whole first).
      const known = args.rebuild ? undefined : savedIndexOf(path);
      let event: { kind: 'loaded' | 'saved'; file: string } | undefined = known && { kind: 'loaded', file: known.from };
      let dump = known?.dump;
      if (!dump) {
        const progress = progressReporter('indexing');
        try {
          dump = await readDump(path, { cache: true, spool: spoolOption(), onProgress: progress.onProgress, onIndex: (kind, file) => { event = { kind, file }; } });
        } finally {
          progress.done();
        }
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const packed = dump.source.compression;
      const result: IndexResult = {
        schemaVersion: 1,
        dump: path, index: event?.file ?? null, status: event ? (event.kind === 'loaded' ? 'up to date' : 'built') : 'not saved',
        sections: dump.index.size + dump.binaries.count, processes: dump.processes.count, binaries: dump.binaries.count, seconds,
      };
      if (args.format === 'json') await writeOut(toJson(result));
      else if (!event) {
        await writeOut(`${sanitize(path)}: read in ${seconds.toFixed(2)} s, but the index could not be saved beside it or in the cache directory\n`);
        return 1;
      } else {
        await writeOut(`${sanitize(path)}: index ${result.status} in ${seconds.toFixed(2)} s: ${sanitize(event.file)}\n` +
          `  ${formatCount(result.sections)} sections, ${formatCount(result.processes)} processes, ${formatCount(result.binaries)} binaries\n` +
          (packed !== undefined && packed !== 'gzip' ? `  a ${packed} dump has no restart points: later commands decompress it whole again, but do not scan it (a plain or gzip copy is read only where needed)\n` : ''));
      }
      return event ? 0 : 1;
    }),
});

export default command;
