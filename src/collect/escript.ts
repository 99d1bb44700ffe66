/**
 * Where the collector lives: the `escript` program of the user's Erlang/OTP, and the script shipped
 * in the package (`collect/beamscope_collect.escript`, next to the agent module it loads on the node).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CollectError } from './errors.js';

export const SCRIPT_NAME = 'beamscope_collect.escript';
export const AGENT_NAME = 'beamscope_collect_agent.erl';

/**
 * The shipped script: found by walking up from this module (src/collect in a checkout,
 * dist/src/collect once built) to the folder that holds `collect/beamscope_collect.escript`.
 */
export function collectorScript(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; ) {
    const candidate = join(dir, 'collect', SCRIPT_NAME);
    if (existsSync(candidate) && existsSync(join(dir, 'collect', AGENT_NAME))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new CollectError('install', `the collector script (collect/${SCRIPT_NAME}) is missing from this beamscope installation`);
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `escript` program: `explicit`, else BEAMSCOPE_ESCRIPT, else the first `escript` on PATH.
 * Missing: a CollectError saying how to get one.
 */
export function findEscript(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = explicit ?? env.BEAMSCOPE_ESCRIPT;
  if (given) {
    if (isAbsolute(given) || given.includes('/')) {
      if (executable(given)) return given;
      throw new CollectError('no-escript', `escript not found at ${given} (BEAMSCOPE_ESCRIPT): install Erlang/OTP or fix the path`);
    }
  }
  const name = given || 'escript';
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.BAT;.CMD').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = join(dir, name + ext);
      if (executable(p)) return p;
    }
  }
  throw new CollectError('no-escript', 'escript not found on PATH: beamscope collect needs Erlang/OTP on this machine (e.g. apt-get install erlang-base), or BEAMSCOPE_ESCRIPT set to the escript program');
}

/**
 * The escript's events: one JSON object a line on its stdout. `onEvent` gets each parsed one,
 * `onOther` any other non-empty line (the escript printing something unexpected).
 */
export function onEventLines(stdout: Readable, onEvent: (ev: Record<string, unknown>) => void, onOther: (line: string) => void = () => {}): void {
  createInterface({ input: stdout, crlfDelay: Infinity }).on('line', (raw: string) => {
    const line = raw.trim();
    if (!line) return;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      onOther(line);
      return;
    }
    onEvent(ev);
  });
}
