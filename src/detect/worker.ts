/** Worker thread: receives batches of items, answers with their results. */
import { parentPort, workerData } from 'node:worker_threads';
import { Scratch } from '../content/read.js';
import { Detector } from './engine.js';
import { processItems } from './item.js';
import { reply, unpack, type Batch, type WorkerSetup } from './pool.js';
import { compileRule } from './rule.js';

const setup = workerData as WorkerSetup;
const detector = new Detector(setup.rules.map(compileRule), { decode: setup.decode });
const scratch = new Scratch();

// The pool keeps several batches in flight per worker, so that one is always waiting when another is done.
// They are still read one after the other: bytes read into `scratch` must be used before the next read.
let done: Promise<void> = Promise.resolve();
parentPort?.on('message', (batch: Batch) => {
  done = done.then(async () => {
    const items = unpack(batch);
    parentPort?.postMessage(reply(items, await processItems(detector, items, setup, scratch)));
  });
});
