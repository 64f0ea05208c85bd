/**
 * git commands with a lot to say (cat-file and log over a whole history) write
 * into temporary files that this process reads as they grow.
 */
import { type ChildProcess } from 'node:child_process';
import { close, closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SkScanError } from '../common/errors.js';
import { untilDone } from '../common/cleanup.js';
import { firstLine, type Git } from './run.js';

/**
 * For git commands that inflate much of the object store (cat-file over every
 * object, log over every commit). A delta-base cache of 32 MB instead of git's
 * 96 MB: objects arrive in pack order, so bases are used soon after they are
 * made and a smaller cache keeps what is needed, while touching less fresh
 * memory (docs/speed.md, “Design measurements”).
 */
export const BULK_READ = ['-c', 'core.deltaBaseCacheLimit=32m'];

/**
 * A folder of our own (0700, in TMPDIR) for git's output files or a clone.
 * `remove()` when done; if a signal ends the process first, the CLI removes it.
 */
export class TempDir {
  readonly path: string;
  private readonly forget: () => void;

  constructor(prefix = 'sk-scan-') {
    try {
      this.path = mkdtempSync(join(tmpdir(), prefix));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new SkScanError(`cannot create a temporary folder in ${tmpdir()} (${code}); set TMPDIR to a writable folder`);
    }
    this.forget = untilDone(() => rmSync(this.path, { recursive: true, force: true }));
  }

  remove(): void {
    this.forget();
    rmSync(this.path, { recursive: true, force: true });
  }
}

let outputs = 0;

/**
 * git writing its standard output into a temporary file rather than a pipe. A
 * pipe hands this process one read per write git makes (per object, for
 * cat-file: a few kilobytes) and pushes back when the reader falls behind; a
 * file is read a megabyte at a time, whenever this process is ready, while git
 * runs at its own speed. The file is created 0600 in `dir` and unlinked at once,
 * so nothing outlives the scan, even a crash.
 */
export class GitToFile {
  readonly fd: number;
  /** Settles when git has exited; its output is then complete. Never rejects: see `code`. */
  readonly exited: Promise<void>;
  /** git's exit code, once it has exited (-1 if it could not start, null if a signal ended it). */
  code: number | null | undefined;
  stderr = '';
  private readonly child: ChildProcess;
  private readonly stdin: Writable;
  private closed = false;
  /** Where a file that could not be unlinked while open (Windows) still is. */
  private readonly lingering: string | null = null;

  /** `input` is git's whole standard input; null leaves it open for write() and end(). */
  constructor(git: Git, args: string[], opts: { input: string | null; dir: string; revs?: string[] }) {
    const path = join(opts.dir, `out-${++outputs}`);
    this.fd = openSync(path, 'w+', 0o600);
    try {
      unlinkSync(path);
    } catch {
      this.lingering = path; // Windows will not delete an open file: deleted on close instead
    }
    this.child = git.spawn(args, this.fd, opts.revs);
    const forget = untilDone(() => this.child.kill());
    const { stdin, stderr } = this.child as unknown as { stdin: Writable; stderr: Readable };
    stderr.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.exited = new Promise<void>((resolve) => {
      this.child.on('close', (code) => {
        forget();
        this.code = code;
        resolve();
      });
      this.child.on('error', (err) => {
        forget();
        this.stderr ||= err.message;
        this.code = -1;
        resolve();
      });
    });
    stdin.on('error', () => {}); // git may exit before reading all its input; its exit code says why
    this.stdin = stdin;
    if (opts.input !== null) stdin.end(opts.input);
  }

  write(input: string): void {
    this.stdin.write(input);
  }

  end(): void {
    this.stdin.end();
  }

  /** Bytes at `position`, or 0 when git has not written that far (yet). */
  readAt(buf: Buffer, offset: number, length: number, position: number): number {
    return readSync(this.fd, buf, offset, length, position);
  }

  /** Why git stopped: its first line of complaint, else its exit code. */
  get reason(): string {
    return firstLine(this.stderr) || `exit code ${this.code}`;
  }

  /** The error for a git command that had to succeed: one line, exit code 2. */
  failure(what: string): SkScanError {
    return new SkScanError(`${what} failed: ${this.reason}`);
  }

  /** Until git writes more (a short sleep) or exits. */
  wait(): Promise<unknown> {
    return Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 1))]);
  }

  /**
   * The output as git writes it: whatever has been written, each time this
   * process gets to read, until git exits. One buffer, reused: a chunk is
   * valid until the next is taken.
   */
  async *follow(): AsyncIterable<Buffer> {
    const buf = Buffer.allocUnsafeSlow(1 << 20);
    for (let at = 0; ; ) {
      const done = this.code !== undefined;
      const n = this.readAt(buf, 0, buf.length, at);
      if (n > 0) {
        at += n;
        yield buf.subarray(0, n);
      } else if (done) {
        return;
      } else {
        await this.wait();
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.code === undefined) this.child.kill();
    if (this.lingering !== null) {
      closeSync(this.fd);
      rmSync(this.lingering, { force: true });
      return;
    }
    // Closing frees the file's pages, which takes a while for a large one: off this thread.
    close(this.fd, () => {});
  }
}

/**
 * One git command's output, chunk by chunk as git writes it (through a
 * temporary file in a private folder, both gone when this ends); a git that
 * fails is `what failed: why`, after its output. Chunks share one buffer.
 */
export async function* gitOutput(git: Git, args: string[], opts: { what: string; input?: string; revs?: string[] }): AsyncIterable<Buffer> {
  const dir = new TempDir();
  const out = new GitToFile(git, args, { input: opts.input ?? '', dir: dir.path, revs: opts.revs });
  try {
    yield* out.follow();
    if (out.code !== 0) throw out.failure(opts.what);
  } finally {
    out.close();
    dir.remove();
  }
}

/**
 * What a parser of chunked output left over (a line or record cut by the
 * chunk's end), joined to the next chunk in one buffer reused from chunk to
 * chunk. Joining with Buffer.concat made a fresh megabyte per chunk, which V8
 * frees late: a placement walk over 52,000 commits held 23 MB of them at once.
 */
export class Leftover {
  private buf: Buffer = Buffer.alloc(0);
  private length = 0;

  /** The bytes kept, then `chunk`: valid until the next `join` or `keep`. */
  join(chunk: Uint8Array): Buffer {
    const next = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.length === 0) return next;
    const need = this.length + next.length;
    if (need > this.buf.length) this.buf = grown(this.buf, this.length, need);
    next.copy(this.buf, this.length);
    this.length = 0;
    return this.buf.subarray(0, need);
  }

  /** Keeps `data` from `from` on for the next `join` (`data` may be what `join` returned). */
  keep(data: Buffer, from: number): void {
    const n = data.length - from;
    if (n > this.buf.length) this.buf = Buffer.allocUnsafeSlow(Math.max(n, this.buf.length * 2));
    data.copy(this.buf, 0, from);
    this.length = n;
  }

  /** The bytes kept. */
  get kept(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Keeps nothing. */
  clear(): void {
    this.length = 0;
  }
}

/** A buffer of at least `size` bytes holding the first `used` bytes of `buf`. */
function grown(buf: Buffer, used: number, size: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(Math.max(size, buf.length * 2));
  buf.copy(bigger, 0, 0, used);
  return bigger;
}
