/**
 * Runs items through read → detect, on worker threads when there is enough work
 * to pay for starting them (by default one per core), inline otherwise. Work
 * is pulled in small batches, so one huge file does not hold up the rest.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { OwnedBytes, Scratch } from '../content/read.js';
import type { ReadItem } from '../sources/types.js';
import { FROM_SOURCE } from '../common/package-root.js';
import { Detector } from './engine.js';
import { processItems, type ItemResult, type ReadLimits } from './item.js';
import { compileRule, type RuleSpec } from './rule.js';

export interface WorkerSetup extends ReadLimits {
  rules: RuleSpec[];
  /** false: keys as written only, nothing decoded (`npm run bench -- decode` measures what decoding costs). */
  decode?: boolean;
}

/** Below this many items a scan stays on the main thread: starting a worker costs more than it saves (docs/speed.md, “Design measurements”). */
const PARALLEL_THRESHOLD = 256;
const BATCH_ITEMS = 128;
/** Batches posted to a worker before its first result is back: with three, a worker never waits for this thread to post (docs/speed.md, “Design measurements”). */
const IN_FLIGHT = 3;
const BATCH_BYTES = 8 * 1024 * 1024;
/** Items (or bytes of in-memory items) queued ahead of the workers before the source is paused. */
const QUEUE_HIGH = 4096;
const QUEUE_HIGH_BYTES = 64 * 1024 * 1024;

/** In-memory bytes, as where they sit in a batch's one buffer. */
interface PackedBytes {
  origin: ReadItem['origin'];
  at: number;
  length: number;
}

/**
 * A batch as posted to a worker. In-memory items are packed into one buffer that
 * is transferred, not copied: posting a Buffer that is a slice of a larger one
 * would otherwise copy all of the larger one.
 */
export interface Batch {
  items: (ReadItem | PackedBytes)[];
  data: ArrayBuffer | null;
}

function pack(items: ReadItem[]): Batch {
  let total = 0;
  for (const item of items) if ('bytes' in item) total += item.bytes.length;
  if (total === 0) return { items, data: null };
  const data = new ArrayBuffer(total);
  const view = new Uint8Array(data);
  let at = 0;
  const packed = items.map((item) => {
    if (!('bytes' in item)) return item;
    view.set(item.bytes.view(), at);
    const ref = { origin: item.origin, at, length: item.bytes.length };
    at += item.bytes.length;
    return ref;
  });
  return { items: packed, data };
}

export function unpack(batch: Batch): ReadItem[] {
  return batch.items.map((item) =>
    'at' in item ? { origin: item.origin, bytes: new OwnedBytes(Buffer.from(batch.data as ArrayBuffer, item.at, item.length)) } : item,
  );
}

/**
 * A worker's answer to a batch. Most items are read and found clean: those go
 * back as their place in the batch and their size (the pool still holds their
 * origins), not as results whose origins would be copied back and rebuilt on
 * the pool's thread, which the walk keeps busy.
 */
export interface Reply {
  results: ItemResult[];
  /** Pairs: an item's index in the batch, and its size; each read whole with nothing in it. */
  clean: number[];
}

export function reply(items: ReadItem[], results: ItemResult[]): Reply {
  const index = new Map(items.map((item, i) => [item.origin, i]));
  const out: Reply = { results: [], clean: [] };
  for (const r of results) {
    const i = r.skip || r.matches.length > 0 ? undefined : index.get(r.origin);
    if (i === undefined) out.results.push(r);
    else out.clean.push(i, r.size);
  }
  return out;
}

/** Items as they may be held past the next batches: lent bytes copied out of the source's reused buffer. */
function kept(items: ReadItem[]): ReadItem[] {
  return items.map((item) => ('bytes' in item ? { origin: item.origin, bytes: item.bytes.keep() } : item));
}

/**
 * Worker threads run the built JavaScript. Run from the TypeScript sources (the
 * test suite does), there is no worker script to start, so detection stays on
 * the calling thread; the CLI, which runs the build, is what tests threads.
 */
const WORKERS_AVAILABLE = !FROM_SOURCE;

export async function detectAll(
  batches: AsyncIterable<ReadItem[]>,
  setup: WorkerSetup,
  onResult: (r: ItemResult) => void,
  threads = availableParallelism(),
): Promise<void> {
  if (!WORKERS_AVAILABLE) threads = 1;
  const it = batches[Symbol.asyncIterator]();
  let finished = false;
  try {
    const head: ReadItem[] = [];
    for (let n = await it.next(); !n.done; n = await it.next()) {
      if (threads <= 1) await runInline(n.value, setup, onResult);
      else {
        head.push(...kept(n.value));
        if (head.length > PARALLEL_THRESHOLD) {
          await new WorkerPool(setup, threads, onResult).run(head, it);
          finished = true;
          return;
        }
      }
    }
    finished = true;
    await runInline(head, setup, onResult);
  } finally {
    // Stopped by a failure: the source is told, so that it ends its git processes and removes its files.
    if (!finished && it.return) await it.return().catch(() => {});
  }
}

/** This thread's detectors, one per rule set and decode setting (the inline scan and the name scan share them). */
const inline = new Map<boolean, { rules: RuleSpec[]; detector: Detector; scratch: Scratch }>();

/** The detector for `rules` on this thread, compiled once per rule set. */
export function localDetector(rules: RuleSpec[], decode = true): { detector: Detector; scratch: Scratch } {
  let local = inline.get(decode);
  if (local?.rules !== rules) inline.set(decode, (local = { rules, detector: new Detector(rules.map(compileRule), { decode }), scratch: new Scratch() }));
  return local;
}

async function runInline(items: ReadItem[], setup: WorkerSetup, onResult: (r: ItemResult) => void): Promise<void> {
  const { detector, scratch } = localDetector(setup.rules, setup.decode);
  for (const r of await processItems(detector, items, setup, scratch)) onResult(r);
}

/**
 * Worker threads fed from a queue. `running` while the source still yields
 * items, `draining` once it is used up, `settled` when every result is in (or
 * something failed). The source is paused while the queue is full.
 */
class WorkerPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[] = [];
  private readonly queue: ReadItem[] = [];
  /** Each worker's batches awaiting an answer, oldest first. */
  private readonly posted = new Map<Worker, ReadItem[][]>();
  private queuedBytes = 0;
  private inFlight = 0;
  private state: 'running' | 'draining' | 'settled' = 'running';
  private room: (() => void) | null = null;
  private readonly settled: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: Error) => void;

  constructor(
    setup: WorkerSetup,
    threads: number,
    private readonly onResult: (r: ItemResult) => void,
  ) {
    this.settled = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.workers = Array.from({ length: threads }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: setup }));
    for (const w of this.workers) {
      this.posted.set(w, []);
      w.on('message', ({ results, clean }: Reply) => {
        this.inFlight--;
        // A worker answers its batches in the order they were posted.
        const batch = this.posted.get(w)?.shift() ?? [];
        for (const r of results) this.onResult(r);
        for (let k = 0; k < clean.length; k += 2) {
          const item = batch[clean[k] as number];
          if (item) this.onResult({ origin: item.origin, size: clean[k + 1] as number, matches: [] });
        }
        this.dispatch(w);
      });
      w.on('error', (err) => this.finish(err));
      w.on('exit', (code) => this.finish(new Error(`scan worker exited with code ${code}`)));
    }
  }

  /** Runs `head` and then the rest of the source through the workers; settles when every result is in. */
  run(head: ReadItem[], rest: AsyncIterator<ReadItem[]>): Promise<void> {
    this.enqueue(head);
    // Several batches each: a worker that finishes one starts the next at once, not after a round trip to this thread.
    for (let i = 0; i < IN_FLIGHT; i++) for (const w of this.workers) this.dispatch(w);
    this.feed(rest).catch((err: unknown) => this.finish(err instanceof Error ? err : new Error(String(err))));
    return this.settled;
  }

  private async feed(rest: AsyncIterator<ReadItem[]>): Promise<void> {
    for (let n = await rest.next(); !n.done; n = await rest.next()) {
      this.enqueue(kept(n.value));
      while (this.idle.length > 0 && this.queue.length > 0) this.dispatch(this.idle.pop() as Worker);
      if (this.full()) await new Promise<void>((r) => (this.room = r));
      if (this.state === 'settled') return;
    }
    this.state = 'draining';
    while (this.idle.length > 0 && this.queue.length > 0) this.dispatch(this.idle.pop() as Worker);
    if (this.inFlight === 0 && this.queue.length === 0) this.finish();
  }

  private enqueue(items: ReadItem[]): void {
    for (const item of items) {
      this.queue.push(item);
      this.queuedBytes += sizeOf(item);
    }
  }

  private full(): boolean {
    return this.queue.length >= QUEUE_HIGH || this.queuedBytes >= QUEUE_HIGH_BYTES;
  }

  private dispatch(w: Worker): void {
    if (this.state === 'settled') return;
    const batch = this.takeBatch();
    if (batch.length === 0) {
      this.idle.push(w);
      if (this.state === 'draining' && this.inFlight === 0) this.finish();
      return;
    }
    this.inFlight++;
    this.posted.get(w)?.push(batch);
    const packed = pack(batch);
    w.postMessage(packed, packed.data ? [packed.data] : []);
    if (!this.full() && this.room) {
      this.room();
      this.room = null;
    }
  }

  private takeBatch(): ReadItem[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < BATCH_ITEMS && bytes < BATCH_BYTES) bytes += sizeOf(this.queue[n++] as ReadItem);
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }

  private finish(err?: Error): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.room?.(); // a paused feeder sees `settled` and stops
    for (const w of this.workers) void w.terminate();
    if (err !== undefined) this.reject(err);
    else this.resolve();
  }
}

function sizeOf(item: ReadItem): number {
  return 'bytes' in item ? item.bytes.length : 0;
}
