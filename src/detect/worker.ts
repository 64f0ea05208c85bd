/** Worker thread: receives batches of items, answers with their results. */
import { parentPort, workerData } from 'node:worker_threads';
import { Scratch } from '../sources/read.js';
import { Detector } from './engine.js';
import { processItems } from './item.js';
import { unpack, type Batch, type WorkerSetup } from './pool.js';
import { compileRule } from './rule.js';

const setup = workerData as WorkerSetup;
const detector = new Detector(setup.rules.map(compileRule));
const scratch = new Scratch();

// One batch at a time: the pool posts the next only after this one's results.
parentPort?.on('message', (batch: Batch) => {
  void processItems(detector, unpack(batch), setup, scratch).then((results) => parentPort?.postMessage(results));
});
