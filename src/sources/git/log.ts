/**
 * What commits introduced: `git log --raw -c -z` parsed into (commit, path,
 * blob) records. It never asks for patches (`-p`): git only compares trees, so
 * a history of thousands of commits lists in about a second.
 *
 * Merges are listed with `-c`: a path shows up only where the merge's result
 * differs from every parent, which is exactly what a conflict resolution adds.
 */
import { firstLine, readAhead, spawnGit } from './exec.js';
import { SkScanError } from '../../errors.js';

export interface CommitInfo {
  commit: string;
  parents: string[];
  /** Committer time, seconds since the epoch: orders "earliest". */
  time: number;
  author: string;
  /** Author date, ISO 8601. */
  date: string;
}

export interface Introduced {
  commit: CommitInfo;
  path: string;
  blob: string;
}

const FORMAT = '%x01%H%x02%ct%x02%P%x02%an <%ae>%x02%aI';
const ZERO = /^0+$/;

/**
 * Stream `git log` for `revs` (plus `stdinRevs`, commits given on standard input)
 * and call `onEntry` for each blob a commit added or changed.
 */
export async function logIntroduced(
  cwd: string,
  revs: string[],
  onEntry: (e: Introduced) => void,
  stdinRevs: string[] = [],
  onCommit?: (c: CommitInfo) => void,
): Promise<void> {
  // log.showRoot=true: a root commit's files count as introduced whatever the user's config says.
  // No ordering is asked for: callers pick the earliest commit themselves.
  const args = ['-c', 'log.showRoot=true', 'log', '-z', '--raw', '-c', '--no-abbrev', '--no-renames', '--no-ext-diff', '--no-show-signature', `--format=${FORMAT}`, ...revs];
  if (stdinRevs.length > 0) args.push('--stdin');
  const child = spawnGit(cwd, args);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.on('error', () => {});
  child.stdin.end(stdinRevs.length > 0 ? stdinRevs.join('\n') + '\n' : undefined);

  let rest = '';
  const decoder = new TextDecoder('utf-8');
  const flushRecord = (record: string) => {
    // record: header \0 \n :meta \0 path \0 :meta \0 path \0 ...
    const fields = record.split('\0');
    const head = (fields[0] ?? '').split('\u0002');
    const current: CommitInfo = {
      commit: head[0] ?? '',
      time: Number(head[1]),
      parents: (head[2] ?? '').split(' ').filter(Boolean),
      author: head[3] ?? '',
      date: head[4] ?? '',
    };
    onCommit?.(current);
    // Entries are `:meta`, then the path; merges put an empty field before their first one.
    for (let i = 1; i + 1 < fields.length; i++) {
      const meta = (fields[i] ?? '').replace(/^\n/, '');
      if (!meta.startsWith(':')) continue;
      const path = fields[++i] ?? '';
      // With N parents: N+1 modes, N+1 ids, then the status (":m1 m2 s1 s2 M", "::m1 m2 m3 s1 s2 s3 MM").
      // The last mode and the last id are the result's.
      const parts = meta.replace(/^:+/, '').split(' ');
      const n = (parts.length - 3) / 2;
      const mode = parts[n] ?? '';
      const blob = parts[parts.length - 2] ?? '';
      if (ZERO.test(blob)) continue; // a deletion
      if (mode.startsWith('160000')) continue; // a submodule's commit, not a blob
      onEntry({ commit: current, path, blob });
    }
  };
  for await (const chunks of readAhead(child.stdout)) {
    for (const chunk of chunks) rest += decoder.decode(chunk, { stream: true });
    const records = rest.split('\u0001');
    rest = records.pop() ?? '';
    for (const r of records) if (r !== '') flushRecord(r);
  }
  rest += decoder.decode();
  if (rest !== '') flushRecord(rest);
  const code = await exited;
  if (code !== 0) throw new SkScanError(`git log failed: ${firstLine(stderr) || `exit code ${code}`}`);
}
