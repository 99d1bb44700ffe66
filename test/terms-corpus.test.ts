/**
 * Every process of every corpus dump decodes without throwing; the OTP 27 dump with `Rf` literal
 * lines (which crash the OTP 25 viewer) decodes every process, with the `Rf` objects as marked
 * placeholders and a warning.
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { BlockReader, HeapIndex, TermDecoder, decodeProcess, mailboxShapes, processIdentity, printTerm, type Term } from '../src/dump/terms/index.js';
import { identityRows, readIdentities } from '../src/dump/terms/initial-calls.js';
import { CORPUS_DIR as CORPUS, corpusDumps, haveShared } from './helpers/shared.js';

const dumps = corpusDumps().map((p) => basename(p));

function contains(t: Term, pred: (t: Term) => boolean, depth = 0): boolean {
  if (pred(t)) return true;
  if (depth > 200) return false;
  switch (t.t) {
    case 'tuple': return t.v.some((x) => contains(x, pred, depth + 1));
    case 'list': return t.v.some((x) => contains(x, pred, depth + 1)) || (t.tail ? contains(t.tail, pred, depth + 1) : false);
    case 'map': return t.v.some(([k, v]) => contains(k, pred, depth + 1) || contains(v, pred, depth + 1));
    default: return false;
  }
}

describe('corpus: every process decodes', () => {
  it.skipIf(dumps.length === 0)('the corpus is there', () => {
    expect(dumps.length).toBeGreaterThan(10);
  });

  for (const f of dumps) {
    it(f, async () => {
      const dump = await readDump(`${CORPUS}/${f}`);
      const pids = dump.index.find('proc').map((r) => r.id);
      expect(pids.length).toBeGreaterThan(0);
      // All at once as triage reads them (one reader, `Spawned as` from the process table).
      const { identities } = readIdentities(dump, identityRows(dump.processes, 'all', Infinity).rows!);
      for (const pid of pids) {
        const d = decodeProcess(dump, pid, { binarySharing: false });
        expect(d.pid).toBe(pid);
        for (const s of d.messages.samples) expect(typeof printTerm(s.term)).toBe('string');
        const id = processIdentity(dump, pid);
        expect(id.ancestors).toEqual(d.ancestors);
        expect(id.initialCall).toEqual(d.initialCall);
        expect(identities.get(pid)).toEqual(id);
        const m = mailboxShapes(dump, pid);
        expect(m.messages).toBe(d.messages.dumped);
      }
    }, 300_000);
  }

  it.skipIf(!haveShared('corpus/public/otp27_rabbit_2026.dump'))('OTP 27: Rf lines become marked placeholders with a warning', async () => {
    const dump = await readDump(`${CORPUS}/otp27_rabbit_2026.dump`);
    const pids = dump.index.find('proc').map((r) => r.id);
    let rfSeen = 0;
    let decoded = 0;
    for (const pid of pids) {
      const d = decodeProcess(dump, pid, { binarySharing: false, maxSamples: Infinity });
      decoded++;
      const terms: Term[] = [
        ...d.messages.samples.map((s) => s.term),
        ...d.dictionary.flatMap((e) => [e.key, e.value]),
        ...d.stack.entries.flatMap((e) => (e.term ? [e.term] : [])),
      ];
      if (terms.some((t) => contains(t, (x) => x.t === 'marker' && x.kind === 'unknown' && (x.detail ?? '').startsWith('Rf')))) {
        rfSeen++;
        expect(d.warnings.some((w) => w.includes("unknown heap object tag 'Rf'"))).toBe(true);
      }
    }
    expect(decoded).toBe(pids.length);
    // No process heap points at the 18 Rf lines (the OTP 25 viewer crashes anyway because it
    // parses all of =literals for every process); decode them directly from the literals index.
    const lit = dump.index.find('literals')[0];
    const reader = new BlockReader(dump.source.path);
    try {
      const literals = new HeapIndex(dump.source.path, lit.offset, lit.length);
      const dec = new TermDecoder({ reader, literals, base64: true });
      for (const a of [0x1e64cc85f08, 0x1e64cc86088]) {
        const t = dec.decodeAddress(a);
        expect(t).toMatchObject({ t: 'marker', kind: 'unknown' });
        expect(printTerm(t)).toBe("'#UnknownHeapObject'");
      }
      expect(dec.warnings.list().join('\n')).toContain("unknown heap object tag 'Rf'");
      // The E line next to them is a local fun of module init.
      expect(printTerm(dec.decodeAddress(0x1e64cc85ef0))).toMatch(/^#Fun<init\.0\.\d+>$/);
    } finally {
      reader.close();
    }
    void rfSeen;
  }, 300_000);
});
