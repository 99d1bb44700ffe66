/**
 * A worker thread of the parallel reader (parallel.ts): once given the plan, takes byte ranges of
 * a plain-file dump and posts what it read in each, as `{ k, part }`.
 */
import { parentPort } from 'node:worker_threads';
import { takeRanges, transferList, type RangePlan } from './read-range.js';

parentPort!.once('message', ({ plan, slot }: { plan: RangePlan; slot: number }) =>
  takeRanges(plan, slot, (k, part) => parentPort!.postMessage({ k, part }, transferList(part))));
