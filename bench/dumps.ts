// Benchmark dumps: their shapes, generation by a real Erlang VM, and the cache.

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
import { measure, type RssMethod } from './measure.js';

/** Bump when the generator's output changes, so cached dumps are remade. */
export const GENERATOR_VERSION = 1;
/** The same for bench/gen/gen_class.escript (the issue-14 classes). */
export const CLASS_GENERATOR_VERSION = 1;

/**
 * The dump classes of issue 14 (bench/gen/gen_class.escript; e is class a made huge; f, one huge
 * process, is the fourth shape the guide names beside a, b and e; g, an Elixir node's GenServer
 * flooded with calls of structs, is made by Elixir with bench/gen/gen_elixir.exs; h, a runaway
 * recursion five million frames deep, is the most common death of one process).
 */
export type DumpClass = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h';
export const CLASSES: readonly DumpClass[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

export interface DumpSpec {
  /** Nominal size in MB (the --sizes value; for a class, roughly what it makes). */
  sizeMB: number;
  /** Messages queued in the process with the largest mailbox (the sink; class f's sink has none). */
  messages: number;
  /** Other processes (for class c: besides the tiny ones, see `args`). */
  procs: number;
  /** Bytes of payload per queued message (heap binaries for the sizes, the refc binary for a and e). */
  payload: number;
  /** Rough VM memory needed to build it, in MB (measured, with margin). */
  vmMB: number;
  /** Set for the issue-14 classes: made by gen_class.escript (class g: gen_elixir.exs) with `args`. */
  class?: DumpClass;
  /** The generator's arguments (key=value; gen_class.escript's after the class letter). */
  args?: string[];
}

// Sizes measured on OTP 25 at 1/10 scale: ~250 dump bytes per message with a
// 64-byte payload, ~490 with 192, ~610 with 256; ~1 KB per other process.
export const SPECS: DumpSpec[] = [
  { sizeMB: 100, messages: 360_000, procs: 12_000, payload: 64, vmMB: 400 },
  { sizeMB: 800, messages: 3_000_000, procs: 100_000, payload: 64, vmMB: 2_000 },
  { sizeMB: 3000, messages: 6_000_000, procs: 100_000, payload: 192, vmMB: 5_000 },
];

/**
 * --huge: the 3 GB shape over 10 GB (the same 6,000,000 messages and 100,000 processes, 832 bytes
 * of payload each instead of 192), made on demand. Only the bytes differ from the 3 GB dump, so
 * the "peak RSS within 10% of the 3 GB dump's" compares like with like; class e (class
 * a's content over 11 GB) is compared with class a.
 */
export const HUGE_SIZE: DumpSpec = { sizeMB: 10_000, messages: 6_000_000, procs: 100_000, payload: 832, vmMB: 11_000 };

// The classes users hit (issue 14, item 4). Sizes and memory measured on OTP 25 (bench/README.md).
// The generator's defaults are spelled out in `args` so that they are part of the cache key.
export const CLASS_SPECS: Record<DumpClass, DumpSpec> = {
  // refc-binary mailbox: 3,000,000 distinct 80-byte refc binaries queued in log_writer
  a: {
    class: 'a', sizeMB: 816, messages: 3_000_000, procs: 100_000, payload: 80, vmMB: 2_000,
    args: ['msgs=3000000', 'bin=80', 'window=400000', 'holder=5000', 'holder_bin=1024', 'ets_objects=20000', 'procs=100000'],
  },
  // 1,000,000 processes
  b: { class: 'b', sizeMB: 933, messages: 100_000, procs: 1_000_000, payload: 16, vmMB: 4_500, args: ['procs=1000000', 'msgs=100000'] },
  // 3,000,000 processes with little state (hibernated, a fun with one integer each)
  c: { class: 'c', sizeMB: 2_200, messages: 100_000, procs: 1_000, payload: 16, vmMB: 3_500, args: ['tiny=3000000', 'procs=1000', 'msgs=100000'] },
  // 50,000 ETS tables and 3,000 generated modules with 8 funs each
  d: {
    class: 'd', sizeMB: 48, messages: 50_000, procs: 20_000, payload: 16, vmMB: 600,
    args: ['tables=50000', 'owners=500', 'modules=3000', 'funs=8', 'procs=20000', 'msgs=50000'],
  },
  // --huge: class a with 2,700-byte binaries (3,600 base64 characters each in the dump), over 10 GB
  e: {
    class: 'e', sizeMB: 11_300, messages: 3_000_000, procs: 100_000, payload: 2700, vmMB: 13_000,
    args: ['msgs=3000000', 'bin=2700', 'window=400000', 'holder=5000', 'holder_bin=1024', 'ets_objects=20000', 'procs=100000'],
  },
  // one huge process: big_state with a list of 12,000,000 tuples and a map of 3,000,000 keys on
  // its stack (1.2 GiB of heap), no mailbox; 20,000 others
  f: { class: 'f', sizeMB: 1_740, messages: 0, procs: 20_000, payload: 0, vmMB: 4_000, args: ['items=12000000', 'keys=3000000', 'procs=20000'] },
  // an Elixir node: Shop.OrderServer with 1,000,000 queued GenServer calls {:place, %Shop.Order{}}
  // from 10,000 callers, 100,000 Agents
  g: { class: 'g', sizeMB: 767, messages: 1_000_000, procs: 100_000, payload: 0, vmMB: 1_500, args: ['msgs=1000000', 'callers=10000', 'procs=100000'] },
  // a runaway recursion: tree_walker 5,000,000 frames deep in a body-recursive walk/2 (840 MB of
  // stack lines, 447 MiB of the node's memory), no mailbox; 20,000 others
  h: { class: 'h', sizeMB: 841, messages: 0, procs: 20_000, payload: 0, vmMB: 2_000, args: ['depth=5000000', 'procs=20000'] },
};

/** The row key of a dump: "800 MB" for a size shape, "class a" for a class. */
export function dumpId(s: DumpSpec): string {
  return s.class ? `class ${s.class}` : `${s.sizeMB} MB`;
}

/** The registered name of the process with the big mailbox (class f: the huge heap; h: the deep stack). */
export function sinkName(s: DumpSpec): string {
  return s.class === 'a' || s.class === 'e' ? 'log_writer' : s.class === 'f' ? 'big_state' : s.class === 'g' ? 'Shop.OrderServer'
    : s.class === 'h' ? 'tree_walker' : 'bench_sink';
}

export function specFor(sizeMB: number): DumpSpec {
  const s = [...SPECS, HUGE_SIZE].find((x) => x.sizeMB === sizeMB);
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
  /** Peak RSS of the generator VM in MB (wait4 or /proc sampling), when it was measured. */
  generatorPeakMB?: number | null;
  /** The generator's own report of VM memory just before the dump ("gen_class: vm ..."). */
  generatorVm?: string;
}

interface Meta {
  generatorVersion: number;
  spec: DumpSpec;
  bytes: number;
  sinkPid: string;
  generateS: number;
  otpRelease: string;
  createdAt: string;
  generatorPeakMB?: number | null;
  generatorVm?: string;
}

function versionOf(s: DumpSpec): number {
  return s.class ? CLASS_GENERATOR_VERSION : GENERATOR_VERSION;
}

export function dumpName(s: DumpSpec): string {
  if (s.class) return `class-${s.class}-g${CLASS_GENERATOR_VERSION}.dump`;
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
    if (meta.generatorVersion !== versionOf(spec) || meta.bytes !== size) return null;
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
      generatorPeakMB: meta.generatorPeakMB ?? null,
      generatorVm: meta.generatorVm,
    };
  } catch {
    return null;
  }
}

/** Where the generators live: bench/gen/ (gen_dump.escript for the sizes, gen_class.escript for the classes, gen_elixir.exs for g). */
export function generatorFor(genDir: string, spec: DumpSpec): [string, string[]] {
  if (spec.class === 'g') return ['elixir', [join(genDir, 'gen_elixir.exs'), ...(spec.args ?? []), 'slogan=beamscope bench class g']];
  if (spec.class) {
    // class e is class a with bigger binaries
    const cls = spec.class === 'e' ? 'a' : spec.class;
    const slogan = `beamscope bench class ${spec.class}${spec.class === 'e' ? ' (huge)' : ''}`;
    return ['escript', [join(genDir, 'gen_class.escript'), cls, ...(spec.args ?? []), `slogan=${slogan}`]];
  }
  return ['escript', [join(genDir, 'gen_dump.escript'), String(spec.messages), String(spec.procs), String(spec.payload),
    `beamscope bench dump ${spec.sizeMB} MB`]];
}

/** Reuse the cached dump for `spec`, or make it with a real VM (timed, with the VM's peak RSS). */
export async function ensureDump(
  outDir: string,
  genDir: string,
  spec: DumpSpec,
  log: (s: string) => void,
  method: RssMethod,
): Promise<DumpInfo> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, dumpName(spec));
  const hit = cached(path, spec);
  if (hit) {
    log(`reusing ${path} (${(hit.bytes / 1e6).toFixed(0)} MB)`);
    if (spec.class) recordClass(outDir, hit);
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
  // beamscope's saved index of an earlier dump at this path (DUMP.bsidx) is not for the new one
  rmSync(`${path}.bsidx`, { force: true });
  log(
    spec.class
      ? `generating ${path}: class ${spec.class} (${(spec.args ?? []).join(' ')}), ~${spec.sizeMB} MB, VM ~${spec.vmMB} MB ...`
      : `generating ${path}: ${spec.messages.toLocaleString('en-US')} queued messages, ` +
          `${spec.procs.toLocaleString('en-US')} other processes, ${spec.payload}-byte payloads ...`,
  );
  const stderrFile = `${path}.gen.log`;
  const [cmd, args] = generatorFor(genDir, spec);
  // erlang:halt/1 with a slogan exits with status 1 after writing the dump: the exit status is
  // not checked, the dump is.
  const m = await measure(cmd, args, {
    method,
    stdoutFile: `${path}.gen.out`,
    stderrFile,
    env: { ...process.env, ERL_CRASH_DUMP: tmp, ERL_CRASH_DUMP_SECONDS: '-1', ERL_CRASH_DUMP_BYTES: '' },
  });
  const generateS = m.wallS;
  const genLog = readFileSync(stderrFile, 'utf8');
  if (!existsSync(tmp)) {
    throw new Error(`generator wrote no dump (exit ${m.exitCode}); see ${stderrFile}`);
  }
  const bytes = statSync(tmp).size;
  if (!endsWithEnd(tmp, bytes)) {
    throw new Error(`generated dump ${tmp} is incomplete (no =end); see ${stderrFile}`);
  }
  const sink = /gen_\w+: sink (<[\d.]+>)/.exec(genLog);
  if (!sink) throw new Error(`generator did not report the sink pid; see ${stderrFile}`);
  renameSync(tmp, path);
  const info: DumpInfo = {
    spec,
    path,
    bytes,
    sinkPid: sink[1],
    generatedNow: true,
    generateS,
    otpRelease: otpOf(path),
    generatorPeakMB: m.peakRssMB,
    generatorVm: /gen_\w+: vm (.*)/.exec(genLog)?.[1],
  };
  writeMeta(info);
  if (spec.class) recordClass(outDir, info);
  log(`generated ${(bytes / 1e6).toFixed(0)} MB in ${generateS.toFixed(1)} s, generator peak RSS ${m.peakRssMB?.toFixed(0) ?? '?'} MB`);
  return info;
}

/** Write the `.meta.json` that makes `info.path` a cached dump for `info.spec`. */
export function writeMeta(info: DumpInfo): void {
  const meta: Meta = {
    generatorVersion: versionOf(info.spec),
    spec: info.spec,
    bytes: info.bytes,
    sinkPid: info.sinkPid,
    generateS: info.generateS ?? 0,
    otpRelease: info.otpRelease,
    createdAt: new Date().toISOString(),
    generatorPeakMB: info.generatorPeakMB ?? null,
    ...(info.generatorVm ? { generatorVm: info.generatorVm } : {}),
  };
  writeFileSync(`${info.path}.meta.json`, JSON.stringify(meta, null, 2) + '\n');
}

/** Keep `CLASSES.txt` in the output directory: one "CLASS PATH SINKPID" line per class dump made. */
export function recordClass(outDir: string, info: DumpInfo): void {
  const file = join(outDir, 'CLASSES.txt');
  const cls = info.spec.class!;
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith(`${cls} `)) : [];
  lines.push(`${cls} ${info.path} ${info.sinkPid}`);
  lines.sort();
  writeFileSync(file, lines.join('\n') + '\n');
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
