/**
 * git's pre-push hook protocol: the remote's name and URL as arguments, and on
 * standard input one line per ref being pushed:
 *
 *   <local ref> SP <local sha> SP <remote ref> SP <remote sha> LF
 *
 * A deleted branch has an all-zero local sha; a new branch an all-zero remote
 * sha. What the push adds to the remote is every commit reachable from the
 * pushed shas and from neither the remote's known refs nor the remote shas
 * being replaced (when we have them: after a force push we may not).
 */
import { gitText } from './exec.js';

const ZERO = /^0{40}(?:0{24})?$/;

export interface PushedRef {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

export function parsePushLines(input: string): PushedRef[] {
  return input
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [localRef = '', localSha = '', remoteRef = '', remoteSha = ''] = l.split(/\s+/);
      return { localRef, localSha, remoteRef, remoteSha };
    });
}

/** The revision arguments for `git log` that select what the push sends, or null when it sends nothing (deletions only). */
export async function pushRevisions(remote: string, refs: PushedRef[]): Promise<string[] | null> {
  const pushed = refs.filter((r) => !ZERO.test(r.localSha)).map((r) => r.localSha);
  if (pushed.length === 0) return null;
  const replaced = refs.map((r) => r.remoteSha).filter((s) => s && !ZERO.test(s));
  // Only the remote shas this repository has can be excluded; git log would fail on the others.
  const known = replaced.length === 0 ? [] : await existing(replaced);
  return [...pushed, '--not', `--remotes=${remote}`, ...known];
}

async function existing(shas: string[]): Promise<string[]> {
  const out = await gitText('.', ['cat-file', '--batch-check=%(objectname) %(objecttype)'], shas.join('\n') + '\n');
  return out
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([, type]) => type === 'commit')
    .map(([sha]) => sha as string);
}
