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
 * - RunQueue: the ids, cut into runs (one git process each) as they arrive (./runs.ts);
 * - Reader: one after another, a git process per run, read into its ring of buffers;
 * - CatFile: one git process and the reading of its output file;
 * - the ring of read buffers (./ring.ts), and merge() (common/async.ts) for the readers.
 */
import { early, merge } from '../../common/async.js';
import { SkScanError } from '../../common/errors.js';
import { BULK_READ, GitToFile, TempDir } from '../../gitexec/output.js';
import type { Git } from '../../gitexec/run.js';
import { OwnedBytes } from '../../content/read.js';
import { parseHeader } from './header.js';
import { READ_BYTES, Ring, type Slot } from './ring.js';
import { Run, RunQueue, type Wanted } from './runs.js';

export type { WantedObject } from './runs.js';
import type { Bytes } from '../types.js';

export interface GitObject {
  oid: string;
  type: string;
  bytes: Bytes;
}

export interface ObjectProblem {
  oid: string;
  reason: 'missing' | 'corrupt';
  message: string;
}

const NL = 0x0a;
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
        } else if (!full || batch.length === 0) {
          // Caught up with git: let it write a while, so that reads stay large and few. A full read that held
          // no whole object ends inside one (a blob of 600 KB, 300 KB of it written): waiting is the only way
          // on. Reading it again at once would spin, and starve the event loop that feeds git its next ids.
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
