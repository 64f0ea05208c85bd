/**
 * When a key left the default branch: walking HEAD's first-parent history
 * oldest first, over only the paths where the key ever was, and keeping the
 * blob each path holds, the key is present while any of those paths holds a
 * blob with it. The commit where it stops being present (for the last time)
 * is `removedIn`; the one before it, `lastSeen`. A key still in HEAD has
 * neither.
 */
import { randomBytes } from 'node:crypto';
import type { Git } from '../../git/run.js';
import { decodeName } from '../names.js';

export interface CommitRef {
  commit: string;
  date: string;
}

export interface Window {
  lastSeen: CommitRef | null;
  removedIn: CommitRef | null;
}

/** For each key (by hash): the blobs that hold it and the paths they were at. */
export type KeyPlaces = Map<string, { blobs: Set<string>; paths: Set<string> }>;

const ZERO = /^0+$/;

export async function exposureWindows(git: Git, keys: KeyPlaces): Promise<Map<string, Window>> {
  const out = new Map<string, Window>();
  const paths = new Set([...keys.values()].flatMap((k) => [...k.paths]));
  if (paths.size === 0) return out;
  const nonce = randomBytes(8).toString('hex');
  const marker = `\x01${nonce}\x02`;
  let text: Buffer;
  try {
    // Every commit of the line (not only those touching the paths: the one before a removal is `lastSeen`).
    text = await git.run(['log', '--first-parent', '--reverse', '-z', '--raw', '--no-abbrev', '--no-renames', '--no-ext-diff', `--format=${marker}%H\x02%aI`], { revs: ['HEAD'] });
  } catch {
    return out; // no HEAD (an empty or detached-unborn repository): nothing on the default branch
  }
  const current = new Map<string, string>();
  const state = new Map<string, { present: boolean; previous: CommitRef | null; window: Window }>();
  for (const sha of keys.keys()) state.set(sha, { present: false, previous: null, window: { lastSeen: null, removedIn: null } });
  const data = text.toString('latin1');
  for (const record of data.split(marker).slice(1)) {
    const headEnd = record.indexOf('\0');
    const [commit = '', date = ''] = record.slice(0, headEnd === -1 ? record.length : headEnd).split('\x02');
    applyChanges(record.slice(headEnd + 1), current, paths);
    const here = { commit, date };
    for (const [sha, k] of keys) {
      const s = state.get(sha);
      if (!s) continue;
      const present = [...k.paths].some((p) => k.blobs.has(current.get(p) ?? ''));
      if (s.present && !present) s.window = { lastSeen: s.previous, removedIn: here };
      if (present) s.window = { lastSeen: null, removedIn: null };
      s.present = present;
      s.previous = here;
    }
  }
  for (const [sha, s] of state) out.set(sha, s.window);
  return out;
}

/** `:meta NUL path NUL` entries (latin1 text of the bytes): each path's blob after the commit, or gone. */
function applyChanges(entries: string, current: Map<string, string>, wanted: Set<string>): void {
  const parts = entries.replace(/^\n/, '').split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = (parts[i] ?? '').replace(/^\n/, '');
    if (!meta.startsWith(':')) {
      i--; // not an entry: step one field on
      continue;
    }
    const fields = meta.slice(1).split(' ');
    const blob = fields[3] ?? '';
    const path = decodeName(Buffer.from(parts[i + 1] ?? '', 'latin1'));
    if (!wanted.has(path)) continue;
    if (ZERO.test(blob)) current.delete(path);
    else current.set(path, blob);
  }
}
