/**
 * `sk-scan merge`: one report from the JSON reports of separate runs (the
 * shards of a CI matrix, or audits on different days). Findings are put
 * together (one place reported twice is kept once), each key's verdict is the
 * most telling any run got (active over inactive over unknown over unchecked),
 * and the picture per key and the advisories are worked out again from the
 * whole.
 */
import { maskKeys, maskSecrets } from '../common/redact.js';
import { VERSION } from '../common/version.js';
import { compareFindings } from './stage.js';
import { advisories, exposures } from './exposure.js';
import type { Finding, Report, RuleSummary, Stats } from './model.js';
import { validReport } from './validate.js';

const TELLING = { active: 0, inactive: 1, unknown: 2, unchecked: 3 } as const;

/** A JSON report as another run wrote it, checked against the report model; else an error naming the file and the field. */
export function parseReport(file: string, text: string): Report {
  return validReport(file, text);
}

/**
 * One report from several. Whatever the inputs hold, the output is masked as
 * a scan's is: a report written with --show-secrets gives up its keys only
 * when the merge is asked for them too (`showSecrets`), and a key in a path,
 * an author, a ref, a target or a warning is masked wherever it appears.
 */
export function mergeReports(reports: Report[], opts: { showSecrets?: boolean } = {}): Report {
  const merged = mergeAll(reports);
  return opts.showSecrets ? merged : scrub(merged);
}

function mergeAll(reports: Report[]): Report {
  const all = reports.flatMap((r) => r.findings);
  // Each key's most telling verdict, from every run, on every finding of it.
  const verdict = new Map<string, Finding['verification']>();
  for (const f of all) {
    const best = verdict.get(f.secret.sha256);
    if (!best || TELLING[f.verification.status] < TELLING[best.status]) verdict.set(f.secret.sha256, f.verification);
  }
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const f of all) {
    const at = [f.fingerprint, f.target ?? '', f.line, f.column, f.commit ?? '', f.suppressed ? 's' : ''].join('\0');
    if (seen.has(at)) continue;
    seen.add(at);
    findings.push(f);
  }
  const merged = findings.map((f) => ({ ...f, verification: verdict.get(f.secret.sha256) ?? f.verification })).sort(compareFindings);
  const kinds = new Set(reports.map((r) => r.target.kind));
  const kind = kinds.size === 1 ? (reports[0]?.target.kind ?? 'git') : 'git';
  const secrets = exposures(
    merged.filter((f) => !f.suppressed),
    kind === 'git',
  );
  const rules = new Map<string, RuleSummary>();
  for (const r of reports) for (const rule of r.rules) if (!rules.has(rule.id)) rules.set(rule.id, rule);
  const targets = reports.flatMap((r) => r.targets ?? []);
  return {
    version: 1,
    tool: { name: 'sk-scan', version: VERSION },
    target: { kind, root: reports.length === 1 ? (reports[0]?.target.root ?? '.') : '.' },
    stats: sumStats(reports.map((r) => r.stats)),
    findings: merged,
    secrets,
    advisories: advisories(secrets),
    rules: [...rules.values()],
    warnings: reports.flatMap((r) => r.warnings),
    errors: reports.flatMap((r) => r.errors),
    ...(targets.length > 0 ? { targets } : {}),
    settings: mergeSettings(reports),
  };
}

/** Audit mode if any run was; each run's changes, each once (a change repeated by every shard is one line). */
function mergeSettings(reports: Report[]): Report['settings'] {
  const seen = new Map<string, Report['settings']['changes'][number]>();
  for (const r of reports) {
    for (const c of r.settings?.changes ?? []) {
      const at = `${c.kind}\0${c.file}\0${c.from}\0${c.detail}`;
      if (!seen.has(at)) seen.set(at, c);
    }
  }
  return { mode: reports.some((r) => r.settings?.mode === 'audit') ? 'audit' : 'standard', changes: [...seen.values()] };
}

function sumStats(all: Stats[]): Stats {
  const out: Stats = { files: 0, bytes: 0, skipped: { binary: 0, tooLarge: 0, unreadable: 0, symlink: 0, corrupt: 0 }, suppressed: 0, suppressedBy: {}, durationMs: 0 };
  for (const s of all) {
    out.files += s.files;
    out.bytes += s.bytes;
    out.durationMs += s.durationMs;
    out.suppressed += s.suppressed;
    if (s.cached !== undefined) out.cached = (out.cached ?? 0) + s.cached;
    if (s.unreadAccepted !== undefined) out.unreadAccepted = (out.unreadAccepted ?? 0) + s.unreadAccepted;
    for (const k of Object.keys(out.skipped) as (keyof Stats['skipped'])[]) out.skipped[k] += s.skipped[k] ?? 0;
    for (const [k, n] of Object.entries(s.suppressedBy ?? {}) as [keyof Stats['suppressedBy'], number][]) out.suppressedBy[k] = (out.suppressedBy[k] ?? 0) + n;
  }
  return out;
}

/**
 * Every string of the report with the keys it may carry masked: each full key
 * a --show-secrets report gave (`secret.value`, dropped) wherever it appears,
 * anything shaped like a platform key, and in warnings and errors anything
 * that looks generated (as every scan masks its messages).
 */
function scrub(report: Report): Report {
  const known = new Map<string, string>();
  for (const f of report.findings) if (f.secret.value) known.set(f.secret.value, f.secret.redacted);
  const mask = (s: string) => {
    let out = s;
    for (const [secret, shown] of known) out = out.split(secret).join(shown);
    return maskKeys(out);
  };
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') return key === 'sha256' || key === 'fingerprint' ? v : mask(v);
    if (Array.isArray(v)) return v.map((item) => walk(item, key));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) if (!(k === 'value' && key === 'secret')) out[k] = walk(item, k);
      return out;
    }
    return v;
  };
  const clean = walk(report, '') as Report;
  return { ...clean, warnings: clean.warnings.map(maskSecrets), errors: clean.errors.map((e) => ({ target: e.target, message: maskSecrets(e.message) })) };
}
