/**
 * The ids cat-file is asked for (./objects.ts), cut into runs: one git process
 * each, started before its run is complete.
 */
import { signal } from '../../common/async.js';

/** An object to read, with its size when known (from `--batch-check`; 0 if not). */
export interface WantedObject {
  oid: string;
  size: number;
}

export type Wanted = Iterable<WantedObject[]> | AsyncIterable<WantedObject[]>;

/** Where a run's ids go: the standard input of its git process. */
export interface RunOutput {
  out: { write(text: string): unknown; end(): unknown };
}

/**
 * The runs waiting for a git process. The feeder adds them as ids arrive;
 * readers take them. `open` until the ids are used up (`fed`), or until
 * reading stops (`ended`); a failure of the listing is held for the readers.
 */
export class RunQueue {
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
export class Run {
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
  private cat: RunOutput | null = null;

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

  attach(cat: RunOutput): void {
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
