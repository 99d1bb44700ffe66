import type { Bytes } from '../types.js';

/** What the slogan says about why the node died. */
export type SloganCause =
  | { kind: 'out_of_memory'; allocator: string; requestBytes: Bytes; memoryType: string; operation: 'allocate' | 'reallocate' }
  | { kind: 'system_limit'; limit: 'atoms' | 'processes' | 'ports' | 'ets' | 'exports' | 'modules' | 'other'; table?: string; max?: number; text: string }
  | { kind: 'signal'; signal: string }
  | {
      kind: 'kernel_pid_terminated';
      who: string;
      reason: string;
      /** The application that failed to start (`start_failure`) or, being permanent, stopped (`terminated`). */
      application?: string;
      event?: 'start_failure' | 'terminated';
      /** For `terminated`: the application's exit reason (`shutdown`, `killed`, ...). */
      exitReason?: string;
      cut?: true;
    }
  | { kind: 'boot_failure'; phase: 'do_boot' | 'runtime_boot' | 'kernel_pid_start'; reason: string; who?: string; configFile?: ConfigFileError; cut?: true }
  /** The helper that forks port programs went away (`erl_child_setup closed`, or a read error with its errno). */
  | { kind: 'child_setup'; errno?: number }
  | { kind: 'user_requested' }
  | { kind: 'halt'; text: string };

/** `error in config file "PATH" (LINE): MESSAGE`, as the application controller reports a bad sys.config. */
export interface ConfigFileError {
  path: string;
  /** The line, or `none` when the error is about the whole file. */
  line: string;
  message: string;
}

const OOM = /^\s*(\w+): Cannot (allocate|reallocate) (\d+) bytes of memory \(of type "([^"]*)"\)/;
const INDEX_FULL = /no more index entries in (\w+) \(max=(\d+)\)/;
const TABLE_LIMIT: Record<string, 'atoms' | 'exports' | 'modules' | 'other'> = {
  atom_tab: 'atoms', export_list: 'exports', module_code: 'modules',
};

function cut(closing: string | undefined): { cut?: true } {
  return closing === undefined ? { cut: true } : {};
}

/** An undefined function in a boot or start reason (`{undef,[{M,F,Args,_}|_]}`): `M:F/Arity`, or `M:F` when the arguments are elided. */
export function undefinedFunction(reason: string): string | undefined {
  const m = /^\{undef,\[\{('(?:[^'\\]|\\.)*'|[\w@.]+),('(?:[^'\\]|\\.)*'|[\w@]+),(\[\]|\d+|\[)/.exec(reason);
  if (!m) return undefined;
  return `${m[1]}:${m[2]}${m[3] === '[]' ? '/0' : m[3] === '[' ? '' : `/${m[3]}`}`;
}

/**
 * The boot file init could not read, from `{'cannot get bootfile', Path}` (OTP 25 and older print it
 * without quotes: `{cannot get bootfile,/path/start.boot}`), or undefined.
 */
export function missingBootFile(reason: string): string | undefined {
  return /^\{'?cannot get bootfile'?,'?([^'}]*)'?\}/.exec(reason)?.[1];
}

/** Decodes the slogan; anything not recognised is a custom `erlang:halt/1` text. */
export function decodeSlogan(slogan: string): SloganCause {
  const s = slogan.trim();
  let m = OOM.exec(s);
  if (m) return { kind: 'out_of_memory', allocator: m[1], operation: m[2] as 'allocate' | 'reallocate', requestBytes: Number(m[3]), memoryType: m[4] };
  m = INDEX_FULL.exec(s);
  if (m) return { kind: 'system_limit', limit: TABLE_LIMIT[m[1]] ?? 'other', table: m[1], max: Number(m[2]), text: s };
  if (/too many processes/i.test(s)) return { kind: 'system_limit', limit: 'processes', text: s };
  if (/too many (open )?ports|port table/i.test(s)) return { kind: 'system_limit', limit: 'ports', text: s };
  if (/too many (ets|db) tables|system limit.*ets/i.test(s)) return { kind: 'system_limit', limit: 'ets', text: s };
  m = /^Received (SIG\w+)/.exec(s);
  if (m) return { kind: 'signal', signal: m[1] };
  // Before OTP 25 the VM cut slogans to about 200 characters, so a long reason has no closing parenthesis.
  m = /^Kernel pid terminated \(([^)]*)\) \(([\s\S]*?)(\))?$/.exec(s);
  if (m) {
    const start = /application_start_failure,'?([\w@.-]+)'?/.exec(m[2]);
    if (start) return { kind: 'kernel_pid_terminated', who: m[1], reason: m[2], application: start[1], event: 'start_failure', ...cut(m[3]) };
    // a permanent application stopped: {application_terminated,App,Reason}, quoted as a string by OTP 26+
    const term = /^"?\{application_terminated,'?([\w@.-]+)'?,([\s\S]*?)\}?"?$/.exec(m[2]);
    if (term) return { kind: 'kernel_pid_terminated', who: m[1], reason: m[2], application: term[1], event: 'terminated', exitReason: term[2], ...cut(m[3]) };
    return { kind: 'kernel_pid_terminated', who: m[1], reason: m[2], ...cut(m[3]) };
  }
  // init: a kernel process (application_controller with a broken sys.config, most often) did not start.
  m = /^could not start kernel pid \(([^)]*)\) \(([\s\S]*?)(\))?$/i.exec(s);
  if (m) {
    const c = /^error in config file "((?:[^"\\]|\\.)*)" \(([^)]*)\): ([\s\S]*)$/.exec(m[2]);
    const configFile = c ? { path: c[1].replace(/\\(.)/g, '$1'), line: c[2], message: c[3] } : undefined;
    return { kind: 'boot_failure', phase: 'kernel_pid_start', who: m[1], reason: m[2], ...(configFile ? { configFile } : {}), ...cut(m[3]) };
  }
  m = /^init terminating in do_boot \(([\s\S]*?)(\))?$/.exec(s);
  if (m) return { kind: 'boot_failure', phase: 'do_boot', reason: m[1], ...cut(m[2]) };
  m = /^Runtime terminating during boot \(([\s\S]*?)(\))?$/.exec(s);
  if (m) return { kind: 'boot_failure', phase: 'runtime_boot', reason: m[1], ...cut(m[2]) };
  if (/^erl_child_setup closed/.test(s)) return { kind: 'child_setup' };
  m = /^Failed to read from erl_child_setup: (\d+)/.exec(s);
  if (m) return { kind: 'child_setup', errno: Number(m[1]) };
  if (/^Crash dump requested by user/.test(s)) return { kind: 'user_requested' };
  return { kind: 'halt', text: s };
}
