// Fails when the folders of src/ and cli/ depend on each other in a cycle (run by `npm run lint`).
//
// A folder cycle is not a module cycle: a file of dump/ importing alloc/from-dump.ts and
// alloc/read.ts -> dump/reader.ts make dump and alloc depend on each other with no file importing
// itself back, so ESLint's import no-cycle rules (module level) do not see it. dependency-cruiser's
// folder scope does, but counts no cycle between a folder and its own subfolder (dump <->
// dump/analyze) and cannot except one file's import. So: TypeScript (already here) parses and
// resolves every import, type-only ones included; each file stands for its own directory; any
// strongly connected set of directories is a cycle, unless it is made only of the known edges below.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Imports that close a folder cycle by design: each is
 * `from-file -> to-file` (relative to the repository); any new import that closes a cycle fails.
 */
const KNOWN = new Set([
  // The entry point re-exports the analysis (nothing in src imports it).
  'src/dump/index.ts -> src/dump/analyze/report-types.ts',
  'src/dump/index.ts -> src/dump/analyze/slogan.ts',
  'src/dump/index.ts -> src/dump/analyze/triage.ts',
  // The reader's section parsers are the builder's: dump/sections is part of the reader.
  ...['context', 'distribution', 'ets', 'header', 'modules', 'port', 'proc', 'scheduler', 'tables'].map(
    (s) => `src/dump/builder.ts -> src/dump/sections/${s}.ts`,
  ),
  'src/dump/index.ts -> src/dump/sections/header.ts',
]);

const ROOTS = ['src', 'cli'];
/**
 * Entry points sit above every folder: the package's root re-exports them all, the command line's
 * main loads every command (and its bin, which starts a decompressor early, loads main). Their own
 * imports are not folder edges, and no other module may import them.
 */
const ENTRIES = new Set(['src/index.ts', 'cli/main.ts', 'cli/bin.ts']);
const problems = [];
const seenKnown = new Set();
const files = ROOTS.flatMap((r) => walk(r)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
const host = ts.createCompilerHost(options);

/** folder -> folder -> the file edges that make that folder edge (known ones excluded) */
const graph = new Map();
for (const from of files) {
  for (const ref of ts.preProcessFile(readFileSync(from, 'utf8'), true, true).importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const resolved = ts.resolveModuleName(ref.fileName, from, options, host).resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport) continue;
    const to = relative('.', resolved.resolvedFileName);
    if (ENTRIES.has(to) && !ENTRIES.has(from))
      problems.push(`${from} imports the entry point ${to}: import the module itself`);
    if (ENTRIES.has(from)) continue;
    const a = dirname(from);
    const b = dirname(to);
    if (a === b) continue;
    if (KNOWN.has(`${from} -> ${to}`)) {
      seenKnown.add(`${from} -> ${to}`);
      continue;
    }
    if (!graph.has(a)) graph.set(a, new Map());
    const edges = graph.get(a);
    if (!edges.has(b)) edges.set(b, []);
    edges.get(b).push(`${from} -> ${to}`);
  }
}

for (const k of KNOWN)
  if (!seenKnown.has(k)) problems.push(`${k}: a known exception that is no longer an import; remove it`);
const cycles = stronglyConnected(graph).filter((c) => c.length > 1);
for (const p of problems) console.error(p);
if (problems.length > 0) process.exitCode = 1;
if (cycles.length === 0) {
  console.log(`folder-cycles: no cycle between the folders of ${ROOTS.join(', ')} (${files.length} files)`);
} else {
  for (const c of cycles) {
    const members = new Set(c);
    console.error(`folder cycle: ${c.join(' <-> ')}, through:`);
    for (const a of c) {
      for (const [b, edges] of graph.get(a) ?? []) if (members.has(b)) for (const e of edges) console.error(`  ${e}`);
    }
  }
  process.exitCode = 1;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Tarjan's strongly connected components of a folder graph. */
function stronglyConnected(g) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const visit = (v) => {
    index.set(v, index.size);
    low.set(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}
