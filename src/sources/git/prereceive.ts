/**
 * What a push adds to the repository it is pushed to, as the server's
 * pre-receive hook hears of it: one line per ref on standard input,
 *
 *   <old id> SP <new id> SP <ref name> LF
 *
 * (an all-zero old id: the ref is created; an all-zero new id: deleted). The
 * pushed objects are not in the repository yet: git keeps them in a
 * quarantine folder while the hook runs and names it in the hook's
 * environment (GIT_OBJECT_DIRECTORY, with the repository's own objects in
 * GIT_ALTERNATE_OBJECT_DIRECTORIES); the repository is opened from that
 * environment, so both are read. The refs are the repository's as they were
 * before the push.
 *
 * What the push adds: every commit reachable from a pushed id and from no ref
 * the repository has (a merge that brings in a branch already on the server
 * adds nothing of that branch's), and each new annotated tag's message. An
 * object the quarantine holds that no pushed ref reaches is not the push's.
 *
 * Every id is checked to be an object id, and every ref name to be one,
 * before git sees them.
 */
import { SkScanError } from '../../common/errors.js';
import { isObjectId, isZeroId, type Git } from '../../gitexec/run.js';


export interface ReceivedRef {
  oldId: string;
  newId: string;
  ref: string;
}

/** The hook's input: one `<old> <new> <ref>` line per ref; anything else is refused, naming the line. */
export function parseReceiveLines(input: string): ReceivedRef[] {
  return input
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const [oldId = '', newId = '', ref = '', ...extra] = l.trim().split(' ');
      if (extra.length > 0 || !isObjectId(oldId) || !isObjectId(newId) || !/^refs\/[^\s\0]+$/.test(ref)) {
        throw new SkScanError(`pre-receive: line ${i + 1} of the hook's input is not "<old id> <new id> <ref>" with object ids and a ref name`);
      }
      return { oldId, newId, ref };
    });
}

/** The refs a push creates or moves (not those it deletes). */
export function pushedRefs(refs: ReceivedRef[]): string[] {
  return refs.filter((r) => !isZeroId(r.newId)).map((r) => r.ref);
}

/** What the push adds: revisions for `git log` (the pushed ids, each ref the repository has excluded), and the new annotated tags. */
export async function receivedRevisions(git: Git, refs: ReceivedRef[]): Promise<{ revs: string[]; tags: string[] }> {
  const pushed = [...new Set(refs.filter((r) => !isZeroId(r.newId)).map((r) => r.newId))];
  if (pushed.length === 0) return { revs: [], tags: [] };
  // Refs to commits, or to tags of commits: what git log can exclude.
  const listed = (await git.text(['for-each-ref', '--format=%(objectname) %(objecttype) %(*objecttype)'])).split('\n').map((l) => l.split(' '));
  const existing = new Set(listed.filter(([id, type, peeled]) => isObjectId(id ?? '') && (type === 'commit' || peeled === 'commit')).map(([id]) => id as string));
  const types = await git.text(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: pushed.join('\n') + '\n' });
  const typeOf = new Map(types.split('\n').map((l) => l.split(' ') as [string, string]));
  // A tag the repository already has is not this push's.
  const tags = pushed.filter((id) => typeOf.get(id) === 'tag' && !existing.has(id));
  const walkable = pushed.filter((id) => typeOf.get(id) === 'commit' || typeOf.get(id) === 'tag');
  if (walkable.length === 0) return { revs: [], tags };
  return { revs: [...walkable, ...[...existing].map((id) => `^${id}`)], tags };
}
