/**
 * When a key left the default branch: walking HEAD's first-parent history
 * oldest first, over only the paths where the key ever was, and keeping the
 * blob each path holds, the key is present while any of those paths holds a
 * blob with it. The commit where it stops being present (for the last time)
 * is `removedIn`; the one before it, `lastSeen`. A key still in HEAD has
 * neither.
 */
import { randomBytes } from 'node:crypto';
import { isZeroId, type Git } from '../../gitexec/run.js';
import { decodeName } from '../../common/names.js';

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


export async function exposureWindows(git: Git, keys: KeyPlaces): Promise<Map<string, Window>> {
  const out = new Map<string, Window>();
  // Paths go to git on standard input, literally (a name may hold glob characters); one holding a newline cannot.
  const paths = new Set([...keys.values()].flatMap((k) => [...k.paths]).filter((p) => !p.includes('\n')));
  if (paths.size === 0) return out;
  const nonce = randomBytes(8).toString('hex');
  const marker = `\x01${nonce}\x02`;
  let text: Buffer;
  try {
    // Only the commits of the line that touch those paths; each with its first parent, which is `lastSeen` of a removal.
    text = await git.run(['--literal-pathspecs', 'log', '--first-parent', '--reverse', '-z', '--raw', '--no-abbrev', '--no-renames', '--no-ext-diff', `--format=${marker}%H\x02%aI\x02%P`, '--stdin'], {
      input: `HEAD\n--\n${[...paths].join('\n')}\n`,
    });
  } catch {
    return out; // no HEAD (an empty or detached-unborn repository): nothing on the default branch
  }
  const current = new Map<string, string>();
  const state = new Map<string, { present: boolean; window: { lastSeen: string | null; removedIn: CommitRef | null } }>();
  for (const sha of keys.keys()) state.set(sha, { present: false, window: { lastSeen: null, removedIn: null } });
  const data = text.toString('latin1');
  for (const record of data.split(marker).slice(1)) {
    const headEnd = record.indexOf('\0');
    const [commit = '', date = '', parents = ''] = record.slice(0, headEnd === -1 ? record.length : headEnd).split('\x02');
    applyChanges(record.slice(headEnd + 1), current, paths);
    for (const [sha, k] of keys) {
      const s = state.get(sha);
      if (!s) continue;
      const present = [...k.paths].some((p) => k.blobs.has(current.get(p) ?? ''));
      if (s.present && !present) s.window = { lastSeen: parents.split(' ')[0] || null, removedIn: { commit, date } };
      if (present) s.window = { lastSeen: null, removedIn: null };
      s.present = present;
    }
  }
  // The dates of the commits just before each removal, in one call.
  const before = [...new Set([...state.values()].map((s) => s.window.lastSeen).filter((c): c is string => c !== null))];
  const dates = new Map<string, string>();
  if (before.length > 0) {
    const listed = await git.text(['log', '--no-walk=unsorted', '--stdin', '--format=%H%x02%aI'], { input: before.join('\n') + '\n' });
    for (const line of listed.split('\n')) {
      const [c = '', d = ''] = line.split('\x02');
      if (c) dates.set(c, d);
    }
  }
  for (const [sha, s] of state) {
    const last = s.window.lastSeen;
    out.set(sha, { lastSeen: last ? { commit: last, date: dates.get(last) ?? '' } : null, removedIn: s.window.removedIn });
  }
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
    if (isZeroId(blob)) current.delete(path);
    else current.set(path, blob);
  }
}
