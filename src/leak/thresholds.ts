/**
 * The leak rules' thresholds (src/leak/rule-*.ts). The stale ones are the report's defaults, which
 * the command line can change (they are in the report's JSON as used); the others are fixed.
 */
import { threshold } from '../rules/rule.js';
import type { LeakThresholds } from './types.js';
import { MiB } from '../text/units.js';

export const DEFAULT_LEAK_THRESHOLDS: LeakThresholds = {
  staleMinBytes: 512 * 1024,
  staleMinShare: 0.05,
  staleCriticalShare: 0.5,
  notInDumpMinShare: 0.2,
};

/** Binary memory not in the dump is named only from this many bytes (and notInDumpMinShare). */
export const NOT_IN_DUMP_MIN_BYTES = MiB;
/** The top holder of live binaries is named from this share of =memory binary... */
export const TOP_HOLDER_MIN_SHARE = 0.25;
/** ...and this many bytes. */
export const TOP_HOLDER_MIN_BYTES = MiB;

/** diff: a kind of =memory that grew is a warning when it made this share of the total's growth, else info. */
export const DIFF_WARNING_SHARE_OF_GROWTH = 0.5;

/** The stale-estimate thresholds, named with their units: leak.stale-binaries and its group rule flag with them. */
export const STALE_THRESHOLDS = {
  staleMinBytes: threshold(DEFAULT_LEAK_THRESHOLDS.staleMinBytes, 'bytes', 'a stale estimate (a process, or a group) is flagged at this many bytes or more...'),
  staleMinShare: threshold(DEFAULT_LEAK_THRESHOLDS.staleMinShare, 'ratio', '...and at least this share of =memory binary'),
  staleCriticalShare: threshold(DEFAULT_LEAK_THRESHOLDS.staleCriticalShare, 'ratio', 'critical at this share of =memory binary'),
} as const;
