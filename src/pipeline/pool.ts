/**
 * Runs items through read → detect, on worker threads when there is enough work
 * to pay for starting them (both cores on this 2-core machine), inline otherwise.
 * Work is pulled in small batches, so one huge file does not hold up the rest.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Detector } from '../detect/engine.js';
import { compileRule, type RuleSpec } from '../detect/rule.js';
import { Scratch } from '../sources/read.js';
import type { SourceItem } from '../sources/types.js';
import { processItem, type ItemResult } from './process.js';

export interface WorkerSetup {
  rules: RuleSpec[];
  maxFileSize: number;
}

/** Below this many items a scan stays on the main thread: a worker costs ~30 ms to start. */
const PARALLEL_THRESHOLD = 256;
const BATCH_ITEMS = 32;
const BATCH_BYTES = 8 * 1024 * 1024;
/** Items (or bytes of in-memory items) queued ahead of the workers before the source is paused. */
const QUEUE_HIGH = 4096;
const QUEUE_HIGH_BYTES = 64 * 1024 * 1024;

/**
 * A batch as posted to a worker. In-memory items are packed into one buffer that
 * is transferred, not copied: posting a Buffer that is a slice of a larger one
 * would otherwise copy all of the larger one.
 */
export interface Batch {
  items: (SourceItem | { origin: SourceItem['origin']; at: number; length: number })[];
  data: ArrayBuffer | null;
}

function pack(items: SourceItem[]): Batch {
  let total = 0;
  for (const item of items) if ('bytes' in item) total += item.bytes.byteLength;
  if (total === 0) return { items, data: null };
  const data = new ArrayBuffer(total);
  const view = new Uint8Array(data);
  let at = 0;
  const packed = items.map((item) => {
    if (!('bytes' in item)) return item;
    view.set(item.bytes, at);
    const ref = { origin: item.origin, at, length: item.bytes.byteLength };
    at += item.bytes.byteLength;
    return ref;
  });
  return { items: packed, data };
}

export function unpack(batch: Batch): SourceItem[] {
  return batch.items.map((item) =>
    'at' in item ? { origin: item.origin, bytes: Buffer.from(batch.data as ArrayBuffer, item.at, item.length) } : item,
  );
}

/** Items as they may be held past the next batches: transient bytes copied out of the source's reused buffer. */
function kept(items: SourceItem[]): SourceItem[] {
  return items.map((item) => ('bytes' in item && item.transient ? { origin: item.origin, bytes: Buffer.from(item.bytes) } : item));
}

/**
 * Worker threads run the built JavaScript. Run from the TypeScript sources (the
 * test suite does), there is no worker script to start, so detection stays on
 * the calling thread; the CLI, which runs the build, is what tests threads.
 */
const WORKERS_AVAILABLE = !import.meta.url.endsWith('.ts');

export async function detectAll(
  batches: AsyncIterable<SourceItem[]>,
  setup: WorkerSetup,
  onResult: (r: ItemResult) => void,
  threads = availableParallelism(),
): Promise<void> {
  if (!WORKERS_AVAILABLE) threads = 1;
  const it = batches[Symbol.asyncIterator]();
  const head: SourceItem[] = [];
  for (let n = await it.next(); !n.done; n = await it.next()) {
    if (threads <= 1) runInline(n.value, setup, onResult);
    else {
      head.push(...kept(n.value));
      if (head.length > PARALLEL_THRESHOLD) return runPool(head, it, setup, onResult, threads);
    }
  }
  runInline(head, setup, onResult);
}

let inline: { rules: RuleSpec[]; detector: Detector; scratch: Scratch } | null = null;

function runInline(items: SourceItem[], setup: WorkerSetup, onResult: (r: ItemResult) => void): void {
  if (inline?.rules !== setup.rules) inline = { rules: setup.rules, detector: new Detector(setup.rules.map(compileRule)), scratch: new Scratch() };
  for (const item of items) onResult(processItem(inline.detector, item, setup.maxFileSize, inline.scratch));
}

function runPool(
  queue: SourceItem[],
  rest: AsyncIterator<SourceItem[]>,
  setup: WorkerSetup,
  onResult: (r: ItemResult) => void,
  threads: number,
): Promise<void> {
  return new Promise<void>((resolvePool, rejectPool) => {
    const workers = Array.from({ length: threads }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: setup }));
    const idle: Worker[] = [];
    let inFlight = 0;
    let sourceDone = false;
    let settled = false;
    let wake: (() => void) | null = null;
    let queuedBytes = 0;
    const sizeOf = (item: SourceItem) => ('bytes' in item ? item.bytes.byteLength : 0);
    for (const item of queue) queuedBytes += sizeOf(item);

    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (err !== undefined) rejectPool(err);
      else resolvePool();
    };
    const takeBatch = (): SourceItem[] => {
      const batch: SourceItem[] = [];
      let bytes = 0;
      while (queue.length > 0 && batch.length < BATCH_ITEMS && bytes < BATCH_BYTES) {
        const item = queue.shift() as SourceItem;
        bytes += sizeOf(item);
        queuedBytes -= sizeOf(item);
        batch.push(item);
      }
      return batch;
    };
    const dispatch = (w: Worker) => {
      const batch = takeBatch();
      if (batch.length === 0) {
        idle.push(w);
        if (sourceDone && inFlight === 0) finish();
        return;
      }
      inFlight++;
      const packed = pack(batch);
      w.postMessage(packed, packed.data ? [packed.data] : []);
      if (queue.length < QUEUE_HIGH && queuedBytes < QUEUE_HIGH_BYTES && wake) {
        wake();
        wake = null;
      }
    };

    for (const w of workers) {
      w.on('message', (results: ItemResult[]) => {
        inFlight--;
        for (const r of results) onResult(r);
        dispatch(w);
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`scan worker exited with code ${code}`));
      });
      dispatch(w);
    }

    void (async () => {
      try {
        for (let n = await rest.next(); !n.done; n = await rest.next()) {
          for (const item of kept(n.value)) {
            queue.push(item);
            queuedBytes += sizeOf(item);
          }
          while (idle.length > 0 && queue.length > 0) dispatch(idle.pop() as Worker);
          if (queue.length >= QUEUE_HIGH || queuedBytes >= QUEUE_HIGH_BYTES) await new Promise<void>((r) => (wake = r));
          if (settled) return;
        }
        sourceDone = true;
        while (idle.length > 0 && queue.length > 0) dispatch(idle.pop() as Worker);
        if (inFlight === 0 && queue.length === 0) finish();
      } catch (err) {
        finish(err);
      }
    })();
  });
}
