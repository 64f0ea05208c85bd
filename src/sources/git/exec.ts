/**
 * Running git. One-shot commands collect their output; commands with a lot to
 * say (cat-file and log over a whole history) write into temporary files that
 * are read as they grow (GitToFile).
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { close, closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SkScanError } from '../../errors.js';

/** git never prompts (a URL needing credentials fails instead of hanging) and never takes optional locks. */
export const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };

/**
 * For git commands that inflate much of the object store (cat-file over every
 * object, log over every commit). A delta-base cache of 32 MB instead of git's
 * 96 MB: objects arrive in pack order, so bases are used soon after they are
 * made and a smaller cache keeps what is needed, while touching less fresh
 * memory. Measured on the bench repositories: cat-file 0.68 -> 0.59 s (100 MB of
 * blobs) and 0.91 -> 0.75 s (250 MB); the log walk 0.43 -> 0.33 s; no change on
 * a 36 MB file with 15 deltified versions.
 */
export const BULK_READ = ['-c', 'core.deltaBaseCacheLimit=32m'];

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    super(`git ${args[0] ?? ''} failed: ${firstLine(stderr) || `exit code ${code}`}`);
  }
}

export function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').replace(/^(fatal|error): /, '').trim();
}

export function spawnGit(cwd: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn('git', args, { cwd, env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Run git to completion; its stdout, or a GitError carrying stderr. */
export function git(cwd: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawnGit(cwd, args);
    } catch (err) {
      reject(err);
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new SkScanError('git is not installed or not on PATH') : e);
    });
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(args, code, Buffer.concat(err).toString('utf8'), Buffer.concat(out).toString('utf8')));
    });
    child.stdin.on('error', () => {}); // git may exit before reading all input; close reports it
    child.stdin.end(input);
  });
}

export async function gitText(cwd: string, args: string[], input?: string): Promise<string> {
  return (await git(cwd, args, input)).toString('utf8');
}

/** NUL-separated output (`-z`) as strings, without the empty tail. */
export function splitNul(buf: Buffer): string[] {
  const parts = buf.toString('utf8').split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** A folder of our own (0700) for git's output files; remove it with rmSync when done. */
export function privateTempDir(): string {
  try {
    return mkdtempSync(join(tmpdir(), 'sk-scan-'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new SkScanError(`cannot create a temporary folder in ${tmpdir()} (${code}); set TMPDIR to a writable folder`);
  }
}

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
  /** Settles when git has exited; its output is then complete. */
  readonly exited: Promise<void>;
  /** git's exit code, once it has exited (-1 if it could not start). */
  code: number | null | undefined;
  stderr = '';
  private readonly child: ChildProcess;
  private readonly stdin: Writable;
  private closed = false;
  /** Where a file that could not be unlinked while open (Windows) still is. */
  private readonly lingering: string | null = null;

  /** `input` is git's whole standard input; null leaves it open for write() and end(). */
  constructor(cwd: string, args: string[], input: string | null, dir: string) {
    const path = join(dir, `out-${++outputs}`);
    this.fd = openSync(path, 'w+', 0o600);
    try {
      unlinkSync(path);
    } catch {
      this.lingering = path; // Windows will not delete an open file: deleted on close instead
    }
    this.child = spawn('git', args, { cwd, env: GIT_ENV, stdio: ['pipe', this.fd, 'pipe'] });
    const { stdin, stderr } = this.child as unknown as { stdin: Writable; stderr: Readable };
    stderr.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.exited = new Promise<void>((resolve) => {
      this.child.on('close', (code) => {
        this.code = code;
        resolve();
      });
      this.child.on('error', (err) => {
        this.stderr ||= err.message;
        this.code = -1;
        resolve();
      });
    });
    stdin.on('error', () => {}); // git may exit before reading all its input; its exit code says why
    this.stdin = stdin;
    if (input !== null) stdin.end(input);
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
let outputs = 0;

/** A promise with its resolve function: something to wait on until it is fired. */
export function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}
