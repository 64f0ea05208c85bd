/** Formatting shared by every place that prints for people: the text report, progress, messages. */
import type { Finding } from './model.js';

/** The message a key sits in, when it is in one: `commit 0123456789ab`, `tag v1.0`. */
export function messageOf(f: Finding): string | null {
  if (f.git?.in === 'tag' && f.git.tag) return `tag ${f.git.tag.name}`;
  if (f.git?.in === 'message' && f.commit) return `commit ${f.commit.slice(0, 12)}`;
  return null;
}

export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** `512 B`, `78.3 KiB`, `1.2 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
