import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { CLI, REPO } from './dumps.js';

export { CLI };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `beamscope` bin (what `npm install` links) to completion, colour off. */
export function beamscope(args: string[], input?: Buffer | string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' }, cwd: REPO });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The error contract: one line on stderr, prefixed, matching, and never a stack trace. */
export function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^beamscope: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}
