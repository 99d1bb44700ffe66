import { readSync } from 'node:fs';

/**
 * Whether reading a plain-file dump in parallel pays, from a sample of it, for when the caller did
 * not ask for a number of threads. A second thread halves the scan, but costs its start (an
 * isolate, its code compiled and warmed again), about 20 MB, and, on the lead thread, the merge of
 * every part it read. On the bench (2 cores, 5 December 2026, medians of 3-5) one thread was faster
 * where the sections are few for the bytes: the 837 MB dump of 100,000 processes whose bytes are
 * mostly one big mailbox (0.89 against 1.04 s), and class a, whose 3,000,000 `=binary` sections
 * are cheap to read and dear to merge (1.05 against 1.15 s); two were faster where they are many
 * (classes b and c, 1 and 3 million processes: 2.14 against 2.43 s, 4.31 against 5.83 s). Tag
 * lines other than `=binary` per MiB in the sample: 100-602 on the first kind, 3,700-5,000 on the
 * second.
 *
 * The file's size does not count: the same content in more bytes gets the same threads, and so the
 * same memory. Two threads are faster on a big file of few sections too (6 December: the 3 GB dump
 * 1.02 against 1.17 s; the 10 GB dump of its shape 1.5-1.7 against 2.0-2.4 s, 90 against 64 MB),
 * and this gate used to take them from 6 GiB on; but then the peak RSS followed the bytes (the 10
 * GB dump's 1.28x the 3 GB dump's), where the design promises memory flat as dumps grow. One
 * thread reads such files at 4-5 GB/s (0.6-0.8x an awk pass); `--threads 2` (or `bigFileBytes`)
 * buys the rest.
 */
export interface ParallelGate {
  /** Files this big read in parallel whatever their sections (default: none; see above). */
  bigFileBytes?: number;
  /** Tag lines, `=binary` aside, per MiB of the sample from which the parallel read pays (default 1,500). */
  tagsPerMiB?: number;
}

const SAMPLES = 16;
const SAMPLE_BYTES = 64 << 10;
const NL_EQ = Buffer.from('\n=', 'latin1');
const BINARY = Buffer.from('binary:', 'latin1');

/** Reads SAMPLES windows spread over the file (1 MiB in all, about 2 ms from the page cache). */
export function parallelPays(fd: number, size: number, gate: ParallelGate = {}): boolean {
  if (size >= (gate.bigFileBytes ?? Infinity)) return true;
  const buf = Buffer.allocUnsafe(SAMPLE_BYTES);
  let tags = 0;
  let bytes = 0;
  for (let k = 0; k < SAMPLES; k++) {
    const at = Math.max(0, Math.floor(((size - SAMPLE_BYTES) * (k + 0.5)) / SAMPLES));
    const n = readSync(fd, buf, 0, SAMPLE_BYTES, at);
    bytes += n;
    for (let i = buf.indexOf(NL_EQ); i >= 0 && i + 2 + BINARY.length <= n; i = buf.indexOf(NL_EQ, i + 2)) {
      if (buf.compare(BINARY, 0, BINARY.length, i + 2, i + 2 + BINARY.length) !== 0) tags++;
    }
  }
  return bytes > 0 && tags / (bytes / 2 ** 20) >= (gate.tagsPerMiB ?? 1500);
}
