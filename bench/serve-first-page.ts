// The bench's `serve` item: starts `beamscope serve DUMP --port 0`, reads its URL from the first
// line of stdout, asks for the first page (the overview: triage's findings and charts), and prints
// {firstPageS, peakRssMB, status, bytes, processes} as JSON: the time from the start to the whole
// first page, and the server's peak RSS (VmHWM) after it, then stops it with SIGTERM.
//
//   node dist/bench/serve-first-page.js CLI DUMP

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { cliCommand } from './measure.js';

function vmHwmMB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? (Number(m[1]) * 1024) / 1e6 : null;
  } catch {
    return null;
  }
}

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function main(): Promise<void> {
  const [cli, dump] = process.argv.slice(2);
  if (!cli || !dump) throw new Error('usage: serve-first-page.js CLI DUMP');
  const started = process.hrtime.bigint();
  // The bin as users run it (its shebang's node options and environment), like the other items;
  // `env` execs node in its place, so the pid is the server's.
  const [cmd, args] = cliCommand(cli, ['serve', dump, '--port', '0']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL`)));
  });
  const page = await fetchText(url);
  const firstPageS = Number(process.hrtime.bigint() - started) / 1e9;
  const peakRssMB = vmHwmMB(child.pid!);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  const processes = /(\d+) processes/.exec(page.body)?.[1];
  const ok = page.status === 200 && /class="finding /.test(page.body) && code === 0;
  process.stdout.write(`${JSON.stringify({ status: ok ? 'ok' : 'failed', httpStatus: page.status, exitCode: code, firstPageS, peakRssMB, bytes: page.body.length, processes: processes ? Number(processes) : null })}\n`);
  if (!ok) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`serve-first-page: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
