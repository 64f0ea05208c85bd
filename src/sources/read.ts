/** Turning an item into bytes, and the checks that skip content rather than scan it. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fsPath } from './names.js';
import type { Bytes, SkipReason, SourceItem } from './types.js';

/** Bytes that belong to whoever holds them. */
export class OwnedBytes implements Bytes {
  constructor(private readonly bytes: Buffer) {}

  get length(): number {
    return this.bytes.length;
  }

  view(): Buffer {
    return this.bytes;
  }

  keep(): Bytes {
    return this;
  }

  subarray(start: number, end?: number): Bytes {
    return new OwnedBytes(this.bytes.subarray(start, end));
  }
}

/** A NUL byte in the first 8 KiB marks binary content, as git and ripgrep judge it. */
export const BINARY_PROBE = 8192;

export type Loaded = { bytes: Buffer } | { skip: SkipReason; message: string };

export function isBinary(bytes: Uint8Array): boolean {
  // Most source files are smaller than the probe: search them without making a view.
  const probe = bytes.length <= BINARY_PROBE ? bytes : bytes.subarray(0, BINARY_PROBE);
  return probe.indexOf(0) !== -1;
}

/**
 * A buffer reused from file to file, so that reading a tree does not allocate
 * (and garbage-collect) one buffer per file. What `load` returns from it is
 * valid only until the next call.
 */
export class Scratch {
  private buf = Buffer.allocUnsafeSlow(1 << 20);

  get(size: number): Buffer {
    if (size > this.buf.length) this.buf = Buffer.allocUnsafeSlow(Math.max(size, this.buf.length * 2));
    return this.buf;
  }
}

/** Bytes to scan, or why not. Synchronous: it runs inside worker threads, one file at a time. */
export function load(item: SourceItem, maxFileSize: number, scratch?: Scratch): Loaded {
  if ('bytes' in item) {
    if (item.bytes.length > maxFileSize) return { skip: 'tooLarge', message: tooLarge(item.bytes.length, maxFileSize) };
    const bytes = item.bytes.view();
    return isBinary(bytes) ? { skip: 'binary', message: 'binary content' } : { bytes };
  }
  let fd: number;
  try {
    // Non-blocking: a FIFO put where a file was listed must not hang the scan.
    fd = openSync(fsPath(item.file), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { skip: 'unreadable', message: describe(err) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { skip: 'unreadable', message: 'not a regular file' };
    const size = st.size;
    if (size > maxFileSize) return { skip: 'tooLarge', message: tooLarge(size, maxFileSize) };
    const buf = scratch ? scratch.get(size) : Buffer.allocUnsafe(size);
    // Read the probe first, so a large binary file costs 8 KiB, not its whole size.
    let got = readFully(fd, buf, 0, Math.min(size, BINARY_PROBE));
    if (isBinary(buf.subarray(0, got))) return { skip: 'binary', message: 'binary content' };
    got += readFully(fd, buf, got, size - got);
    return { bytes: buf.subarray(0, got) };
  } catch (err) {
    return { skip: 'unreadable', message: describe(err) };
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer, at: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, at + done, length - done, null);
    if (n === 0) break; // the file shrank while we read it
    done += n;
  }
  return done;
}

function tooLarge(size: number, max: number): string {
  return `${size} bytes is over the ${max}-byte limit (maxFileSize)`;
}

export function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}
