/**
 * OTP's crashdump_viewer as a test oracle: runs fixtures/scripts/cdv_json.escript over a dump and
 * returns what the viewer says, parsed. Results are cached in os.tmpdir() keyed by the dump's path,
 * size and mtime (and the escript's), because the viewer is slow on big dumps and several test
 * files ask about the same fixtures.
 *
 * The types below describe the escript's JSON exactly. The viewer returns most values as strings
 * (as written in the dump); the escript keeps them so, and only the fields the viewer itself
 * parses to integers are numbers.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CDV_JSON_ESCRIPT } from './fixtures.js';

const execFileP = promisify(execFile);

/** `general_info/0`: every value is the viewer's string, or null when it has none. */
export interface CdvGeneralInfo {
  created: string | null;
  slogan: string | null;
  system_vsn: string | null;
  compile_time: string | null;
  /** "(none)" when the dump's `Taints:` is empty. */
  taints: string | null;
  /** The `=node` id (quoted atom text, e.g. "'nonode@nohost'"), or "unknown" when not reached. */
  node_name: string | null;
  num_atoms: string | null;
  /** Counts of `=proc`, `=ets`, `=timer` and `=fun` index entries, as decimal strings. */
  num_procs: string | null;
  num_ets: string | null;
  num_timers: string | null;
  num_fun: string | null;
  /** `=memory` total (bytes), as a string. */
  mem_tot: string | null;
  mem_max: string | null;
  /** "false", "instr_data" or "old_instr_data". */
  instr_info: string | null;
  thread: string | null;
}

/**
 * One `processes/0` record. The summary fills only pid, name, init_func, state, reds, memory,
 * stack_heap and msg_q_len; the other numeric fields are null unless a viewer version fills them.
 * Word fields are bytes already (the viewer multiplies by the word size set by general_info/0).
 */
export interface CdvProcess {
  pid: string;
  /** Registered name, or the initial call when there is none. */
  name: string | null;
  init_func: string | null;
  state: string | null;
  reds: number | null;
  /** `Memory:` bytes (Stack+heap x word size for dumps before 0.2). */
  memory: number | null;
  stack_heap: number | null;
  msg_q_len: number | null;
  old_heap: number | null;
  heap_unused: number | null;
  old_heap_unused: number | null;
  bin_vheap: number | null;
  old_bin_vheap: number | null;
}

export interface CdvEtsTable {
  /** Owner pid. */
  pid: string | null;
  /** `Slot:` parsed by the viewer (an integer), or its text. */
  slot: number | string | null;
  /** `Table:`: the name for named tables, `#Ref<...>` (or an integer in old dumps) otherwise. */
  id: string | null;
  name: string | null;
  is_named: string | null;
  /** `Type:` (set, ordered_set, bag, duplicate_bag), or hash/tree in old dumps. */
  data_type: string | null;
  /** Hash buckets, or "-" for ordered sets. */
  buckets: number | string | null;
  /** `Objects:`. */
  size: number | null;
  /** `Words:` x word size, bytes. */
  memory: number | null;
}

export interface CdvPort {
  /** "#Port<C.N>" rebuilt from the viewer's {Channel, Number}. */
  id: string;
  connected: string | null;
  name: string | null;
  /** The viewer's wording, e.g. "Linked in driver: tcp_inet", "External proc: cat". */
  controls: string | null;
  queue: number | string | null;
  input: number | string | null;
  output: number | string | null;
  state: string | null;
  slot: number | string | null;
}

export interface CdvTimer {
  pid: string | null;
  /** The registered name when the timer was keyed by one. */
  name: string | null;
  msg: string | null;
  /** Milliseconds left. */
  time: number | null;
}

/**
 * proc_details/1 for a few processes (every registered one, and the five with the longest queue
 * and the five with the most memory): the full `=proc` key set. Word fields are bytes (the viewer
 * multiplies by the word size), except heap_frag_data, which the viewer leaves as the words string.
 * When proc_details fails, only pid and error are set.
 */
export interface CdvProcessDetail {
  pid: string;
  error?: string;
  /** Non-empty when the viewer says the dump is truncated at or before this pid (string order). */
  warnings?: string[];
  state?: string | null;
  msg_q_len?: number | null;
  /** How many messages the viewer decoded from `=proc_messages` (0 when the section is absent). */
  msg_q_decoded?: number;
  /** Entries of the decoded process dictionary. */
  dict_len?: number;
  /** Entries of the viewer's links, monitors and monitored-by lists. */
  links?: number;
  monitors?: number;
  mon_by?: number;
  reds?: number | null;
  memory?: number | null;
  num_heap_frag?: number | string | null;
  heap_frag_data?: number | string | null;
  stack_heap?: number | null;
  old_heap?: number | null;
  heap_unused?: number | null;
  old_heap_unused?: number | null;
  bin_vheap?: number | null;
  old_bin_vheap?: number | null;
  bin_vheap_unused?: number | null;
  old_bin_vheap_unused?: number | null;
  int_state?: string | null;
}

export interface CdvAllocatedArea {
  name: string;
  allocated: string;
  /** "" when the dump has no second number. */
  used: string | null;
}

export interface CdvHashTable {
  name: string;
  size: string;
  used: string;
  objs: string;
  depth: string;
}

export interface CdvIndexTable {
  name: string | null;
  size: string | null;
  limit: string | null;
  used: string | null;
  rate: string | null;
  entries: string | null;
}

export interface CdvLoadedModule {
  mod: string;
  current_size: number | string | null;
  old_size: number | string | null;
}

export interface CdvNode {
  name: string | null;
  channel: number | string | null;
  conn_type: 'visible' | 'hidden' | 'not_connected' | string | null;
  controller: string | null;
  creation: Array<number | string> | string | null;
  /** Counts of `Remote link:`, `Remote monitoring:` and `Remotely monitored by:` lines. */
  remote_links: number | null;
  remote_mon: number | null;
  remote_mon_by: number | null;
  error: string | null;
}

export interface CdvFacts {
  /** e.g. [0, 5]. */
  dump_version: number[];
  /** general_info/0's warnings: non-empty when the viewer found the dump truncated. */
  truncated_warnings: string[];
  /** The warnings the other getters returned. */
  warnings: {
    processes: string[];
    ets: string[];
    ports: string[];
    timers: string[];
    funs: string[];
    loaded_modules: string[];
    dist_info: string[];
  };
  general: CdvGeneralInfo;
  processes: CdvProcess[];
  details: CdvProcessDetail[];
  ets: CdvEtsTable[];
  ports: CdvPort[];
  timers_count: number;
  timers: CdvTimer[];
  funs_count: number;
  /** `=memory`, key to the value as written (bytes). */
  memory: Record<string, string>;
  allocated_areas: CdvAllocatedArea[];
  hash_tables: CdvHashTable[];
  index_tables: CdvIndexTable[];
  loaded_modules: CdvLoadedModule[];
  dist_info: CdvNode[];
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

function detectErl(): boolean {
  if (!onPath('escript') || !onPath('erl')) return false;
  try {
    execFileSync(
      'erl',
      ['-noshell', '-noinput', '-eval',
        'case code:ensure_loaded(crashdump_viewer) of {module, _} -> halt(0); _ -> halt(1) end.'],
      { stdio: 'ignore', timeout: 60_000 },
    );
    return true;
  } catch {
    return false;
  }
}

/** True when `escript` and `erl` are on PATH and OTP's crashdump_viewer can be loaded. */
export const haveErl: boolean = detectErl();

const CACHE_DIR = join(tmpdir(), 'beamscope-cdv-cache');

function cacheKey(dumpPath: string): string {
  const abs = resolve(dumpPath);
  const st = statSync(abs);
  const es = statSync(CDV_JSON_ESCRIPT);
  return createHash('sha256')
    .update(JSON.stringify([abs, st.size, st.mtimeMs, es.size, es.mtimeMs]))
    .digest('hex')
    .slice(0, 40);
}

/**
 * What crashdump_viewer says about the dump at dumpPath. Rejects with the escript's one-line
 * message when the viewer cannot read the dump (or erl is missing).
 */
export async function cdvFacts(dumpPath: string): Promise<CdvFacts> {
  const file = join(CACHE_DIR, `${cacheKey(dumpPath)}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CdvFacts;
  } catch {
    /* not cached yet (or a half-written file from a killed run: recompute) */
  }
  let stdout: string;
  try {
    ({ stdout } = await execFileP('escript', [CDV_JSON_ESCRIPT, resolve(dumpPath)], {
      encoding: 'utf8',
      timeout: 30 * 60_000,
      maxBuffer: 1 << 30,
    }));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`crashdump_viewer on ${dumpPath}: ${(err.stderr ?? '').trim() || err.message}`, { cause: e });
  }
  const facts = JSON.parse(stdout) as CdvFacts;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, stdout);
  renameSync(tmp, file);
  return facts;
}
