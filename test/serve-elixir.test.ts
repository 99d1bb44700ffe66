/**
 * `beamscope serve` follows --syntax (src/elixir): over HTTP, on fixtures/elixir/elixir.dump (made by a
 * real Elixir node, fixtures/elixir/make.sh), the overview, the process table and a process page
 * name things and print terms as Elixir does (the texts `triage` and `proc` print for the same
 * dump, test/elixir-syntax.test.ts); `--syntax erlang` and an Erlang node's pages are as before.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/html/index.js';
import { FIXTURES } from './helpers/dumps.js';
import { get, startServe, type ServeRun } from './helpers/serve.js';

const ELIXIR = join(FIXTURES, 'elixir', 'elixir.dump');
const MAILBOX = join(FIXTURES, 'mailbox.dump');

/** The body of `path` on the server, which must answer 200. */
async function getOk(s: ServeRun, path: string): Promise<string> {
  const r = await get(`${s.origin}${path}${path.includes('?') ? '&' : '?'}token=${s.token}`);
  if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
  return r.body;
}

describe('serve: an Elixir node in Elixir syntax', () => {
  let s: ServeRun;
  beforeAll(async () => {
    s = await startServe(ELIXIR);
  });
  afterAll(async () => {
    await s.stop();
  });

  it('overview: findings with Elixir advice, outliers by Elixir name with Elixir shapes', async () => {
    const body = await getOk(s, '/');
    expect(body).toContain('Names and terms in Elixir syntax');
    expect(body).toContain('Beamscope.Fixture.Inbox');
    expect(body).toContain(escapeHtml('%Beamscope.Fixture.Event{id: integer, kind: atom, meta: [source: atom], payload: binary(6..9)}'));
    expect(body).toContain(escapeHtml('%Beamscope.Fixture.Event{id: 1, kind: :click, meta: [source: :web], payload: "user-1"}'));
    expect(body).toContain('GenServer.call/3');
    expect(body).not.toContain(escapeHtml("'Elixir.Beamscope.Fixture.Inbox'"));
    const api = JSON.parse(await getOk(s, '/api/')) as { syntax: { name: string }; mailboxOutliers: Array<{ name: string; elixir: { name: string } }> };
    expect(api.syntax.name).toBe('elixir');
    expect(api.mailboxOutliers[0]).toMatchObject({ name: "'Elixir.Beamscope.Fixture.Inbox'", elixir: { name: 'Beamscope.Fixture.Inbox' } });
  });

  it('process table: names and calls in Elixir syntax', async () => {
    const body = await getOk(s, '/processes?q=Inbox');
    expect(body).toContain('Beamscope.Fixture.Inbox');
    expect(body).toContain(':proc_lib.init_p/5');
    expect(body).not.toContain(escapeHtml("'Elixir.Beamscope.Fixture.Inbox'"));
  });

  it('process page: shapes, messages, dictionary and stack in Elixir syntax; the API keeps both', async () => {
    const body = await getOk(s, '/process/0.106.0');
    expect(body).toContain(escapeHtml('Process <0.106.0> (Beamscope.Fixture.Inbox)'));
    expect(body).toContain(escapeHtml('%Beamscope.Fixture.Event{id: integer, kind: atom, meta: [source: atom], payload: binary(6..9)}'));
    // The first messages, as `proc` prints them (test/elixir-syntax.test.ts): :ok, :"hello world", nil.
    expect(body).toContain(escapeHtml(':"hello world"'));
    // proc_lib's dictionary entry, as Elixir writes it.
    expect(body).toContain(escapeHtml(':"$initial_call"'));
    expect(body).toContain(escapeHtml('{Beamscope.Fixture.Inbox, :init, 1}'));
    // The =proc record stays as the dump writes it; nothing before it is in Erlang syntax.
    expect(body.slice(0, body.indexOf('<section id="record">'))).not.toContain(escapeHtml("'Elixir.Beamscope.Fixture.Inbox'"));
    const messages = JSON.parse(await getOk(s, '/api/process/0.106.0/messages?limit=3')) as { messages: Array<{ text: string; elixir: { text: string } }> };
    expect(messages.messages.map((m) => m.elixir.text)).toEqual([':ok', ':"hello world"', 'nil']);
    expect(messages.messages[1].text).toBe("'hello world'");
    const proc = JSON.parse(await getOk(s, '/api/process/0.106.0')) as { detail: { record: { name: string } }; elixir: { name: string } };
    expect(proc.detail.record.name).toBe("'Elixir.Beamscope.Fixture.Inbox'");
    expect(proc.elixir.name).toBe('Beamscope.Fixture.Inbox');
  });
});

describe('serve: Erlang syntax', () => {
  const runs: ServeRun[] = [];
  afterAll(async () => {
    for (const r of runs) await r.stop();
  });

  it('--syntax erlang on the Elixir node: the names as the dump writes them', async () => {
    const s = await startServe(ELIXIR, ['--syntax', 'erlang']);
    runs.push(s);
    const body = await getOk(s, '/');
    expect(body).toContain(escapeHtml("'Elixir.Beamscope.Fixture.Inbox'"));
    expect(body).not.toContain('Names and terms in Elixir syntax');
    expect(await getOk(s, '/api/process/0.106.0/messages?limit=1')).not.toContain('"elixir"');
  });

  it('an Erlang node: the same pages with auto as with --syntax erlang', async () => {
    const auto = await startServe(MAILBOX);
    runs.push(auto);
    const erl = await startServe(MAILBOX, ['--syntax', 'erlang']);
    runs.push(erl);
    for (const path of ['/', '/processes?sort=messageQueueLength', '/process/0.79.0', '/ets', '/api/']) {
      expect(await getOk(auto, path), path).toBe(await getOk(erl, path));
    }
    expect(await getOk(auto, '/api/')).not.toContain('"elixir"');
  });
});
