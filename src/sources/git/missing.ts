/**
 * Objects the history names but the object store lacks: a partial clone's
 * blobs (`--filter=blob:none`, `blob:limit=1k`, which CI checkouts use), or a
 * damaged store. Listing the store (`cat-file --batch-all-objects`) never
 * notices them, so a whole-history scan walks every ref's trees as well
 * (`rev-list --objects --missing=print`, alongside the read) and asks for
 * them: a partial clone fetches them from its promisor remote in one batch;
 * what cannot be had is counted as unread, so the scan cannot pass.
 */
import { createHash } from 'node:crypto';
import { gitOutput } from '../../git/output.js';
import type { Git } from '../../git/run.js';

/**
 * The ids of objects some ref's history names but this store does not hold,
 * and the refs walked (their tips and HEAD, hashed). With `walked`, the hash
 * of refs an earlier walk found whole: refs that have not moved since are not
 * walked again (`skipped`).
 */
export async function missingObjects(git: Git, walked: string | null = null): Promise<{ missing: string[]; refs: string; skipped: boolean }> {
  const missing: string[] = [];
  let rest = '';
  // Every ref's tip and HEAD; a ref naming an object the store lacks is passed over here (--ignore-missing)
  // and warned about by the commit graph, rather than ending the walk as `--all` would.
  const [listed, head] = await Promise.all([git.text(['for-each-ref', '--format=%(objectname) %(refname)']), git.text(['rev-parse', '-q', '--verify', 'HEAD']).catch(() => '')]);
  const refs = createHash('sha256').update(`${listed}\0${head}`).digest('hex');
  if (walked !== null && walked === refs) return { missing, refs, skipped: true };
  const tips = [...listed.split('\n').filter(Boolean).map((line) => line.slice(0, line.indexOf(' '))), 'HEAD'].join('\n') + '\n';
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
  return { missing, refs, skipped: false };
}

/** The remote a partial clone lazily fetches from, or null when this is not a partial clone. */
export async function promisorRemote(git: Git): Promise<string | null> {
  let text: string;
  try {
    text = await git.text(['config', '--get-regexp', '^remote\\..*\\.promisor$']);
  } catch {
    return null; // no such setting: git config exits 1
  }
  for (const line of text.split('\n')) {
    const m = /^remote\.(.+)\.promisor (true|yes|on|1)$/i.exec(line.trim());
    if (m) return m[1] ?? null;
  }
  return null;
}

/** Fetch `oids` from a partial clone's promisor remote in one batch, as git's own lazy fetch does; false if it fails. */
export async function fetchMissing(git: Git, remote: string, oids: string[]): Promise<boolean> {
  // The repository's own config must not choose what runs: no ext:: transport, no upload-pack or ssh command of its own.
  const safe = ['-c', 'protocol.ext.allow=never', '-c', 'core.sshCommand=ssh', '-c', `remote.${remote}.uploadpack=git-upload-pack`];
  try {
    await git.run([...safe, '-c', 'fetch.negotiationAlgorithm=noop', 'fetch', '--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', '--filter=blob:none', '--stdin', '--end-of-options', remote], {
      input: oids.join('\n') + '\n',
    });
    return true;
  } catch {
    return false;
  }
}
