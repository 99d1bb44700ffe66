// Bundles the compiled CLI (dist/cli/main.js) and the reader's worker into dist/bin/, the files the
// `beamscope` bin runs. Loading ~100 separate ES modules (yargs's among them) costs 40-70 ms of
// every run's start-up, a sixth of a 100 MB triage; one bundle (with a chunk per lazily loaded
// command) does not. The library entry points (dist/src/**) stay unbundled.
import { readdirSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

const OUT = 'dist/bin';
const result = await build({
  entryPoints: { beamscope: 'dist/cli/main.js', 'read-worker': 'dist/src/dump/read-worker.js' },
  outdir: OUT,
  // The reader finds its worker as `./read-worker.js` next to its own chunk: no chunk subfolder.
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __beamscopeRequire } from 'node:module'; const require = __beamscopeRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});

// Chunk names carry hashes: remove the ones this build did not write (the bin itself is never
// missing, even for a moment, while something else runs it).
const written = new Set(Object.keys(result.metafile.outputs).map((p) => basename(p)));
for (const f of readdirSync(OUT)) if (!written.has(f)) rmSync(`${OUT}/${f}`);
