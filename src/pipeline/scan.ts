/**
 * The pipeline: source → detect → (attribute, for git) → suppress → (verify,
 * when asked) → report. Each stage hands the next a small typed value; only
 * the source knows where bytes came from.
 */
import type { Config } from '../config/config.js';
import { SEVERITIES, type RuleSpec, type Severity } from '../detect/rule.js';
import type { Verification, VerifyOptions } from '../verify/index.js';
import { secretInfo, sha256, tail } from '../report/mask.js';
import type { Finding, Report, Stats } from '../report/model.js';
import { advisories, exposures } from '../report/exposure.js';
import { placeOf, remediation } from '../report/remediation.js';
import type { Hit, Origin, SkipReason, Source } from '../sources/types.js';
import { fingerprint, suppress, writeBaseline, type Candidate } from '../suppress/index.js';
import { VERSION } from '../version.js';
import { detectAll } from './pool.js';

export interface PipelineOptions {
  /** List suppressed findings too, each marked with why (`suppressed`). They never fail a scan. */
  includeSuppressed?: boolean;
  /** Ignore the baseline and write a new one from this scan's findings. */
  updateBaseline?: boolean;
  /** Ask the platform whether each found key is live (off by default). */
  verify?: VerifyOptions;
  /** Put full secrets in the report (`secret.value`). Off by default. */
  showSecrets?: boolean;
  /** Worker threads; defaults to the number of cores. 1 keeps everything on the calling thread. */
  threads?: number;
  /** Called for each warning (an unreadable or oversized file, a shallow clone…) as it happens. */
  onWarning?: (message: string) => void;
  /** Called as work advances: the phase, and items and bytes scanned so far. */
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  phase: 'scanning' | 'placing findings in history' | 'verifying keys';
  items: number;
  bytes: number;
}

export async function runPipeline(source: Source, config: Config, opts: PipelineOptions = {}): Promise<Report> {
  const started = performance.now();
  // Refuse a bad endpoint before reading anything, let alone connecting.
  if (opts.verify) (await import('../verify/index.js')).checkEndpoint(opts.verify.baseUrl);
  const stats: Stats = {
    files: 0,
    bytes: 0,
    skipped: { binary: 0, tooLarge: 0, unreadable: 0, symlink: 0 },
    suppressed: 0,
    durationMs: 0,
  };
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    opts.onWarning?.(message);
  };
  const skip = (reason: SkipReason, path: string | null, message?: string) => {
    stats.skipped[reason]++;
    if (reason === 'unreadable' || reason === 'tooLarge') {
      warn(`${reason === 'unreadable' ? 'cannot read' : 'too large, skipped'}: ${path ?? '(stdin)'}${message ? ` (${message})` : ''}`);
    }
  };

  let candidates: Candidate[] = [];
  try {
    await detectAll(
      source.items({ skip, warn }),
      { rules: config.rules, maxFileSize: config.maxFileSize },
      (r) => {
        if (r.skip) return skip(r.skip.reason, r.origin.path, r.skip.message);
        stats.files++;
        stats.bytes += r.size;
        opts.onProgress?.({ phase: 'scanning', items: stats.files, bytes: stats.bytes });
        if (r.matches.length > 0) source.onFinding?.(r.origin);
        const lines = r.origin.onlyLines ? new Set(r.origin.onlyLines) : null;
        for (const match of r.matches) {
          if (!lines || lines.has(match.line)) candidates.push({ origin: r.origin, match, sha256: sha256(match.secret) });
        }
      },
      opts.threads,
    );
    if (source.attribute && candidates.length > 0) {
      opts.onProgress?.({ phase: 'placing findings in history', items: stats.files, bytes: stats.bytes });
      candidates = await attribute(source, candidates);
    }
  } finally {
    await source.close?.();
  }

  const { kept, suppressed } = await suppress(candidates, {
    exclude: config.exclude,
    ignoreFile: config.ignoreFile,
    fingerprints: config.fingerprints,
    baseline: opts.updateBaseline ? null : config.baseline.entries,
  });

  const rules = new Map(config.rules.map((r) => [r.id, r]));
  // Baselined keys are verified too: a live key is never silently accepted.
  const baselined = suppressed.filter((s) => s.suppression.kind === 'baseline');
  const toVerify = [...kept, ...baselined.map((s) => s.candidate)];
  if (opts.verify) opts.onProgress?.({ phase: 'verifying keys', items: new Set(toVerify.map((c) => c.sha256)).size, bytes: 0 });
  const verdicts = opts.verify ? await verify(toVerify, rules, opts.verify) : null;
  const live = baselined.filter((s) => verdicts?.get(s.candidate.sha256)?.status === 'active');
  if (live.length > 0) warn(`${live.length} baselined finding(s) hold a key the platform says is live: reported again`);
  const reported = [...kept, ...live.map((s) => s.candidate)];
  const accepted = suppressed.filter((s) => !live.includes(s));
  stats.suppressed = accepted.length;

  const finding = (c: Candidate) =>
    toFinding(c, rules.get(c.match.ruleId) as RuleSpec, opts.showSecrets ?? false, verdicts?.get(c.sha256) ?? NOT_VERIFIED);
  const findings = reported.map(finding);
  if (opts.updateBaseline) {
    const n = writeBaseline(
      config.baseline.file,
      reported.map((c) => ({ ruleId: c.match.ruleId, path: c.origin.path, sha256: c.sha256 })),
    );
    warn(`wrote ${n} baseline entr${n === 1 ? 'y' : 'ies'} to ${config.baseline.file}`);
  }
  if (opts.includeSuppressed) {
    for (const s of accepted) findings.push({ ...finding(s.candidate), suppressed: s.suppression });
  }
  findings.sort(
    (a, b) =>
      (a.target ?? '').localeCompare(b.target ?? '') ||
      (a.path ?? '').localeCompare(b.path ?? '') ||
      (a.commit ?? '').localeCompare(b.commit ?? '') ||
      a.line - b.line ||
      a.column - b.column ||
      a.ruleId.localeCompare(b.ruleId),
  );
  const secrets = exposures(
    findings.filter((f) => !f.suppressed),
    source.kind === 'git',
  );
  stats.durationMs = Math.round(performance.now() - started);
  return {
    version: 1,
    tool: { name: 'sk-scan', version: VERSION },
    target: { kind: source.kind, root: source.root },
    stats,
    findings,
    secrets,
    advisories: advisories(secrets),
    rules: config.rules.map((r) => ({
      id: r.id,
      description: r.description,
      severity: r.severity,
      kind: r.kind,
      help: remediation({ kind: r.kind, last4: '', environment: null, status: 'unchecked', place: 'present', custom: r.remediation }),
    })),
    warnings,
  };
}

/** Hand each (origin, secret) back to the source once, and fan findings out to the places it names. */
async function attribute(source: Source, candidates: Candidate[]): Promise<Candidate[]> {
  const hits: Hit[] = [];
  const index = new Map<Origin, Map<string, number>>();
  const hitOf = (c: Candidate): number => {
    let bySecret = index.get(c.origin);
    if (!bySecret) index.set(c.origin, (bySecret = new Map()));
    let i = bySecret.get(c.sha256);
    if (i === undefined) {
      i = hits.push({ origin: c.origin, secret: c.sha256 }) - 1;
      bySecret.set(c.sha256, i);
    }
    return i;
  };
  const positions = candidates.map(hitOf);
  const places = (await source.attribute?.(hits)) ?? [];
  return candidates.flatMap((c, k) => (places[positions[k] as number] ?? [c.origin]).map((origin) => ({ ...c, origin })));
}

const NOT_VERIFIED: Verification = { status: 'unchecked', reason: 'not-verified' };

/** Verification runs after suppression: a placeholder or an accepted finding is never sent anywhere. */
async function verify(kept: Candidate[], rules: Map<string, RuleSpec>, opts: VerifyOptions): Promise<Map<string, Verification>> {
  const { verifyKeys } = await import('../verify/index.js');
  return verifyKeys(
    kept.map((c) => ({ sha256: c.sha256, secret: c.match.secret, spec: rules.get(c.match.ruleId)?.verify })),
    opts,
  );
}

/** A live key is more urgent than its rule says; a dead one less. */
function adjustSeverity(severity: Severity, v: Verification): Severity {
  const i = SEVERITIES.indexOf(severity);
  if (v.status === 'active') return SEVERITIES[Math.max(0, i - 1)] ?? severity;
  if (v.status === 'inactive') return SEVERITIES[Math.min(SEVERITIES.length - 1, i + 1)] ?? severity;
  return severity;
}

function toFinding({ origin, match, sha256: hash }: Candidate, rule: RuleSpec, showSecrets: boolean, verification: Verification): Finding {
  const finding: Finding = {
    ruleId: rule.id,
    severity: adjustSeverity(rule.severity, verification),
    path: origin.path,
    line: match.line,
    column: match.column,
    commit: origin.commit,
    secret: secretInfo(match.secret, match.prefixLength, rule.kind, match.environment, showSecrets, hash),
    fingerprint: fingerprint(rule.id, origin, hash),
    remediation: remediation({
      kind: rule.kind,
      last4: tail(match.secret, match.prefixLength),
      environment: match.environment,
      status: verification.status,
      place: placeOf(origin.git),
      custom: rule.remediation,
    }),
    verification,
  };
  if (origin.target !== undefined) finding.target = origin.target;
  if (origin.author !== undefined) finding.author = origin.author;
  if (origin.date !== undefined) finding.date = origin.date;
  if (origin.git !== undefined) finding.git = origin.git;
  return finding;
}

