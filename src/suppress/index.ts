/**
 * Suppression: the step between detection and the report that drops what the
 * user has accepted. Today that is a line carrying `sk-scan:allow` (found by the
 * detector, which marks the match); baselines and ignore files join here later.
 */
import type { Match } from '../detect/engine.js';

export interface Suppressed<T> {
  item: T;
  reason: string;
}

export function suppress<T extends { match: Match }>(candidates: T[]): { kept: T[]; suppressed: Suppressed<T>[] } {
  const kept: T[] = [];
  const suppressed: Suppressed<T>[] = [];
  for (const c of candidates) {
    if (c.match.allow) suppressed.push({ item: c, reason: `sk-scan:allow${c.match.allow.reason ? ` -- ${c.match.allow.reason}` : ''}` });
    else kept.push(c);
  }
  return { kept, suppressed };
}
