import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO } from './dumps.js';

export interface ServeRun {
  /** The URL printed on the first line of stdout (with the token). */
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the built `beamscope serve DUMP --port 0 ...` and resolves with the URL from the first
 * line of its stdout (the port is the one the OS picked). Its saved index goes to a temporary
 * directory, removed at stop.
 */
export function startServe(dump: string, args: string[] = []): Promise<ServeRun> {
  const indexDir = mkdtempSync(join(tmpdir(), 'beamscope-serve-'));
  const child = spawn(process.execPath, [CLI, 'serve', dump, '--port', '0', ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1', BEAMSCOPE_INDEX_DIR: indexDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanUp = () => rmSync(indexDir, { recursive: true, force: true });
  return new Promise<ServeRun>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      const url = out.slice(0, nl);
      const u = new URL(url);
      resolve({
        url, origin: u.origin, token: u.searchParams.get('token') ?? '', child, stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          const code = await exited;
          cleanUp();
          return code;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      cleanUp();
      reject(new Error(`serve exited (${code}) before printing its URL: ${err}`));
    });
  });
}

/** What a GET to the server answered. */
export interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A GET of `url` with these request headers; any status resolves (the tests check it). */
export function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
