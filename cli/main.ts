// The command line: yargs and the commands (cli/bin.ts, the `beamscope` bin, runs this).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule } from 'yargs';
import { commandOf } from './argv.js';
import { EXIT, oneLine, protectStdinArgs } from './common.js';
import { type ColorMode, setColorMode, setReadCache, setReadThreads, setSpoolDir } from './progress.js';
import { packageVersion } from './version.js';
import { setSyntaxChoice } from './syntax-choice.js';
// One module per subcommand; each exports a yargs CommandModule as default. Only the command
// being run is loaded (with all of them for help and errors): loading every command's libraries
// costs more start-up time than reading a 100 MB dump.
// Each command's arguments are typed by its own builder (defineCommand checks the handler against
// it); this list only hands the modules to yargs, and yargs's Argv is invariant in its argument
// type, so the list erases it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
const LOADERS: Record<string, () => Promise<{ default: CommandModule<object, any> }>> = {
  triage: () => import('./commands/triage.js'),
  procs: () => import('./commands/procs.js'),
  report: () => import('./commands/report.js'),
  proc: () => import('./commands/proc.js'),
  alloc: () => import('./commands/alloc.js'),
  check: () => import('./commands/check.js'),
  trend: () => import('./commands/trend.js'),
  leak: () => import('./commands/leak.js'),
  diff: () => import('./commands/diff.js'),
  collect: () => import('./commands/collect.js'),
  index: () => import('./commands/index.js'),
  exporter: () => import('./commands/exporter.js'),
  serve: () => import('./commands/serve.js'),
};
const args = protectStdinArgs(hideBin(process.argv));
const requested = commandOf(args);
// `beamscope --version` alone needs no command (all of them loaded took 0.24 s against 0.16 s).
const versionOnly = requested === undefined && args.length === 1 && args[0] === '--version';
const wanted = requested !== undefined && requested in LOADERS ? [requested] : versionOnly ? [] : Object.keys(LOADERS);
const commands = (await Promise.all(wanted.map((name) => LOADERS[name]()))).map((m) => m.default);

const cli = yargs(args)
  .scriptName('beamscope')
  .usage('$0 <command> [options]\n\nMemory and crash-dump diagnostics for the Erlang VM.')
  .command(commands)
  .option('threads', {
    type: 'number',
    global: true,
    describe: 'threads reading a plain-file crash dump over 512 MiB (default: the cores, at most 4, where a sample of the file says it pays; 1 reads in one pass)',
    coerce: (n: number) => {
      if (!Number.isInteger(n) || n < 1) throw new Error('--threads takes a whole number, 1 or more');
      return n;
    },
  })
  .option('cache', {
    type: 'boolean',
    global: true,
    default: true,
    describe: 'use and keep an index of a plain-file crash dump beside it (DUMP.bsidx) or in ~/.cache/beamscope, so the next command skips the scan; --no-cache reads the dump afresh and saves nothing',
  })
  .option('color', {
    choices: ['auto', 'always', 'never'] as const,
    default: 'auto' as const,
    global: true,
    describe: 'colour in text output; auto: on a terminal, unless NO_COLOR is set (non-empty) or TERM=dumb; FORCE_COLOR turns it on',
  })
  .option('spool', {
    type: 'string',
    global: true,
    describe: 'directory for the temporary decompressed copy of a compressed dump or stdin, which lets heaps be decoded (default: the OS temporary directory; removed at exit)',
  })
  .option('syntax', {
    choices: ['auto', 'elixir', 'erlang'] as const,
    default: 'auto' as const,
    global: true,
    describe: 'names and terms in Elixir or Erlang syntax (triage, procs, proc, leak, report, serve); auto: Elixir for a node running Elixir (modules, names or atoms Elixir.*). JSON keeps the Erlang values and adds `elixir` fields',
  })
  .middleware((argv) => {
    setSyntaxChoice(argv.syntax as 'auto' | 'elixir' | 'erlang');
    setReadThreads(argv.threads as number | undefined);
    setSpoolDir(argv.spool as string | undefined);
    setReadCache(argv.cache !== false);
    setColorMode(argv.color as ColorMode);
  })
  .completion('completion', 'print a bash/zsh completion script (beamscope completion >> ~/.bashrc)')
  .demandCommand(1, '')
  .strict()
  .wrap(Math.min(100, process.stdout.columns || 100))
  .fail((msg, err) => {
    // Validation and coercion errors (err is yargs's own) are usage errors like msg-only ones:
    // one line, no stack trace. `check` maps them to UNKNOWN (3); everything else exits 2.
    const command = commandOf(args);
    if (command === undefined) {
      // `beamscope` alone: what it does and its commands, not an error message.
      cli.showHelp((s) => process.stderr.write(`${s}\n`));
      process.exit(EXIT.usage);
    }
    const isCheck = command === 'check';
    const text = oneLine(msg || err?.message || 'usage error');
    // A monitoring agent reads stdout: the plugin's UNKNOWN line goes there too.
    if (isCheck) process.stdout.write(`BEAMSCOPE UNKNOWN - ${text}\n`);
    process.stderr.write(`beamscope: ${text}${isCheck ? '' : ' (see beamscope --help)'}\n`);
    process.exit(isCheck ? 3 : EXIT.usage);
  })
  .help()
  .version(packageVersion());

// yargs lays out the whole help text after a command's handler has started, to cache it for a
// later showHelp(): 20-40 ms on the thread that is reading the dump. Nothing here shows help after
// a command ran (`--help` is laid out when asked for, and .fail() prints one line), so the cache
// is left empty. getInternalMethods is not in yargs's typings: without it, nothing changes.
type Usage = { cacheHelpMessage?: () => void };
const usage = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.().getUsageInstance?.();
if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};

await cli.parseAsync();
