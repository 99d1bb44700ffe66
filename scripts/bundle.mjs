// Bundles the compiled CLI (dist/cli/bin.js) and the reader's worker into dist/bin/, the files the
// `beamscope` bin runs. Loading ~100 separate ES modules (yargs's among them) costs 40-70 ms of
// every run's start-up, a sixth of a 100 MB triage; one bundle (with a chunk per lazily loaded
// command) does not. The library entry points (dist/src/**) stay unbundled.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

/**
 * yargs lays out help with string-width (three copies: v7 twice, v8), whose modules build an
 * Intl.Segmenter and Unicode property regexes when they load: 25-30 ms of every run's start-up,
 * for text that only --help and usage errors print. This wraps each copy's body in a function
 * run on the first call. The rewrite checks the module's shape and fails the build if a new
 * version no longer fits it.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/](.*[\\/])?string-width[\\/]index\.js$/ }, ({ path }) => {
      const lines = readFileSync(path, 'utf8').split('\n');
      const imports = lines.filter((l) => l.startsWith('import '));
      const body = lines.filter((l) => !l.startsWith('import ')).join('\n');
      const head = 'export default function stringWidth(';
      if (imports.some((l) => !l.trimEnd().endsWith(';')) || body.split(head).length !== 2 || /^export /m.test(body.replace(head, ''))) {
        throw new Error(`${path}: not the shape lazy-string-width rewrites (one default export, one-line imports)`);
      }
      const contents = [
        ...imports,
        'let impl;',
        'export default function stringWidth(input, options) { return (impl ??= init())(input, options); }',
        'function init() {',
        body.replace(head, 'return function stringWidth('),
        '}',
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

const OUT = 'dist/bin';
const result = await build({
  entryPoints: { beamscope: 'dist/cli/bin.js', 'read-worker': 'dist/src/dump/read-worker.js' },
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
  plugins: [lazyStringWidth],
  metafile: true,
  logLevel: 'warning',
});

// Chunk names carry hashes: remove the ones this build did not write (the bin itself is never
// missing, even for a moment, while something else runs it).
const written = new Set(Object.keys(result.metafile.outputs).map((p) => basename(p)));
for (const f of readdirSync(OUT)) if (!written.has(f)) rmSync(`${OUT}/${f}`);

// The build's id, a hash of every file bundled (cli/saved-results.ts): a result that an earlier
// triage saved with a dump's index is used only by the very build that computed it. Written last,
// after the files it names.
const id = createHash('sha256');
for (const f of [...written].sort()) id.update(`${f}\0`).update(readFileSync(`${OUT}/${f}`)).update('\0');
writeFileSync(`${OUT}/build-id`, `${id.digest('hex')}\n`);
