/**
 * Objects the history names but the object store lacks: a partial clone's
 * blobs (`--filter=blob:none`, `blob:limit=1k`, which CI checkouts use), a
 * repository that borrows objects from another (alternates), or a damaged
 * store. Listing the store (`cat-file --batch-all-objects`) never notices
 * them, so a whole-history scan walks every ref's trees as well (`rev-list
 * --objects --missing=print`, alongside the read), after asking whether the
 * store holds each ref's tip at all. They are never fetched:
 * each is counted as unread, so the scan cannot pass.
 */
import { createHash } from 'node:crypto';
import { early } from '../../common/async.js';
import { gitOutput } from '../../gitexec/output.js';
import { isObjectId, type Git } from '../../gitexec/run.js';

/**
 * The ids of objects some ref's history names but this store does not hold,
 * and the refs walked (their tips and HEAD, hashed). `unchanged` is asked with
 * that hash whether an earlier walk found the same refs, and the same store,
 * whole; if so, they are not walked again (`skipped`).
 */
export async function missingObjects(git: Git, unchanged: (refs: string) => Promise<boolean> = () => Promise.resolve(false)): Promise<{ missing: string[]; refs: string; skipped: boolean }> {
  const missing: string[] = [];
  let rest = '';
  // Every ref's tip and HEAD; a ref naming an object the store lacks is passed over here (--ignore-missing)
  // and warned about by the commit graph, rather than ending the walk as `--all` would.
  const [listed, head] = await Promise.all([git.text(['for-each-ref', '--format=%(objectname) %(refname)']), git.text(['rev-parse', '-q', '--verify', 'HEAD']).catch(() => '')]);
  const refs = createHash('sha256').update(`${listed}\0${head}`).digest('hex');
  if (await unchanged(refs)) return { missing, refs, skipped: true };
  const ids = listed.split('\n').filter(Boolean).map((line) => line.slice(0, line.indexOf(' ')));
  const tips = [...ids, 'HEAD'].join('\n') + '\n';
  // A tip the store lacks (its pack a link not read, a damaged store) is passed over by the walk below
  // (--ignore-missing), and nothing else would name it: asked here, it is missing like any other object.
  // (Alongside the walk: a ref per pull request makes thousands of tips.)
  const named = [...new Set([...ids, head.trim()].filter(isObjectId))];
  const checked = named.length > 0 ? early(git.text(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: named.join('\n') + '\n' })) : Promise.resolve('');
  const args = ['rev-list', '--objects', '--missing=print', '--no-object-names', '--ignore-missing', '--stdin'];
  for await (const chunk of gitOutput(git, args, { input: tips, what: 'checking the history for missing objects (git rev-list)' })) {
    const text = rest + chunk.toString('latin1');
    // Present objects are most of the output: only the lines that start with "?" matter.
    for (let at = text.indexOf('?'); at !== -1; at = text.indexOf('?', at + 1)) {
      if (at > 0 && text[at - 1] !== '\n') continue;
      const end = text.indexOf('\n', at);
      if (end === -1) break;
      missing.push(text.slice(at + 1, end));
    }
    const lastNewline = text.lastIndexOf('\n');
    rest = text.slice(lastNewline + 1);
  }
  if (rest.startsWith('?')) missing.push(rest.slice(1).trim());
  for (const line of (await checked).split('\n')) if (line.endsWith(' missing')) missing.push(line.slice(0, line.indexOf(' ')));
  return { missing, refs, skipped: false };
}
