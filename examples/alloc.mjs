// beamscope/alloc (runs in a browser too): a recon_alloc snapshot's bytes -> usage per allocator type.
// node examples/alloc.mjs fixtures/trend/series/snap-20.snapshot
import { readFileSync } from 'node:fs';
import { allocatorModelFromTermText, decodeTermText, summarizeByType, allocatorFindings } from 'beamscope/alloc';

const bytes = readFileSync(process.argv[2] ?? 'fixtures/trend/series/snap-20.snapshot'); // in a page: an uploaded File's bytes
const model = allocatorModelFromTermText(decodeTermText(bytes), 'snapshot');
for (const t of summarizeByType(model)) console.log(t.type, `${(t.usage * 100).toFixed(1)}%`);
for (const f of allocatorFindings(model)) console.log(f.severity, f.id);
