/**
 * What a push sends, as a pre-push hook hears of it, in one of two ways.
 *
 * git's pre-push protocol: the remote's name and URL as arguments, and on
 * standard input one line per ref being pushed:
 *
 *   <local ref> SP <local sha> SP <remote ref> SP <remote sha> LF
 *
 * A deleted branch has an all-zero local sha; a new branch an all-zero remote
 * sha. What the push adds to the remote is every commit reachable from the
 * pushed shas and from neither the remote's known refs nor the remote shas
 * being replaced (when we have them: after a force push we may not).
 *
 * The pre-commit framework runs its push hooks without arguments and says
 * what is pushed in its variables instead: PRE_COMMIT_FROM_REF and
 * PRE_COMMIT_TO_REF, or, when a branch's whole history is new to the remote
 * (its root commit included), only PRE_COMMIT_LOCAL_BRANCH and
 * PRE_COMMIT_REMOTE_NAME.
 *
 * Every id is checked to be an object id before git sees it: a line whose
 * "sha" is `--output=FILE` is refused, not handed to git as an option.
 */
import { SkScanError } from '../../common/errors.js';
import { isObjectId, isZeroId, type Git } from '../../gitexec/run.js';
import { readAll } from '../stdin.js';


export interface PushedRef {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

/** How the hook was run: its arguments, its standard input and its environment. */
export interface PrePushHook {
  /** The remote's name and URL, as git passes them (none under the pre-commit framework). */
  args: string[];
  /** Standard input: one line per ref pushed (read only in git's protocol). */
  input: NodeJS.ReadableStream | string;
  /** Where the pre-commit framework's PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF are found. */
  env?: NodeJS.ProcessEnv;
}

/** Where the pushed commits go, for the report: the URL, else the remote's name. */
export function pushTarget(hook: PrePushHook): string {
  const [remote = '', url = ''] = hook.args;
  return url || remote || hook.env?.['PRE_COMMIT_REMOTE_URL'] || hook.env?.['PRE_COMMIT_REMOTE_NAME'] || '.';
}

/** The revisions (ids, and `^id` exclusions) for `git log` that select what the push sends; none when it sends nothing. */
export async function pushRevisions(git: Git, hook: PrePushHook): Promise<string[]> {
  const env = hook.env ?? {};
  if (hook.args.length === 0 && env['PRE_COMMIT_TO_REF']) return frameworkRevisions(env['PRE_COMMIT_FROM_REF'] ?? '', env['PRE_COMMIT_TO_REF']);
  if (hook.args.length === 0 && env['PRE_COMMIT_LOCAL_BRANCH']) return newHistory(git, env['PRE_COMMIT_REMOTE_NAME'] ?? '', [env['PRE_COMMIT_LOCAL_BRANCH']], []);
  if (hook.args.length !== 2) throw new SkScanError('pre-push takes the remote name and URL that git passes to the hook');
  const input = typeof hook.input === 'string' ? hook.input : (await readAll(hook.input)).toString('utf8');
  const refs = parsePushLines(input);
  const pushed = refs.filter((r) => !isZeroId(r.localSha)).map((r) => r.localSha);
  return newHistory(git, hook.args[0] as string, pushed, refs.map((r) => r.remoteSha));
}

/** The pre-commit framework's range: `FROM..TO`, or all of TO's history when FROM is empty or zero (a new branch). */
function frameworkRevisions(from: string, to: string): string[] {
  for (const [name, value] of [['PRE_COMMIT_TO_REF', to], ['PRE_COMMIT_FROM_REF', from]] as const) {
    if (value !== '' && !isObjectId(value)) throw new SkScanError(`${name} must be a commit id, not '${value.slice(0, 80)}'`);
  }
  return from === '' || isZeroId(from) ? [to] : [to, `^${from}`];
}

export function parsePushLines(input: string): PushedRef[] {
  return input
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l, i) => {
      const [localRef = '', localSha = '', remoteRef = '', remoteSha = '', ...extra] = l.split(/\s+/);
      if (extra.length > 0 || !isObjectId(localSha) || !isObjectId(remoteSha)) {
        throw new SkScanError(`pre-push: line ${i + 1} of the hook's input is not "<local ref> <local sha> <remote ref> <remote sha>" with object ids`);
      }
      return { localRef, localSha, remoteRef, remoteSha };
    });
}

/**
 * What pushing `tips` to `remote` adds to it: their history, less what the
 * remote already has (its remote-tracking refs, and the `replaced` ids this
 * push overwrites). Tips go to git after --end-of-options.
 */
async function newHistory(git: Git, remote: string, tips: string[], replacedIds: string[]): Promise<string[]> {
  if (tips.length === 0) return [];
  const tracking = remote === '' ? '' : await git.text(['for-each-ref', '--format=%(objectname)'], { revs: [`refs/remotes/${remote}/`] });
  const replaced = replacedIds.filter((s) => !isZeroId(s));
  const candidates = [...new Set([...tracking.split('\n').filter(isObjectId), ...replaced])];
  // Only commits this repository has can be excluded; git log would fail on the others.
  const known = candidates.length === 0 ? [] : await commitsPresent(git, candidates);
  return [...tips, ...known.map((sha) => `^${sha}`)];
}

async function commitsPresent(git: Git, shas: string[]): Promise<string[]> {
  const out = await git.text(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: shas.join('\n') + '\n' });
  return out
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([, type]) => type === 'commit')
    .map(([sha]) => sha as string);
}
