/** Global options that take a value: their value is not the command's name. */
const GLOBAL_VALUES = new Set(['--threads', '--color', '--syntax', '--spool']);

/** Where the command is named on the command line (global options may come before it), or -1. */
export function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    if (GLOBAL_VALUES.has(argv[i])) i++;
    else if (!argv[i].startsWith('-')) return i;
  }
  return -1;
}

/** The command named on the command line. */
export function commandOf(argv: readonly string[]): string | undefined {
  const i = commandIndex(argv);
  return i < 0 ? undefined : argv[i];
}
