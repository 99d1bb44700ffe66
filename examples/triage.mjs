// beamscope: read a crash dump and print why the node died and its findings.
// node examples/triage.mjs fixtures/oom.dump
import { readDump, triageDump } from 'beamscope';

const dump = await readDump(process.argv[2] ?? 'fixtures/oom.dump');
const report = triageDump(dump, { top: 3 });
console.log(report.slogan);
for (const f of report.findings) console.log(f.severity, f.id, f.title);
