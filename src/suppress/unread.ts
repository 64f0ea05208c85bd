/**
 * What could not be read (a file, an object, an archive member) and the user
 * accepted by name: a known-bad fixture (a deliberately damaged zip in a test
 * suite, a blob a partial clone will never have) would otherwise make every
 * scan exit 2. `.sk-scanignore` names it by path (gitignore syntax: the file,
 * or the archive that holds the member) or by fingerprint (the first 16 or
 * more hex digits of the git object, the blob holding the archive, that a
 * warning names); the config's `exclude` accepts what it covers. Accepted
 * items are counted and still named in the report's warnings.
 */
import { ignoreFileMatcher } from './stage.js';

export interface UnreadAcceptance {
  ignoreFile?: string[] | null;
  fingerprints?: string[];
  excluded?: { covers(path: string): boolean } | null;
}

/** The name of what accepts an unread item (`.sk-scanignore`, `exclude`), or null when nothing does. */
export type AcceptsUnread = (label: string) => string | null;

const ID = /\b([0-9a-f]{40}|[0-9a-f]{64})\b/;

export async function acceptsUnread(a: UnreadAcceptance): Promise<AcceptsUnread | null> {
  const prints = (a.fingerprints ?? []).map((f) => f.toLowerCase());
  const ignored = await ignoreFileMatcher(a.ignoreFile);
  if (!ignored && prints.length === 0 && !a.excluded) return null;
  return (label) => {
    const id = ID.exec(label)?.[1];
    if (id !== undefined && prints.some((p) => id.startsWith(p))) return '.sk-scanignore (fingerprint)';
    // A label that is a path: the item itself, or the archive that holds the member (`dist/a.zip!x/y`).
    if (/^(object|blob|commit|tag) /.test(label) || label === '(stdin)') return null;
    const candidates = [label, label.slice(0, label.indexOf('!') === -1 ? label.length : label.indexOf('!'))];
    if (ignored && candidates.some((p) => p !== '' && ignored.covers(p))) return '.sk-scanignore';
    if (a.excluded && candidates.some((p) => p !== '' && a.excluded?.covers(p))) return 'exclude';
    return null;
  };
}
