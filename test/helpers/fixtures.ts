/**
 * Where the committed fixture dumps, their generators and the shared corpus live.
 * The fixtures are made by fixtures/scripts/make-*.sh (see fixtures/README.md); nothing here
 * makes or changes them.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The fixture dumps: fixtures/, or BEAMSCOPE_FIXTURES_DIR to run the tests on freshly made ones
 * (`BEAMSCOPE_FX_OUT=/tmp/fx fixtures/scripts/make-all.sh`, then
 * `BEAMSCOPE_FIXTURES_DIR=/tmp/fx npx vitest run test/oracle.test.ts`).
 */
export const FIXTURES_DIR = process.env.BEAMSCOPE_FIXTURES_DIR
  ? resolve(process.env.BEAMSCOPE_FIXTURES_DIR)
  : join(REPO_ROOT, 'fixtures');
export const FIXTURE_SCRIPTS_DIR = join(REPO_ROOT, 'fixtures', 'scripts');
/** The crashdump_viewer driver used as the oracle (test/helpers/cdv.ts runs it). */
export const CDV_JSON_ESCRIPT = join(FIXTURE_SCRIPTS_DIR, 'cdv_json.escript');
/** `make-longline.sh OUT` writes a dump with a ~133 MB `=binary` line (made at test time only). */
export const MAKE_LONGLINE = join(FIXTURE_SCRIPTS_DIR, 'make-longline.sh');
/** The shared corpus and its listing: test/helpers/shared.ts is the one reader of ../shared. */
export { CORPUS_DIR, corpusDumps } from './shared.js';

/** The committed fixture dumps made by fixtures/scripts. */
export const FIXTURES = {
  mailbox: join(FIXTURES_DIR, 'mailbox.dump'),
  mailboxGz: join(FIXTURES_DIR, 'mailbox.dump.gz'),
  dist: join(FIXTURES_DIR, 'dist.dump'),
  truncated: join(FIXTURES_DIR, 'truncated.dump'),
  oom: join(FIXTURES_DIR, 'oom.dump'),
  atomLimit: join(FIXTURES_DIR, 'atom_limit.dump'),
  doBoot: join(FIXTURES_DIR, 'do_boot.dump'),
  /** -boot naming a boot file that does not exist (scripts/make-bootfile.sh). */
  bootFile: join(FIXTURES_DIR, 'bootfile.dump'),
  /** A sys.config with a syntax error on line 3 (scripts/make-kernel-config.sh). */
  kernelConfig: join(FIXTURES_DIR, 'kernel_config.dump'),
  /** A permanent application (sasl) whose top supervisor was killed (scripts/make-app-terminated.sh). */
  appTerminated: join(FIXTURES_DIR, 'app_terminated.dump'),
  sigusr1: join(FIXTURES_DIR, 'sigusr1.dump'),
  /** The VM's erl_child_setup helper killed with SIGKILL (scripts/make-child-setup.sh). */
  childSetup: join(FIXTURES_DIR, 'child_setup.dump'),
  /** Terminal escapes in names and slogan, a fake tag inside the slogan (scripts/make-hostile.sh). */
  hostile: join(FIXTURES_DIR, 'hostile.dump'),
  /** Bench class a made small: 4,000 refc binaries queued in one process (scripts/make-refc-mailbox.sh). */
  refcMailbox: join(FIXTURES_DIR, 'refc_mailbox.dump'),
  /** Bench classes b-d made small: many processes, ETS tables and funs (scripts/make-many.sh). */
  many: join(FIXTURES_DIR, 'many.dump'),
  /** 20 processes of one kind holding most of the node's memory (scripts/make-memory-group.sh). */
  memoryGroup: join(FIXTURES_DIR, 'memory_group.dump'),
  /** A list nested 20,000 deep in a dictionary and a queue (scripts/make-deep-terms.sh). */
  deepTerms: join(FIXTURES_DIR, 'deep_terms.dump'),
  /** A small node with fragmented eheap_alloc carriers (scripts/make-fragmented.sh). */
  fragmented: join(FIXTURES_DIR, 'fragmented.dump'),
  /** Bench class f made small: one process with a big list and map in its stack (scripts/make-huge-state.sh). */
  hugeState: join(FIXTURES_DIR, 'huge_state.dump'),
  bigTuple: join(FIXTURES_DIR, 'big_tuple.dump'),
} as const;

export type FixtureName = keyof typeof FIXTURES;

/**
 * The plain (not gzip) fixture dumps made by fixtures/scripts that exist on disk, as
 * [file name, path] pairs. oom.dump is optional (it needs `ulimit -v`), so it is left out when
 * missing, and so is hostile.dump (another script's); the others are expected to be committed.
 */
export function plainFixtureDumps(): Array<[string, string]> {
  return (Object.entries(FIXTURES) as Array<[FixtureName, string]>)
    .filter(([name, path]) => name !== 'mailboxGz' && ((name !== 'oom' && name !== 'hostile') || existsSync(path)))
    .map(([, path]) => [path.slice(FIXTURES_DIR.length + 1), path]);
}
