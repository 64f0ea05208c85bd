/**
 * An error the user can act on: bad flags, a missing path, malformed YAML, a
 * folder that is not a repository. The CLI prints its message as one line and
 * exits 2; anything else that escapes is a bug.
 */
export class SkScanError extends Error {
  override readonly name = 'SkScanError';
}

/** `file:line: problem`, the one shape every config and rule error takes. */
export function locatedError(file: string, line: number | null, problem: string): SkScanError {
  return new SkScanError(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
}
