/**
 * `serve`'s HTTP server (Node's own http): where it listens, the token every request must carry,
 * and the headers every answer gets. What is answered is the router's (routes.ts); this module
 * knows nothing of dumps.
 *
 * The threat: a page in the user's browser, from anywhere, that guesses the port. It cannot read
 * an answer without the token (403 first, before any route runs), cannot get the cookie (HttpOnly,
 * SameSite=Strict, this host only), cannot rebind a name of its own to 127.0.0.1 (the Host header
 * must name loopback), and the token never leaves in a Referer (no-referrer).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';

export type ContentKind = 'html' | 'json' | 'css' | 'js' | 'text' | 'png';

export interface Answer {
  status: number;
  kind: ContentKind;
  body: string | Buffer;
  /**
   * The page's own Content-Security-Policy (the kit's, allowing its scripts by hash); answers
   * without one get CONTENT_SECURITY_POLICY, which allows no script at all.
   */
  csp?: string;
}

/** Answers a request that carried the token; `url` is the request's, already parsed. */
export type Router = (url: URL) => Answer | Promise<Answer>;

export interface ServeListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: the OS picks a free port. */
  port?: number;
  /** A host that is not loopback is refused unless this is true (the CLI's explicit --host). */
  allowRemote?: boolean;
  /** Tests may fix it; default 32 random bytes. */
  token?: string;
}

export interface RunningServer {
  server: Server;
  address: AddressInfo;
  token: string;
  /** The URL to open, token included. */
  url: string;
  close(): Promise<void>;
}

/**
 * The cookie's name, with the port: cookies are per host, not per port, and two `serve` sessions
 * on 127.0.0.1 would otherwise overwrite each other's token.
 */
export function tokenCookie(port: number): string {
  return `beamscope_token_${port}`;
}

/** For answers that are not pages (JSON, text): nothing may load or run; nothing may frame them. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<ContentKind, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  png: 'image/png',
};

/** True for 127.0.0.0/8, ::1 (and IPv4-mapped loopback) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** A token for the URL: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Host header names this server on loopback (a rebound DNS name does not). */
function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return m !== null && isLoopback(m[1]) && (m[2] === undefined ? port === 80 : Number(m[2]) === port);
}

function send(res: ServerResponse, head: boolean, a: Answer, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = {
    'content-type': TYPES[a.kind],
    // frame-ancestors is not honoured in a <meta> policy: the header adds it to the page's.
    'content-security-policy': a.csp ? `${a.csp}; frame-ancestors 'none'` : CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    ...extra,
  };
  res.writeHead(a.status, headers);
  res.end(head ? undefined : a.body);
}

/** Listens and answers: every request without the token (query or cookie) gets 403. */
export async function listen(router: Router, opts: ServeListenOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  if (!loopback && !opts.allowRemote) {
    throw new Error(`${host} is not a loopback address: name it with --host to serve the dump beyond this machine`);
  }
  const token = opts.token ?? newToken();
  let port = 0;
  const server = createServer((req, res) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      send(res, false, { status: 405, kind: 'text', body: 'method not allowed\n' }, { allow: 'GET, HEAD' });
      return;
    }
    if (loopback && !hostAllowed(req, port)) {
      send(res, head, { status: 403, kind: 'text', body: 'forbidden: unexpected Host header\n' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(res, head, { status: 400, kind: 'text', body: 'bad request\n' });
      return;
    }
    const fromQuery = url.searchParams.get('token') ?? undefined;
    const viaQuery = sameToken(fromQuery, token);
    if (!viaQuery && !sameToken(cookieToken(req, tokenCookie(port)), token)) {
      send(res, head, { status: 403, kind: 'text', body: 'forbidden: open the URL that `beamscope serve` printed (it carries the token)\n' });
      return;
    }
    // The token in a URL becomes a cookie, so that the pages' own links need not carry it.
    const extra: Record<string, string> = viaQuery ? { 'set-cookie': `${tokenCookie(port)}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {};
    Promise.resolve()
      .then(() => router(url))
      .then(
        (a) => send(res, head, a, extra),
        (e: unknown) => send(res, head, { status: 500, kind: 'text', body: `internal error: ${String((e as Error)?.message ?? e)}\n` }, extra),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    address,
    token,
    url: `http://${shown}:${address.port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
