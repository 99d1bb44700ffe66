/**
 * An input that cannot be read or is not what the command takes. The CLI prints `message` as one
 * line on stderr and exits 1 (3 for `check`); it is never a bug, so no stack trace.
 */
export class InputError extends Error {
  constructor(message: string, readonly path?: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A usage error in the command line: exit 2 (3 for `check`). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An input file that cannot be opened or read, as one line: `PATH: cannot read: no such file`. */
export function cannotRead(path: string, e: unknown): InputError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return new InputError(`${path}: cannot read: ${why}`, path);
}
