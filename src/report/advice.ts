/**
 * What the human formats (text, markdown) share: each key's kind in words,
 * and the advice said once per step for all the keys it applies to, in the
 * order to act (stop the damage first, then tidy up).
 */
import { groupBy } from '../common/group.js';
import { filePath } from '../sources/origin.js';
import type { Finding, Report, RuleSummary, SecretExposure } from './model.js';
import { isLocalOnly, placeOf, steps, type Place, type RemediationFacts } from './remediation.js';

export const KIND_NAMES: Record<string, string> = { live: 'live key', test: 'test key', webhook: 'webhook secret' };

export function placeOfFinding(f: Finding): Place {
  return placeOf(f);
}

/**
 * Where a key is, in two words, said of the places listed for it: `still in
 * HEAD`, `history only`, or, when every place is a blob no commit holds,
 * `never committed` (`staged, in no commit` for the hook's). Only a history
 * scan has a history to tell apart from the present: '' elsewhere.
 */
export function keyWhere(history: boolean, s: SecretExposure, places: Finding[]): string {
  if (!history) return '';
  const kinds = new Set(places.map(placeOf));
  if (kinds.size > 0 && [...kinds].every(isLocalOnly)) return kinds.has('staged') ? 'staged, in no commit' : 'never committed';
  return s.atHead ? 'still in HEAD' : 'history only';
}

/** One step, and the numbers (1-based, in `report.secrets` order) of the keys it applies to. */
export interface SharedStep {
  text: string;
  keys: number[];
}

const STEP_ORDER = ['revoke-active', 'revoke', 'custom', 'then', 'inactive', 'staged', 'untrack', 'ignore-env', 'move', 'name', 'history', 'message', 'tag', 'dangling'];

function stepRank(id: string): number {
  const i = STEP_ORDER.indexOf(id.split(':')[0] ?? id);
  return i === -1 ? STEP_ORDER.length : i;
}

/** A finding's facts, with its rule's advice as the report lists it; a report without the rule (written by hand) keeps the finding's own steps. */
function factsOf(f: Finding, rules: Map<string, RuleSummary>): RemediationFacts {
  const rule = rules.get(f.ruleId);
  return { advice: rule ? rule.advice : f.remediation, last4: '', status: f.verification.status, place: placeOfFinding(f), path: f.member === undefined ? f.path : null, tracked: f.git !== undefined };
}

/** Each step once, for the keys it applies to, in the order to act. */
export function sharedSteps(report: Report): SharedStep[] {
  const byKey = groupBy(
    report.findings.filter((f) => !f.suppressed),
    (f) => f.secret.sha256,
  );
  const rules = new Map(report.rules.map((r) => [r.id, r]));
  const applies = new Map<string, SharedStep>();
  report.secrets.forEach((s, i) => {
    const seen = new Set<string>();
    for (const f of byKey.get(s.sha256) ?? []) {
      for (const step of steps(factsOf(f, rules))) {
        if (seen.has(step.id)) continue;
        seen.add(step.id);
        const entry = applies.get(step.id) ?? { text: step.short, keys: [] };
        entry.keys.push(i + 1);
        applies.set(step.id, entry);
      }
    }
  });
  return [...applies].sort(([a], [b]) => stepRank(a) - stepRank(b)).map(([, entry]) => entry);
}

/** `1-4, 6`. */
export function keyNumbers(keys: number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < keys.length; ) {
    let j = i;
    while (j + 1 < keys.length && keys[j + 1] === (keys[j] as number) + 1) j++;
    runs.push(j - i >= 2 ? `${keys[i]}-${keys[j]}` : keys.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return runs.join(', ');
}

/**
 * Findings at distinct places: two rules matching the same key at the same
 * spot (a test key assigned to WEBHOOK_SECRET) are one place to a reader.
 */
export function distinctPlaces(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const at = [f.target ?? '', filePath(f) ?? '', f.line, f.column, f.commit ?? '', f.git?.blob ?? ''].join('\0');
    if (seen.has(at)) return false;
    seen.add(at);
    return true;
  });
}
