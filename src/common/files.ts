/**
 * Reading the small files sk-scan takes its settings from (`.sk-scan.yaml`,
 * `.sk-scanignore`, the baseline, `.gitignore`), the files it keeps (the scan
 * cache), and a repository's own small files (HEAD, refs). They often come
 * from what is being scanned, which is untrusted input: a FIFO there must not
 * hang the scan, a link to /dev/zero must not exhaust memory, and a link to
 * /etc/shadow must not make CI print the runner's files.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { SkScanError, describeIoError } from './errors.js';

export interface SettingsFile {
  /** What the file is, for messages: `the config file .sk-scan.yaml`. */
  what: string;
  /** Largest size read, in bytes. */
  max: number;
  /**
   * The folder the file must stay inside: a link that leads out of it is
   * refused. Unset for a file the user named on the command line.
   */
  within?: string;
}

/** The file's text, or null when it does not exist. Anything else it could be is a one-line error. */
export function readSettingsFile(path: string | Buffer, spec: SettingsFile): string | null {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SkScanError(`cannot read ${spec.what}: ${describeIoError(err)}`);
  }
  if (st.isSymbolicLink() && spec.within !== undefined && !inside(realTarget(path, spec), spec.within)) {
    throw new SkScanError(`${spec.what} is a link that leads out of ${spec.within}: not read`);
  }
  const read = readRegularFile(path, spec.max);
  if (read === null) return null;
  if ('refused' in read) throw new SkScanError(`${spec.what} ${read.refused}`);
  if ('failed' in read) throw new SkScanError(`cannot read ${spec.what}: ${read.failed}`);
  return read.bytes.toString('utf8');
}

/** What readRegularFile found: the bytes, a file it refused (`is not a regular file: not read`), or why reading failed (`permission denied`). */
export type RegularFile = { bytes: Buffer } | { refused: string } | { failed: string };

/**
 * A regular file's bytes, at most `max` of them, or null when it does not
 * exist. Opened without blocking, so a FIFO is refused at once; its type and
 * size are taken from the open file, so a link to a device is refused too.
 */
export function readRegularFile(path: string | Buffer, max: number): RegularFile | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { failed: describeIoError(err) };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { refused: 'is not a regular file: not read' };
    if (info.size > max) return { refused: `is ${info.size} bytes, over the ${max}-byte limit for it: not read` };
    const buf = Buffer.alloc(info.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return { bytes: buf.subarray(0, got) };
  } catch (err) {
    return { failed: describeIoError(err) };
  } finally {
    closeSync(fd);
  }
}

function realTarget(path: string | Buffer, spec: SettingsFile): string {
  try {
    return realpathSync(path).toString();
  } catch (err) {
    throw new SkScanError(`cannot read ${spec.what}: ${describeIoError(err)}`);
  }
}

function inside(path: string, folder: string): boolean {
  let top: string;
  try {
    top = realpathSync(folder);
  } catch {
    return false;
  }
  const rel = relative(top, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** A path as a message names it: relative to the current folder when it is inside it, else as it is. */
export function fromHere(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
