/**
 * Reading objects through `git cat-file --batch`: object ids in, `<oid> <type>
 * <size>\n<bytes>\n` out, with bounded memory.
 *
 * git writes its answer into a temporary file (GitToFile), not a pipe, and this
 * process reads the file as it grows, a megabyte at a time into reused buffers.
 * cat-file writes once per object (a few kilobytes in source history), so
 * through a pipe node made one read, into freshly allocated memory, per object;
 * on machines where system calls and page faults are expensive (gVisor, some
 * VMs) that cost more than git's own work. Each git process answers at most
 * RUN_BYTES before the next takes over, which bounds the disk used.
 *
 * A missing object is answered `<oid> missing` and skipped. A corrupt one makes
 * git exit; the reader reports that object and starts a new git process with
 * the ids after it, so one bad object never ends the scan.
 */
import { rmSync } from 'node:fs';
import { BULK_READ, GitToFile, privateTempDir, signal } from './exec.js';
import { SkScanError } from '../../errors.js';

export interface GitObject {
  oid: string;
  type: string;
  bytes: Buffer;
}

/** An object to read, with its size when known (from `--batch-check`; 0 if not). */
export interface WantedObject {
  oid: string;
  size: number;
}

export interface ObjectProblem {
  oid: string;
  reason: 'missing' | 'corrupt';
  message: string;
}

const NL = 0x0a;
const READ_BYTES = 1 << 20;
const SHORT_READ = READ_BYTES / 4;
/** git processes in a row that answer nothing before reading gives up. */
const STALLED_MAX = 64;
const RUN_BYTES = 128 << 20;

/**
 * The objects, in batches (one per read, not one promise per object), read by
 * up to `parts` git processes at once: inflating objects is git's work, and one
 * process uses one core.
 *
 * `wanted` may be a stream (a listing still being produced): the first git
 * starts on the first ids, and the stream is read no further ahead than a run
 * per reader. The ids are cut into contiguous runs of RUN_BYTES,
 * which keeps each process's delta-base cache useful since they come in pack
 * order; with more than one part, batches arrive in whatever order the
 * processes produce them.
 *
 * An object's bytes may share a read buffer that is reused: they stay valid
 * until the consumer has taken two more batches. Copy what must live longer.
 */
export async function* readObjects(
  cwd: string,
  wanted: Iterable<WantedObject[]> | AsyncIterable<WantedObject[]>,
  onProblem: (p: ObjectProblem) => void,
  parts = 1,
  runBytes = RUN_BYTES,
): AsyncIterable<GitObject[]> {
  const tmp = privateTempDir();
  const queue: Run[] = [];
  let fed = false;
  let ended = false;
  let failure: unknown = null;
  let changed = signal();
  /** Wakes whoever waits for a run (a new one queued, or the input used up). */
  const notify = () => {
    changed.fire();
    changed = signal();
  };
  const started: CatFile[] = [];
  /** The next run, once there is one (null when the input is used up). */
  const next = async (): Promise<Run | null> => {
    for (;;) {
      if (failure !== null) throw failure;
      const run = queue.shift();
      if (run) {
        notify(); // room for the listing to go on
        return run;
      }
      if (fed) return null;
      await changed.promise;
    }
  };
  const feeding = (async () => {
    let run: Run | null = null;
    const push = (r: Run) => {
      queue.push(r);
      notify();
    };
    try {
      for await (const batch of wanted) {
        if (ended) break; // the reader stopped early: stop the listing too
        for (const w of batch) {
          if (run !== null && run.bytes + w.size > runBytes) {
            run.close();
            run = null;
            // Bounded memory: no more than a run per reader waits for a git process.
            while (queue.length > parts && !ended) await changed.promise;
          }
          if (run === null) push((run = new Run()));
          run.add(w);
        }
        run?.flush();
      }
    } catch (err) {
      failure = err;
    } finally {
      run?.close();
      fed = true;
      notify();
    }
  })();
  const worker = async function* (): AsyncIterable<GitObject[]> {
    const ring = new Ring();
    const start = async () => {
      const run = await next();
      if (!run || ended) return null;
      const cat = new CatFile(cwd, run, tmp);
      started.push(cat);
      return cat;
    };
    let stalled = 0;
    for (let job = await start(); job; ) {
      // When git has written its last object, the next run's git starts while this one is still being read.
      let following: Promise<CatFile | null> | null = null;
      void job.out.exited.then(() => (following ??= start()));
      yield* job.objects(ring, onProblem);
      const rest = await job.unanswered(onProblem);
      if (rest) {
        queue.unshift(rest);
        notify();
      }
      // One process per corrupt object is fine; git failing on everything is not a corrupt object.
      stalled = job.answeredNothing() ? stalled + 1 : 0;
      if (stalled >= STALLED_MAX) throw new SkScanError(`git cat-file keeps failing: ${job.out.reason}`);
      // `following` may have found nothing to start before `rest` was queued.
      job = (await following) ?? (await start());
    }
  };
  try {
    yield* merge(Array.from({ length: Math.max(1, parts) }, worker));
    await feeding;
    if (failure !== null) throw failure;
  } finally {
    ended = fed = true;
    notify();
    for (const c of started) c.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A contiguous run of ids for one git process, which may start before the run is complete. */
class Run {
  readonly oids: WantedObject[] = [];
  bytes = 0;
  closed = false;
  readonly done = signal();
  private cat: CatFile | null = null;
  private unsent = 0;

  add(w: WantedObject): void {
    this.oids.push(w);
    this.bytes += w.size;
  }

  /** Hands git the ids added since the last flush (if its process has started). */
  flush(): void {
    if (this.cat === null || this.unsent === this.oids.length) return;
    this.cat.out.write(lines(this.oids, this.unsent));
    this.unsent = this.oids.length;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.cat?.out.end();
    this.done.fire();
  }

  attach(cat: CatFile): void {
    this.cat = cat;
    this.flush();
    if (this.closed) cat.out.end();
  }

  static of(oids: WantedObject[]): Run {
    const run = new Run();
    for (const w of oids) run.add(w);
    run.close();
    return run;
  }
}

function lines(oids: readonly WantedObject[], from: number): string {
  let s = '';
  for (let i = from; i < oids.length; i++) s += (oids[i] as WantedObject).oid + '\n';
  return s;
}

/**
 * One `git cat-file --batch` process answering one run into a temporary file
 * (GitToFile), and the reading of that file as it grows. Reads are positional:
 * an object cut off at the end of a read is read again whole by the next one,
 * so nothing is copied to stitch it together.
 */
class CatFile {
  readonly out: GitToFile;
  /** Objects answered so far (found or missing), in run order. */
  private answered = 0;

  constructor(
    cwd: string,
    private readonly run: Run,
    tmp: string,
  ) {
    this.out = new GitToFile(cwd, [...BULK_READ, 'cat-file', '--batch', '--buffer'], null, tmp);
    run.attach(this);
  }

  async *objects(ring: Ring, onProblem: (p: ObjectProblem) => void): AsyncIterable<GitObject[]> {
    try {
      let pos = 0;
      let large: { oid: string; type: string; bytes: Buffer; filled: number } | null = null;
      for (;;) {
        const done = this.out.code !== undefined;
        if (large !== null) {
          // An object larger than one read goes straight into a buffer of its own size.
          large.filled += this.out.readAt(large.bytes, large.filled, large.bytes.length - large.filled, pos + large.filled);
          if (large.filled === large.bytes.length) {
            pos += large.filled + 1;
            this.answered++;
            yield [{ oid: large.oid, type: large.type, bytes: large.bytes }];
            large = null;
            continue;
          }
          if (done) break;
          await this.out.wait();
          continue;
        }
        const chunk = ring.next();
        const data = chunk.subarray(0, this.out.readAt(chunk, 0, READ_BYTES, pos));
        const batch: GitObject[] = [];
        let at = 0;
        for (;;) {
          const nl = data.indexOf(NL, at);
          if (nl === -1) break;
          const [oid = '', type = '', sizeText = ''] = data.toString('latin1', at, nl).split(' ');
          if (type === 'missing' || type === 'ambiguous') {
            this.answered++;
            onProblem({ oid, reason: 'missing', message: `object ${oid} is ${type}` });
            at = nl + 1;
            continue;
          }
          const size = Number(sizeText);
          const end = nl + 1 + size;
          if (end < data.length) {
            this.answered++;
            batch.push({ oid, type, bytes: data.subarray(nl + 1, end) });
            at = end + 1;
          } else {
            if (size + 1 > READ_BYTES - (nl + 1 - at)) {
              large = { oid, type, bytes: Buffer.allocUnsafe(size), filled: 0 };
              at = nl + 1;
            }
            break;
          }
        }
        pos += at;
        if (batch.length > 0) yield batch;
        if (large !== null || data.length >= SHORT_READ) continue;
        // Caught up with git: let it write a while, so that reads stay large and few.
        if (!done) await this.out.wait();
        else if (batch.length === 0) break;
      }
    } finally {
      this.close();
    }
  }

  /**
   * After `objects()`: what git did not answer, once the run is complete. The
   * first is reported corrupt (git stopped at it); the rest need a new process.
   */
  async unanswered(onProblem: (p: ObjectProblem) => void): Promise<Run | null> {
    await this.run.done.promise;
    const oids = this.run.oids;
    if (this.answered >= oids.length) return null;
    const failed = oids[this.answered] as WantedObject;
    onProblem({ oid: failed.oid, reason: 'corrupt', message: this.out.reason });
    return this.answered + 1 < oids.length ? Run.of(oids.slice(this.answered + 1)) : null;
  }

  /** git exited having answered nothing at all. */
  answeredNothing(): boolean {
    return this.answered === 0 && this.out.code !== 0;
  }

  close(): void {
    this.out.close();
  }
}

/**
 * Read buffers, reused in turn: fresh memory costs a page fault per 4 KiB on
 * first touch, which on gVisor made allocating a buffer per read cost more than
 * the read itself. Three, because a batch must stay intact until its consumer
 * has taken two more (see readObjects).
 */
class Ring {
  private readonly buffers = [0, 1, 2].map(() => Buffer.allocUnsafeSlow(READ_BYTES));
  private turn = 0;

  next(): Buffer {
    return this.buffers[this.turn++ % this.buffers.length] as Buffer;
  }
}

/** Several async sources as one, each advanced only when its last batch was taken. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, (iterators[i] as AsyncIterator<T>).next().then((r) => ({ i, r })));
  iterators.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield r.value;
    }
  } finally {
    // Stopped early: the readers' git processes are ended by the caller; nothing waits on them here.
    for (const p of pending.values()) p.catch(() => {});
    for (const it of iterators) void it.return?.().catch(() => {});
  }
}
