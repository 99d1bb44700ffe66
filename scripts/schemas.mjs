// JSON Schemas of beamscope's JSON outputs, generated from the TypeScript types that produce them
// (typescript-json-schema), so they cannot drift from the code: `npm run schemas` writes
// schemas/*.schema.json; test/schemas.test.ts fails when a committed schema is not what this
// generates, and validates real outputs of the commands against them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as TJS from 'typescript-json-schema';

/** Output name -> [the file that declares its type, the type]. */
export const OUTPUTS = {
  triage: ['src/dump/analyze/report-types.ts', 'TriageReport'],
  procs: ['src/usecases/procs.ts', 'ProcsReport'],
  alloc: ['src/alloc/report.ts', 'AllocReport'],
  check: ['src/check/evaluate.ts', 'CheckResult'],
  trend: ['src/trend/index.ts', 'TrendReport'],
  'leak-dump': ['src/leak/types.ts', 'DumpLeakReport'],
  'leak-snapshots': ['src/leak/types.ts', 'SnapshotLeakReport'],
  'leak-holders': ['src/leak/types.ts', 'SnapshotHoldersReport'],
  diff: ['src/leak/types.ts', 'DumpDiffReport'],
  collect: ['src/collect/run.ts', 'CollectResult'],
  proc: ['src/report/proc-text.ts', 'ProcJson'],
  index: ['src/dump/index-file.ts', 'IndexResult'],
};

/** Types written differently in JSON than in memory: check prints a Range as plugin text (`50:`, `~:10`). */
const AS_JSON = {
  check: { Range: { type: 'string', description: 'a monitoring-plugin range, as text (`50:`, `10000`, `@0:5`)' } },
};

/** Every schema, as the text written to schemas/NAME.schema.json. */
export function generate() {
  const files = [...new Set(Object.values(OUTPUTS).map(([f]) => f))];
  const compilerOptions = {
    strict: true,
    skipLibCheck: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
  };
  const program = TJS.getProgramFromFiles(files, compilerOptions, '.');
  const generator = TJS.buildGenerator(program, {
    required: true,
    ref: true,
    strictNullChecks: true,
    noExtraProps: false,
  });
  if (!generator) throw new Error('typescript-json-schema: the program does not compile');
  const out = {};
  for (const [name, [, type]] of Object.entries(OUTPUTS)) {
    const schema = plainNames(generator.getSchemaForSymbol(type));
    for (const [def, replacement] of Object.entries(AS_JSON[name] ?? {})) {
      if (!schema.definitions?.[def]) throw new Error(`${name}: no definition ${def} to replace`);
      schema.definitions[def] = replacement;
    }
    schema.$id = `https://beamscope.invalid/schemas/${name}.schema.json`;
    schema.title = `beamscope ${name} --format json (${type})`;
    out[name] = `${JSON.stringify(schema, null, 2)}\n`;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync('schemas', { recursive: true });
  for (const [name, text] of Object.entries(generate())) writeFileSync(join('schemas', `${name}.schema.json`), text);
  console.log(`schemas/: ${Object.keys(OUTPUTS).length} schemas written`);
}

/**
 * typescript-json-schema names a type declared in another module `import("/abs/path/module").Name`:
 * a name that holds this machine's path, and the same type may come twice (by a relative and an
 * absolute path). Each becomes its plain name, the first definition of a name kept (the test
 * validates real outputs, so a wrong merge would show).
 */
function plainNames(schema) {
  const renames = new Map();
  for (const key of Object.keys(schema.definitions ?? {})) {
    const plain = key.replace(/import\("[^"]*"(,\{with:\{"resolution-mode":"import"\}\})?\)\./g, '');
    if (plain !== key) renames.set(key, plain);
  }
  for (const [from, to] of renames) {
    if (!schema.definitions[to]) schema.definitions[to] = schema.definitions[from];
    delete schema.definitions[from];
  }
  let text = JSON.stringify(schema);
  for (const [from, to] of renames)
    text = text.split(`"#/definitions/${encodeURIComponent(from)}"`).join(`"#/definitions/${encodeURIComponent(to)}"`);
  return JSON.parse(text);
}
