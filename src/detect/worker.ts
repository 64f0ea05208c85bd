/** Worker thread: receives batches of items, answers with their results. */
import { parentPort, workerData } from 'node:worker_threads';
import { Scratch } from '../sources/read.js';
import { Detector } from './engine.js';
import { processItem } from './item.js';
import { unpack, type Batch, type WorkerSetup } from './pool.js';
import { compileRule } from './rule.js';

const setup = workerData as WorkerSetup;
const detector = new Detector(setup.rules.map(compileRule));
const scratch = new Scratch();

parentPort?.on('message', (batch: Batch) => {
  parentPort?.postMessage(unpack(batch).flatMap((item) => processItem(detector, item, setup, scratch)));
});
