/**
 * The suppress stage: between detection and the report, it sets aside what the
 * user has accepted, and says why:
 *
 * - `allow`: the line carries `sk-scan:allow` (the detector marks the match);
 * - `excluded`: a path the config's `exclude` globs cover (history scans; a
 *   working-tree walk never reads those paths at all);
 * - `ignore-file`: a path `.sk-scanignore` names (gitignore syntax);
 * - `fingerprint`: a finding the config's `ignore:` list names by fingerprint;
 * - `baseline`: a (rule, path, key hash) recorded in the baseline.
 */
import { fingerprint, type Detection, type Judged, type Suppression } from '../pipeline/handoff.js';
import { filePath } from '../sources/origin.js';
import { baselineKey, type BaselineEntry } from '../config/baseline.js';

/** Everything the user has accepted. */
export interface Acceptance {
  /** The config's `exclude`, compiled. */
  excluded?: { covers(path: string): boolean } | null;
  /** Lines of `.sk-scanignore`. */
  ignoreFile?: string[] | null;
  /** Fingerprints (or their first 12+ characters) from the config's `ignore:` list. */
  fingerprints?: string[];
  baseline?: BaselineEntry[] | null;
  /** Obey `sk-scan:allow` comments (default). Audit mode does not: they are the scanned tree's say. */
  honourAllow?: boolean;
}

export async function suppressStage(detections: Detection[], accepted: Acceptance = {}): Promise<Judged> {
  const ignored = await ignoreFileMatcher(accepted.ignoreFile);
  const prints = (accepted.fingerprints ?? []).map((f) => f.toLowerCase());
  const baseline = new Set((accepted.baseline ?? []).map(baselineKey));
  const excluded = accepted.excluded ?? null;
  const honourAllow = accepted.honourAllow !== false;
  // An allow comment at HEAD covers the same key at the same path in older blobs, which cannot carry one.
  const allowedAtHead = new Map<string, Suppression>();
  for (const d of honourAllow ? detections : []) {
    if (d.match.allow && d.origin.git?.blobAtHead && d.origin.path !== null) {
      allowedAtHead.set(`${filePath(d.origin)}\0${d.sha256}`, { kind: 'allow', reason: `${allowReason(d.match.allow.reason)} (at HEAD)` });
    }
  }
  const judged: Judged = { kept: [], accepted: [] };
  // A blob no commit holds (staged once, then changed: a blocked commit leaves one) is the same key as the one
  // committed: accepted wherever that key is accepted at a path in HEAD's tree, so that one key has one verdict.
  const dangling: Detection[] = [];
  const acceptedAtHead = new Map<string, Suppression>();
  for (const d of detections) {
    if (d.origin.git?.in === 'dangling') {
      dangling.push(d);
      continue;
    }
    const suppression = why(d);
    if (suppression === null) judged.kept.push(d);
    else {
      judged.accepted.push({ detection: d, suppression });
      if (d.origin.git?.blobAtHead && d.origin.path !== null && !acceptedAtHead.has(d.sha256)) acceptedAtHead.set(d.sha256, { ...suppression, reason: `${suppression.reason}; the same key accepted at ${filePath(d.origin) ?? ''} in HEAD` });
    }
  }
  for (const d of dangling) {
    const suppression = why(d) ?? acceptedAtHead.get(d.sha256) ?? null;
    if (suppression === null) judged.kept.push(d);
    else judged.accepted.push({ detection: d, suppression });
  }
  return judged;

  function why(d: Detection): Suppression | null {
    const path = d.origin.path;
    if (d.match.allow && honourAllow) return { kind: 'allow', reason: allowReason(d.match.allow.reason) };
    const atHead = path !== null ? allowedAtHead.get(`${filePath(d.origin)}\0${d.sha256}`) : undefined;
    if (atHead) return atHead;
    if (excluded && path !== null && excluded.covers(path)) return { kind: 'excluded', reason: 'excluded by the config' };
    if (ignored && path !== null && ignored.covers(path)) return { kind: 'ignore-file', reason: 'path listed in .sk-scanignore' };
    if (prints.length > 0) {
      const fp = fingerprint(d.match.ruleId, d.origin, d.sha256);
      if (prints.some((p) => fp.startsWith(p) || p.startsWith(fp))) return { kind: 'fingerprint', reason: `fingerprint ${fp} ignored by the config` };
    }
    if (baseline.has(baselineKey({ ruleId: d.match.ruleId, path: filePath(d.origin), sha256: d.sha256 }))) return { kind: 'baseline', reason: 'in the baseline' };
    return null;
  }
}

/**
 * `.sk-scanignore`'s paths compiled (the same matcher as `exclude`), or null
 * when it lists none: the matcher loads only when there is something to match
 * (the pre-commit hook must start fast).
 */
export async function ignoreFileMatcher(lines: string[] | null | undefined): Promise<{ covers(path: string): boolean } | null> {
  return lines && lines.length > 0 ? (await import('../config/paths.js')).PathPatterns.compile(lines) : null;
}

function allowReason(why: string | null | undefined): string {
  return `sk-scan:allow${why ? ` -- ${why}` : ''}`;
}
