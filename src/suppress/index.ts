/**
 * Suppression: the step between detection and the report that sets aside what
 * the user has accepted, and says why:
 *
 * - `allow`: the line carries `sk-scan:allow` (the detector marks the match);
 * - `excluded`: a path the config's `exclude` globs name (history scans; a
 *   working-tree walk never reads those paths at all);
 * - `ignore-file`: a path `.sk-scanignore` names (gitignore syntax);
 * - `fingerprint`: a finding the config's `ignore:` list names by fingerprint;
 * - `baseline`: a (rule, path, key hash) recorded in the baseline.
 */
import { createHash } from 'node:crypto';
import type { Match } from '../detect/engine.js';
import type { Origin } from '../sources/types.js';

export interface Candidate {
  origin: Origin;
  match: Match;
  /** SHA-256 of the secret. */
  sha256: string;
}

export interface BaselineEntry {
  ruleId: string;
  /** The path, or null for a key in a commit message. */
  path: string | null;
  /** SHA-256 of the key: the baseline never holds the key, nor a line number. */
  sha256: string;
}

export type SuppressionKind = 'allow' | 'excluded' | 'ignore-file' | 'fingerprint' | 'baseline';

export interface Suppression {
  kind: SuppressionKind;
  reason: string;
}

/** Everything the user has accepted. */
export interface Acceptance {
  exclude?: string[];
  /** Lines of `.sk-scanignore`. */
  ignoreFile?: string[] | null;
  /** Fingerprints (or their first 12+ characters) from the config's `ignore:` list. */
  fingerprints?: string[];
  baseline?: BaselineEntry[] | null;
}

export interface Suppressed {
  candidate: Candidate;
  suppression: Suppression;
}

/**
 * A finding's stable identity: rule, place (path, or the commit for a message)
 * and the key's hash; never the line, so it survives code moving.
 */
export function fingerprint(ruleId: string, origin: Origin, sha256: string): string {
  const where = origin.path ?? `commit:${origin.commit ?? ''}`;
  return createHash('sha256').update(`${ruleId}\0${where}\0${sha256}`).digest('hex').slice(0, 16);
}

export async function suppress(candidates: Candidate[], accepted: Acceptance = {}): Promise<{ kept: Candidate[]; suppressed: Suppressed[] }> {
  // The matchers load only when there is something to match (the pre-commit hook must start fast).
  const excluded = accepted.exclude && accepted.exclude.length > 0 ? (await import('picomatch')).default(accepted.exclude, { dot: true }) : null;
  const ignored =
    accepted.ignoreFile && accepted.ignoreFile.length > 0 ? (await import('ignore')).default({ allowRelativePaths: true }).add(accepted.ignoreFile) : null;
  const prints = (accepted.fingerprints ?? []).map((f) => f.toLowerCase());
  const baseline = new Set((accepted.baseline ?? []).map(baselineKey));
  const kept: Candidate[] = [];
  const suppressed: Suppressed[] = [];
  for (const c of candidates) {
    const suppression = why(c);
    if (suppression === null) kept.push(c);
    else suppressed.push({ candidate: c, suppression });
  }
  return { kept, suppressed };

  function why(c: Candidate): Suppression | null {
    const path = c.origin.path;
    if (c.match.allow) return { kind: 'allow', reason: `sk-scan:allow${c.match.allow.reason ? ` -- ${c.match.allow.reason}` : ''}` };
    if (excluded && path !== null && excluded(path)) return { kind: 'excluded', reason: 'excluded by the config' };
    if (ignored && path !== null && ignored.ignores(path)) return { kind: 'ignore-file', reason: 'path listed in .sk-scanignore' };
    if (prints.length > 0) {
      const fp = fingerprint(c.match.ruleId, c.origin, c.sha256);
      if (prints.some((p) => fp.startsWith(p) || p.startsWith(fp))) return { kind: 'fingerprint', reason: `fingerprint ${fp} ignored by the config` };
    }
    if (baseline.has(baselineKey({ ruleId: c.match.ruleId, path, sha256: c.sha256 }))) return { kind: 'baseline', reason: 'in the baseline' };
    return null;
  }
}

function baselineKey(e: BaselineEntry): string {
  return `${e.ruleId}\0${e.path ?? ''}\0${e.sha256}`;
}

export { readBaseline, writeBaseline, BASELINE_FILE_NAME } from './baseline.js';
