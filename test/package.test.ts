/**
 * The package as a user installs it: `npm pack` of the built tree, unpacked where Node finds it as
 * `beamscope`, then every entry point in package.json's `exports` imported and used by a consumer
 * module, and the packed bin run. Also what the tarball holds: LICENSE, no bench, no source map
 * without its source, no install-time script, esbuild not a dependency.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/dumps.js';

// Inside the repository (the .tmp-* folders are ignored by git), so that the package's own
// dependencies resolve from the repository's node_modules, as they would from the user's.
let home: string;
let pkg: string;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

beforeAll(() => {
  home = mkdtempSync(join(REPO, '.tmp-consumer-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', home], {
      cwd: REPO,
      encoding: 'utf8',
    }),
  )[0];
  pkg = join(home, 'node_modules', 'beamscope');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(home, packed.filename), '-C', pkg, '--strip-components=1']);
}, 120_000);

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the package', () => {
  it('ships what a user runs, and a map only with its source', () => {
    const files = walk(pkg).map((f) => f.slice(pkg.length + 1));
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(files).toContain('dist/bin/beamscope.js');
    expect(
      files.filter(
        (f) =>
          f.startsWith('dist/bench') || f.startsWith('bench/') || f.startsWith('fixtures/') || f.startsWith('test/'),
      ),
    ).toEqual([]);
    for (const m of files.filter((f) => f.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(pkg, m), 'utf8')) as { sources: string[] };
      for (const s of map.sources) expect(existsSync(resolve(dirname(join(pkg, m)), s)), `${m} -> ${s}`).toBe(true);
    }
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    for (const hook of ['preinstall', 'install', 'postinstall']) expect(meta.scripts?.[hook]).toBeUndefined();
    expect(Object.keys(meta.dependencies)).not.toContain('esbuild');
  });

  it('a consumer imports every entry point and uses it', () => {
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const entries = Object.keys(meta.exports)
      .filter((e) => e !== './package.json')
      .map((e) => (e === '.' ? 'beamscope' : `beamscope/${e.slice(2)}`));
    expect(entries.sort()).toEqual([
      'beamscope',
      'beamscope/alloc',
      'beamscope/alloc/node',
      'beamscope/check',
      'beamscope/dump',
      'beamscope/leak',
      'beamscope/trend',
    ]);
    const oom = JSON.stringify(join(REPO, 'fixtures', 'oom.dump'));
    const snap = JSON.stringify(join(REPO, 'fixtures', 'trend', 'series', 'snap-20.snapshot'));
    const before = JSON.stringify(join(REPO, 'fixtures', 'leak', 'gc-before.jsonl'));
    writeFileSync(
      join(home, 'consumer.mjs'),
      `
      import { readFileSync } from 'node:fs';
      import { triageDump, sortFindings, InputError } from 'beamscope';
      import { readDump, processAt } from 'beamscope/dump';
      import { allocatorModelFromTermText, decodeTermText, summarizeByType } from 'beamscope/alloc';
      import { readAllocatorInput } from 'beamscope/alloc/node';
      import { openSnapshot, snapshotHolders } from 'beamscope/leak';
      import { loadInput, evaluate, selectRules, resolveThresholds } from 'beamscope/check';
      import { trendReport } from 'beamscope/trend';
      import meta from 'beamscope/package.json' with { type: 'json' };
      const dump = await readDump(${oom});
      const report = triageDump(dump, { top: 3 });
      const types = summarizeByType(allocatorModelFromTermText(decodeTermText(readFileSync(${snap})), 'snap'));
      const { model } = await readAllocatorInput(${snap});
      const holders = await snapshotHolders(await openSnapshot(${before}), { top: 2 });
      const loaded = await loadInput(${snap});
      const checked = evaluate([loaded], { rules: selectRules([], []), thresholds: resolveThresholds({ warn: [], crit: [] }) });
      const trend = trendReport([loaded]);
      console.log(JSON.stringify({
        version: meta.version, schemaVersion: report.schemaVersion, first: sortFindings(report.findings)[0].id,
        process: processAt(dump.processes, 0).pid, types: types.length, instances: model.allocators.length,
        holders: holders.holders.length, checked: checked.schemaVersion, trend: trend.schemaVersion,
        inputError: typeof InputError,
      }));
    `,
    );
    const r = spawnSync(process.execPath, ['consumer.mjs'], { cwd: home, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      schemaVersion: 1,
      first: 'slogan.out-of-memory',
      checked: 1,
      trend: 1,
      inputError: 'function',
    });
    expect(out.process).toMatch(/^<0\.\d+\.0>$/);
    expect(out.types).toBeGreaterThan(0);
    expect(out.instances).toBeGreaterThan(0);
    expect(out.holders).toBe(2);
  });

  it('every example in examples/ runs against the packed package (one per entry point)', () => {
    const F = join(REPO, 'fixtures');
    const args: Record<string, string[]> = {
      'triage.mjs': [join(F, 'oom.dump')],
      'dump.mjs': [join(F, 'mailbox.dump')],
      'alloc.mjs': [join(F, 'trend', 'series', 'snap-20.snapshot')],
      'alloc-node.mjs': [join(F, 'oom.dump')],
      'leak.mjs': [join(F, 'leak', 'gc-before.jsonl')],
      'check.mjs': [join(F, 'trend', 'series', 'snap-20.snapshot')],
      'trend.mjs': [join(F, 'trend', 'series', 'snap-01.snapshot'), join(F, 'trend', 'series', 'snap-20.snapshot')],
    };
    expect(readdirSync(join(REPO, 'examples')).sort()).toEqual(Object.keys(args).sort());
    mkdirSync(join(home, 'examples'), { recursive: true });
    for (const [file, a] of Object.entries(args)) {
      writeFileSync(join(home, 'examples', file), readFileSync(join(REPO, 'examples', file)));
      const r = spawnSync(process.execPath, [join('examples', file), ...a], { cwd: home, encoding: 'utf8' });
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim().length, file).toBeGreaterThan(0);
    }
  });

  it('the packed bin runs', () => {
    const r = spawnSync(
      process.execPath,
      [
        join(pkg, 'dist', 'bin', 'beamscope.js'),
        'triage',
        join(REPO, 'fixtures', 'oom.dump'),
        '--format',
        'json',
        '--no-cache',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).schemaVersion).toBe(1);
  });
});
