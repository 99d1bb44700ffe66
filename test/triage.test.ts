import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSlogan } from '../src/dump/analyze/slogan.js';
import { triage } from '../src/dump/analyze/triage.js';
import { readDump, triageDump } from '../src/dump/index.js';
import { DumpScanner } from '../src/dump/scanner.js';
import { DumpBuilder } from '../src/dump/builder.js';
import { CORPUS, FIXTURES } from './helpers/dumps.js';

const fixture = async (name: string) => triage(await readDump(join(FIXTURES, name)));
const sloganOf = (file: string) => /^Slogan: (.*)$/m.exec(readFileSync(file, 'latin1'))![1];

describe('why it died', () => {
  it('out of memory: allocator, bytes and type from a real allocation failure', async () => {
    const r = await fixture('oom.dump');
    const m = /^(\w+): Cannot allocate (\d+) bytes of memory \(of type "(\w+)"\)/.exec(sloganOf(join(FIXTURES, 'oom.dump')))!;
    expect(r.cause).toEqual({ kind: 'out_of_memory', allocator: m[1], operation: 'allocate', requestBytes: Number(m[2]), memoryType: m[3] });
    expect(r.findings[0]).toMatchObject({ id: 'slogan.out-of-memory', severity: 'critical' });
    expect(r.findings[0].metrics.requestBytes).toBe(Number(m[2]));
    expect(r.findings[0].evidence.join('\n')).toMatch(/memory at the time of the dump/);
  });

  it('atom table full: the limit planted with +t 8192, and the count against it', async () => {
    const r = await fixture('atom_limit.dump');
    expect(r.cause).toMatchObject({ kind: 'system_limit', limit: 'atoms', table: 'atom_tab', max: 8192 });
    const atoms = r.limits.find((l) => l.id === 'atoms')!;
    expect(atoms.limit).toBe(8192);
    expect(atoms.share).toBeGreaterThanOrEqual(0.95);
    expect(r.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['slogan.system-limit', 'limits.atoms']));
  });

  it('boot failure, signal, and a custom halt text', async () => {
    expect((await fixture('do_boot.dump')).cause).toMatchObject({ kind: 'boot_failure', phase: 'do_boot', reason: expect.stringContaining('beamscope_fx_nonexistent_mod') });
    expect((await fixture('sigusr1.dump')).cause).toEqual({ kind: 'signal', signal: 'SIGUSR1' });
    expect((await fixture('mailbox.dump')).cause).toEqual({ kind: 'halt', text: 'beamscope fixture: mailbox workload halted on purpose' });
  });

  it('Kernel pid terminated: the application that failed to start (RabbitMQ prelaunch, OTP 27)', async () => {
    const r = triage(await readDump(join(CORPUS, 'otp27_rabbit_2026.dump')));
    expect(r.cause).toMatchObject({ kind: 'kernel_pid_terminated', who: 'application_controller', application: 'rabbitmq_prelaunch' });
  });

  it('the break-menu slogan, written without a newline, is split from the system version', () => {
    // A tiny chunk test of the header parser (as in OTP 23's BMarelli/Dist-Game-Server dump).
    const b = new DumpBuilder();
    const s = new DumpScanner(b);
    s.feed(Buffer.from('=erl_crash_dump:0.5\nSun Jun 21 17:20:00 2020\nSlogan: Crash dump requested by userSystem version: Erlang/OTP 23 [erts-11.0.2] [source] [64-bit] [smp:4:4]\nAtoms: 9000\n=end\n'));
    s.finish();
    const d = b.result({ path: 'x', gzip: false, bytes: 0, seekable: false, threads: 1 });
    expect(d.header.slogan).toBe('Crash dump requested by user');
    expect(d.header).toMatchObject({ otpRelease: '23', wordSize: 8, atoms: 9000 });
    expect(decodeSlogan(d.header.slogan)).toEqual({ kind: 'user_requested' });
  });
});

describe('mailbox outliers and processes', () => {
  it('finds the planted big mailbox first, with who it is', async () => {
    const r = await fixture('mailbox.dump');
    const o = r.mailboxOutliers[0];
    // beamscope_fixture.erl plants 20,000 messages in the process registered as big_mailbox.
    expect(o).toMatchObject({ name: 'big_mailbox', messageQueueLength: 20000 });
    expect(o.initialCall).toBeDefined();
    expect(o.currentFunction).toBeDefined();
    expect(r.findings.find((f) => f.id === 'mailbox.outlier')!.subject).toMatchObject({ kind: 'process', name: 'big_mailbox' });
    // Relative rule: the typical queue on this node is tiny, so the threshold is the floor.
    expect(r.mailbox.thresholdQueueLength).toBe(100);
    for (const x of r.mailboxOutliers) expect(x.messageQueueLength).toBeGreaterThanOrEqual(100);
  });

  it('decodes the heaps of the outliers it reports and of no other queue', async () => {
    // mailbox.dump's queues: 20,000, 300, 200, 150, 100 (the outliers, at the floor of 100 or
    // more), then 50 and 1. With no budget, every heap triage would decode gets a note instead.
    const dump = await readDump(join(FIXTURES, 'mailbox.dump'));
    const r = triageDump(dump, { decodeBudgetBytes: 0 });
    const outliers = r.mailboxOutliers.map((o) => o.pid);
    expect(outliers).toHaveLength(5);
    const noted = r.notes.map((n) => /^(<[\d.]+>): heap of /.exec(n)?.[1]).filter((pid) => pid !== undefined);
    expect(noted.sort()).toEqual([...outliers].sort());
  });

  it('groups processes by initial call, largest group first', async () => {
    const r = await fixture('mailbox.dump');
    const counts = r.groups.map((g) => g.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(r.groups[0].count).toBeGreaterThan(100);
  });

  it('lists ETS tables by memory with their owners, and ports by kind', async () => {
    const r = await fixture('mailbox.dump');
    const mem = r.ets.map((e) => e.memoryBytes);
    expect(mem).toEqual([...mem].sort((a, b) => b - a));
    expect(r.ets[0].objects).toBe(50000); // the 50,000-object table the generator fills
    expect(r.ports.byKind.tcp).toBeGreaterThanOrEqual(2);
    expect(r.ports.byKind.udp).toBeGreaterThanOrEqual(1);
    expect(r.ports.byKind['external process']).toBeGreaterThanOrEqual(1);
  });

  it('sees the connected node of the distribution fixture', async () => {
    const r = await fixture('dist.dump');
    expect(r.nodes.distributed).toBe(true);
    expect(r.nodes.visible).toBeGreaterThanOrEqual(1);
  });
});
