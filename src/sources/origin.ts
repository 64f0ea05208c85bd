/** How an item's origin is named: the same words in a report, a warning and a fingerprint. */
import type { Origin } from './types.js';

/** An origin's (or a finding's) file as every format writes it: its path, and inside an archive the member too (`pkg.tgz!package/.env`). */
export function filePath(o: Pick<Origin, 'path' | 'member'>): string | null {
  return o.path !== null && o.member !== undefined ? `${o.path}!${o.member}` : o.path;
}

/** How an item is named in a warning: its path, else the object it is, else standard input. */
export function originLabel(o: Origin): string {
  if (o.path !== null) return filePath(o) as string;
  if (o.git?.blob) return `blob ${o.git.blob}${o.member !== undefined ? `!${o.member}` : ''}`;
  if (o.git?.tag) return `tag ${o.git.tag.name}`;
  return o.commit ? `commit ${o.commit}` : '(stdin)';
}
