import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, FIXTURES } from './helpers/dumps.js';

const procs = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, [CLI, 'procs', join(FIXTURES, 'mailbox.dump'), '--format', 'json', ...args], { encoding: 'utf8', maxBuffer: 16 << 20 }));

describe('beamscope procs', () => {
  it('sorts processes by mailbox: the planted queues in order', () => {
    const r = procs('--sort', 'mailbox', '--top', '6');
    // beamscope_fixture.erl plants 20,000 messages in big_mailbox and 300/200/150/100/50 in mbox_N.
    expect(r.rows.map((p: { name?: string; messageQueueLength: number }) => [p.name, p.messageQueueLength])).toEqual([
      ['big_mailbox', 20000], ['mbox_300', 300], ['mbox_200', 200], ['mbox_150', 150], ['mbox_100', 100], ['mbox_50', 50],
    ]);
  });

  it('groups by real initial call: the 1,000 gen_server children and 495 proc_lib loops', () => {
    const r = procs('--group-by', 'initial-call', '--top', '50');
    const count = (key: string) => r.groups.find((g: { key: string }) => g.key === key)?.count;
    expect(count('beamscope_fixture:init/1')).toBe(1000);
    expect(count('beamscope_fixture:proc_lib_loop/0')).toBe(495);
    expect(count('proc_lib:init_p/5')).toBeUndefined();
  });

  it('groups by ancestor: the supervisor of the 1,000 children', () => {
    const r = procs('--group-by', 'ancestor', '--sort', 'memory', '--top', '50');
    expect(r.groups.find((g: { key: string }) => g.key === 'fixture_sup')?.count).toBe(1000);
    const mem = r.groups.map((g: { memoryBytes: number }) => g.memoryBytes);
    expect(mem).toEqual([...mem].sort((a: number, b: number) => b - a));
  });

  it('groups by registered-name pattern', () => {
    const r = procs('--group-by', 'name', '--top', '50');
    expect(r.groups.find((g: { key: string }) => g.key === 'mbox_N')?.count).toBe(5);
  });
});
