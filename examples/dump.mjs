// beamscope/dump: the dump model; the largest process by memory, as one row.
// node examples/dump.mjs fixtures/mailbox.dump
import { readDump, processAt } from 'beamscope/dump';

const dump = await readDump(process.argv[2] ?? 'fixtures/mailbox.dump');
let largest;
for (let i = 0; i < dump.processes.count; i++) {
  const row = processAt(dump.processes, i); // one process as an object (the table is kept in columns)
  if (!largest || row.memoryBytes > largest.memoryBytes) largest = row;
}
console.log(
  `${dump.processes.count} processes; largest: ${largest.pid} ${largest.name ?? ''} ${largest.memoryBytes} bytes`,
);
