/**
 * Every JSON output carries `schemaVersion` and matches its JSON Schema in schemas/ (generated from
 * the TypeScript types by scripts/schemas.mjs; this also fails when a committed schema is stale).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { beamscope } from './helpers/cli.js';
import { REPO } from './helpers/dumps.js';
// @ts-expect-error -- a plain .mjs script, no declarations
import { generate, OUTPUTS } from '../scripts/schemas.mjs';

const F = join(REPO, 'fixtures');
const schema = (name: string) => JSON.parse(readFileSync(join(REPO, 'schemas', `${name}.schema.json`), 'utf8'));

/** A command's JSON output on the project's own fixtures, by schema name. */
const RUNS: Record<string, string[]> = {
  triage: ['triage', join(F, 'oom.dump'), '--no-cache'],
  procs: ['procs', join(F, 'mailbox.dump'), '--group-by', 'name', '--no-cache'],
  alloc: ['alloc', join(F, 'trend', 'series', 'snap-20.snapshot')],
  check: ['check', join(F, 'trend', 'series', 'snap-20.snapshot')],
  trend: ['trend', join(F, 'trend', 'series')],
  'leak-dump': ['leak', join(F, 'leak', 'leak-a.dump'), '--no-cache'],
  'leak-snapshots': ['leak', join(F, 'leak', 'gc-before.jsonl'), join(F, 'leak', 'gc-after.json')],
  'leak-holders': ['leak', join(F, 'leak', 'gc-before.jsonl')],
  diff: ['diff', join(F, 'leak', 'leak-a.dump'), join(F, 'leak', 'leak-b.dump'), '--no-cache'],
  proc: ['proc', join(F, 'mailbox.dump'), 'big_mailbox', '--no-cache'],
  index: ['index', join(F, 'many.dump')],
};

describe('JSON outputs', () => {
  it('the committed schemas are what scripts/schemas.mjs generates from the types', () => {
    const fresh = generate() as Record<string, string>;
    for (const name of Object.keys(OUTPUTS))
      expect(
        readFileSync(join(REPO, 'schemas', `${name}.schema.json`), 'utf8'),
        `schemas/${name}.schema.json: run npm run schemas`,
      ).toBe(fresh[name]);
  }, 120_000);

  it.each(Object.entries(RUNS))('%s: schemaVersion 1 and valid against its schema', (name, args) => {
    const r = beamscope([...args, '--format', 'json']);
    expect([0, 1, 2], r.stderr).toContain(name === 'check' ? Math.min(r.code, 2) : r.code);
    const out = JSON.parse(r.stdout);
    expect(out.schemaVersion).toBe(1);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema(name));
    expect(validate(out) ? [] : validate.errors!.slice(0, 5)).toEqual([]);
  });

  it('proc and index carry schemaVersion too', () => {
    const proc = JSON.parse(
      beamscope(['proc', join(F, 'mailbox.dump'), 'big_mailbox', '--format', 'json', '--no-cache']).stdout,
    );
    expect(proc.schemaVersion).toBe(1);
  });
});
