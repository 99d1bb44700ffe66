/**
 * `npm run bench`, part two: `beamscope leak <before> <after>` over a generated JSONL process
 * snapshot of at least 500 MB (issue 6), with wall time and peak RSS. The snapshot pair is made by
 * fixtures/leak/gen-big-snapshot.mjs (synthetic records in the documented schema; no VM can hold
 * the millions of references cheaply) and cached in bench/out/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand, defaultMethod, measure } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(ROOT, 'bench', 'out');
// The bin that package.json names (the bundle), as users run it.
const CLI = join(ROOT, 'dist', 'bin', 'beamscope.js');
const TARGET_MB = 520;

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const before = join(OUT, `leak-${TARGET_MB}mb-before.jsonl`);
  const after = join(OUT, `leak-${TARGET_MB}mb-after.jsonl`);
  if (!existsSync(before) || !existsSync(after) || statSync(before).size < TARGET_MB * 1e6 * 0.9) {
    process.stderr.write(`leak bench: generating ${before} (${TARGET_MB} MiB)\n`);
    execFileSync(process.execPath, [join(ROOT, 'fixtures/leak/gen-big-snapshot.mjs'), before, after, String(TARGET_MB)], { stdio: 'inherit' });
  }
  const bytes = statSync(before).size + statSync(after).size;
  const method = defaultMethod();
  const rows: string[] = [];
  for (let run = 1; run <= 3; run++) {
    const m = await measure(...cliCommand(CLI, ['leak', before, after, '--format', 'json']), { method, stdoutFile: join(OUT, 'leak-bench.json') });
    if (m.status !== 'ok') throw new Error(`beamscope leak ${m.status} (exit ${m.exitCode})`);
    rows.push(`run ${run}: ${m.wallS.toFixed(2)} s, ${(bytes / 1e6 / m.wallS).toFixed(0)} MB/s, peak RSS ${m.peakRssMB?.toFixed(0) ?? '?'} MB (${method})`);
  }
  process.stdout.write(`\nbeamscope leak before after: ${(statSync(before).size / 1e6).toFixed(0)} MB + ${(statSync(after).size / 1e6).toFixed(0)} MB JSONL\n${rows.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
