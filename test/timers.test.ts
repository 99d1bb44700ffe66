/**
 * Pending timers (fixtures/timer_leak.dump, made by a real VM: request_tracker, a gen_server that
 * starts a send_after/3 per request and never cancels it, 12,000 of them; one more sent to its
 * registered name; one to a process registered as `constructor`; a few ordinary ones). Expected
 * values come from the `=timer` sections' text, read here with regular expressions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess, resolvePid } from '../src/dump/terms/index.js';
import { triageDump } from '../src/usecases/triage.js';
import { beamscope } from './helpers/cli.js';
import { get, startServe } from './helpers/serve.js';
import { FIXTURES } from './helpers/dumps.js';

const PATH = join(FIXTURES, 'timer_leak.dump');

interface TextTimer { owner: string; message: string; timeLeft: number }

/** Every `=timer:OWNER` section in file order: its owner, `Message:` and `Time left:`. */
function timersFromText(): TextTimer[] {
  const text = readFileSync(PATH, 'utf8');
  return [...text.matchAll(/^=timer:(.*)\nMessage: (.*)\nTime left: (\d+)$/gm)].map((m) => ({ owner: m[1], message: m[2], timeLeft: Number(m[3]) }));
}

/** The pid of a registered process, from its `=proc` section's text. */
function pidOfName(name: string): string {
  return new RegExp(`^=proc:(<[\\d.]+>)\\nState: .*\\nName: ${name}$`, 'm').exec(readFileSync(PATH, 'utf8'))![1];
}

describe('timers of a dump', () => {
  it('counted by owner as the sections say, a name that is a property of every object counted like another', async () => {
    const dump = await readDump(PATH, { cache: false });
    const want = new Map<string, number>();
    for (const t of timersFromText()) want.set(t.owner, (want.get(t.owner) ?? 0) + 1);
    expect(Object.entries(dump.timers.byOwner).sort()).toEqual([...want].sort());
    expect(dump.timers.byOwner.constructor).toBe(1);
    expect(dump.timers.count).toBe(timersFromText().length);
  });

  it('proc: the tracker\'s timers, by its pid and its name, the first 1,000 by shape, and when', async () => {
    const dump = await readDump(PATH, { cache: false });
    const pid = pidOfName('request_tracker');
    const all = timersFromText();
    const own = all.filter((t) => t.owner === pid);
    expect(own).toHaveLength(12000);
    const read = own.slice(0, 1000);
    const sizes = read.map((t) => /^\{request_timeout,\d+,<<"(req-\d+)">>\}$/.exec(t.message)![1].length);
    const d = decodeProcess(dump, resolvePid(dump, 'request_tracker')!);
    expect(d.timers).toMatchObject({
      owner: pid, timers: 12001, sampled: 1000, unreadable: 0,
      timeLeftMs: { min: Math.min(...read.map((t) => t.timeLeft)), max: Math.max(...read.map((t) => t.timeLeft)) },
    });
    expect(d.timers!.shapes.map((s) => [s.shape, s.count, s.example])).toEqual([
      [`{request_timeout, integer, binary(${Math.min(...sizes)}..${Math.max(...sizes)})}`, 1000, read[0].message],
    ]);
    // A process with none has no timers field; one with a start_timer/3 has its {timeout, Ref, Msg}.
    expect(decodeProcess(dump, resolvePid(dump, 'small_idle')!).timers).toBeUndefined();
    const retry = all.find((t) => t.message.startsWith('{timeout,'))!;
    expect(decodeProcess(dump, retry.owner).timers?.shapes.map((s) => s.shape)).toEqual(['{timeout, ref, {retry, integer}}']);
  });

  it('triage: one finding names the tracker with every timer of its pid and name, what they deliver and the rest of the node', async () => {
    const dump = await readDump(PATH, { cache: false });
    const all = timersFromText();
    const pid = pidOfName('request_tracker');
    const r = triageDump(dump);
    expect(r.timers.owners[0]).toEqual({ owner: pid, name: 'request_tracker', timers: 12001 });
    const f = r.findings.find((x) => x.id === 'timers.pending')!;
    expect(f).toMatchObject({ severity: 'info', subject: { kind: 'process', id: pid, name: 'request_tracker' }, metrics: { timers: 12001, totalTimers: all.length } });
    expect(f.title).toBe(`${pid} (request_tracker) has 12,001 timers pending (${all.length.toLocaleString('en')} on the node)`);
    expect(f.evidence).toContain(`e.g. ${all.find((t) => t.owner === pid)!.message}`);
    expect(f.evidence.find((e) => e.startsWith('its first 1,000 timers will deliver: 1,000 x {request_timeout, integer, binary('))).toBeDefined();
    expect(f.evidence).toContain('time left (those read): 10.0 min');
  });

  it('no finding below 10,000 timers of one owner', async () => {
    const dump = await readDump(join(FIXTURES, 'mailbox.dump'), { cache: false });
    const r = triageDump(dump, { decode: false });
    expect(r.findings.some((x) => x.id === 'timers.pending')).toBe(false);
    expect(r.timers.sample).toBeUndefined();
  });

  it('proc --format json and text show the timers', () => {
    const json = JSON.parse(beamscope(['proc', PATH, 'request_tracker', '--format', 'json', '--no-cache']).stdout);
    expect(json.timers).toMatchObject({ pending: 12001, sampled: 1000, unreadable: 0 });
    expect(json.timers.shapes[0].count).toBe(1000);
    const small = JSON.parse(beamscope(['proc', PATH, 'small_idle', '--format', 'json', '--no-cache']).stdout);
    expect(small.timers).toBeNull();
    const text = beamscope(['proc', PATH, 'request_tracker', '--no-cache']).stdout;
    expect(text).toMatch(/^Timers: 12,001 pending; time left 10\.0 min \(those read\)$/m);
    expect(text).toMatch(/^ {4}1,000 x \{request_timeout, integer, binary\(\d+\.\.\d+\)\}$/m);
  });

  it('serve: the process page counts its timers by pid and name and says what they deliver', async () => {
    const pid = pidOfName('request_tracker');
    const s = await startServe(PATH);
    try {
      const r = await get(`${s.origin}/process/${pid.slice(1, -1)}?token=${s.token}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/<th>Timers<\/th><td><a href="\/timers">12,001<\/a> pending; the first 1,000: 1,000 × <code>\{request_timeout, integer, binary\(\d+\.\.\d+\)\}<\/code>; time left 10\.0 min<\/td>/);
    } finally {
      await s.stop();
    }
  });
});

const haveElixir = spawnSync('elixir', ['-e', ':ok'], { stdio: 'ignore' }).status === 0;

/** Elixir's own inspect/1 of a term written as Erlang text (a `Message:` line), by a real `elixir`. */
function elixirInspect(erlangText: string): string {
  const script = '[text] = System.argv(); {:ok, tokens, _} = :erl_scan.string(String.to_charlist(text <> ".")); {:ok, term} = :erl_parse.parse_term(tokens); IO.puts(inspect(term))';
  const r = spawnSync('elixir', ['-e', script, erlangText], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`elixir: ${r.stderr}`);
  return r.stdout.trimEnd();
}

describe.skipIf(!haveElixir)('timers in Elixir syntax (the oracle: Elixir\'s inspect/1 of the first Message line)', () => {
  it('triage --syntax elixir, proc --syntax elixir and its JSON: the shapes and the example as Elixir writes them', async () => {
    const tracker = pidOfName('request_tracker');
    const first = timersFromText().find((t) => t.owner === tracker)!;
    const want = elixirInspect(first.message);
    expect(want).toMatch(/^\{:request_timeout, \d+, "req-\d+"\}$/);
    const r = triageDump(await readDump(PATH), { elixir: { reason: 'test' } });
    const f = r.findings.find((x) => x.id === 'timers.pending')!;
    expect(f.elixir!.evidence).toContain(`e.g. ${want}`);
    expect(f.elixir!.evidence.find((e) => e.startsWith('its first '))).toContain('x {:request_timeout, integer, binary(');
    const text = beamscope(['proc', PATH, 'request_tracker', '--syntax', 'elixir']).stdout;
    expect(text).toContain(`  e.g. ${want}`);
    const json = JSON.parse(beamscope(['proc', PATH, 'request_tracker', '--syntax', 'elixir', '--format', 'json']).stdout) as { timers: { shapes: Array<{ elixir?: { example: string } }> } };
    expect(json.timers.shapes[0].elixir?.example).toBe(want);
  });

  it('serve --syntax elixir: the timers page shows each message as Elixir writes it', async () => {
    const timers = timersFromText();
    const wants = timers.slice(0, 3).map((t) => elixirInspect(t.message));
    const s = await startServe(PATH, ['--syntax', 'elixir']);
    try {
      const r = await get(`${s.origin}/timers?token=${s.token}`);
      expect(r.status).toBe(200);
      const cells = [...r.body.matchAll(/<td class="text"><code>([^<]*)<\/code><\/td>/g)].map((m) => m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
      for (const want of wants) expect(cells).toContain(want);
      // The Erlang text of the same messages is not there.
      expect(cells).not.toContain(timers[0].message);
    } finally {
      await s.stop();
    }
  });
});
