/**
 * The verify stage, only with --verify: the platform is asked about each
 * unique key that stands after suppression (a placeholder or an accepted
 * finding is never sent anywhere), and about baselined keys too, because a
 * live key is never accepted silently: one the platform says is live is
 * reported again.
 *
 * The HTTP client (verify/client.ts) loads only when verification is asked for.
 */
import type { Judged, Verified } from '../pipeline/handoff.js';
import type { RuleSpec } from '../detect/rule.js';
import type { VerifyOptions } from './client.js';
import { DEFAULT_VERIFY_DEADLINE_MS, type Verification, type VerifySpec } from './spec.js';
import { Detector } from '../detect/engine.js';
import { compileRule } from '../detect/rule.js';

export interface VerifyHooks {
  warn(message: string): void;
  /**
   * Verification starts, and advances: `checkable` unique keys to ask about
   * (`settled` of them answered or given up on), `unverifiable` that no check
   * exists for (webhook secrets), and when the deadline falls (ms since the epoch).
   */
  onVerifying(progress: { checkable: number; settled: number; unverifiable: number; deadlineAt: number }): void;
}

const WHY: Record<string, string> = {
  'connection-error': 'could not connect to',
  timeout: 'no answer in time from',
  deadline: 'the verification deadline passed before an answer from',
  'rate-limited': 'rate-limited (429) by',
  'server-error': 'server errors from',
  'unexpected-response': 'an answer the rule does not describe from',
  'off-endpoint': 'a check that leads off the endpoint, so nothing was sent: not',
};

/** Why keys stayed unverified, once per reason (not once per key): `unverified: could not connect to api.chatbotplatform.io (ECONNREFUSED): 3 keys`. */
function unverified(verdicts: Map<string, Verification>, host: string): string[] {
  const byWhy = new Map<string, number>();
  for (const v of verdicts.values()) {
    if (v.status !== 'unknown') continue;
    const code = v.detail ?? (v.httpStatus !== undefined ? `HTTP ${v.httpStatus}` : '');
    const why = `${WHY[v.reason] ?? `${v.reason} from`} ${host}${code ? ` (${code})` : ''}`;
    byWhy.set(why, (byWhy.get(why) ?? 0) + 1);
  }
  return [...byWhy].map(([why, n]) => `unverified: ${why}: ${n} ${n === 1 ? 'key' : 'keys'}`);
}

/**
 * Which check verifies a key: the check of the built-in rule that matches it
 * whole, if one does (disabled or not), else its own rule's. A config (perhaps
 * the scanned repository's) may add rules and checks of its own, but cannot
 * decide what the platform's answer about one of the platform's keys means.
 */
function checks({ rules, builtin }: VerifyRules): (ruleId: string, secret: string) => VerifySpec | undefined {
  const own = new Map(rules.map((r) => [r.id, r.verify]));
  const builtins = new Detector(builtin.map(compileRule));
  return (ruleId, secret) => {
    const platform = builtins.scan(Buffer.from(secret)).find((m) => m.secret === secret);
    if (platform) return builtin.find((r) => r.id === platform.ruleId)?.verify;
    return own.get(ruleId);
  };
}

/** Refuse an endpoint keys may not be sent to, or times no timer can keep, before anything is read, let alone sent. */
export async function checkVerifyEndpoint(opts: VerifyOptions | undefined): Promise<void> {
  if (opts) (await import('./client.js')).checkVerifyOptions(opts);
}

/** The rules in force, and every built-in one (disabled or not). */
export interface VerifyRules {
  rules: RuleSpec[];
  builtin: RuleSpec[];
}

export async function verifyStage(judged: Judged, rules: VerifyRules, opts: VerifyOptions | undefined, hooks: VerifyHooks): Promise<Verified> {
  if (!opts) return { reported: judged.kept, accepted: judged.accepted, verdicts: null };
  const { verifyKeys } = await import('./client.js');
  const baselined = judged.accepted.filter((s) => s.suppression.kind === 'baseline');
  const toVerify = [...judged.kept, ...baselined.map((s) => s.detection)];
  const checkOf = checks(rules);
  // A match that may be cut short is never sent: the platform's "invalid" would be about a string that is not the key, and would make a live key look dead.
  const keys = [...new Map(toVerify.map((d) => [d.sha256, { sha256: d.sha256, secret: d.match.secret, spec: checkOf(d.match.ruleId, d.match.secret), partial: d.match.partial === true }])).values()];
  const checkable = keys.filter((k) => k.spec && !k.partial).length;
  const progress = { checkable, settled: 0, unverifiable: keys.length - checkable, deadlineAt: Date.now() + (opts.deadlineMs ?? DEFAULT_VERIFY_DEADLINE_MS) };
  hooks.onVerifying(progress);
  const verdicts = await verifyKeys(keys, { ...opts, onAnswer: (settled) => hooks.onVerifying({ ...progress, settled }) });
  for (const line of unverified(verdicts, new URL(opts.baseUrl).host)) hooks.warn(line);
  const live = baselined.filter((s) => verdicts.get(s.detection.sha256)?.status === 'active');
  if (live.length > 0) hooks.warn(`${live.length} baselined finding(s) hold a key the platform says is live: reported again`);
  return {
    reported: [...judged.kept, ...live.map((s) => s.detection)],
    accepted: judged.accepted.filter((s) => !live.includes(s)),
    verdicts,
  };
}
