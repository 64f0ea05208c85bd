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
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error',
};

/** Why a read or write failed, in words: `no space left on device (ENOSPC)`. */
export function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return (err as Error).message ?? String(err);
  return IO_REASONS[code] ? `${IO_REASONS[code]} (${code})` : code;
}
