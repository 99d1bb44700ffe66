/**
 * A worker thread of the parallel reader (parallel.ts): takes byte ranges of a plain-file dump
 * and posts what it read in each, as `{ k, part }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { takeRanges, transferList, type RangePlan } from './read-range.js';

const { plan, slot } = workerData as { plan: RangePlan; slot: number };
await takeRanges(plan, slot, true, (k, part) => parentPort!.postMessage({ k, part }, transferList(part)));
