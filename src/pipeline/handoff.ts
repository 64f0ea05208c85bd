/**
 * What each stage hands the next: sources → detect → attribute → suppress →
 * verify → report. A detection (a key found in one item) is born in detect,
 * placed by attribute, judged by suppress (kept or accepted, and why),
 * verified, and rendered. Types and the one identity all stages share, the
 * fingerprint; nothing here imports a stage.
 */
import { createHash } from 'node:crypto';
import type { Match } from '../detect/engine.js';
import { filePath } from '../sources/origin.js';
import type { Origin } from '../sources/types.js';
import type { Verification } from '../verify/spec.js';

/** A key found in one item: the hand-off from detect to the stages after it. */
export interface Detection {
  origin: Origin;
  match: Match;
  /** SHA-256 of the secret: its identity everywhere after this stage. */
  sha256: string;
}

export type SuppressionKind = 'allow' | 'excluded' | 'ignore-file' | 'fingerprint' | 'baseline';

export interface Suppression {
  kind: SuppressionKind;
  reason: string;
}

export interface Suppressed {
  detection: Detection;
  suppression: Suppression;
}

/** The hand-off to the verify stage: what stands, and what was accepted and why. */
export interface Judged {
  kept: Detection[];
  accepted: Suppressed[];
}

/**
 * A finding's stable identity: rule, place (path, or the commit for a message)
 * and the key's hash; never the line, so it survives code moving.
 */
export function fingerprint(ruleId: string, origin: Origin, sha256: string): string {
  const where = filePath(origin) ?? (origin.git?.tag ? `tag:${origin.git.tag.id}` : `commit:${origin.commit ?? ''}`);
  return createHash('sha256').update(`${ruleId}\0${where}\0${sha256}`).digest('hex').slice(0, 16);
}

/** The hand-off to the report: what it lists, what stays accepted, and the platform's verdicts. */
export interface Verified {
  reported: Detection[];
  accepted: Suppressed[];
  /** The verdict per key hash; null without --verify. */
  verdicts: Map<string, Verification> | null;
}
