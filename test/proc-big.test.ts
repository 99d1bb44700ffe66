/**
 * Streaming a huge mailbox in bounded memory: a real VM fills one process with N messages
 * (fixtures/terms/gen_big_mailbox.erl; 3,000,000 by default) and dumps; `beamscope proc` then
 * decodes that process in a child whose peak RSS must stay under 300 MB. Expected shapes are what
 * the generator planted. It needs about 1 GB of temp disk and a few minutes, so it only runs with
 * BEAMSCOPE_BIG_TESTS=1 (BEAMSCOPE_BIG_MESSAGES=N for another size).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const N = Number(process.env.BEAMSCOPE_BIG_MESSAGES ?? 3_000_000);
const enabled = process.env.BEAMSCOPE_BIG_TESTS === '1';

function generate(): string {
  const out = join(tmpdir(), `beamscope-big-mailbox-${N}.dump`);
  if (existsSync(out) && statSync(out).size > 0) return out;
  const dir = mkdtempSync(join(tmpdir(), 'beamscope-big-'));
  try {
    let r = spawnSync('erlc', ['-o', dir, join(ROOT, 'fixtures', 'terms', 'gen_big_mailbox.erl')], { stdio: 'inherit' });
    expect(r.status).toBe(0);
    const tmp = `${out}.tmp`;
    r = spawnSync('erl', ['-noshell', '-pa', dir, '-eval', `gen_big_mailbox:main(${N}).`],
      { cwd: dir, env: { ...process.env, ERL_CRASH_DUMP: tmp, ERL_CRASH_DUMP_SECONDS: '-1' }, stdio: 'ignore', timeout: 1_200_000 });
    expect(existsSync(tmp)).toBe(true);
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!enabled)('huge mailbox', () => {
  it(`${N.toLocaleString('en-US')} messages stream under 300 MB RSS`, () => {
    const dump = generate();
    const script = `
      const { readDump } = await import(${JSON.stringify(join(ROOT, 'dist/src/dump/index.js'))});
      const { decodeProcess, resolvePid } = await import(${JSON.stringify(join(ROOT, 'dist/src/dump/terms/index.js'))});
      const t0 = Date.now();
      const dump = await readDump(process.argv[1]);
      const t1 = Date.now();
      const d = decodeProcess(dump, resolvePid(dump, 'big_mailbox'), { binarySharing: false });
      const t2 = Date.now();
      console.log(JSON.stringify({ queue: d.messages.queueLength, shapes: d.messages.shapes.map((s) => [s.shape, s.count]),
        readMs: t1 - t0, decodeMs: t2 - t1, maxRssKiB: process.resourceUsage().maxRSS }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dump], { encoding: 'utf8', timeout: 1_200_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`huge mailbox: ${N} messages, read ${out.readMs} ms, decode ${out.decodeMs} ms, peak RSS ${Math.round(out.maxRssKiB / 1024)} MiB`);
    expect(out.queue).toBe(N);
    expect(out.shapes[0]).toEqual(['{log_line, integer, binary(90)}', N - 188]);
    expect(out.shapes[1]).toEqual(["{'$gen_call', {pid, ref}, {get, atom}}", 188]);
    expect(out.maxRssKiB).toBeLessThan(300 * 1024);
  }, 2_400_000);
});
