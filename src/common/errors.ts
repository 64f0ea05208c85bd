/**
 * An error the user can act on: bad flags, a missing path, malformed YAML, a
 * folder that is not a repository. The CLI prints its message as one line and
 * exits 2; anything else that escapes is a bug.
 */
export class SkScanError extends Error {
  override readonly name = 'SkScanError';
}

/** `file:line: problem`, the one shape every config and rule error takes; a problem is kept to one short line. */
export function locatedError(file: string, line: number | null, problem: string): SkScanError {
  const short = problem.length > 240 ? `${problem.slice(0, 240)}…` : problem;
  return new SkScanError(line === null ? `${file}: ${short}` : `${file}:${line}: ${short}`);
}

const IO_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EBUSY: 'it is busy',
  ETXTBSY: 'it is busy',
  EXDEV: 'it is on another file system',
};

/** Why a read or write failed, as a sentence: `no space left on device`; a code without words stays a code, in words: `a system error (EFOO)`. */
export function describeIoError(err: unknown, opts: { writing?: boolean } = {}): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return (err as Error).message ?? String(err);
  // Writing a file that does not exist creates it: ENOENT then means its folder is missing.
  if (code === 'ENOENT' && opts.writing) return 'the folder does not exist';
  return IO_REASONS[code] ?? `a system error (${code})`;
}
