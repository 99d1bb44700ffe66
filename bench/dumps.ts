// Benchmark dumps: their shapes, generation by a real Erlang VM, and the cache.

import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { freemem } from 'node:os';
import { join } from 'node:path';

/** Bump when the generator's output changes, so cached dumps are remade. */
export const GENERATOR_VERSION = 1;

export interface DumpSpec {
  /** Nominal size in MB (the --sizes value). */
  sizeMB: number;
  messages: number;
  procs: number;
  /** Bytes of heap-binary payload per queued message. */
  payload: number;
  /** Rough VM memory needed to build it, in MB (measured at 1/10 scale, with margin). */
  vmMB: number;
}

// Sizes measured on OTP 25 at 1/10 scale: ~250 dump bytes per message with a
// 64-byte payload, ~490 with 192, ~610 with 256; ~1 KB per other process.
export const SPECS: DumpSpec[] = [
  { sizeMB: 100, messages: 360_000, procs: 12_000, payload: 64, vmMB: 400 },
  { sizeMB: 800, messages: 3_000_000, procs: 100_000, payload: 64, vmMB: 2_000 },
  { sizeMB: 3000, messages: 6_000_000, procs: 100_000, payload: 192, vmMB: 5_000 },
];

export function specFor(sizeMB: number): DumpSpec {
  const s = SPECS.find((x) => x.sizeMB === sizeMB);
  if (s) return s;
  // Any other size: scale the 800 MB shape's message count, keep 100k processes when there is room.
  const procs = sizeMB >= 400 ? 100_000 : Math.max(1000, Math.round(sizeMB * 120));
  const messages = Math.max(1000, Math.round((sizeMB * 1e6 - procs * 1000) / 250));
  return { sizeMB, messages, procs, payload: 64, vmMB: Math.round(messages / 1500) + 300 };
}

export interface DumpInfo {
  spec: DumpSpec;
  path: string;
  bytes: number;
  /** The pid of the process holding the big mailbox, as written in the dump. */
  sinkPid: string;
  generatedNow: boolean;
  generateS: number | null;
  otpRelease: string;
}

interface Meta {
  generatorVersion: number;
  spec: DumpSpec;
  bytes: number;
  sinkPid: string;
  generateS: number;
  otpRelease: string;
  createdAt: string;
}

export function dumpName(s: DumpSpec): string {
  return `bench-${s.sizeMB}mb-m${s.messages}-p${s.procs}-b${s.payload}-g${GENERATOR_VERSION}.dump`;
}

/** True when the file ends with the =end section (a complete dump). */
function endsWithEnd(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const n = Math.min(64, size);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return /\n=end\r?\n?$/.test(buf.toString('latin1'));
  } finally {
    closeSync(fd);
  }
}

function cached(path: string, spec: DumpSpec): DumpInfo | null {
  const metaPath = `${path}.meta.json`;
  if (!existsSync(path) || !existsSync(metaPath)) return null;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Meta;
    const size = statSync(path).size;
    if (meta.generatorVersion !== GENERATOR_VERSION || meta.bytes !== size) return null;
    if (JSON.stringify(meta.spec) !== JSON.stringify(spec)) return null;
    if (!endsWithEnd(path, size)) return null;
    return {
      spec,
      path,
      bytes: size,
      sinkPid: meta.sinkPid,
      generatedNow: false,
      generateS: meta.generateS,
      otpRelease: meta.otpRelease,
    };
  } catch {
    return null;
  }
}

/** Reuse the cached dump for `spec`, or make it with a real VM. */
export async function ensureDump(
  outDir: string,
  genScript: string,
  spec: DumpSpec,
  log: (s: string) => void,
): Promise<DumpInfo> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, dumpName(spec));
  const hit = cached(path, spec);
  if (hit) {
    log(`reusing ${path} (${(hit.bytes / 1e6).toFixed(0)} MB)`);
    return hit;
  }
  // Room checks: disk for the dump (+ margin) and memory for the VM holding the mailbox.
  const fs = statfsSync(outDir);
  const freeDiskMB = (fs.bavail * fs.bsize) / 1e6;
  if (freeDiskMB < spec.sizeMB * 1.5 + 1000) {
    throw new Error(`not enough disk in ${outDir}: ${freeDiskMB.toFixed(0)} MB free, need ~${spec.sizeMB * 1.5 + 1000}`);
  }
  const freeMB = freemem() / 1e6;
  if (freeMB < spec.vmMB) {
    log(`warning: ${freeMB.toFixed(0)} MB of memory free, the generator VM needs ~${spec.vmMB} MB`);
  }
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  log(
    `generating ${path}: ${spec.messages.toLocaleString('en-US')} queued messages, ` +
      `${spec.procs.toLocaleString('en-US')} other processes, ${spec.payload}-byte payloads ...`,
  );
  const t0 = process.hrtime.bigint();
  const stderrFile = `${path}.gen.log`;
  const errFd = openSync(stderrFile, 'w');
  const code: number | null = await new Promise((resolve, reject) => {
    const child = spawn(
      'escript',
      [genScript, String(spec.messages), String(spec.procs), String(spec.payload),
        `beamscope bench dump ${spec.sizeMB} MB`],
      {
        stdio: ['ignore', 'ignore', errFd],
        env: { ...process.env, ERL_CRASH_DUMP: tmp, ERL_CRASH_DUMP_SECONDS: '-1', ERL_CRASH_DUMP_BYTES: '' },
      },
    );
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  closeSync(errFd);
  const generateS = Number(process.hrtime.bigint() - t0) / 1e9;
  const genLog = readFileSync(stderrFile, 'utf8');
  // erlang:halt/1 with a slogan exits with status 1 after writing the dump.
  if (!existsSync(tmp)) {
    throw new Error(`generator wrote no dump (exit ${code}); see ${stderrFile}`);
  }
  const bytes = statSync(tmp).size;
  if (!endsWithEnd(tmp, bytes)) {
    throw new Error(`generated dump ${tmp} is incomplete (no =end); see ${stderrFile}`);
  }
  const sink = /gen_dump: sink (<[\d.]+>)/.exec(genLog);
  if (!sink) throw new Error(`generator did not report the sink pid; see ${stderrFile}`);
  renameSync(tmp, path);
  const otpRelease = otpOf(path);
  const meta: Meta = {
    generatorVersion: GENERATOR_VERSION,
    spec,
    bytes,
    sinkPid: sink[1],
    generateS,
    otpRelease,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(`${path}.meta.json`, JSON.stringify(meta, null, 2) + '\n');
  log(`generated ${(bytes / 1e6).toFixed(0)} MB in ${generateS.toFixed(1)} s`);
  return { spec, path, bytes, sinkPid: sink[1], generatedNow: true, generateS, otpRelease };
}

/** The OTP release named in the dump's "System version" line. */
function otpOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = /Erlang\/OTP (\d+)/.exec(buf.subarray(0, n).toString('latin1'));
    return m ? m[1] : '';
  } finally {
    closeSync(fd);
  }
}
