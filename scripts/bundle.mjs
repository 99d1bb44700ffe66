// Bundles the compiled CLI (dist/cli/main.js) and the reader's worker into dist/bin/, the files the
// `beamscope` bin runs. Loading ~100 separate ES modules (yargs's among them) costs about 70 ms of
// every run's start-up, a sixth of a 100 MB triage; one bundle (with a chunk per lazily loaded
// command) does not. The library entry points (dist/src/**) stay unbundled.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry hashes: old ones would pile up.
rmSync('dist/bin', { recursive: true, force: true });

await build({
  entryPoints: { beamscope: 'dist/cli/main.js', 'read-worker': 'dist/src/dump/read-worker.js' },
  outdir: 'dist/bin',
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
  logLevel: 'warning',
});
