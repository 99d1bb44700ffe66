/**
 * A worker thread of the parallel reader (parallel.ts): once given the plan, takes byte ranges of
 * a plain-file dump and posts what it read in each, as `{ k, part }`, on the port it was given
 * (the lead thread takes them from it without waiting for its event loop: receiveMessageOnPort).
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { takeRanges, transferList, type RangePlan } from './read-range.js';

parentPort!.once('message', ({ plan, slot, port }: { plan: RangePlan; slot: number; port: MessagePort }) => {
  takeRanges(plan, slot, (k, part) => port.postMessage({ k, part }, transferList(part)));
  port.close();
});
