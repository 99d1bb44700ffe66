// beamscope/leak: who references the most refc binary bytes in a process snapshot (JSON lines).
// node examples/leak.mjs fixtures/leak/gc-before.jsonl
import { openSnapshot, snapshotHolders } from 'beamscope/leak';

const report = await snapshotHolders(await openSnapshot(process.argv[2] ?? 'fixtures/leak/gc-before.jsonl'), {
  top: 3,
});
for (const h of report.holders) console.log(h.pid, h.name ?? '', h.bytes);
