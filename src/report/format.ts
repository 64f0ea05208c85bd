/** What every report format says alike: where a finding is, and what a scan read. */
import { count, formatBytes, formatNumber, quotePath } from '../common/text.js';
import { filePath } from '../sources/origin.js';
import type { Finding, Report, TargetSummary } from './model.js';

/** The message a key sits in, when it is in one: `commit 0123456789ab`, `tag v1.0`. */
export function messageOf(f: Finding): string | null {
  if (f.git?.in === 'tag' && f.git.tag) return `tag ${quotePath(f.git.tag.name)}`;
  if (f.git?.in === 'message' && f.commit) return `commit ${f.commit.slice(0, 12)}`;
  return null;
}

/** A finding's place with its line, as the HTML and Markdown reports write it: `config/.env:3:9`, `message of commit 0123456789ab, line 2`. */
export function placeAt(f: Finding): string {
  return f.path === null ? `${placeLabel(f)}, line ${f.line}` : `${filePath(f)}:${f.line}:${f.column}`;
}

/** Where a finding without a file is: `message of commit 0123456789ab`, `dangling blob 1a2b3c4d5e6f`, `(stdin)`. */
export function placeLabel(f: Finding): string {
  const message = messageOf(f);
  if (message) return `message of ${message}`;
  if (f.git?.blob !== undefined) return `${f.git.in === 'dangling' ? 'dangling ' : ''}blob ${f.git.blob.slice(0, 12)}`;
  return '(stdin)';
}

/**
 * What a scan read, as every format says it: items read (binary content
 * searched for keys counts: it was read), their bytes, and what the scan
 * cache vouched for without reading it. A history counts its objects, as
 * each repository's summary does: an archive is one object however many
 * members were read in it, as it is one when the cache vouches for it, so a
 * first and a second audit of the same history add up to the same total.
 */
export function scannedCounts(report: Pick<Report, 'stats' | 'target' | 'targets'>): { read: string; bytes: string; cached: number | undefined } {
  const { stats, targets } = report;
  const cached = stats.cached || undefined;
  if (report.target.kind === 'git' && targets !== undefined && targets.length > 0) {
    const sum = (f: (t: TargetSummary) => number) => targets.reduce((n, t) => n + f(t), 0);
    return { read: count(sum((t) => t.objects), 'object'), bytes: formatBytes(sum((t) => t.bytes)), cached };
  }
  const unit = report.target.kind === 'git' ? 'object' : 'file';
  return { read: count(stats.files + stats.skipped.binary, unit), bytes: formatBytes(stats.bytes), cached };
}

/** The same in words for a page: `3 objects (1.2 KiB); 29,551 more known clean from the scan cache`. */
export function scannedWords(report: Pick<Report, 'stats' | 'target' | 'targets'>): string {
  const { read, bytes, cached } = scannedCounts(report);
  return `${read} (${bytes})${cached ? `; ${formatNumber(cached)} more known clean from the scan cache` : ''}`;
}
