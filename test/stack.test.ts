/**
 * A deep stack (src/dump/terms/stack.ts) against the dump's text: fixtures/deep_stack.dump (a real
 * VM's runaway recursion, tree_walker 12,000 levels deep in walk/2; make-deep-stack.sh). The
 * oracle is a regular expression over the `=proc_stack` section: OTP 25 writes a frame as its
 * y registers, then its return address, the innermost first; a frame's function is the one the
 * frame below it returns into.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess, printTerm } from '../src/dump/terms/index.js';
import { readStack, sketchStack } from '../src/dump/terms/stack.js';
import { TermDecoder } from '../src/dump/terms/decoder.js';
import { BlockReader } from '../src/dump/terms/heap-index.js';
import type { ProcessStack } from '../src/dump/terms/process-detail.js';
import { triageDump } from '../src/usecases/triage.js';
import { corpusDumps, FIXTURES, fixtureDumps } from './helpers/dumps.js';
import { beamscope } from './helpers/cli.js';
import { get, startServe } from './helpers/serve.js';

const PATH = join(FIXTURES, 'deep_stack.dump');
const TEXT = readFileSync(PATH, 'latin1');
const PID = /^=proc:(<[^>]+>)\nState: [^\n]*\nName: tree_walker$/m.exec(TEXT)![1];
const SECTION = new RegExp(`^=proc_stack:${PID.replace(/[<>.]/g, '\\$&')}\n((?:[^=].*\n)*)`, 'm').exec(TEXT)![1];
const LINES = SECTION.split('\n').slice(0, -1);
/** The return address of each frame, innermost first. */
const RETURNS = LINES.flatMap((l) => /^0x[0-9a-f]+:SReturn addr 0x[0-9A-F]+ \((.*)\)$/.exec(l)?.[1] ?? []);
const PC = /^Program counter: 0x[0-9a-f]+ \((.*) \+ \d+\)$/m.exec(TEXT.slice(TEXT.indexOf(`=proc:${PID}`)))![1];
/** Each frame's function: the program counter's, then the one the frame below returns into. */
const FUNCTIONS = RETURNS.map((_r, i) => (i === 0 ? PC : RETURNS[i - 1].replace(/ \+ \d+$/, '')));
const WALK = 'beamscope_bench_gen:walk/2';

/**
 * Every stack of every fixture and corpus dump (OTP 24+ writes a frame's registers before its
 * return address, older releases after): streamed as a deep stack is (a tail of one byte, so the
 * section is never read whole) it must make the frames that reading it whole makes.
 */
describe('the streamed stack equals the stack read whole', () => {
  for (const path of [...fixtureDumps(), ...corpusDumps()]) {
    it(basename(path), async () => {
      const dump = await readDump(path);
      const reader = new BlockReader(dump.source.path);
      const dec = new TermDecoder({ reader, base64: true });
      const rows = (st: ProcessStack) => st.frames.map((f) => [f.function, f.returnTo, f.repeat, f.omittedBefore, f.yRegisters.map((y) => `${y.label}=${y.term ? printTerm(y.term) : y.text}`)]);
      let compared = 0;
      try {
        dump.index.each('proc_stack', (row) => {
          const ref = dump.index.at(row);
          const opts = { current: 'm:f/1', otpRelease: dump.header.otpRelease };
          const whole = readStack(dec, dump.source.path, ref, opts);
          const streamed = readStack(dec, dump.source.path, ref, { ...opts, limits: { tailBytes: 1, topFrames: Infinity } });
          expect(streamed.depth, ref.id).toBe(whole.depth);
          expect(rows(streamed), ref.id).toEqual(rows(whole));
          expect(streamed.functions, ref.id).toEqual(whole.functions);
          compared++;
        });
      } finally {
        reader.close();
      }
      expect(compared).toBe(dump.index.find('proc_stack').length);
    });
  }
});

describe('a stack of 12,003 frames', () => {
  it('the fixture is what make-deep-stack.sh planted', () => {
    expect(RETURNS.length).toBe(12_003);
    expect(RETURNS.filter((r) => r.startsWith(`${WALK} + `)).length).toBe(12_000);
    expect(RETURNS.slice(-3).map((r) => r.replace(/ \+ \d+$/, ''))).toEqual([`beamscope_bench_gen:walker_loop/1`, 'proc_lib:init_p/3', '<terminate process normally>']);
  });

  it('proc counts every frame and shows the recursion as one run', async () => {
    const dump = await readDump(PATH);
    const st = decodeProcess(dump, PID).stack;
    expect(st.depth).toBe(RETURNS.length);
    expect(st.functions[0]).toEqual({ function: WALK, frames: FUNCTIONS.filter((f) => f === WALK).length });
    expect(st.frames.map((f) => [f.function, f.returnTo, f.repeat])).toEqual([
      [WALK, RETURNS[0], 12_000],
      [WALK, RETURNS[12_000], undefined],
      [FUNCTIONS[12_001], RETURNS[12_001], undefined],
      [FUNCTIONS[12_002], RETURNS[12_002], undefined],
    ]);
    // The run shows the registers of its first frame that has any (the innermost holds none).
    const y = LINES.slice(1, 3).map((l) => l.split(':')[0]);
    expect(st.frames[0].yRegisters.map((r) => r.label)).toEqual(y);
    expect(printTerm(st.frames[0].yRegisters[0].term!)).toBe('{node,1,[1]}');
    // The first lines are decoded, in order; the rest only counted.
    expect(st.entries.length).toBe(1000);
    expect(st.entriesCut).toBe(true);
    expect(st.entries.map((e) => e.label)).toEqual(LINES.slice(0, 1000).map((l) => l.slice(0, l.indexOf(':'))));
  });

  it('frames past the bounds are counted, and the bottom ones read from the tail', async () => {
    const dump = await readDump(PATH);
    for (const tailBytes of [600, 4096, 65536]) {
      const st = decodeProcess(dump, PID, { stackLimits: { topFrames: 1, bottomFrames: 2, tailBytes, detailEntries: 10 } }).stack;
      expect(st.depth).toBe(RETURNS.length);
      expect(st.frames.map((f) => [f.function, f.returnTo, f.repeat, f.omittedBefore])).toEqual([
        [WALK, RETURNS[0], 12_000, undefined],
        [FUNCTIONS[12_001], RETURNS[12_001], undefined, 1],
        [FUNCTIONS[12_002], RETURNS[12_002], undefined, undefined],
      ]);
      expect(st.entries.length).toBe(10);
    }
  });

  it('sketchStack (triage) estimates the depth from its first lines and names the way in', async () => {
    const dump = await readDump(PATH);
    const ref = dump.index.get('proc_stack', PID)!;
    const s = sketchStack(dump.source.path, ref, { current: `${PC} + 1`, otpRelease: dump.header.otpRelease });
    expect(s.sectionBytes).toBe(Buffer.byteLength(SECTION, 'latin1'));
    expect(s.exact).toBe(false);
    expect(Math.abs(s.estimatedFrames - RETURNS.length) / RETURNS.length).toBeLessThan(0.1);
    expect(s.functions[0]).toEqual({ function: WALK, frames: s.sampledFrames });
    expect(s.calledFrom).toEqual([WALK, 'beamscope_bench_gen:walker_loop/1', 'proc_lib:init_p/3']);
  });

  it('triage names the recursion, not a big heap', async () => {
    const r = triageDump(await readDump(PATH));
    const f = r.findings.find((x) => x.id === 'process.deep-stack');
    expect(f?.subject).toEqual({ kind: 'process', id: PID, name: 'tree_walker' });
    expect(f?.title).toMatch(new RegExp(`is about 12,\\d00 frames deep in ${WALK}$`));
    expect(f?.evidence.join('\n')).toContain(`called from (innermost first): ${WALK} <- beamscope_bench_gen:walker_loop/1 <- proc_lib:init_p/3`);
    expect(r.findings.some((x) => x.id === 'process.memory-outlier' && x.subject?.id === PID)).toBe(false);
    // Spawned as proc_lib:init_p/3 (proc_lib:spawn of a fun): its dictionary says what it is.
    expect(r.topProcesses.byMemory[0].initialCall).toBe("beamscope_bench_gen:'-runaway/1-fun-0-'/0");
  });

  it('beamscope proc prints the run and the depth', () => {
    const text = beamscope(['proc', PATH, 'tree_walker']);
    expect(text.stdout).toContain('Stack: 12,003 frames');
    expect(text.stdout).toContain(`${WALK}  -> returns to ${RETURNS[0]}   x 12,000 frames in a row`);
    const json = JSON.parse(beamscope(['proc', '--format', 'json', PATH, 'tree_walker']).stdout) as { stackDepth: number; stack: Array<{ repeat?: number }> };
    expect(json.stackDepth).toBe(12_003);
    expect(json.stack[0].repeat).toBe(12_000);
  });

  it('serve shows the depth, the run and the functions on the process page', async () => {
    const srv = await startServe(PATH);
    try {
      const r = await get(`${srv.origin}/process/${PID.slice(1, -1)}?token=${srv.token}`);
      expect(r.status).toBe(200);
      expect(r.body).toContain('<h2>Stack: 12,003 frames</h2>');
      expect(r.body).toContain('<strong>× 12,000 frames in a row</strong>');
      expect(r.body).toContain(`<code>${WALK}</code> 12,001 (100.0%)`);
    } finally {
      await srv.stop();
    }
  });
});
