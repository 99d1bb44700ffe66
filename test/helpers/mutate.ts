/** Shared by the tests that change the bytes of the terms fixture (mutation, fast shapes). */

/** Deterministic PRNG (mulberry32): the same mutants on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** [start, end) of the body of the section `=tag:id` in a dump's text (end after its last line end). */
export function body(text: string, header: string): [number, number] {
  const h = text.indexOf(`\n${header}\n`);
  if (h < 0) throw new Error(`no ${header}`);
  const start = h + header.length + 2;
  const end = text.indexOf('\n=', start);
  return [start, end + 1];
}
