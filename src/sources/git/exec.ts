/**
 * Running git. One-shot commands collect their output; streaming commands
 * (cat-file, log over a whole history) are read as they produce.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { SkScanError } from '../../errors.js';

/** git never prompts (a URL needing credentials fails instead of hanging) and never takes optional locks. */
export const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };

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

/** `git log --format=%aI` style date from a commit header's `<epoch> <+hhmm>`. */
export function isoDate(epoch: number, tz: string): string {
  const m = /^([+-])(\d\d)(\d\d)$/.exec(tz);
  const offsetMin = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const local = new Date((epoch + offsetMin * 60) * 1000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * A child's output as an async iterable that keeps reading ahead, up to
 * `limit` bytes, while the consumer is busy. (A plain `for await` over the
 * stream reads one chunk per step, so git sits blocked on a full pipe whenever
 * the consumer is working: the two take turns instead of running together.)
 */
export async function* readAhead(stream: NodeJS.ReadableStream, limit = 64 * 1024 * 1024): AsyncIterable<Buffer[]> {
  let queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  stream.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued > limit) stream.pause();
    notify();
  });
  stream.on('end', () => {
    ended = true;
    notify();
  });
  stream.on('error', (err) => {
    failure = err;
    notify();
  });
  for (;;) {
    if (queue.length > 0) {
      const batch = queue;
      queue = [];
      queued = 0;
      stream.resume();
      yield batch;
    } else if (failure !== null) {
      throw failure;
    } else if (ended) {
      return;
    } else {
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}
