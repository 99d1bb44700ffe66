// `--cpu-prof`: one extra, untimed triage run under V8's sampling profiler, so a
// slow result comes with where the time went. The profile is kept in
// bench/out/logs/ (open it in Chrome DevTools or speedscope); the top
// self-time functions are printed.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Profile `node args...`; returns the profile path and the top self-time lines. */
export function profileNode(args: string[], dir: string, top = 12): { path: string; lines: string[] } {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.cpuprofile')) rmSync(join(dir, f));
  spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { path: '', lines: ['no profile written'] };
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id);
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    if (!n) return;
    const where = n.callFrame.url ? `${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${n.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const lines = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
  lines.unshift(`total ${(total / 1e6).toFixed(2)} s sampled`);
  return { path: join(dir, file), lines };
}
