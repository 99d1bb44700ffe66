#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule } from 'yargs';
import { EXIT, oneLine } from './common.js';
import triage from './commands/triage.js';
import alloc from './commands/alloc.js';
import proc from './commands/proc.js';
import procs from './commands/procs.js';
import check from './commands/check.js';
import trend from './commands/trend.js';
import leak from './commands/leak.js';
import diff from './commands/diff.js';
import collect from './commands/collect.js';

// One module per subcommand; each exports a yargs CommandModule as default.
const commands: CommandModule<any, any>[] = [triage, procs, proc, alloc, check, trend, leak, diff, collect];

const cli = yargs(hideBin(process.argv))
  .scriptName('beamscope')
  .usage('$0 <command> [options]\n\nMemory and crash-dump diagnostics for the Erlang VM.')
  .command(commands)
  .demandCommand(1, 'Name a command; see --help.')
  .strict()
  .wrap(Math.min(100, process.stdout.columns || 100))
  .fail((msg, err) => {
    // Validation and coercion errors (err is yargs's own) are usage errors like msg-only ones:
    // one line, no stack trace. `check` maps them to UNKNOWN (3); everything else exits 2.
    const isCheck = process.argv.slice(2).find((a) => !a.startsWith('-')) === 'check';
    const text = oneLine(msg ?? err?.message ?? 'usage error');
    // A monitoring agent reads stdout: the plugin's UNKNOWN line goes there too.
    if (isCheck) process.stdout.write(`BEAMSCOPE UNKNOWN - ${text}\n`);
    process.stderr.write(`beamscope: ${text}${isCheck ? '' : ' (see beamscope --help)'}\n`);
    process.exit(isCheck ? 3 : EXIT.usage);
  })
  .help()
  .version();

await cli.parseAsync();
