/**
 * What `=memory binary` counts for a refc binary beyond its bytes: the VM's header of it and the
 * allocator's rounding. The dump's `=binary` sections give only the bytes, so for a node that
 * died with millions of small binaries queued (class a: 3,000,000 of 80 bytes), a third of binary
 * memory looked "not in the dump" when it was these headers.
 *
 * Measured on OTP 25, 64-bit (erlang:memory(binary) before and after 200,000 binaries of 65 to
 * 65,536 bytes made and held, one size at a time; fixtures/small_binaries.dump.vm.txt records the
 * same for 4,000 of 100 bytes): each binary of S bytes costs S + 40 rounded up to a multiple of 8.
 * Not measured on 32 bits: no estimate there.
 */
import type { Bytes } from './types.js';

/** Bytes of header a 64-bit VM counts in =memory binary for each refc binary. */
export const BINARY_HEADER_BYTES_64 = 40;

/**
 * The estimate, over binaries of these sizes (NaN: not known, left out): what =memory binary
 * counts for them beyond their bytes; undefined for a 32-bit dump.
 */
export function binaryHeaderBytes(sizes: { at(i: number): number }, count: number, wordSize: 4 | 8): Bytes | undefined {
  if (wordSize !== 8) return undefined;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const s = sizes.at(i);
    if (!(s >= 0)) continue;
    total += Math.ceil((s + BINARY_HEADER_BYTES_64) / 8) * 8 - s;
  }
  return total;
}
