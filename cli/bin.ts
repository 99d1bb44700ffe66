#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --expose-gc
// The bin's settings:
// - NODE_EXTRA_CA_CERTS unset: Node 20 reads and parses the certificates that file names when it
//   starts, before any of beamscope runs, and beamscope opens no TLS connection. A system bundle
//   (Debian's ca-certificates.crt, set so on hosts behind a TLS proxy) costs 45-70 ms of every
//   command on the bench machine (node with an empty script: 120-133 ms with it, 65-84 without).
// For peak RSS (837 MB / 3 GB bench dumps):
// - 2 MB semi-spaces: V8's young generation otherwise grows to tens of MB while the processes of a
//   big dump are read (triage, one thread: 134-143 -> 124 MB at the same speed; 4 MB gave 5 MB
//   more). `leak` over the 554 MB JSONL pair pays for it: 5.2 -> 6.4-7.3 s, 410-560 -> 340-365 MB.
// - --expose-gc: the parallel reader collects its merge's garbage before the analysis allocates on
//   top of it (2 threads: 155-159 -> 138 MB, for a 10 ms collection).
// - MALLOC_ARENA_MAX=2: what the reader's worker thread malloc'd goes back to the system when the
//   worker ends, instead of staying in its own arena (2 threads: 138 -> 125-134 MB).
// Before the command line's modules load (yargs, the command's libraries: the reader used to start
// its decompressor 130-180 ms in), a zstd or xz dump named on it starts decompressing
// (early-start.ts), as it does first thing in a shell pipeline; nothing else waits for it.
import { startDecompressorEarly } from './early-start.js';

// What yargs's hideBin gives under node (its module is not loaded for this).
await startDecompressorEarly(process.argv.slice(2));
await import('./main.js');
