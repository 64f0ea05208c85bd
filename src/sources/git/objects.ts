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
 *
 * The parts, each a small class with its own state:
 * - RunQueue: the ids, cut into runs (one git process each) as they arrive;
 * - Reader: one after another, a git process per run, read into its ring of buffers;
 * - CatFile: one git process and the reading of its output file.
 */
import { early, signal } from '../../common/async.js';
import { SkScanError } from '../../common/errors.js';
import { BULK_READ, GitToFile, TempDir } from '../../gitexec/output.js';
import type { Git } from '../../gitexec/run.js';
import { OwnedBytes } from '../../content/read.js';
import { parseHeader } from './header.js';
import type { Bytes } from '../types.js';

export interface GitObject {
  oid: string;
  type: string;
  bytes: Bytes;
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

type Wanted = Iterable<WantedObject[]> | AsyncIterable<WantedObject[]>;

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
 * per reader. The ids are cut into contiguous runs of `runBytes`, which keeps
 * each process's delta-base cache useful since they come in pack order; with
 * more than one part, batches arrive in whatever order the processes produce them.
 *
 * Objects that fit in a read are lent (`Bytes.view()` is valid until the
 * consumer has taken two more batches); larger ones are owned.
 */
export async function* readObjects(git: Git, wanted: Wanted, onProblem: (p: ObjectProblem) => void, parts = 1, runBytes = RUN_BYTES): AsyncIterable<GitObject[]> {
  const tmp = new TempDir();
  const queue = new RunQueue(Math.max(1, parts), runBytes);
  const readers = Array.from({ length: Math.max(1, parts) }, () => new Reader(git, queue, tmp.path, onProblem));
  const feeding = queue.feed(wanted);
  try {
    yield* merge(readers.map((r) => r.objects()));
    await feeding;
    queue.rethrow();
  } finally {
    queue.end();
    await feeding;
    for (const r of readers) r.close();
    tmp.remove();
  }
}

/**
 * The runs waiting for a git process. The feeder adds them as ids arrive;
 * readers take them. `open` until the ids are used up (`fed`), or until
 * reading stops (`ended`); a failure of the listing is held for the readers.
 */
class RunQueue {
  private readonly runs: Run[] = [];
  private state: 'open' | 'fed' | 'ended' = 'open';
  private failure: { error: unknown } | null = null;
  private changed = signal();

  constructor(
    private readonly parts: number,
    private readonly runBytes: number,
  ) {}

  /** Cuts `wanted` into runs as it arrives. Never rejects: a failure is kept for `take` and `rethrow`. */
  async feed(wanted: Wanted): Promise<void> {
    let run: Run | null = null;
    try {
      for await (const batch of wanted) {
        if (this.state === 'ended') break; // the reader stopped early: stop the listing too
        for (const w of batch) {
          if (run !== null && run.bytes + w.size > this.runBytes) {
            run.close();
            run = null;
            // Bounded memory: no more than a run per reader waits for a git process.
            while (this.runs.length > this.parts && this.state === 'open') await this.changed.promise;
          }
          if (run === null) this.push((run = new Run()));
          run.add(w);
        }
        run?.flush();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      run?.close();
      if (this.state === 'open') this.state = 'fed';
      this.notify();
    }
  }

  /** The next run, once there is one; null when there will be none. */
  async take(): Promise<Run | null> {
    for (;;) {
      this.rethrow();
      const run = this.runs.shift();
      if (run) {
        this.notify(); // room for the listing to go on
        return run;
      }
      if (this.state !== 'open') return null;
      await this.changed.promise;
    }
  }

  /** A run to read before the others (what followed a corrupt object). */
  putBack(run: Run): void {
    this.runs.unshift(run);
    this.notify();
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Reading has stopped (done, failed or abandoned): the feeder and waiting readers let go. */
  end(): void {
    this.state = 'ended';
    this.notify();
  }

  rethrow(): void {
    if (this.failure !== null) throw this.failure.error;
  }

  private push(run: Run): void {
    this.runs.push(run);
    this.notify();
  }

  /** Wakes whoever waits (a run queued or taken, the input used up, reading ended). */
  private notify(): void {
    this.changed.fire();
    this.changed = signal();
  }
}

/**
 * A contiguous run of ids for one git process, which may start before the run
 * is complete. The ids are kept as the text git is sent, one string per batch
 * added (`<oid>\n` lines), until git has answered them all: a run can hold a
 * hundred thousand small objects, and an object and a string per id cost more
 * than twice the memory.
 */
class Run {
  /** The `<oid>\n` lines, a string per flush. */
  private readonly chunks: string[] = [];
  /** Lines added since the last flush. */
  private unsent: string[] = [];
  /** Chunks already written to git. */
  private written = 0;
  count = 0;
  bytes = 0;
  closed = false;
  readonly done = signal();
  private cat: CatFile | null = null;

  add(w: WantedObject): void {
    this.unsent.push(w.oid);
    this.count++;
    this.bytes += w.size;
  }

  /** Hands git the ids added since the last flush (if its process has started). */
  flush(): void {
    if (this.unsent.length > 0) {
      this.chunks.push(this.unsent.join('\n') + '\n');
      this.unsent = [];
    }
    if (this.cat === null) return;
    for (; this.written < this.chunks.length; this.written++) this.cat.out.write(this.chunks[this.written] as string);
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

  /** The ids from the `from`th on (once the run is complete). */
  idsFrom(from: number): string[] {
    return this.chunks.join('').split('\n').slice(from, this.count);
  }

  static of(oids: string[]): Run {
    const run = new Run();
    for (const oid of oids) run.add({ oid, size: 0 });
    run.close();
    return run;
  }
}

/**
 * One reader: a git process per run, one after another, each read into the
 * same ring of buffers. When git has written its last object, the next run's
 * git starts while this one's output is still being read.
 */
class Reader {
  private readonly ring = new Ring();
  private readonly started: CatFile[] = [];

  constructor(
    private readonly git: Git,
    private readonly queue: RunQueue,
    private readonly tmp: string,
    private readonly onProblem: (p: ObjectProblem) => void,
  ) {}

  async *objects(): AsyncIterable<GitObject[]> {
    let stalled = 0;
    for (let job = await this.start(); job; ) {
      const following = early(job.out.exited.then(() => this.start()));
      yield* job.objects(this.ring, this.onProblem);
      const rest = await job.unanswered(this.onProblem);
      if (rest) this.queue.putBack(rest);
      // One process per corrupt object is fine; git failing on everything is not a corrupt object.
      stalled = job.answeredNothing() ? stalled + 1 : 0;
      if (stalled >= STALLED_MAX) throw new SkScanError(`git cat-file keeps failing: ${job.out.reason}`);
      // `following` may have found nothing to start before `rest` was put back.
      job = (await following) ?? (await this.start());
    }
  }

  close(): void {
    for (const c of this.started) c.close();
  }

  private async start(): Promise<CatFile | null> {
    const run = await this.queue.take();
    if (!run || this.queue.ended) return null;
    const cat = new CatFile(this.git, run, this.tmp);
    this.started.push(cat);
    return cat;
  }
}

/** The header of an object too large for one read. */
interface LargeHead {
  oid: string;
  type: string;
  size: number;
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
  /** Where the next unread answer starts in git's output. */
  private pos = 0;

  constructor(
    git: Git,
    private readonly run: Run,
    tmp: string,
  ) {
    this.out = new GitToFile(git, [...BULK_READ, 'cat-file', '--batch', '--buffer'], { input: null, dir: tmp });
    run.attach(this);
  }

  async *objects(ring: Ring, onProblem: (p: ObjectProblem) => void): AsyncIterable<GitObject[]> {
    try {
      for (;;) {
        const done = this.out.code !== undefined;
        const { batch, large, full } = this.parse(ring.current(), onProblem);
        if (batch.length > 0) {
          ring.advance();
          yield batch;
        }
        if (large !== null) {
          const whole = await this.readLarge(large);
          if (whole === null) break; // git stopped before the object's end
          yield [whole];
        } else if (!full) {
          // Caught up with git: let it write a while, so that reads stay large and few.
          if (!done) await this.out.wait();
          else if (batch.length === 0) break;
        }
      }
    } finally {
      this.close();
    }
  }

  /**
   * One read at `pos` into a ring slot: the whole objects in it (lent from the
   * slot), or the header of one too large for a read. `pos` moves past what
   * was taken; an object cut off by the end of the read is left for the next.
   */
  private parse(slot: Slot, onProblem: (p: ObjectProblem) => void): { batch: GitObject[]; large: LargeHead | null; full: boolean } {
    const data = slot.fill((buf) => this.out.readAt(buf, 0, READ_BYTES, this.pos));
    const batch: GitObject[] = [];
    let at = 0;
    let large: LargeHead | null = null;
    for (let nl = data.indexOf(NL); nl !== -1; nl = data.indexOf(NL, at)) {
      const { oid, type, size } = parseHeader(data, at, nl) ?? { oid: data.toString('latin1', at, nl), type: '', size: 0 };
      if (type === 'missing' || type === 'ambiguous') {
        this.answered++;
        onProblem({ oid, reason: 'missing', message: `object ${oid} is ${type}` });
        at = nl + 1;
        continue;
      }
      const end = nl + 1 + size;
      if (end < data.length) {
        this.answered++;
        batch.push({ oid, type, bytes: slot.lend(nl + 1, end) });
        at = end + 1;
        continue;
      }
      if (size + 1 > READ_BYTES - (nl + 1 - at)) {
        large = { oid, type, size };
        at = nl + 1;
      }
      break;
    }
    this.pos += at;
    return { batch, large, full: data.length >= SHORT_READ };
  }

  /** An object larger than one read, straight into a buffer of its own size; null if git stopped before its end. */
  private async readLarge(head: LargeHead): Promise<GitObject | null> {
    const bytes = Buffer.allocUnsafe(head.size);
    for (let filled = 0; ; ) {
      const done = this.out.code !== undefined;
      filled += this.out.readAt(bytes, filled, bytes.length - filled, this.pos + filled);
      if (filled === bytes.length) {
        this.pos += filled + 1;
        this.answered++;
        return { oid: head.oid, type: head.type, bytes: new OwnedBytes(bytes) };
      }
      if (done) return null;
      await this.out.wait();
    }
  }

  /**
   * After `objects()`: what git did not answer, once the run is complete. The
   * first is reported corrupt (git stopped at it); the rest need a new process.
   */
  async unanswered(onProblem: (p: ObjectProblem) => void): Promise<Run | null> {
    await this.run.done.promise;
    if (this.answered >= this.run.count) return null;
    const [failed = '', ...rest] = this.run.idsFrom(this.answered);
    onProblem({ oid: failed, reason: 'corrupt', message: this.out.reason });
    return rest.length > 0 ? Run.of(rest) : null;
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
 * One read buffer of a ring. Each refill advances its generation, and what it
 * lent before is no longer valid: `Lent.view()` checks.
 */
class Slot {
  private readonly buf = Buffer.allocUnsafeSlow(READ_BYTES);
  private generation = 0;

  /** Refills the buffer (`read` says how many bytes it put there); what was lent from it before expires. */
  fill(read: (buf: Buffer) => number): Buffer {
    this.generation++;
    return this.buf.subarray(0, read(this.buf));
  }

  lend(start: number, end: number): Bytes {
    return new Lent(this, this.generation, start, end);
  }

  /** The bytes, if the buffer has not been refilled since they were lent. */
  bytes(generation: number, start: number, end: number): Buffer {
    if (generation !== this.generation) throw new Error('lent bytes read after their buffer was refilled: keep() them first');
    return this.buf.subarray(start, end);
  }
}

class Lent implements Bytes {
  constructor(
    private readonly slot: Slot,
    private readonly generation: number,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get length(): number {
    return this.end - this.start;
  }

  view(): Buffer {
    return this.slot.bytes(this.generation, this.start, this.end);
  }

  keep(): Bytes {
    return new OwnedBytes(Buffer.from(this.view()));
  }

  subarray(start: number, end = this.length): Bytes {
    return new Lent(this.slot, this.generation, this.start + start, this.start + Math.min(end, this.length));
  }
}

/**
 * Read buffers, reused in turn: fresh memory costs a page fault per 4 KiB on
 * first touch, which on gVisor made allocating a buffer per read cost more than
 * the read itself. Three, because a batch must stay intact until its consumer
 * has taken two more (merge() advances a reader as soon as its batch is taken).
 * The ring turns only when a batch is lent: a read that finds nothing whole
 * (git caught up with) reuses its slot, or a reader polling while its consumer
 * awaits would come round to the batch the consumer still holds.
 */
class Ring {
  private readonly slots = [new Slot(), new Slot(), new Slot()];
  private turn = 0;

  current(): Slot {
    return this.slots[this.turn % this.slots.length] as Slot;
  }

  /** Something was lent from the current slot: the next read goes into the next one. */
  advance(): void {
    this.turn++;
  }
}

/** Several async sources as one, each advanced only when its last batch was taken. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, early((iterators[i] as AsyncIterator<T>).next().then((r) => ({ i, r }))));
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
    for (const it of iterators) void it.return?.().catch(() => {});
  }
}
