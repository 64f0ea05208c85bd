/** The git sources: whole histories and ranges, the staged change, what a push sends. */
import { existsSync } from 'node:fs';
import { isUrl } from './repo.js';
import { gitText } from './exec.js';

export { gitSource, type GitOptions } from './history.js';
export { parsePushLines, pushRevisions } from './prepush.js';

/** Where `.sk-scan.yaml` is looked for in git mode: the working tree of the only repository given, else the current directory. */
export async function gitConfigRoot(repos: string[]): Promise<string> {
  const only = repos.length === 1 ? repos[0] : undefined;
  if (only === undefined || isUrl(only) || !existsSync(only)) return '.';
  try {
    return (await gitText(only, ['rev-parse', '--show-toplevel'])).trim() || '.';
  } catch {
    return '.';
  }
}
