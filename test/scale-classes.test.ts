/**
 * The bench's dump classes (issue 14) made small by a real VM (fixtures/scripts/make-refc-mailbox.sh,
 * make-many.sh): what the big ones must show, shown on the small ones, through the built CLI, on a
 * first read (a scan, which saves the index) and a second (from the saved index).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { beamscope } from './helpers/cli.js';
import { FIXTURES } from './helpers/fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a report's JSON, read by key in assertions
function json(args: string[]): any {
  const r = beamscope([...args, '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('class a made small: refc binaries queued in one process', () => {
  const dump = FIXTURES.refcMailbox;

  it.each(['first read', 'from the saved index'])('%s: triage names log_writer first among the mailboxes, with its message shape', (_when) => {
    const r = json(['triage', dump]);
    expect(r.counts.binaries).toBeGreaterThanOrEqual(4000);
    const top = r.mailboxOutliers[0];
    expect(top.name).toBe('log_writer');
    expect(top.messageQueueLength).toBe(4000);
    expect(top.messageShapes[0]).toMatchObject({ shape: '{log_line, integer, binary(80)}', count: 4000 });
  });

  it('leak names the producer that holds stale references to the binaries it sent, first', () => {
    const r = json(['leak', dump]);
    expect(r.findings[0].id).toBe('leak.stale-binaries');
    expect(r.findings[0].title).toMatch(/\(log_shipper\) holds/);
  });

  it('proc counts every binary the queue holds and lists the largest', () => {
    const r = json(['proc', dump, 'log_writer', '--top', '5']);
    expect(r.binaries.count).toBeGreaterThanOrEqual(4000);
    expect(r.binaries.held).toHaveLength(5);
  });
});

describe('classes b-d made small: many processes, ETS tables and funs', () => {
  it('triage and procs count what awk counts, from a scan and from the saved index', () => {
    const text = readFileSync(FIXTURES.many, 'latin1');
    const count = (tag: string) => text.split(`\n=${tag}:`).length - 1 + (text.split(`\n=${tag}\n`).length - 1);
    for (let k = 0; k < 2; k++) {
      const t = json(['triage', FIXTURES.many]);
      expect(t.counts.processes).toBe(count('proc'));
      expect(t.counts.etsTables).toBe(count('ets'));
      expect(t.counts.funs).toBe(count('fun'));
      const p = json(['procs', FIXTURES.many, '--top', '3']);
      expect(p.processes).toBe(count('proc'));
      expect(p.rows).toHaveLength(3);
    }
  });
});
