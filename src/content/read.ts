/**
 * Content: an item's bytes as the detector reads them (a file, a blob, standard
 * input; archives are opened by ./archive), and the checks that skip content
 * rather than search it. Sources say where an item is; this layer reads it, on
 * whichever thread detects; detect searches what it returns.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { describeIoError } from '../common/errors.js';
import { formatBytes } from '../common/text.js';
import { archiveKind } from './archive/kind.js';
import { fsPath } from '../common/names.js';

/**
 * Bytes a source hands over: owned outright, or lent out of a buffer the source
 * reuses. The type says which rule applies: nothing gets at the bytes without
 * `view()`, and lent bytes throw there once their buffer has been refilled, so
 * keeping them past their time fails loudly instead of scanning other bytes.
 */
export interface Bytes {
  readonly length: number;
  /** The bytes, now. Lent bytes are valid until two more batches have been taken from their source. */
  view(): Buffer;
  /** Bytes that stay valid however long they are kept (lent ones are copied). */
  keep(): Bytes;
  /** Part of these bytes, under the same rule. */
  subarray(start: number, end?: number): Bytes;
}

/** `corrupt`: inside an archive, a member (or the rest of the archive) that could not be opened: damaged, encrypted, an unknown compression. */
export type SkipReason = 'binary' | 'tooLarge' | 'unreadable' | 'symlink' | 'corrupt';

/** What there is to read: a file on disk, or bytes in memory (a source's item, whatever its origin). */
export type Content = { file: string } | { bytes: Bytes };

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

/**
 * Binary files up to this size (a compiled config, a small database, a
 * keystore) are searched for keys; larger ones (native modules, DLLs,
 * executables) are counted and named, not read past their first 8 KiB: below
 * 1 MiB searching them costs nothing measurable, above it much (docs/speed.md, “Design measurements”).
 */
export const BINARY_SEARCHED = 1024 * 1024;
export const BINARY_NOT_SEARCHED = `binary content over ${BINARY_SEARCHED / 1024 / 1024} MiB: not searched`;

/** A NUL byte in the first 8 KiB marks binary content, as git and ripgrep judge it. */
export const BINARY_PROBE = 8192;

/**
 * Text to scan; an archive to open (zip, tar, gzip: see ./archive); binary
 * content (not text, but a key in a compiled config or a database file sits
 * in it as plain ASCII, so it is searched for keys all the same); or why the
 * content is skipped.
 */
export type Loaded = { bytes: Buffer } | { archive: Buffer } | { binary: Buffer } | { skip: SkipReason; message: string };

export function isBinary(bytes: Uint8Array): boolean {
  // Most source files are smaller than the probe: search them without making a view.
  const probe = bytes.length <= BINARY_PROBE ? bytes : bytes.subarray(0, BINARY_PROBE);
  return probe.indexOf(0) !== -1;
}

/**
 * Text in UTF-16 (Windows tools write .reg, .ps1 and config exports that way):
 * a byte-order mark, or, without one, the NUL pattern of mostly-ASCII text,
 * where every other byte is NUL and the rest are not. Such text holds NULs, so
 * the binary check alone would skip it.
 */
export function utf16Order(probe: Uint8Array): 'le' | 'be' | null {
  if (probe[0] === 0xff && probe[1] === 0xfe) return 'le';
  if (probe[0] === 0xfe && probe[1] === 0xff) return 'be';
  const pairs = Math.floor(Math.min(probe.length, BINARY_PROBE) / 2);
  if (pairs < 2) return null;
  let nulEven = 0;
  let nulOdd = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (probe[i] === 0) nulEven++;
    if (probe[i + 1] === 0) nulOdd++;
  }
  if (nulEven === 0 && nulOdd >= pairs * 0.9) return 'le';
  if (nulOdd === 0 && nulEven >= pairs * 0.9) return 'be';
  return null;
}

/** UTF-16 bytes as UTF-8 text, without the byte-order mark; null if the text holds NULs (it was not text after all). */
function fromUtf16(bytes: Uint8Array, order: 'le' | 'be'): Buffer | null {
  let units = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength - (bytes.byteLength % 2));
  if (order === 'be') units = Buffer.from(units).swap16();
  const text = units.toString('utf16le').replace(/^\ufeff/, '');
  return text.includes('\0') ? null : Buffer.from(text, 'utf8');
}

/** Content that the binary check flagged: its UTF-8 form if it is UTF-16 text (of the order its probe showed), else why it is skipped. */
function textOrBinary(bytes: Uint8Array, order = utf16Order(bytes)): Loaded {
  const text = order ? fromUtf16(bytes, order) : null;
  if (text) return { bytes: text };
  if (bytes.length > BINARY_SEARCHED) return { skip: 'binary', message: BINARY_NOT_SEARCHED };
  return { binary: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
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
export function load(item: Content, maxFileSize: number, scratch?: Scratch): Loaded {
  if ('bytes' in item) {
    if (item.bytes.length > maxFileSize) return { skip: 'tooLarge', message: tooLarge(item.bytes.length, maxFileSize) };
    const bytes = item.bytes.view();
    if (!isBinary(bytes)) return { bytes };
    return archiveKind(bytes) ? { archive: bytes } : textOrBinary(bytes);
  }
  let fd: number;
  try {
    // Non-blocking: a FIFO put where a file was listed must not hang the scan.
    fd = openSync(fsPath(item.file), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { skip: 'unreadable', message: describeIoError(err) };
  }
  try {
    return readOpen(fd, maxFileSize, scratch);
  } catch (err) {
    // A FIFO or socket swapped in where a file was listed: say what it is, not what reading it did.
    return { skip: 'unreadable', message: isRegular(fd) ? describeIoError(err) : 'not a regular file' };
  } finally {
    closeSync(fd);
  }
}

/**
 * Most files are read with one system call: a first read of up to FIRST_READ
 * bytes that comes back short has read the whole file (a regular file's read
 * is short only at its end). Only a file that fills it is stat'ed for its size
 * and read on: on a tree of small files the calls a file are the cost (docs/speed.md, “Design measurements”).
 */
function readOpen(fd: number, maxFileSize: number, scratch?: Scratch): Loaded {
  const first = Math.min(FIRST_READ, maxFileSize + 1);
  let buf = scratch ? scratch.get(first) : Buffer.allocUnsafe(first);
  let got = readSync(fd, buf, 0, first, null);
  // Filled: there may be more; how much, and whether it is a file at all (/dev/zero never ends).
  let size = got;
  if (got === first) {
    const st = fstatSync(fd);
    if (!st.isFile()) return { skip: 'unreadable', message: 'not a regular file' };
    if (st.size > maxFileSize) return { skip: 'tooLarge', message: tooLarge(st.size, maxFileSize) };
    size = st.size;
  }
  const probe = buf.subarray(0, Math.min(got, BINARY_PROBE));
  const binary = isBinary(probe);
  const archive = binary && archiveKind(probe) !== null;
  const order = binary && !archive ? utf16Order(probe) : undefined;
  // A large binary file costs its first read, not its whole size.
  if (order === null && size > BINARY_SEARCHED) return { skip: 'binary', message: BINARY_NOT_SEARCHED };
  if (size > got) {
    const whole = scratch ? scratch.get(size) : Buffer.allocUnsafe(size);
    if (whole !== buf) buf.copy(whole, 0, 0, got);
    buf = whole;
    got += readFully(fd, buf, got, size - got);
  }
  const bytes = buf.subarray(0, got);
  if (archive) return { archive: bytes };
  if (order === null) return { binary: bytes };
  return order ? textOrBinary(bytes, order) : { bytes };
}

function isRegular(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** The first read of a file: most source files fit. */
const FIRST_READ = 64 * 1024;

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
  return `${formatBytes(size)}, over the ${formatBytes(max)} limit (maxFileSize)`;
}
