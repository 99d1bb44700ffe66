/**
 * The root of an application start failure. A slogan such as
 *   Kernel pid terminated (application_controller) ({application_start_failure,rabbitmq_prelaunch,
 *   {{shutdown,{failed_to_start_child,prelaunch,{dist_port_already_used,25672,"rabbit","host"}}},
 *   {rabbit_prelaunch_app,start,[normal,[]]}}})
 * nests the real error under supervisor wrappers; operators want the innermost one and the chain of
 * children that led to it. The reason is Erlang term text (quoted as a string by OTP 26+), read with
 * the term-text parser; text it cannot read (a slogan cut short, `_` for elided parts) gives nothing.
 */
import { formatTerm, isAtom, parseTerm, type Term } from '../../term-text/term-text.js';

export interface StartFailure {
  /** The application's start callback, `rabbit_prelaunch_app:start/2`. */
  callback?: string;
  /** Children that failed to start, outermost first. */
  children: string[];
  /** The innermost error, printed as Erlang prints it. */
  innermost: string;
  /** What the innermost error usually means, for the few everybody meets. */
  hint?: string;
  /** The reason was cut (slogans before OTP 25 stop at 200 characters): read up to the cut. */
  cut?: true;
}

const HINTS: Record<string, string> = {
  eaddrinuse: 'a port it listens on is already in use',
  nodistribution: 'distribution did not start: epmd not running or unreachable, a node of the same name already running, -sname against -name (short and long host names), or the distribution port blocked',
  eacces: 'permission denied on a file, directory or port',
  enoent: 'a file or directory it needs does not exist',
  nxdomain: 'a host name does not resolve',
};

/** Reads the innermost error of `{application_start_failure, App, Reason}` in `reason`, or undefined. */
export function startFailure(reason: string): StartFailure | undefined {
  let t: Term | undefined;
  let wasCut = false;
  try {
    t = parseTerm(reason);
    if (t.kind === 'string') t = parseTerm(t.value); // OTP 26+ quotes the reason
  } catch {
    t = parseCut(reason);
    wasCut = t !== undefined;
  }
  if (!t) return undefined;
  const found = innermostOf(t, wasCut);
  return found && wasCut ? { ...found, cut: true } : found;
}

/**
 * A reason cut short (`{application_start_failure,kernel,{{shutdown,{failed_to_start_child,net_sup,
 * {shutdown,{failed_to_start_child,net_kernel,{'EXIT',nodistribution}}}}},{kernel,sta`), read as
 * far as it is whole: the last incomplete token is dropped and the open brackets are closed.
 */
function parseCut(text: string): Term | undefined {
  // Only a text that stops with brackets open (or inside a quote) was cut; a whole one that does
  // not parse (`_` for elided parts) is left alone.
  if (openBrackets(text) === '') return undefined;
  // The text after the last element boundary is a token cut in the middle ('nodistribu'): drop
  // it, and back off to earlier boundaries until the rest parses.
  const boundary = (end: number) => Math.max(text.lastIndexOf(',', end - 1), text.lastIndexOf('{', end - 1) + 1, text.lastIndexOf('[', end - 1) + 1);
  for (let end = boundary(text.length), tries = 0; end > 0 && tries < 64; tries++) {
    const closers = openBrackets(text.slice(0, end));
    if (closers !== undefined) {
      try {
        return parseTerm(text.slice(0, end).replace(/[,|]\s*$/, '') + closers);
      } catch {
        // fall through to a shorter prefix
      }
    }
    end = boundary(end);
    if (end <= 0) break;
  }
  return undefined;
}

/** The brackets that close what `text` leaves open, or undefined when it ends inside a quote. */
function openBrackets(text: string): string | undefined {
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '<' && text[i + 1] === '<') {
      stack.push('>>');
      i++;
    } else if (c === '}' || c === ']') stack.pop();
    else if (c === '>' && text[i + 1] === '>') {
      stack.pop();
      i++;
    }
  }
  return quote ? undefined : stack.reverse().join('');
}

function innermostOf(t: Term, cut: boolean): StartFailure | undefined {
  if (t.kind !== 'tuple' || t.items.length !== 3 || !isAtom(t.items[0], 'application_start_failure')) return undefined;
  // application_master: {Error, {Mod, start, Args}} when the start callback returned {error, Error},
  // {bad_return, {{Mod, start, Args}, Other}} for anything else (a crash is {'EXIT', Why}).
  let r = t.items[2];
  let callback: string | undefined;
  if (r.kind === 'tuple' && r.items.length === 2 && isMfa(r.items[1]) && !cut) {
    callback = mfaText(r.items[1]);
    r = r.items[0];
  } else if (cut && r.kind === 'tuple' && r.items.length === 2 && isCutMfa(r.items[1])) {
    // {Error, {Mod, sta...}}: the start callback (always Mod:start/2) was cut, its module may be left.
    const mod = (r.items[1] as Extract<Term, { kind: 'tuple' }>).items[0];
    if (mod) callback = `${formatTerm(mod)}:start/2`;
    r = r.items[0];
  } else if (cut && r.kind === 'tuple' && r.items.length === 1) r = r.items[0]; // {Error, cut before the callback
  const children: string[] = [];
  for (let depth = 0; depth < 50 && r.kind === 'tuple'; depth++) {
    const [tag, a, b] = r.items;
    const n = r.items.length;
    if (n === 2 && WRAPPERS.some((w) => isAtom(tag, w))) r = a;
    else if (n === 3 && isAtom(tag, 'failed_to_start_child')) {
      children.push(formatTerm(a));
      r = b;
    } else if (n === 2 && isMfa(tag)) {
      callback ??= mfaText(tag);
      r = a;
    } else if (cut && ((n === 1 && WRAPPERS.some((w) => isAtom(tag, w))) || (n === 2 && isAtom(tag, 'failed_to_start_child')))) {
      // The cut fell inside the chain, before the innermost error.
      if (n === 2) children.push(formatTerm(a));
      return { ...(callback ? { callback } : {}), children, innermost: CUT_BEFORE_INNERMOST };
    } else break;
  }
  if (cut && r.kind === 'tuple' && r.items.length === 0) return { ...(callback ? { callback } : {}), children, innermost: CUT_BEFORE_INNERMOST };
  const head = r.kind === 'atom' ? r.name : r.kind === 'tuple' && r.items[0]?.kind === 'atom' ? r.items[0].name : undefined;
  const hint = specificHint(r) ?? (head ? HINTS[head] : undefined);
  return { ...(callback ? { callback } : {}), children, innermost: formatTerm(r), ...(hint ? { hint } : {}) };
}

/** The innermost error of a reason cut before it. */
export const CUT_BEFORE_INNERMOST = '(cut off before the innermost error)';

/** Tuples `{Tag, Reason}` that wrap the reason a supervisor or application master passes on. */
const WRAPPERS = ['shutdown', 'error', 'EXIT', 'bad_return'];

/** What is left of an `{M, F, Args}` tuple cut short: `{}`, `{M}`, `{M, F}` or `{M, F, [partial args]}`. */
function isCutMfa(t: Term): boolean {
  return t.kind === 'tuple' && t.items.length <= 3 && (t.items.length === 0 || t.items[0].kind === 'atom');
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
