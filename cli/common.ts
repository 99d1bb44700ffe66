import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError, UsageError } from '../src/errors.js';

/** Options every command takes. */
export interface CommonArgs {
  format: 'text' | 'json';
  top: number;
}

export function withCommonOptions<T>(y: Argv<T>) {
  return y
    .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
    .option('top', {
      type: 'number',
      default: 10,
      describe: 'bound every list to N rows',
      coerce: (n: number) => {
        if (!Number.isInteger(n) || n < 0) throw new Error('--top takes a whole number of rows (0 or more)');
        return n;
      },
    });
}

/**
 * A subcommand whose arguments are typed by its own builder: the handler sees exactly the options
 * and positionals the builder declares (with their types, defaults and choices), so no hand-written
 * argument interface can drift from them.
 */
export function defineCommand<U>(c: {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<U>;
  handler: (args: ArgumentsCamelCase<U>) => void | Promise<void>;
}): CommandModule<object, U> {
  return c;
}

/** Exit codes of every command but `check` (which follows the monitoring-plugin convention). */
export const EXIT = { ok: 0, input: 1, usage: 2 } as const;

/**
 * Runs a command body: known errors become one line on stderr and an exit code, never a stack
 * trace. Anything else is a bug, reported as such (still one line unless BEAMSCOPE_DEBUG is set).
 */
export async function runCommand(body: () => Promise<number | void>, codes: { input: number; usage: number } = EXIT): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (e) {
    process.exitCode = reportError(e, codes);
  }
}

export function reportError(e: unknown, codes: { input: number; usage: number } = EXIT): number {
  if (e instanceof UsageError) {
    process.stderr.write(`beamscope: ${oneLine(e.message)}\n`);
    return codes.usage;
  }
  if (e instanceof InputError) {
    process.stderr.write(`beamscope: ${oneLine(e.message)}\n`);
    return codes.input;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.syscall) {
    process.stderr.write(`beamscope: ${oneLine(err.message)}\n`);
    return codes.input;
  }
  if (process.env.BEAMSCOPE_DEBUG) console.error(e);
  process.stderr.write(`beamscope: internal error: ${oneLine(String((e as Error)?.message ?? e))} (set BEAMSCOPE_DEBUG=1 for details)\n`);
  return codes.input;
}

/** Control characters and line breaks out, cut to a screen line or so. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/ *[\u0000-\u001f\u007f-\u009f]+ */g, ' ').slice(0, 500);
}

/**
 * Writes all of `text` to stdout and resolves when it is flushed (pipes may be slow). A reader
 * that went away (`beamscope triage dump | head`) is not an error: stop quietly.
 */
export function writeOut(text: string): Promise<void> {
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return new Promise((resolve) => {
    if (process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

/**
 * What a lone "-" on the command line becomes before yargs parses it (main.ts). yargs reads a lone
 * "-" as an option with no name: it drops it from a variadic positional (`leak - after.jsonl`) and
 * passes "" for a single one. This token is kept in place like any other value; no real argument
 * can hold a NUL. inputPath and stdinArgs turn it back into "-".
 */
export const STDIN_TOKEN = '\u0000stdin';

/** The command line with each lone "-" as STDIN_TOKEN (after `--`, arguments are left as they are). */
export function protectStdinArgs(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => (a === '-' && (end < 0 || i < end) ? STDIN_TOKEN : a));
}

/** Positional inputs with STDIN_TOKEN back as "-". */
export function stdinArgs(inputs: readonly string[] | undefined): string[] {
  return (inputs ?? []).map((a) => (a === STDIN_TOKEN ? '-' : String(a)));
}

/**
 * A positional input path: "-" (STDIN_TOKEN, or "" or nothing) is standard input; a file cannot be
 * named "". Reading a dump from a terminal is a usage error.
 */
export function inputPath(value: string | undefined): string {
  const path = value === '' || value === undefined || value === STDIN_TOKEN ? '-' : value;
  if (path === '-' && process.stdin.isTTY) throw new UsageError('"-" reads the input from standard input; pipe a file into it');
  return path;
}

/** JSON for programs: NaN and Infinity (numbers the input does not have) become null, BigInt a string. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    if (typeof v === 'bigint') return v.toString();
    return v;
  }, 2);
}
