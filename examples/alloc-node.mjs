// beamscope/alloc/node: any allocator input from a file or '-' (a dump, a snapshot, system_info text, JSON).
// node examples/alloc-node.mjs fixtures/oom.dump
import { readAllocatorInput } from 'beamscope/alloc/node';

const { kind, model } = await readAllocatorInput(process.argv[2] ?? 'fixtures/oom.dump');
console.log(kind, model.allocators.length, 'allocator instances');
