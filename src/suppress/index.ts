/**
 * Suppression: the step between detection and the report that drops what the
 * user has accepted: a line carrying `sk-scan:allow` (found by the detector,
 * which marks the match) and, for history scans, paths the config excludes
 * (a working-tree walk never reads those in the first place). Baselines and
 * ignore files join here.
 */
import picomatch from 'picomatch';
import type { Match } from '../detect/engine.js';
import type { Origin } from '../sources/types.js';

export interface Candidate {
  origin: Origin;
  match: Match;
  /** SHA-256 of the secret. */
  sha256: string;
}

export interface Suppressed {
  candidate: Candidate;
  reason: string;
}

export interface SuppressOptions {
  /** Globs of paths whose findings are dropped. */
  exclude?: string[];
}

export function suppress(candidates: Candidate[], opts: SuppressOptions = {}): { kept: Candidate[]; suppressed: Suppressed[] } {
  const excluded = opts.exclude && opts.exclude.length > 0 ? picomatch(opts.exclude, { dot: true }) : null;
  const kept: Candidate[] = [];
  const suppressed: Suppressed[] = [];
  for (const c of candidates) {
    const reason = why(c, excluded);
    if (reason === null) kept.push(c);
    else suppressed.push({ candidate: c, reason });
  }
  return { kept, suppressed };
}

function why(c: Candidate, excluded: ((path: string) => boolean) | null): string | null {
  if (c.match.allow) return `sk-scan:allow${c.match.allow.reason ? ` -- ${c.match.allow.reason}` : ''}`;
  if (excluded && c.origin.path !== null && excluded(c.origin.path)) return 'excluded by config';
  return null;
}
