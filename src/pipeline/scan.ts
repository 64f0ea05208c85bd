/**
 * The pipeline: source → detect → suppress → report. Verification slots in
 * between suppress and report when it lands.
 */
import type { Config } from '../config/config.js';
import type { Match } from '../detect/engine.js';
import type { RuleSpec } from '../detect/rule.js';
import { secretInfo, tail } from '../report/mask.js';
import type { Finding, Report, Stats } from '../report/model.js';
import { remediation } from '../report/remediation.js';
import type { Origin, SkipReason, Source } from '../sources/types.js';
import { suppress } from '../suppress/index.js';
import { VERSION } from '../version.js';
import { detectAll } from './pool.js';

export interface PipelineOptions {
  /** Put full secrets in the report (`secret.value`). Off by default. */
  showSecrets?: boolean;
  /** Worker threads; defaults to the number of cores. 1 keeps everything on the calling thread. */
  threads?: number;
  /** Called for each file that could not be read or was too large, as it happens. */
  onWarning?: (message: string) => void;
}

interface Candidate {
  origin: Origin;
  match: Match;
}

export async function runPipeline(source: Source, config: Config, opts: PipelineOptions = {}): Promise<Report> {
  const started = performance.now();
  const stats: Stats = {
    files: 0,
    bytes: 0,
    skipped: { binary: 0, tooLarge: 0, unreadable: 0, symlink: 0 },
    suppressed: 0,
    durationMs: 0,
  };
  const skip = (reason: SkipReason, path: string | null, message?: string) => {
    stats.skipped[reason]++;
    if ((reason === 'unreadable' || reason === 'tooLarge') && opts.onWarning) {
      opts.onWarning(`${reason === 'unreadable' ? 'cannot read' : 'too large, skipped'}: ${path ?? '(stdin)'}${message ? ` (${message})` : ''}`);
    }
  };

  const candidates: Candidate[] = [];
  await detectAll(
    source.items({ skip }),
    { rules: config.rules, maxFileSize: config.maxFileSize },
    (r) => {
      if (r.skip) return skip(r.skip.reason, r.origin.path, r.skip.message);
      stats.files++;
      stats.bytes += r.size;
      for (const match of r.matches) candidates.push({ origin: r.origin, match });
    },
    opts.threads,
  );

  const { kept, suppressed } = suppress(candidates);
  stats.suppressed = suppressed.length;

  const rules = new Map(config.rules.map((r) => [r.id, r]));
  const findings = kept.map((c) => toFinding(c, rules.get(c.match.ruleId) as RuleSpec, opts.showSecrets ?? false));
  findings.sort(
    (a, b) => (a.path ?? '').localeCompare(b.path ?? '') || a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId),
  );
  stats.durationMs = Math.round(performance.now() - started);
  return {
    version: 1,
    tool: { name: 'sk-scan', version: VERSION },
    target: { kind: source.kind, root: source.root },
    stats,
    findings,
  };
}

function toFinding({ origin, match }: Candidate, rule: RuleSpec, showSecrets: boolean): Finding {
  return {
    ruleId: rule.id,
    severity: rule.severity,
    path: origin.path,
    line: match.line,
    column: match.column,
    commit: origin.commit,
    secret: secretInfo(match.secret, match.prefixLength, rule.kind, match.environment, showSecrets),
    remediation: remediation({
      kind: rule.kind,
      last4: tail(match.secret, match.prefixLength),
      environment: match.environment,
      custom: rule.remediation,
    }),
  };
}
