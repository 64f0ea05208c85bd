/**
 * The last stage: the one report model every format renders from. Each
 * finding is masked here (the full key only with --show-secrets), given its
 * remediation, and its severity moved by what verification learned; then the
 * picture per key (secrets) and the environment advisories are worked out.
 */
import { compareText } from '../common/group.js';
import { fingerprint, type Detection, type Verified } from '../pipeline/handoff.js';
import { SEVERITIES, type RuleSpec, type Severity } from '../detect/rule.js';
import type { TargetKind, TargetRead } from '../sources/types.js';
import type { Verification } from '../verify/spec.js';
import { VERSION } from '../common/version.js';
import { advisories, exposures } from './exposure.js';
import { maskKeys, redact, tail } from '../common/redact.js';
import type { Finding, Report, ReportSettings, SecretInfo, Stats } from './model.js';
import { placeOf, remediation, type Place } from './remediation.js';

export interface ReportInput {
  target: { kind: TargetKind; root: string };
  rules: RuleSpec[];
  verified: Verified;
  /** Everything but what was accepted, which is counted here. */
  stats: Omit<Stats, 'suppressed' | 'suppressedBy'>;
  warnings: string[];
  /** Put full secrets in the report (`secret.value`). */
  showSecrets: boolean;
  /** List accepted findings too, each marked with why. */
  includeSuppressed: boolean;
  /** Per target, what the source read (git). */
  targets?: TargetRead[];
  /** The settings in force and what they changed. */
  settings: ReportSettings;
}

const NOT_VERIFIED: Verification = { status: 'unchecked', reason: 'not-verified' };

export function buildReport(input: ReportInput): Report {
  const { verified, target } = input;
  const rules = new Map(input.rules.map((r) => [r.id, r]));
  const maskPath = input.showSecrets ? (p: string) => p : pathMasker([...verified.reported, ...verified.accepted.map((s) => s.detection)]);
  // What the hook judges is staged: in no commit yet, so it has not left this machine.
  const placeOfFinding = (o: Detection['origin']) => (target.kind === 'staged' ? 'staged' : placeOf(o));
  const finding = (d: Detection) => toFinding(d, rules.get(d.match.ruleId) as RuleSpec, input.showSecrets, verified.verdicts?.get(d.sha256) ?? NOT_VERIFIED, maskPath, placeOfFinding(d.origin));
  // A reported finding still carrying its allow comment was not accepted by it (audit mode): marked.
  const findings = verified.reported.map((d) => (d.match.allow ? { ...finding(d), allowedInRepository: { reason: d.match.allow.reason ?? null } } : finding(d)));
  if (input.includeSuppressed) {
    for (const s of verified.accepted) findings.push({ ...finding(s.detection), suppressed: s.suppression });
  }
  findings.sort(compareFindings);
  const secrets = exposures(
    findings.filter((f) => !f.suppressed),
    target.kind === 'git',
  );
  return {
    version: 1,
    tool: { name: 'sk-scan', version: VERSION },
    target: { ...target, root: maskPath(target.root) },
    stats: { ...input.stats, ...cachedOf(input.targets), suppressed: verified.accepted.length, suppressedBy: countBy(verified.accepted) },
    settings: input.settings,
    findings,
    secrets,
    advisories: advisories(secrets),
    rules: input.rules.map((r) => ({
      id: r.id,
      description: r.description,
      severity: r.severity,
      kind: r.kind,
      help: remediation({ advice: r.remediation, last4: '', status: 'unchecked', place: 'present' }),
      ...(r.remediation !== undefined ? { advice: r.remediation } : {}),
    })),
    warnings: input.warnings,
    errors: (input.targets ?? []).flatMap((t) => (t.error !== undefined ? [{ target: maskPath(t.target), message: maskPath(t.error) }] : [])),
    ...(input.targets ? { targets: input.targets.map((t) => ({ ...t, target: maskPath(t.target), findings: findings.filter((f) => !f.suppressed && f.target === maskPath(t.target)).length, error: t.error === undefined ? null : maskPath(t.error) })) } : {}),
  };
}

/** Accepted findings counted by what accepted them. */
export function countBy(accepted: Verified['accepted']): Stats['suppressedBy'] {
  const out: Stats['suppressedBy'] = {};
  for (const { suppression } of accepted) out[suppression.kind] = (out[suppression.kind] ?? 0) + 1;
  return out;
}

/** The report's order of findings: by target, path, commit, line, column, rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareText(a.target ?? '', b.target ?? '') ||
    compareText(a.path ?? '', b.path ?? '') ||
    compareText(a.commit ?? '', b.commit ?? '') ||
    a.line - b.line ||
    a.column - b.column ||
    compareText(a.ruleId, b.ruleId)
  );
}

/**
 * Names with the keys in them replaced by their redacted form: a report never
 * shows a key in a path, a member, an author, a ref or a target either. The
 * keys found in names (any rule's) are masked wherever they appear, and
 * anything shaped like a platform key besides.
 */
function pathMasker(detections: Detection[]): (path: string) => string {
  const inNames = new Map<string, string>();
  for (const d of detections) if (d.origin.inName) inNames.set(d.match.secret, redact(d.match.secret, d.match.prefixLength));
  return (path) => {
    let out = path;
    for (const [secret, shown] of inNames) out = out.split(secret).join(shown);
    return maskKeys(out);
  };
}

/** Objects the scan cache spared, over every repository: only when a cache was used. */
function cachedOf(targets: TargetRead[] | undefined): { cached?: number } {
  const used = (targets ?? []).filter((t) => t.cached !== undefined);
  return used.length > 0 ? { cached: used.reduce((n, t) => n + (t.cached ?? 0), 0) } : {};
}

/** A live key is more urgent than its rule says; a dead one less. */
function adjustSeverity(severity: Severity, v: Verification): Severity {
  if (v.status === 'active') return SEVERITIES[Math.max(0, SEVERITIES.indexOf(severity) - 1)] ?? severity;
  if (v.status === 'inactive') return lower(severity);
  return severity;
}

function lower(severity: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(severity) + 1)] ?? severity;
}

 
function toFinding({ origin, match, sha256 }: Detection, rule: RuleSpec, showSecrets: boolean, verification: Verification, maskPath: (p: string) => string, place: Place): Finding {
  const finding: Finding = {
    ruleId: rule.id,
    // A blob staged once and never committed has not left this clone: less urgent than its rule says.
    severity: place === 'dangling' ? lower(adjustSeverity(rule.severity, verification)) : adjustSeverity(rule.severity, verification),
    path: origin.path === null ? null : maskPath(origin.path),
    line: match.line,
    column: match.column,
    commit: origin.commit,
    secret: secretInfo(match.secret, match.prefixLength, rule.kind, match.environment, showSecrets, sha256),
    fingerprint: fingerprint(rule.id, origin, sha256),
    remediation: remediation({
      advice: rule.remediation,
      // A key that may be cut short may not end as the key does: its advice names no last four.
      last4: match.partial ? '' : tail(match.secret, match.prefixLength),
      status: verification.status,
      place,
      path: origin.member === undefined ? maskPath(origin.path ?? '') || null : null,
      tracked: origin.git !== undefined,
    }),
    verification,
  };
  if (origin.inName) finding.inName = true;
  if (origin.member !== undefined) finding.member = maskPath(origin.member);
  if (origin.image !== undefined) finding.image = { ...origin.image, file: maskPath(origin.image.file) };
  if (match.encoding !== undefined) finding.secret.encoding = match.encoding;
  if (match.partial) finding.secret.partial = true;
  if (origin.target !== undefined) finding.target = maskPath(origin.target);
  if (origin.author !== undefined) finding.author = origin.author === null ? null : maskPath(origin.author);
  if (origin.date !== undefined) finding.date = origin.date;
  if (origin.git !== undefined) {
    finding.git = origin.git.refs ? { ...origin.git, refs: origin.git.refs.map(maskPath) } : { ...origin.git };
    if (origin.git.tag) finding.git.tag = { ...origin.git.tag, name: maskPath(origin.git.tag.name) };
  }
  return finding;
}

/** A key as the report carries it: redacted, hashed, its kind and environment; the full value only with --show-secrets. */
function secretInfo(secret: string, prefixLength: number, kind: string, environment: string | null, showSecrets: boolean, hash: string): SecretInfo {
  const info: SecretInfo = { redacted: redact(secret, prefixLength), sha256: hash, kind, environment };
  if (showSecrets) info.value = secret;
  return info;
}
