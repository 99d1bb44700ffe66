/**
 * The root of an application start failure. A slogan such as
 *   Kernel pid terminated (application_controller) ({application_start_failure,rabbitmq_prelaunch,
 *   {{shutdown,{failed_to_start_child,prelaunch,{dist_port_already_used,25672,"rabbit","host"}}},
 *   {rabbit_prelaunch_app,start,[normal,[]]}}})
 * nests the real error under supervisor wrappers; operators want the innermost one and the chain of
 * children that led to it. The reason is Erlang term text (quoted as a string by OTP 26+), read with
 * the term-text parser; text it cannot read (a slogan cut short, `_` for elided parts) gives nothing.
 */
import { formatTerm, isAtom, parseTerm, type Term } from '../../alloc/term-text.js';

export interface StartFailure {
  /** The application's start callback, `rabbit_prelaunch_app:start/2`. */
  callback?: string;
  /** Children that failed to start, outermost first. */
  children: string[];
  /** The innermost error, printed as Erlang prints it. */
  innermost: string;
  /** What the innermost error usually means, for the few everybody meets. */
  hint?: string;
}

const HINTS: Record<string, string> = {
  eaddrinuse: 'a port it listens on is already in use',
  eacces: 'permission denied on a file, directory or port',
  enoent: 'a file or directory it needs does not exist',
  nxdomain: 'a host name does not resolve',
};

/** Reads the innermost error of `{application_start_failure, App, Reason}` in `reason`, or undefined. */
export function startFailure(reason: string): StartFailure | undefined {
  let t: Term;
  try {
    t = parseTerm(reason);
    if (t.kind === 'string') t = parseTerm(t.value); // OTP 26+ quotes the reason
  } catch {
    return undefined;
  }
  if (t.kind !== 'tuple' || t.items.length !== 3 || !isAtom(t.items[0], 'application_start_failure')) return undefined;
  // application_master: {Error, {Mod, start, Args}} when the start callback returned {error, Error},
  // {bad_return, {{Mod, start, Args}, Other}} for anything else (a crash is {'EXIT', Why}).
  let r = t.items[2];
  let callback: string | undefined;
  if (r.kind === 'tuple' && r.items.length === 2 && isMfa(r.items[1])) {
    callback = mfaText(r.items[1]);
    r = r.items[0];
  }
  const children: string[] = [];
  for (let depth = 0; depth < 50 && r.kind === 'tuple'; depth++) {
    const [tag, a, b] = r.items;
    const n = r.items.length;
    if (n === 2 && (isAtom(tag, 'shutdown') || isAtom(tag, 'error') || isAtom(tag, 'EXIT') || isAtom(tag, 'bad_return'))) r = a;
    else if (n === 3 && isAtom(tag, 'failed_to_start_child')) {
      children.push(formatTerm(a));
      r = b;
    } else if (n === 2 && isMfa(tag)) {
      callback ??= mfaText(tag);
      r = a;
    } else break;
  }
  const head = r.kind === 'atom' ? r.name : r.kind === 'tuple' && r.items[0]?.kind === 'atom' ? r.items[0].name : undefined;
  const hint = specificHint(r) ?? (head ? HINTS[head] : undefined);
  return { ...(callback ? { callback } : {}), children, innermost: formatTerm(r), ...(hint ? { hint } : {}) };
}

/**
 * Hints that name what the error itself says. RabbitMQ's prelaunch checks the distribution port
 * before it starts distribution: `{dist_port_already_used, Port, Name, Host}` means Port is taken,
 * and Name is the node that epmd on Host says holds it (`not_erlang`: no Erlang node does). A node
 * of the same name already running is another error (duplicate_node_name).
 */
function specificHint(r: Term): string | undefined {
  if (r.kind !== 'tuple' || r.items.length !== 4 || !isAtom(r.items[0], 'dist_port_already_used')) return undefined;
  const [, port, name, host] = r.items;
  const text = (t: Term) => (t.kind === 'string' ? t.value : formatTerm(t));
  if (isAtom(name, 'not_erlang')) return `distribution port ${text(port)} on ${text(host)} is held by a program that is not an Erlang node`;
  return `distribution port ${text(port)} is held by the Erlang node ${text(name)}@${text(host)}: another node, or another instance of this one, uses the same port`;
}

/** `M:F/Arity` of an `{M, F, Args}` tuple. */
function mfaText(t: Term): string {
  const [m, f, args] = (t as Extract<Term, { kind: 'tuple' }>).items;
  return `${formatTerm(m)}:${formatTerm(f)}/${args.kind === 'list' ? args.items.length : formatTerm(args)}`;
}

function isMfa(t: Term): boolean {
  return t.kind === 'tuple' && t.items.length === 3 && t.items[0].kind === 'atom' && t.items[1].kind === 'atom' && (t.items[2].kind === 'list' || t.items[2].kind === 'integer');
}
