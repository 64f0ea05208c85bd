/**
 * Reading the small files sk-scan takes its settings from (`.sk-scan.yaml`,
 * `.sk-scanignore`, the baseline, `.gitignore`). They often come from the
 * repository being scanned, which is untrusted input: a FIFO there must not
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
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new SkScanError(`cannot read ${spec.what}: ${describeIoError(err)}`);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new SkScanError(`${spec.what} is not a regular file: not read`);
    if (info.size > spec.max) throw new SkScanError(`${spec.what} is ${info.size} bytes, over the ${spec.max}-byte limit for it: not read`);
    const buf = Buffer.alloc(info.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString('utf8', 0, got);
  } catch (err) {
    throw err instanceof SkScanError ? err : new SkScanError(`cannot read ${spec.what}: ${describeIoError(err)}`);
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
