import { InputError } from '../../src/errors.js';
import { isLoopback, serveDump } from '../../src/serve/index.js';
import { defineCommand, inputPath, oneLine, runCommand, writeOut } from '../common.js';
import { readDumpWithProgress } from '../progress.js';
import { elixirFor } from '../syntax.js';

const command = defineCommand({
  command: 'serve <dump>',
  describe: 'Browse the whole dump in a local web page (loopback only unless --host; a token in the URL)',
  builder: (y) =>
    y
      .positional('dump', { type: 'string', demandOption: true, describe: 'erl_crash.dump (plain or gzip/zstd/xz, or - for stdin)' })
      .option('port', { type: 'number', default: 0, describe: 'port to listen on (0: a free one; the URL printed says which)' })
      .option('host', { type: 'string', describe: 'address to listen on (default 127.0.0.1); an address beyond this machine must be named here' }),
  handler: (args) =>
    runCommand(async () => {
      const port = args.port;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port takes a port number, 0 to 65535 (got ${String(port)})`);
      const dump = await readDumpWithProgress(inputPath(args.dump));
      let running;
      try {
        running = await serveDump(dump, { host: args.host, port, allowRemote: args.host !== undefined, elixir: elixirFor(dump) });
      } catch (e) {
        throw new InputError(`cannot listen on ${args.host ?? '127.0.0.1'}:${port}: ${(e as Error).message}`);
      }
      // The URL is the first line of stdout: scripts and tests read it from there.
      await writeOut(running.url);
      if (!isLoopback(running.address.address)) {
        process.stderr.write(`beamscope serve: listening on ${oneLine(running.address.address)}, beyond this machine: whoever has the URL can read the dump\n`);
      }
      process.stderr.write(`beamscope serve: ${oneLine(args.dump)}: ${dump.processes.count} processes; open the URL above (it carries the access token); Ctrl-C stops\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    }),
});

export default command;
