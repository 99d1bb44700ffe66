/**
 * The ports of a dump (PortParser, src/dump/sections/port.ts) against a regular expression over
 * the dump's text: fixtures/ports.dump (458 ports of a real VM: TCP connections to itself, UDP
 * sockets, output queued, a registered socket, external programs), read whole, in 7-byte chunks
 * (every line through `line`, not `lines`) and with CRLF line ends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpOfText, FIXTURES } from './helpers/dumps.js';

const TEXT = readFileSync(join(FIXTURES, 'ports.dump'), 'latin1');


const CONTROLS: Array<[RegExp, string, (d: string) => string]> = [
  [/^Port controls linked-in driver: (.*)$/m, 'linked-in driver', (d) => ({ tcp_inet: 'tcp', udp_inet: 'udp' })[d] ?? 'driver'],
  [/^Port controls forker process: (.*)$/m, 'forker process', () => 'forker'],
  [/^Port controls external process: (.*)$/m, 'external process', () => 'external process'],
  [/^Port is UNIX fd not opened by emulator: (.*)$/m, 'fd not opened by emulator', () => 'fd'],
];

/** The oracle: each `=port:ID` section's keys, by regular expressions. */
function expected(text: string): Array<Record<string, unknown>> {
  return [...text.matchAll(/^=port:(.*)\n((?:[^=].*\n)*)/gm)].map(([, id, body]) => {
    const v = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(body)?.[1];
    const n = (key: string) => (v(key) === undefined ? undefined : Number(v(key)));
    const c = CONTROLS.find(([re]) => re.test(body));
    const driver = c ? c[0].exec(body)![1] : undefined;
    return {
      id, kind: c ? c[2](driver!) : 'unknown', links: (v('Links') ?? '').split('<').length - 1, state: v('State'), slot: n('Slot'),
      connected: v('Connected'), name: v('Registered as'), controls: c ? `${c[1]}: ${driver}` : undefined, driver,
      inputBytes: n('Input'), outputBytes: n('Output'), queueBytes: n('Queue'), portData: v('Port Data'),
    };
  });
}

describe('ports', () => {
  const want = expected(TEXT);

  it('the fixture has sockets of both kinds, external programs, a registered one and queued output', () => {
    expect(want.length).toBeGreaterThanOrEqual(450);
    expect(new Set(want.map((p) => p.kind))).toEqual(new Set(['tcp', 'udp', 'forker', 'external process', 'fd']));
    expect(want.filter((p) => p.name === 'fx_registered_port')).toHaveLength(1);
    expect(want.filter((p) => (p.queueBytes as number) > 1_000_000).length).toBeGreaterThanOrEqual(5);
  });

  for (const [what, text, chunk] of [['whole', TEXT, 1 << 20], ['in 7-byte chunks', TEXT, 7], ['with CRLF line ends', TEXT.replace(/\n/g, '\r\n'), 4096]] as const) {
    it(`read ${what}: as the regular expressions read them`, () => {
      expect(dumpOfText(text, chunk).ports.map((p) => ({ ...p }))).toEqual(want);
    });
  }
});
