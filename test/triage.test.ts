import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSlogan, missingBootFile, undefinedFunction } from '../src/dump/analyze/slogan.js';
import { triage } from '../src/dump/analyze/triage.js';
import { groupProcesses } from '../src/dump/analyze/processes.js';
import { readDump } from '../src/dump/index.js';
import { triageDump } from '../src/usecases/triage.js';
import { renderTriageText } from '../src/report/triage-text.js';
import { decodeProcess, mailboxShapes, resolvePid } from '../src/dump/terms/index.js';
import { DumpScanner } from '../src/dump/scanner.js';
import { DumpBuilder } from '../src/dump/builder.js';
import { CORPUS, FIXTURES } from './helpers/dumps.js';
import { haveShared } from './helpers/shared.js';

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
    const boot = await fixture('do_boot.dump');
    expect(boot.cause).toMatchObject({ kind: 'boot_failure', phase: 'do_boot', reason: expect.stringContaining('beamscope_fx_nonexistent_mod') });
    expect(boot.cause).not.toHaveProperty('cut');
    expect(boot.findings[0].evidence).toContain('undefined function beamscope_fx_nonexistent_mod:start/0: its module is not in the code path (a missing -pa, ERL_LIBS or dependency), or does not export it');
    expect((await fixture('sigusr1.dump')).cause).toEqual({ kind: 'signal', signal: 'SIGUSR1' });
    expect((await fixture('mailbox.dump')).cause).toEqual({ kind: 'halt', text: 'beamscope fixture: mailbox workload halted on purpose' });
  });

  it.skipIf(!haveShared('corpus/public'))('Kernel pid terminated: the application that failed to start (RabbitMQ prelaunch, OTP 27)', async () => {
    const r = triage(await readDump(join(CORPUS, 'otp27_rabbit_2026.dump')));
    expect(r.cause).toMatchObject({ kind: 'kernel_pid_terminated', who: 'application_controller', application: 'rabbitmq_prelaunch' });
    // The slogan's innermost error, as a person reads it there: the distribution port was taken.
    expect(r.findings[0].title).toBe('Application rabbitmq_prelaunch failed to start: {dist_port_already_used,25672,"rabbit","VICTUS-AKSHANSH007"}');
    expect(r.findings[0].evidence.slice(0, 3)).toEqual([
      // The node named is the one epmd says holds the port (RabbitMQ's dist_port_use_check), not a
      // node of this name: that is duplicate_node_name.
      'innermost error: {dist_port_already_used,25672,"rabbit","VICTUS-AKSHANSH007"} (distribution port 25672 is held by the Erlang node rabbit@VICTUS-AKSHANSH007: another node, or another instance of this one, uses the same port)',
      'child that failed to start: prelaunch',
      'start callback: rabbit_prelaunch_app:start/2',
    ]);
  });

  it('a permanent application that stopped: which one and why, from a real VM; the quoted form of OTP 26+', async () => {
    const r = await fixture('app_terminated.dump');
    expect(r.cause).toEqual({ kind: 'kernel_pid_terminated', who: 'application_controller', reason: '{application_terminated,sasl,killed}', application: 'sasl', event: 'terminated', exitReason: 'killed' });
    expect(r.findings[0]).toMatchObject({ id: 'slogan.kernel-pid-terminated', severity: 'critical', title: 'Permanent application sasl stopped (killed), so the node stopped' });
    expect(decodeSlogan('Kernel pid terminated (application_controller) ("{application_terminated,rabbit,{shutdown,{failed_to_start_child,x}}}")'))
      .toMatchObject({ application: 'rabbit', event: 'terminated', exitReason: '{shutdown,{failed_to_start_child,x}}' });
    expect(decodeSlogan('Kernel pid terminated (application_controller) ({application_terminated,ejabberd,shutdown})')).toMatchObject({ application: 'ejabberd', exitReason: 'shutdown' });
  });

  it('a boot file that does not exist, from a real VM; the quoted form of later releases', async () => {
    const r = await fixture('bootfile.dump');
    expect(r.cause).toMatchObject({ kind: 'boot_failure', phase: 'do_boot', reason: '{cannot get bootfile,/nonexistent/releases/1.0/start.boot}' });
    expect(r.findings[0].evidence).toContain('boot file /nonexistent/releases/1.0/start.boot cannot be read: a wrong -boot argument, or a release started from another directory than it was built for (RELEASE_ROOT, ROOTDIR)');
    expect(missingBootFile("{'cannot get bootfile','/opt/app/releases/v0.1.5/bin/no_dot_erlang.boot'}")).toBe('/opt/app/releases/v0.1.5/bin/no_dot_erlang.boot');
    expect(missingBootFile('{undef,[]}')).toBeUndefined();
  });

  it('erl_child_setup killed under the VM, from a real VM; the read-error form', async () => {
    const r = await fixture('child_setup.dump');
    expect(r.cause).toEqual({ kind: 'child_setup' });
    expect(r.findings[0]).toMatchObject({ id: 'slogan.child-setup', severity: 'critical', title: 'The VM lost its erl_child_setup helper process' });
    expect(r.findings[0].explanation).toMatch(/OOM killer/);
    expect(decodeSlogan('Failed to read from erl_child_setup: 104')).toEqual({ kind: 'child_setup', errno: 104 });
  });

  it('a broken sys.config: kernel process could not start, with the file, line and error', async () => {
    const r = await fixture('kernel_config.dump');
    expect(r.cause).toMatchObject({
      kind: 'boot_failure', phase: 'kernel_pid_start', who: 'application_controller',
      configFile: { path: expect.stringMatching(/\/sys\.config$/), line: '3', message: "syntax error before: '{'" },
    });
    expect(r.findings[0]).toMatchObject({ id: 'slogan.boot-failure', severity: 'critical', title: 'The node failed to boot: kernel process application_controller could not start (bad config file)' });
    expect(r.findings[0].evidence[1]).toMatch(/^config file \S+\/sys\.config, line 3: syntax error before: '\{'$/);
    // The wording of OTP before 21, capitalised, and a start failure that is not about the config.
    expect(decodeSlogan('Could not start kernel pid (application_controller) (error in config file "/etc/app/sys.config" (none): configuration file not found)'))
      .toMatchObject({ phase: 'kernel_pid_start', configFile: { path: '/etc/app/sys.config', line: 'none', message: 'configuration file not found' } });
    expect(decodeSlogan('could not start kernel pid (erl_prim_loader) (timeout)')).toEqual({ kind: 'boot_failure', phase: 'kernel_pid_start', who: 'erl_prim_loader', reason: 'timeout' });
  });

  it('slogans cut at 200 characters (no closing parenthesis) are still decoded, and say so', () => {
    // Slogan lines of otp23_2021.dump and otp20_2_2018.dump in the corpus, as written there.
    const cutBoot = 'init terminating in do_boot ({badarg,[{io,put_chars,[standard_error,unicode,[_]],[]},{Elixir.Kernel.CLI,exec_fun,2,[{_},{_}]},{Elixir.Kernel.CLI,run,1,[{_},{_}]},{init,start_em,1,[]},{init,do_boot,3,[';
    expect(cutBoot).toHaveLength(200);
    expect(decodeSlogan(cutBoot)).toEqual({ kind: 'boot_failure', phase: 'do_boot', cut: true, reason: cutBoot.slice('init terminating in do_boot ('.length) });
    const cutUndef = 'init terminating in do_boot ({undef,[{Elixir.Path,expand,[],[]},{Elixir.Code,find_file,2,[{_},{_}]},{Elixir.Code,require_file,2,[{_},{_}]},{erl_eval,do_apply,6,[{_},{_}]},{init,start_it,1,[]},{init,st';
    expect(decodeSlogan(cutUndef)).toMatchObject({ kind: 'boot_failure', cut: true });
    expect(undefinedFunction((decodeSlogan(cutUndef) as { reason: string }).reason)).toBe('Elixir.Path:expand/0');
    // Whole ones are not marked.
    expect(decodeSlogan('Runtime terminating during boot (terminating)')).toEqual({ kind: 'boot_failure', phase: 'runtime_boot', reason: 'terminating' });
    expect(decodeSlogan('Kernel pid terminated (application_controller) ({application_start_failure,kernel,{shutdown,{kernel,start,[normal,[]]}}})'))
      .toEqual({ kind: 'kernel_pid_terminated', who: 'application_controller', application: 'kernel', event: 'start_failure', reason: '{application_start_failure,kernel,{shutdown,{kernel,start,[normal,[]]}}}' });
    expect(decodeSlogan('Kernel pid terminated (application_controller) ({application_start_failure,rabbit,{bad_return')).toMatchObject({ kind: 'kernel_pid_terminated', application: 'rabbit', cut: true });
    // undef with elided, counted or quoted parts
    expect(undefinedFunction("{undef,[{'my mod',go,2,[]}]}")).toBe("'my mod':go/2");
    expect(undefinedFunction('{undef,[{m,f,[a,b],[]}]}')).toBe('m:f');
    expect(undefinedFunction('{badarg,[{m,f,[],[]}]}')).toBeUndefined();
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

describe('what the node is full of', () => {
  it('atom table filled by list_to_atom/1: what it is full of, by shape (read from the =atoms text here)', async () => {
    const path = join(FIXTURES, 'atom_flood.dump');
    const atoms = /^=atoms\n((?:[^=].*\n)*)/m.exec(readFileSync(path, 'utf8'))![1].split('\n').slice(0, -1);
    const sessions = atoms.filter((a) => /^session_\d+$/.test(a));
    expect(sessions.length / atoms.length).toBeGreaterThan(0.5);
    const r = triageDump(await readDump(path));
    const use = r.limits.find((l) => l.id === 'atoms')!;
    expect(use.patterns?.[0]).toEqual({ pattern: 'session_N', count: sessions.length, newest: sessions[0] });
    const slogan = r.findings.find((f) => f.id === 'slogan.system-limit')!;
    expect(slogan.evidence).toContain(`the atoms by shape (numbers as N): ${sessions.length.toLocaleString('en-US')} x session_N (${(100 * sessions.length / use.count).toFixed(1)}%; newest ${sessions[0]}), ${use.patterns!.slice(1, 3).map((p) => `${p.count.toLocaleString('en-US')} x ${p.pattern} (${(100 * p.count / use.count).toFixed(1)}%; newest ${p.newest})`).join(', ')}`);
    // The table of atom_limit.dump filled while the VM booted: no one shape, and it says so.
    const boot = triageDump(await readDump(join(FIXTURES, 'atom_limit.dump')));
    expect(boot.findings.find((f) => f.id === 'slogan.system-limit')!.evidence.join('\n')).toMatch(/no one shape holds most of the atoms .*: the table may be too small for the code the node loads/);
  });

  it('a group of 100 or more says who spawned most of them and where most are (counted here from the =proc text)', async () => {
    const path = join(FIXTURES, 'mailbox.dump');
    const procs = [...readFileSync(path, 'latin1').matchAll(/^=proc:.*\n((?:[^=].*\n)*)/gm)].map(([, body]) => ({
      as: /^Spawned as: (.*)$/m.exec(body)?.[1], by: /^Spawned by: (.*)$/m.exec(body)?.[1],
      pc: /^Current call: (.*)$/m.exec(body)?.[1] ?? /^Program counter: 0x[0-9a-f]+ \((.*) \+ \d+\)$/m.exec(body)?.[1],
    }));
    const funs = procs.filter((x) => x.as === 'erlang:apply/2');
    const mode = (xs: Array<string | undefined>) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string | undefined, number>())].sort((a, b) => b[1] - a[1])[0];
    const [by, byCount] = mode(funs.map((x) => x.by));
    const [pc, pcCount] = mode(funs.map((x) => x.pc));
    expect(funs.length).toBeGreaterThanOrEqual(300);
    const r = await fixture('mailbox.dump');
    const g = r.groups.find((x) => x.key === 'erlang:apply/2')!;
    expect(g.count).toBe(funs.length);
    expect(2 * byCount).toBeGreaterThan(funs.length);
    expect(g.spawnedBy).toMatchObject({ pid: by, count: byCount });
    expect(2 * pcCount).toBeGreaterThan(funs.length);
    expect(g.currentFunction).toEqual({ function: pc, count: pcCount });
    // The text report's group table says it under the table.
    expect(renderTriageText(r)).toContain(`  erlang:apply/2: spawned by ${by}: ${byCount.toLocaleString('en-US')} of them; current function ${pc}: ${pcCount.toLocaleString('en-US')} of them`);
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

  it('shapes a queue from the start of its heap within the budget, and says so where its first messages are not within it', async () => {
    const dump = await readDump(join(FIXTURES, 'mailbox.dump'));
    const pid = resolvePid(dump, 'big_mailbox')!;
    const heap = dump.index.get('proc_heap', pid)!.length;
    const shapesOf = (r: ReturnType<typeof triageDump>) => r.mailboxOutliers.find((o) => o.pid === pid)!.messageShapes;
    const want = shapesOf(triageDump(dump));
    expect(want!.length).toBeGreaterThan(0);
    // Its first 5,000 messages are in the first part of its 1.8 MB heap: a budget of that part
    // (less than the heap) gives the same shapes.
    const read = mailboxShapes(dump, pid, { maxMessages: 5000, maxHeapReadBytes: heap }).heapBytesRead!;
    expect(read).toBeLessThan(heap);
    expect(shapesOf(triageDump(dump, { decodeBudgetBytes: read }))).toEqual(want);
    // Half of it: no shapes (some would be wrong), and a note that says why.
    const cut = triageDump(dump, { decodeBudgetBytes: Math.floor(read / 2) });
    expect(shapesOf(cut)).toBeUndefined();
    expect(cut.notes.some((n) => n.startsWith(`${pid}: message shapes not decoded by triage: its first 5,000 messages are not within `))).toBe(true);
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

describe.skipIf(!haveShared('corpus/public'))('findings an operator can act on (issue 15)', () => {
  it('schedulers: counted from the System version line when the dump has no sections for them, saying so', async () => {
    // OTP 17 writes no =scheduler sections ([smp:4:4]); OTP 20 no dirty ones ([ds:4:4:10]).
    const old = triage(await readDump(join(CORPUS, 'otp17_2014.dump'))).schedulers;
    expect(old).toMatchObject({ normal: 4, countsFrom: { normal: 'system version', dirty: 'unknown' } });
    const otp20 = triage(await readDump(join(CORPUS, 'otp20_2_2018.dump'))).schedulers;
    expect(otp20).toMatchObject({ normal: 4, dirtyCpu: 4, dirtyIo: 10, countsFrom: { normal: 'sections', dirty: 'system version' } });
    const otp25 = triage(await readDump(join(CORPUS, 'otp25_dist.dump'))).schedulers;
    expect(otp25.countsFrom).toEqual({ normal: 'sections', dirty: 'sections' });
  });

  it('the memory kind that dominates is the subject of a grammatical title', async () => {
    for (const f of ['r10b10_2006.dump', 'r13b04_2010.dump', 'r15b02_2013.dump']) {
      const title = triage(await readDump(join(CORPUS, f))).findings.find((x) => x.id === 'memory.dominant-kind')?.title;
      expect(title, f).toMatch(/^(Processes|Binaries|ETS tables|Loaded code|Atoms|Other system memory|System memory) holds? \d+% of the node's memory/);
    }
  });

  it("processes' own figures that do not reconcile with =memory: said, and the reader is not sent to the largest processes", async () => {
    // mailbox.dump with =memory's processes (and total) raised 20-fold: the processes' figures in
    // the dump then account for 5% of it, as on an R15B dump without per-process Memory: lines.
    const text = readFileSync(join(FIXTURES, 'mailbox.dump'), 'latin1');
    const m = /\n=memory\ntotal: (\d+)\nprocesses: (\d+)\n/.exec(text)!;
    const extra = Number(m[2]) * 19;
    const mutated = text.replace(m[0], `\n=memory\ntotal: ${Number(m[1]) + extra}\nprocesses: ${Number(m[2]) + extra}\n`);
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-reconcile-'));
    writeFileSync(join(dir, 'm.dump'), mutated, 'latin1');
    const f = triage(await readDump(join(dir, 'm.dump'))).findings.find((x) => x.id === 'memory.dominant-kind')!;
    expect(f.title).toMatch(/^Processes hold 9\d% of the node's memory/);
    expect(f.explanation).toMatch(/processes' own figures in the dump sum to .* so the dump does not show which processes hold the rest/);
    expect(f.explanation).not.toMatch(/look at the largest processes/);
    expect(f.evidence.at(-1)).toMatch(/^sum of the processes' own memory figures: /);
    // The dump as written reconciles, and keeps the usual advice.
    const plain = triage(await readDump(join(FIXTURES, 'mailbox.dump'))).findings.find((x) => x.id === 'memory.dominant-kind');
    if (plain?.subject?.id === 'processes') expect(plain.explanation).toMatch(/look at the largest processes/);
  });
});

describe('an application start failure whose slogan was cut (issue 15)', () => {
  it('names the innermost error in the title, and no evidence line is empty', async () => {
    // do_boot.dump (a real OTP 25 dump) with the slogan of a pre-OTP 25 node whose distribution did
    // not start, cut at 200 characters as those VMs cut it.
    const slogan = "Kernel pid terminated (application_controller) ({application_start_failure,kernel,{{shutdown,{failed_to_start_child,net_sup,{shutdown,{failed_to_start_child,net_kernel,{'EXIT',nodistribution}}}}},{kernel,start,[normal,[]]}}})".slice(0, 200);
    const text = readFileSync(join(FIXTURES, 'do_boot.dump'), 'latin1').replace(/^Slogan: .*$/m, `Slogan: ${slogan}`);
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-cut-slogan-'));
    writeFileSync(join(dir, 'cut.dump'), text, 'latin1');
    const f = triage(await readDump(join(dir, 'cut.dump'))).findings[0];
    expect(f.title).toBe('Application kernel failed to start: nodistribution');
    expect(f.evidence[0]).toMatch(/^innermost error: nodistribution \(distribution did not start: epmd not running/);
    for (const e of f.evidence) expect(e).not.toMatch(/: $/);
  });
});

describe('impossible numbers (issue 15)', () => {
  it('a queue of 10^20 messages, a negative total memory and negative reductions are flagged and kept out of the findings', async () => {
    // mailbox.dump (a real OTP 25 dump) with three values damaged.
    const text = readFileSync(join(FIXTURES, 'mailbox.dump'), 'latin1');
    const big = /\n=proc:(<[\d.]+>)\n(?:[^=][^\n]*\n)*?Message queue length: (\d+)\n/.exec(text)!;
    let bad = text.replace(/\n=memory\ntotal: \d+\n/, '\n=memory\ntotal: -5\n');
    bad = bad.replace(big[0], big[0].replace(/Message queue length: \d+\n/, 'Message queue length: 100000000000000000000\n'));
    bad = bad.replace(/\nReductions: (\d+)\n/, '\nReductions: -42\n');
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-corrupt-'));
    writeFileSync(join(dir, 'bad.dump'), bad, 'latin1');
    const d = await readDump(join(dir, 'bad.dump'));
    expect(d.corruptValues.count).toBe(3);
    const r = triage(d);
    const f = r.findings.find((x) => x.id === 'dump.corrupt-values')!;
    expect(f.severity).toBe('warning');
    expect(f.evidence).toEqual(expect.arrayContaining([
      '=memory total: -5', `${big[1]} Message queue length: 100000000000000000000`, expect.stringMatching(/ Reductions: -42$/)]));
    // Never printed as facts: no finding quotes them, no share is computed from them.
    const text2 = JSON.stringify(r.findings.filter((x) => x.id !== 'dump.corrupt-values'));
    expect(text2).not.toMatch(/100,000,000,000,000,000,000|1e\+20|-5 B|-42/);
    expect(r.memory.totalBytes === undefined || Number.isNaN(r.memory.totalBytes)).toBe(true);
    expect(r.mailboxOutliers.map((o) => o.pid)).not.toContain(big[1]);
  });
});

describe('the group that holds the memory (issue 15)', () => {
  it('a few processes of one kind holding most of the memory are named, by memory share, whatever their number', async () => {
    // memory_group.dump: 20 beamscope_fixture:queue_proc/0 processes of 79, each with a large heap.
    const r = await fixture('memory_group.dump');
    const f = r.findings.find((x) => x.id === 'process.memory-group')!;
    expect(f).toMatchObject({ severity: 'warning', subject: { kind: 'process-group', id: 'beamscope_fixture:queue_proc/0' } });
    expect(f.metrics.count).toBe(20);
    expect(f.metrics.share).toBeGreaterThan(0.5);
    expect(f.title).toMatch(/^20 x beamscope_fixture:queue_proc\/0 hold .* \(\d+% of the node's memory\), .* each on average$/);
  });

  it('not when one member holds the memory (the mailbox finding names that one)', async () => {
    const r = await fixture('refc_mailbox.dump');
    expect(r.findings.find((x) => x.id === 'process.memory-group')).toBeUndefined();
  });
});

describe('what the proc_lib processes are, past the identity limit', () => {
  it('an even sample of their dictionaries, counted as the term decoder reads each of them', async () => {
    const dump = await readDump(join(FIXTURES, 'mailbox.dump'));
    const p = dump.processes;
    const procLib: string[] = [];
    for (let i = 0; i < p.count; i++) if (p.spawnedAs.at(i) === 'proc_lib:init_p/5') procLib.push(p.pid.at(i));
    expect(procLib.length).toBeGreaterThan(1000);
    const r = triageDump(dump, { identityLimit: 100 });
    const every = Math.ceil(procLib.length / 100);
    // The decoder's reading of every every-th one, in file order.
    const expected = new Map<string, number>();
    for (let k = 0; k < procLib.length; k += every) {
      const call = decodeProcess(dump, procLib[k]).initialCall!;
      expected.set(call, (expected.get(call) ?? 0) + 1);
    }
    const g = r.groups.find((x) => x.key === 'proc_lib:init_p/5')!;
    expect(g.sampledInitialCalls).toMatchObject({ groupKey: 'proc_lib:init_p/5', every, sampled: Math.ceil(procLib.length / every) });
    expect(new Map(g.sampledInitialCalls!.calls.map((c) => [c.initialCall, c.count]))).toEqual(expected);
    const [topCall, topCount] = [...expected].sort((a, b) => b[1] - a[1])[0];
    expect(renderTriageText(r)).toContain(`proc_lib:init_p/5: by \`$initial_call\`, in ${Math.ceil(procLib.length / every)} of them (one in ${every}): ${topCount} x ${topCall}`);
    expect(r.notes.join('\n')).toContain(`${procLib.length.toLocaleString('en-US')} proc_lib processes: their dictionaries (real initial calls, ancestors) are read only up to 100 of them`);
    expect(r.notes.join('\n')).toContain(`their real initial calls in an even sample (one in ${every}): see the group proc_lib:init_p/5`);
    // The processes the report lists are read all the same: none of them stays proc_lib:init_p/5.
    const listed = [...r.topProcesses.byMemory, ...r.topProcesses.byBinary, ...r.topProcesses.byReductions].filter((s) => procLib.includes(s.pid));
    expect(listed.length).toBeGreaterThan(0);
    for (const s of listed) expect(s.initialCall, s.pid).toBe(decodeProcess(dump, s.pid).initialCall);
    expect(r.notes.join('\n')).toMatch(/are read only up to 100 of them, and for the \d+ listed here/);
    // ... and stay in the group the sample is of, not split off into groups of one.
    expect(g.count).toBe(procLib.length);
    // Within the limit: every one read, no sample.
    const all = triageDump(dump, { identityLimit: procLib.length });
    expect(all.groups.some((x) => x.sampledInitialCalls)).toBe(false);
    expect(all.groups.find((x) => x.key === 'proc_lib:init_p/5')?.count ?? 0).toBeLessThan(g.count);
  });
});

describe('groups of a table of any size', () => {
  it('past 65,536 groups, every process still counts in its group and its traits (made-up table)', () => {
    // Synthetic =proc records (no heap): the group of each row is kept in two bytes until a group
    // index needs more; the 200 alike processes come after 70,000 groups of one.
    const procs: string[] = [];
    for (let i = 0; i < 70_000; i++) procs.push(`=proc:<0.${i + 100}.0>\nState: Waiting\nSpawned as: m:f${i}/0\nSpawned by: <0.${i + 100}.0>\nCurrent call: m:loop${i}/0\nMemory: 1000\n`);
    for (let i = 0; i < 200; i++) procs.push(`=proc:<0.${i + 80_000}.0>\nState: Waiting\nSpawned as: late:worker/0\nSpawned by: <0.42.0>\nCurrent call: late:wait/0\nMemory: 1000\n`);
    const b = new DumpBuilder();
    const sc = new DumpScanner(b);
    sc.feed(Buffer.from(`=erl_crash_dump:0.5\nSun Jun 21 17:20:00 2020\nSlogan: test\nSystem version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n${procs.join('')}=end\n`));
    sc.finish();
    const d = b.result({ path: 'x', gzip: false, bytes: 0, seekable: false, threads: 1 });
    const groups = groupProcesses(d.processes, 'initial-call', new Map());
    expect(groups).toHaveLength(70_001);
    expect(groups[0]).toMatchObject({ key: 'late:worker/0', count: 200, spawnedBy: { pid: '<0.42.0>', count: 200 }, currentFunction: { function: 'late:wait/0', count: 200 } });
  });
});

describe('ETS tables made and never deleted', () => {
  /** The =ets sections (Owner, Name, Objects, Words) of a fixture dump, read here, and the pid of the process registered as `name`. */
  function etsOf(file: string, name = 'small_idle') {
    const text = readFileSync(join(FIXTURES, file), 'latin1');
    const tables = [...text.matchAll(/^=ets:(<[^>]+>)\n((?:[^=].*\n)*)/gm)].map(([, owner, body]) => ({
      owner, name: /^Name: (.*)$/m.exec(body)![1], objects: Number(/^Objects: (\d+)$/m.exec(body)![1]),
      // Words, 8 bytes each on these 64-bit dumps.
      bytes: 8 * Number(/^Words: (\d+)$/m.exec(body)![1]),
    }));
    const total = Number(/^=memory\ntotal: (\d+)$/m.exec(text)![1]);
    const pid = new RegExp(`^=proc:(<[^>]+>)\nState: .*\nName: ${name}$`, 'm').exec(text)![1];
    return { tables, total, pid, own: tables.filter((t) => t.owner === pid) };
  }
  const sum = (ts: Array<{ bytes: number }>) => ts.reduce((a, t) => a + t.bytes, 0);

  it('the owner of thousands, from the =ets sections of ets_leak.dump', async () => {
    const { tables, pid, own } = etsOf('ets_leak.dump', 'session_store');
    expect(own).toHaveLength(2000);
    const r = triageDump(await readDump(join(FIXTURES, 'ets_leak.dump')));
    const bytes = sum(own);
    expect(r.etsOwners[0]).toEqual({ owner: pid, ownerName: 'session_store', tables: 2000, objects: own.reduce((a, t) => a + t.objects, 0), memoryBytes: bytes, commonName: { name: 'session', tables: 2000, memoryBytes: bytes } });
    const f = r.findings.find((x) => x.id === 'ets.many-tables')!;
    expect(f).toMatchObject({ subject: { kind: 'process', id: pid, name: 'session_store' }, metrics: { tables: 2000, memoryBytes: bytes, countedBytes: bytes } });
    expect(f.title).toMatch(new RegExp(`^${pid.replace(/[.<>]/g, '\\$&')} \\(session_store\\) owns 2,000 ETS tables holding `));
    expect(f.evidence[2]).toBe(`ETS tables on the node: ${tables.length.toLocaleString('en')}`);
    // No single table is large: the largest-table finding says nothing.
    expect(r.findings.some((x) => x.id === 'ets.large-table')).toBe(false);
  });

  it('a table per process (ets_per_process.dump: 2,000 processes each own a table named conn_state): the tables by name', async () => {
    const { tables, total } = etsOf('ets_per_process.dump');
    const conn = tables.filter((t) => t.name === 'conn_state');
    const owners = new Set(conn.map((t) => t.owner)).size;
    expect([conn.length, owners]).toEqual([2000, 2000]);
    const share = sum(conn) / total;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.5);
    const r = triageDump(await readDump(join(FIXTURES, 'ets_per_process.dump')));
    expect(r.etsNames[0]).toEqual({ name: 'conn_state', tables: 2000, objects: conn.reduce((a, t) => a + t.objects, 0), memoryBytes: sum(conn), owners: 2000 });
    const f = r.findings.find((x) => x.id === 'ets.tables-by-name')!;
    // From a fifth of the node a warning, critical from half.
    expect(f).toMatchObject({ severity: 'warning', subject: { kind: 'ets-name', id: 'conn_state' }, metrics: { tables: 2000, owners: 2000, memoryBytes: sum(conn), share } });
    expect(f.title).toMatch(/^2,000 ETS tables named conn_state hold [\d.]+ MiB \([\d.]+% of the node's memory\), owned by 2,000 processes$/);
    // No owner has many: no many-tables finding; none is large: no large-table finding.
    expect(r.findings.filter((x) => x.id === 'ets.many-tables' || x.id === 'ets.large-table')).toEqual([]);
    // One owner of 2,000 tables is the many-tables finding's, not this one's.
    const leak = triageDump(await readDump(join(FIXTURES, 'ets_leak.dump')));
    expect(leak.findings.some((x) => x.id === 'ets.tables-by-name')).toBe(false);
  });

  it('an owner of a large table and a thousand small ones (ets_cache.dump): the large one is its own finding, and the many tables count only the others', async () => {
    const { total, pid, own } = etsOf('ets_cache.dump', 'cache_owner');
    const cache = own.filter((t) => t.name === 'cache');
    const shards = own.filter((t) => t.name === 'shard');
    expect([cache.length, shards.length, own.length]).toEqual([1, 1000, 1001]);
    expect(cache[0].bytes / total).toBeGreaterThan(0.2);
    const r = triageDump(await readDump(join(FIXTURES, 'ets_cache.dump')));
    expect(r.etsOwners[0]).toMatchObject({ owner: pid, tables: 1001, memoryBytes: sum(own), commonName: { name: 'shard', tables: 1000, memoryBytes: sum(shards) } });
    const large = r.findings.find((x) => x.id === 'ets.large-table')!;
    expect(large).toMatchObject({ severity: 'warning', subject: { kind: 'ets', name: 'cache' }, metrics: { memoryBytes: cache[0].bytes } });
    const many = r.findings.find((x) => x.id === 'ets.many-tables')!;
    const rest = sum(own) - cache[0].bytes;
    // Under a fifth of the node once the cache is set apart, and fewer than 10,000 tables: info.
    expect(rest / total).toBeLessThan(0.2);
    expect(many).toMatchObject({ severity: 'info', metrics: { tables: 1001, memoryBytes: sum(own), countedBytes: rest, share: rest / total } });
    expect(many.title).toMatch(/ owns 1,001 ETS tables holding [\d.]+ MiB besides table cache \(/);
    expect(many.evidence).toContainEqual(expect.stringMatching(/^its table cache \([\d.]+ MiB\) is the large-table finding's, not counted here$/));
  });
});

describe('output queued to ports', () => {
  /** The =port sections' Queue and Connected lines, the =memory total and registered names, read here. */
  function portsOf(file: string) {
    const text = readFileSync(join(FIXTURES, file), 'latin1');
    const ports = [...text.matchAll(/^=port:(\S+)\n((?:[^=].*\n)*)/gm)].map(([, id, body]) => ({
      id, queue: Number(/^Queue: (\d+)$/m.exec(body)?.[1] ?? 0), connected: /^Connected: (\S+)$/m.exec(body)?.[1],
    })).sort((a, b) => b.queue - a.queue);
    const total = Number(/^=memory\ntotal: (\d+)$/m.exec(text)![1]);
    const names = new Map([...text.matchAll(/^=proc:(<[^>]+>)\nState: .*\nName: (.*)$/gm)].map(([, pid, name]) => [pid, name]));
    const queued = ports.filter((p) => p.queue > 0);
    return { ports, total, names, queued, queuedBytes: queued.reduce((a, p) => a + p.queue, 0) };
  }

  it('one socket far behind (port_backlog.dump: 200 events of 64 KiB to a peer that never reads): the port, its owner, its share of the node', async () => {
    const { ports, total, names, queued, queuedBytes } = portsOf('port_backlog.dump');
    const top = ports[0];
    expect(top.queue).toBeGreaterThan(12 * 2 ** 20);
    expect(names.get(top.connected!)).toBe('event_pusher');
    const r = triageDump(await readDump(join(FIXTURES, 'port_backlog.dump')));
    expect(r.ports.queued).toEqual({ ports: queued.length, bytes: queuedBytes });
    expect(r.ports.largestQueues[0]).toMatchObject({ id: top.id, kind: 'tcp', driver: 'tcp_inet', connected: top.connected, connectedName: 'event_pusher', queueBytes: top.queue });
    const f = r.findings.find((x) => x.id === 'ports.queue')!;
    // Critical from half the node's memory (or 256 MiB), else a warning.
    expect(f).toMatchObject({ severity: top.queue / total >= 0.5 ? 'critical' : 'warning', subject: { kind: 'port', id: top.id }, metrics: { queueBytes: top.queue, share: top.queue / total } });
    expect(f.title).toMatch(new RegExp(`^port ${top.id.replace(/[.<>]/g, '\\$&')} \\(tcp_inet\\) has 12\\.\\d MiB waiting in its output queue$`));
    expect(f.evidence[0]).toBe(`owner (connected process): ${top.connected} (event_pusher)`);
    expect(f.evidence[1]).toMatch(new RegExp(`^${(100 * top.queue / total).toFixed(1)}% of the node's memory \\(=memory total `));
    // No heap refers to the queued binaries: the binary memory finding says where they are.
    const unseen = r.findings.find((x) => x.id === 'memory.binary-not-in-heaps')!;
    expect(unseen.evidence.at(-1)).toMatch(new RegExp(`^ports' output queues \\(no heap refers to what they hold\\): 12\\.\\d MiB on ${queued.length} ports?; the longest: ${top.id.replace(/[.<>]/g, '\\$&')} \\(tcp_inet\\)`));
  });

  it('many sockets a little behind (ports.dump: 3.7 MiB on each of 5, none past 8 MiB alone): all queues together, when they hold a fifth of the node', async () => {
    const { ports, total, queued, queuedBytes } = portsOf('ports.dump');
    expect(ports[0].queue).toBeLessThan(8 * 2 ** 20);
    expect(queuedBytes / total).toBeGreaterThan(0.2);
    const r = triageDump(await readDump(join(FIXTURES, 'ports.dump')));
    expect(r.ports.queued).toEqual({ ports: queued.length, bytes: queuedBytes });
    const f = r.findings.find((x) => x.id === 'ports.queue')!;
    expect(f).toMatchObject({ severity: 'warning', metrics: { queueBytes: ports[0].queue, queuedBytes, queuedPorts: queued.length, share: queuedBytes / total } });
    expect(f.title).toMatch(new RegExp(`^${queued.length} ports have [\\d.]+ MiB waiting in their output queues$`));
  });

  it('a peer node that does not read (busy_dist.dump: 20 MiB sent to a stopped node): the binary memory no heap holds names the connection', async () => {
    const text = readFileSync(join(FIXTURES, 'busy_dist.dump'), 'latin1');
    const peer = /^=visible_node:\S+\nName: (.*)$/m.exec(text)![1];
    const binary = Number(/^binary: (\d+)$/m.exec(text)![1]);
    expect(binary).toBeGreaterThan(16 * 2 ** 20);
    const r = triageDump(await readDump(join(FIXTURES, 'busy_dist.dump')));
    const f = r.findings.find((x) => x.id === 'memory.binary-not-in-heaps')!;
    expect(f.evidence).toContainEqual(expect.stringMatching(new RegExp(`^connected to 1 node \\(${peer.replace(/[.@']/g, '\\$&')}\\): what a node does not take waits in its distribution buffer, not in the dump`)));
    // Nothing is queued to a port: the connection's own port queue is small.
    expect(r.findings.some((x) => x.id === 'ports.queue')).toBe(false);
  });

  it('senders held back by busy ports (busy_senders.dump: 200 processes sending to peers that never read, default watermarks)', async () => {
    const text = readFileSync(join(FIXTURES, 'busy_senders.dump'), 'latin1');
    const waiting = [...text.matchAll(/^Program counter: 0x[0-9a-f]+ \(prim_inet:send_recv_reply\/2 \+ \d+\)$/gm)].length;
    expect(waiting).toBe(200);
    const r = triageDump(await readDump(join(FIXTURES, 'busy_senders.dump')));
    expect(r.ports.sendersWaiting).toEqual({ processes: waiting, byFunction: [{ function: 'prim_inet:send_recv_reply/2', processes: waiting }] });
    const f = r.findings.find((x) => x.id === 'ports.senders-waiting')!;
    expect(f).toMatchObject({ severity: 'warning', metrics: { processes: waiting, queuedPorts: r.ports.queued.ports } });
    expect(f.title).toBe('200 processes wait for ports to take what they send (prim_inet:send_recv_reply/2)');
    // A sender whose port's watermark is raised is not held back: none waits there.
    const backlog = triageDump(await readDump(join(FIXTURES, 'port_backlog.dump')));
    expect(backlog.ports.sendersWaiting.processes).toBe(0);
    expect(backlog.findings.some((x) => x.id === 'ports.senders-waiting')).toBe(false);
  });

  it('no finding where little is queued', async () => {
    for (const name of ['mailbox.dump', 'many.dump']) {
      const r = triageDump(await readDump(join(FIXTURES, name)));
      expect(r.findings.some((x) => x.id === 'ports.queue')).toBe(false);
    }
  });
});

describe('a CPU-bound node', () => {
  it('run_queue.dump (200 processes in a busy loop on one scheduler): the run queues, and what their processes run, from the text', async () => {
    const text = readFileSync(join(FIXTURES, 'run_queue.dump'), 'latin1');
    const queued = [...text.matchAll(/^Run Queue (?:Max|High|Normal|Low) Length: (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    const procs = [...text.matchAll(/^=proc:(<[^>]+>)\n((?:[^=].*\n)*)/gm)].map(([, , body]) => ({
      state: /^State: (.*)$/m.exec(body)![1], pc: /^Program counter: 0x[0-9a-f]+ \((.*) \+ \d+\)$/m.exec(body)?.[1],
    }));
    const runnable = procs.filter((x) => ['Scheduled', 'Runnable', 'Running'].includes(x.state));
    const spinning = runnable.filter((x) => x.pc === 'beamscope_fixture:spin/1').length;
    expect(queued).toBeGreaterThanOrEqual(150);
    expect(spinning).toBe(200);
    const r = triageDump(await readDump(join(FIXTURES, 'run_queue.dump')));
    expect(r.schedulers.runnable.processes).toBe(runnable.length);
    expect(r.schedulers.runnable.byFunction[0]).toEqual({ function: 'beamscope_fixture:spin/1', processes: spinning });
    const f = r.findings.find((x) => x.id === 'schedulers.run-queue')!;
    // Critical from 100 a scheduler.
    expect(f).toMatchObject({ severity: 'critical', metrics: { runQueueProcesses: queued, schedulers: 1 } });
    expect(f.title).toBe(`${queued} processes waiting in run queues for 1 scheduler`);
    expect(f.evidence[1]).toMatch(new RegExp(`^runnable processes \\(Scheduled, Runnable or Running\\): ${runnable.length}; what most of them run: beamscope_fixture:spin/1 ${spinning}`));
  });
});

describe('refc binaries: who holds them', () => {
  it('refc binaries held outside the heaps: who keeps them and who only counts them (from the =proc, =proc_heap and =binary text here)', async () => {
    const path = join(FIXTURES, 'binary_holder.dump');
    const text = readFileSync(path, 'latin1');
    const total = Number(/^=memory\ntotal: (\d+)$/m.exec(text)![1]);
    const sizes = new Map([...text.matchAll(/^=binary:(\w+)\n([0-9A-F]+):/gm)].map(([, a, n]) => [a, parseInt(n, 16)]));
    const procs = [...text.matchAll(/^=proc:(<[^>]+>)\n((?:[^=].*\n)*)/gm)].map(([, pid, body]) => ({
      pid, name: /^Name: (.*)$/m.exec(body)?.[1],
      // Words, 8 bytes each on this 64-bit dump.
      vheap: 8 * (Number(/^BinVHeap: (\d+)$/m.exec(body)![1]) + Number(/^OldBinVHeap: (\d+)$/m.exec(body)![1])),
    })).sort((a, b) => b.vheap - a.vheap);
    const reachable = (pid: string) => {
      const heap = new RegExp(`^=proc_heap:${pid.replace(/[.<>]/g, '\\$&')}\n((?:[^=].*\n)*)`, 'm').exec(text)?.[1] ?? '';
      const bins = new Set([...heap.matchAll(/^\w+:Y[cs](\w+):/gm)].map((m) => m[1]).filter((a) => sizes.has(a)));
      return [...bins].reduce((a, b) => a + sizes.get(b)!, 0);
    };
    const holders = procs.slice(0, 3).filter((x) => x.vheap >= 1024 * 1024 && x.vheap / total >= 0.1);
    const live = holders.filter((x) => reachable(x.pid) >= 0.5 * x.vheap);
    const stale = holders.filter((x) => reachable(x.pid) < 0.5 * x.vheap);
    // What was planted: log_reader keeps the file it read (3 MiB), the file server that read it
    // for log_reader does not (its heap reaches nothing of what its binary virtual heap counts).
    expect(live.map((x) => x.name)).toEqual(['log_reader']);
    expect(stale.map((x) => x.name)).toContain('file_server_2');
    const r = triageDump(await readDump(path));
    const found = r.findings.filter((f) => f.id === 'process.binary-holder');
    expect(found.map((f) => f.subject?.id)).toEqual(live.map((x) => x.pid));
    expect(found[0].metrics).toEqual({ binaryBytes: live[0].vheap, memoryBytes: expect.any(Number), share: live[0].vheap / total, reachableBytes: reachable(live[0].pid) });
    expect(found[0].title).toBe(`${live[0].pid} (log_reader) refers to 3.00 MiB of refc binaries, ${(100 * live[0].vheap / total).toFixed(1)}% of the node's memory`);
    const st = r.findings.find((f) => f.id === 'process.stale-binaries')!;
    expect(st.subject?.id).toBe(stale[0].pid);
    expect(st.evidence).toHaveLength(stale.length + 1);
    stale.forEach((x, k) => expect(st.evidence[k].startsWith(`${x.pid} `)).toBe(true));
    expect(st.metrics.unreachedBytes).toBe(stale[0].vheap - reachable(stale[0].pid));
    // What log_reader's heap reaches stays whatever the others collect: no more than the rest of =memory binary is freed.
    const binary = Number(/^=memory\n(?:.*\n)*?binary: (\d+)$/m.exec(text)![1]);
    const kept = reachable(live[0].pid);
    expect(st.metrics.share).toBe(Math.min(stale[0].vheap - reachable(stale[0].pid), binary - kept) / total);
    expect(st.evidence[stale.length]).toMatch(/^another heap read still reaches 3\.00 MiB of refc binaries, which stay: a collection frees at most /);
    // The largest process by its own memory is not where the binaries are: the slogan finding names both.
    expect(r.findings.find((f) => f.id === 'slogan.halt')!.evidence.join('\n')).toMatch(new RegExp(`by refc binaries \\(binary virtual heap\\): ${procs[0].pid.replace(/[.<>]/g, '\\$&')} \\(${procs[0].name}\\), 6.00 MiB`));
    // Without reading the heaps (a plain triage), the finding names the largest and says leak tells live from stale.
    const plain = triage(await readDump(path)).findings.filter((f) => f.id === 'process.binary-holder');
    expect(plain.map((f) => f.subject?.id)).toEqual(holders.map((x) => x.pid));
    expect(plain[0].explanation).toMatch(/`beamscope leak` tells them apart/);
  });

  it('binaries held across a group, none much on its own (the =proc text of binary_group.dump, read here)', async () => {
    const path = join(FIXTURES, 'binary_group.dump');
    const text = readFileSync(path, 'latin1');
    const total = Number(/^=memory\ntotal: (\d+)$/m.exec(text)![1]);
    const binary = Number(/^=memory\n(?:.*\n)*?binary: (\d+)$/m.exec(text)![1]);
    const handlers = [...text.matchAll(/^=proc:(<[^>]+>)\n((?:[^=].*\n)*)/gm)]
      .filter(([, , body]) => /^Spawned as: beamscope_fixture:upload_handler\/0$/m.test(body))
      .map(([, pid, body]) => ({ pid, vheap: 8 * (Number(/^BinVHeap: (\d+)$/m.exec(body)![1]) + Number(/^OldBinVHeap: (\d+)$/m.exec(body)![1])) }));
    expect(handlers).toHaveLength(24);
    // None is a finding on its own (1 MiB and 10% of the node), together they are.
    expect(Math.max(...handlers.map((h) => h.vheap))).toBeLessThan(1024 * 1024);
    const sum = handlers.reduce((a, h) => a + h.vheap, 0);
    const r = triageDump(await readDump(path));
    expect(r.findings.some((f) => f.id === 'process.binary-holder')).toBe(false);
    const f = r.findings.find((x) => x.id === 'process.binary-group')!;
    const share = Math.min(sum, binary) / total;
    expect(f).toMatchObject({ severity: 'info', subject: { kind: 'process-group', id: 'beamscope_fixture:upload_handler/0' }, metrics: { count: 24, binaryBytes: sum, share } });
    expect(f.title).toBe(`24 x beamscope_fixture:upload_handler/0 refer to 2.25 MiB of refc binaries (${(100 * share).toFixed(1)}% of the node's memory), 96.0 KiB each on average`);
    // The others with binaries there are one process each (binary_holder.dump): no group finding.
    expect(triageDump(await readDump(join(FIXTURES, 'binary_holder.dump'))).findings.some((x) => x.id === 'process.binary-group')).toBe(false);
  });

  it('a queue of refc binaries: the bytes its messages refer to (the Yc lines of its heap and their =binary sizes, read here)', async () => {
    const path = join(FIXTURES, 'refc_mailbox.dump');
    const text = readFileSync(path, 'latin1');
    const r = triageDump(await readDump(path));
    const o = r.mailboxOutliers[0];
    const heap = new RegExp(`^=proc_heap:${o.pid.replace(/[.<>]/g, '\\$&')}\n((?:[^=].*\n)*)`, 'm').exec(text)![1];
    // Each reference counts (a message each): the size after the offset on the Yc line.
    const refs = [...heap.matchAll(/^\w+:Yc\w+:[0-9A-F]+:([0-9A-F]+)$/gm)].map((m) => parseInt(m[1], 16));
    expect(o.messagesSampled).toBe(o.messageQueueLength);
    expect(refs).toHaveLength(o.messageQueueLength);
    const bytes = refs.reduce((a, b) => a + b, 0);
    expect(o.messagesBinaryBytes).toBe(bytes);
    expect(o.messageShapes!.reduce((a, s) => a + s.binaryBytes!, 0)).toBe(bytes);
    const f = r.findings.find((x) => x.id === 'mailbox.outlier')!;
    expect(f.metrics.queuedBinaryBytes).toBe(bytes);
    expect(f.evidence).toContain(`its messages refer to ${(bytes / 1024).toFixed(0)} KiB of refc binaries (${(100 * bytes / r.memory.totalBytes!).toFixed(1)}% of the node's memory), off its heap`);
    // The first 1,000 read (the heap holds the messages in queue order): scaled to the queue.
    const cut = triageDump(await readDump(path), { shapeSampleMessages: 1000 });
    const first = refs.slice(0, 1000).reduce((a, b) => a + b, 0);
    expect(cut.mailboxOutliers[0]).toMatchObject({ messagesSampled: 1000, messagesBinaryBytes: first });
    expect(cut.findings.find((x) => x.id === 'mailbox.outlier')!.metrics.queuedBinaryBytes).toBe((first * o.messageQueueLength) / 1000);
  });
});

describe('binaries counted by two processes', () => {
  it('binaries two processes of one kind both count (their maker and their holder): the holder named, not the maker, no group finding (binary_pair.dump, its =proc text read here)', async () => {
    const path = join(FIXTURES, 'binary_pair.dump');
    const text = readFileSync(path, 'latin1');
    const vheaps = [...text.matchAll(/^=proc:(<[^>]+>)\n((?:[^=].*\n)*)/gm)]
      .filter(([, , body]) => /^Spawned as: erlang:apply\/2$/m.test(body))
      .map(([, pid, body]) => ({ pid, vheap: 8 * (Number(/^BinVHeap: (\d+)$/m.exec(body)![1]) + Number(/^OldBinVHeap: (\d+)$/m.exec(body)![1])) }))
      .sort((a, b) => b.vheap - a.vheap);
    // The holder and the maker count the same four binaries of 1 MiB: together more than half of
    // their group's sum, each less (the rule as it was fired: "15 x erlang:apply/2 refer to 8.67 MiB").
    const [first, second] = vheaps;
    const sum = vheaps.reduce((a, h) => a + h.vheap, 0);
    expect(first.vheap).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(second.vheap).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(first.vheap).toBeLessThan(sum / 2);
    const holder = /^=proc:(<[^>]+>)\n(?:[^=].*\n)*?Name: blob_cache$/m.exec(text)![1];
    const r = triageDump(await readDump(path));
    const named = r.findings.filter((f) => f.subject?.kind === 'process').map((f) => f.subject!.id);
    // The maker's heap no longer reaches what it counts, but the holder's does: a collection of the
    // maker frees none of it, so its count is no finding (it was "counts refc binaries its heap no
    // longer reach: 4.00 MiB", and 800 MiB critical on the real node of four 200 MiB binaries).
    expect(named).toEqual([holder]);
    expect([first.pid, second.pid]).toContain(holder);
    expect(r.findings.some((f) => f.id === 'process.binary-group')).toBe(false);
  });
});

describe('binaries a group shares (a broadcast)', () => {
  /** The =memory figure `key` and the binary virtual heaps (bytes) of the processes spawned as `spawnedAs`, read from the dump text. */
  const read = (text: string, spawnedAs: string) => ({
    memory: (key: string) => Number(new RegExp(`^=memory\\n(?:.*\\n)*?${key}: (\\d+)$`, 'm').exec(text)![1]),
    vheaps: [...text.matchAll(/^=proc:(<[^>]+>)\n((?:[^=].*\n)*)/gm)]
      .filter(([, , body]) => body.includes(`\nSpawned as: ${spawnedAs}\n`))
      .map(([, pid, body]) => ({ pid, vheap: 8 * (Number(/^BinVHeap: (\d+)$/m.exec(body)![1]) + Number(/^OldBinVHeap: (\d+)$/m.exec(body)![1])) })),
  });

  it('2,000 subscribers of one 1 MiB binary are no binary finding on a node that holds 1 MiB of binaries (binary_broadcast.dump, its text read here)', async () => {
    const path = join(FIXTURES, 'binary_broadcast.dump');
    const t = read(readFileSync(path, 'latin1'), 'beamscope_fixture:subscriber/0');
    expect(t.vheaps).toHaveLength(2000);
    const sum = t.vheaps.reduce((a, h) => a + h.vheap, 0);
    // Each counts the one binary: their sum is 2,000 times what the node holds, a tenth of the node
    // (the rule as it was: "2,000 x ... refer to 1.95 GiB of refc binaries (6.7% of the node's memory)").
    expect(sum).toBeGreaterThan(1000 * t.memory('binary'));
    expect(t.memory('binary') / t.memory('total')).toBeLessThan(0.1);
    const r = triageDump(await readDump(path));
    expect(r.findings.filter((f) => f.id.startsWith('process.binary'))).toEqual([]);
  });

  it('one finding for the group when what they share is a large share of the node, and none for each member', async () => {
    const path = join(FIXTURES, 'binary_broadcast.dump');
    const t = read(readFileSync(path, 'latin1'), 'beamscope_fixture:subscriber/0');
    const dump = await readDump(path);
    // The node made small: its 1 MiB of binaries a fifth of it, each subscriber's 1 MiB a holder's share.
    const total = 5 * t.memory('binary');
    const r = triageDump({ ...dump, memory: { ...dump.memory, total } });
    const sum = t.vheaps.reduce((a, h) => a + h.vheap, 0);
    expect(r.findings.filter((f) => f.id === 'process.binary-holder')).toEqual([]);
    const g = r.findings.filter((f) => f.id === 'process.binary-group');
    expect(g).toHaveLength(1);
    expect(g[0]).toMatchObject({ severity: 'info', subject: { kind: 'process-group', id: 'beamscope_fixture:subscriber/0' }, metrics: { count: 2000, binaryBytes: sum, share: 0.2 } });
    const mib = (t.memory('binary') / 2 ** 20).toFixed(2);
    const gib = (sum / 2 ** 30).toFixed(2);
    expect(g[0].title).toBe(`2,000 x beamscope_fixture:subscriber/0 share refc binaries of at most ${mib} MiB (20.0% of the node's memory): their binary virtual heaps sum ${gib} GiB, a binary counted in each that holds it`);
    expect(g[0].evidence.join('\n')).toMatch(/^of them, by binaries: <0\.\d+\.0> 1\.00 MiB/m);
  });
});

describe('binaries kept alive through a part of them', () => {
  it('names the process whose heap keeps a 1 KiB part of a 2 MiB binary (binary_part.dump, its text read here)', async () => {
    const path = join(FIXTURES, 'binary_part.dump');
    const text = readFileSync(path, 'latin1');
    const pid = /^=proc:(<[^>]+>)\n(?:[^=].*\n)*?Name: header_cache$/m.exec(text)![1];
    const body = new RegExp(`^=proc:${pid.replace(/[.<>]/g, '\\$&')}\\n((?:[^=].*\\n)*)`, 'm').exec(text)![1];
    const vheap = 8 * (Number(/^BinVHeap: (\d+)$/m.exec(body)![1]) + Number(/^OldBinVHeap: (\d+)$/m.exec(body)![1]));
    // The one binary of 2 MiB (200000 hex): `=binary:ADDR` then `SIZE:DATA`.
    const [, address, sizeHex] = /^=binary:([0-9A-F]+)\n(200000):/m.exec(text)!;
    const size = parseInt(sizeHex, 16);
    const heap = new RegExp(`^=proc_heap:${pid.replace(/[.<>]/g, '\\$&')}\\n((?:[^=].*\\n)*)`, 'm').exec(text)![1];
    // The heap refers to 1 KiB of it (ADDR:Yc<binary>:<offset>:<size>), its virtual heap counts about that.
    expect(heap).toMatch(new RegExp(`:Yc${address}:[0-9A-F]+:400$`, 'm'));
    expect(size).toBe(2 * 1024 * 1024);
    expect(vheap).toBeLessThan(size / 4);
    const total = Number(/^=memory\ntotal: (\d+)$/m.exec(text)![1]);
    const r = triageDump(await readDump(path));
    const f = r.findings.filter((x) => x.id === 'process.binary-parts');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'info', subject: { kind: 'process', id: pid, name: 'header_cache' }, metrics: { reachableBytes: size, binaryBytes: vheap, share: size / total } });
    expect(f[0].title).toBe(`${pid} (header_cache) keeps 2.00 MiB of refc binaries alive, ${(100 * size / total).toFixed(1)}% of the node's memory, through parts of them: its binary virtual heap counts ${(vheap / 1024).toFixed(2)} KiB`);
    // Nothing else names it: its virtual heap is no holder's.
    expect(r.findings.filter((x) => x.subject?.id === pid)).toHaveLength(1);
  });

  it('no such finding where virtual heaps or a sampled queue count the binaries', async () => {
    for (const name of ['binary_holder.dump', 'binary_group.dump', 'refc_mailbox.dump', 'binary_broadcast.dump']) {
      const r = triageDump(await readDump(join(FIXTURES, name)));
      expect(r.findings.some((x) => x.id === 'process.binary-parts')).toBe(false);
    }
  });
});
