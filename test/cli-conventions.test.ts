/** Command-line conventions every command shares: colour, completion, usage, check's protocol. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../cli/progress.js';
import { CLI, REPO } from './helpers/dumps.js';

const OOM = join(REPO, 'fixtures', 'oom.dump');

/** The built bin with exactly this environment on top of PATH and HOME (no NO_COLOR from the suite). */
function run(args: string[], env: Record<string, string> = {}) {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...base, ...env }, cwd: REPO, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const ESC = '\u001b[';

describe('colour', () => {
  it('follows --color, then NO_COLOR (non-empty), FORCE_COLOR, TERM=dumb, then the terminal', () => {
    expect(colorEnabled('auto', {}, true)).toBe(true);
    expect(colorEnabled('auto', {}, false)).toBe(false);
    expect(colorEnabled('auto', { NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled('auto', { NO_COLOR: '' }, true)).toBe(true); // no-color.org: only when non-empty
    expect(colorEnabled('auto', { FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled('auto', { FORCE_COLOR: '0' }, false)).toBe(false);
    expect(colorEnabled('auto', { FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(false);
    expect(colorEnabled('auto', { TERM: 'dumb' }, true)).toBe(false);
    expect(colorEnabled('always', { NO_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled('never', { FORCE_COLOR: '1' }, true)).toBe(false);
  });

  it('reaches the output of a command', () => {
    expect(run(['triage', OOM, '--top', '1', '--no-cache']).stdout).not.toContain(ESC);
    expect(run(['triage', OOM, '--top', '1', '--no-cache'], { FORCE_COLOR: '1' }).stdout).toContain(ESC);
    expect(run(['--color', 'always', 'triage', OOM, '--top', '1', '--no-cache'], { NO_COLOR: '1' }).stdout).toContain(
      ESC,
    );
    expect(
      run(['triage', OOM, '--top', '1', '--no-cache', '--color=never'], { FORCE_COLOR: '1' }).stdout,
    ).not.toContain(ESC);
  });
});

describe('usage', () => {
  it('beamscope alone prints what it does and its commands (exit 2)', () => {
    const r = run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Memory and crash-dump diagnostics/);
    expect(r.stderr).toMatch(/beamscope triage <dump>/);
    expect(r.stdout).toBe('');
  });

  it('beamscope completion prints a completion script', () => {
    const r = run(['completion']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/beamscope/);
    expect(r.stdout).toMatch(/complete|compdef/);
  });

  it('collect --help lists no option that does nothing there', () => {
    const r = run(['collect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/--top|--threads|--cache/);
  });
});

describe('check speaks the plugin protocol for every error', () => {
  it.each([
    [['--threads', '2', 'check', 'x', '--bogus']],
    [['check', '--top', '3', 'x']],
    [['--color', 'never', 'check', 'no-such-file']],
    [['check', '--format', 'text', 'no-such-file']],
  ])('%j: an UNKNOWN status line, exit 3', (args) => {
    const r = run(args);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^BEAMSCOPE UNKNOWN - /);
  });
});
