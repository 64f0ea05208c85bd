/**
 * The human report, for an 80-column terminal: the picture first (how many
 * keys, which are live), then each key with the places that hold it and what to
 * do about it, worst first; then advisories and what the scan skipped.
 */
import type { Finding, Report, SecretExposure } from './model.js';
import { placeOf, remediation, type RemediationFacts } from './remediation.js';
import { groupBy } from '../group.js';
import { formatBytes, messageOf, plural, printable, quotePath } from './format.js';

export interface TextOptions {
  color: boolean;
}

const WIDTH = 80;
const BUILTIN_KINDS = new Set(['live', 'test', 'webhook']);

type Paint = (s: string) => string;

function palette(color: boolean) {
  const sgr = (open: number, close: number): Paint => (color ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), green: sgr(32, 39) };
}

export function renderText(report: Report, opts: TextOptions): string {
  const p = palette(opts.color);
  const sev = { critical: p.red, high: p.red, medium: p.yellow, low: p.cyan };
  const out: string[] = [];
  const { stats, secrets } = report;
  const findings = report.findings.filter((f) => !f.suppressed);
  const accepted = report.findings.filter((f) => f.suppressed);
  const unit = report.target.kind === 'git' ? 'object' : 'file';
  const scanned = `scanned ${stats.files} ${plural(stats.files, unit)}, ${formatBytes(stats.bytes)} in ${stats.durationMs} ms`;

  if (findings.length === 0) {
    out.push(p.green('No secrets found.') + p.dim(` (${scanned})`));
  } else {
    out.push(p.bold(headline(secrets, findings.length)));
    out.push(p.dim(scanned));
    const byKey = groupBy(findings, (f) => f.secret.sha256);
    const many = new Set(findings.map((f) => f.target)).size > 1;
    for (const s of secrets) {
      const group = byKey.get(s.sha256) ?? [];
      const first = group[0] as Finding;
      const shown = first.secret.value ?? s.redacted;
      const env = s.environment ? ` [${s.environment}]` : '';
      const status = statusTag(s, p);
      out.push('', `${p.bold(shown)}${env}  ${sev[s.severity](s.severity)}  ${s.ruleId}${status ? `  ${status}` : ''}`);
      out.push(p.dim(`  found in ${group.length} ${plural(group.length, 'place')}${s.firstSeen ? `, first in commit ${s.firstSeen.commit.slice(0, 12)}${s.firstSeen.date ? ` (${s.firstSeen.date.slice(0, 10)})` : ''}` : ''}:`));
      for (const f of group) {
        out.push(`    ${where(f, many)}  ${p.dim(`fingerprint ${f.fingerprint}`)}`);
        const history = historyLine(f);
        if (history) out.push(...wrap(history, 6).map(p.dim));
      }
    }
    out.push(...adviceSection(findings, secrets, p));
    if (report.target.kind === 'staged') out.push(...blocked(p));
    else out.push('', p.dim('A false positive? Put `sk-scan:allow -- why` on its line.'));
  }

  if (accepted.length > 0) {
    out.push('', p.bold(`Accepted (${accepted.length}), listed by --include-suppressed:`));
    for (const f of accepted) out.push(...wrap(`${where(f, false)}  ${f.secret.value ?? f.secret.redacted}  ${f.suppressed?.reason ?? ''}`, 2, 4));
  }
  if (report.advisories.length > 0) {
    out.push('', p.bold('Advisories:'));
    for (const a of report.advisories) out.push(...wrap(`• ${printable(a.message)}`, 2, 4));
  }
  const sk = stats.skipped;
  const skipped = [
    [sk.binary, 'binary'],
    [sk.tooLarge, 'too large'],
    [sk.unreadable, 'unreadable'],
    [sk.symlink, 'symbolic links (not followed)'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}`);
  if (skipped.length > 0) out.push('', p.dim(`Skipped: ${skipped.join(', ')}.`));
  if (stats.suppressed > 0 && accepted.length === 0) out.push(p.dim(`Accepted: ${stats.suppressed} (allow comments, exclusions, .sk-scanignore, fingerprints, baseline); --include-suppressed lists them.`));
  return out.join('\n') + '\n';
}

/**
 * The advice, once per situation rather than once per key: keys that need the
 * same steps (same kind, same verdict, same place) share one numbered list.
 */
function adviceSection(findings: Finding[], secrets: SecretExposure[], p: ReturnType<typeof palette>): string[] {
  const rank = new Map(secrets.map((s, i) => [s.sha256, i]));
  const worstFirst = [...findings].sort((a, b) => (rank.get(a.secret.sha256) ?? 0) - (rank.get(b.secret.sha256) ?? 0));
  const groups = new Map<string, { steps: string[]; keys: Set<string> }>();
  for (const f of worstFirst) {
    const facts: RemediationFacts = {
      kind: f.secret.kind,
      last4: '',
      environment: null,
      status: f.verification.status,
      place: f.inName ? 'name' : placeOf(f.git),
    };
    // Built-in kinds get the steps without this key's name in them; a custom rule's steps are used as they are.
    const steps = BUILTIN_KINDS.has(f.secret.kind) ? remediation(facts) : f.remediation;
    const key = JSON.stringify(steps);
    const g = groups.get(key) ?? { steps, keys: new Set<string>() };
    g.keys.add(f.secret.value ?? f.secret.redacted);
    groups.set(key, g);
  }
  const out: string[] = ['', p.bold('What to do:')];
  for (const { steps, keys } of groups.values()) {
    const names = [...keys];
    const shown = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
    out.push(...wrap(`For ${shown}:`, 2, 4));
    steps.forEach((step, i) => out.push(...wrap(`${i + 1}. ${step}`, 4, 7)));
  }
  return out;
}

/** What the pre-commit hook says when it stops a commit, and the honest ways out. */
function blocked(p: ReturnType<typeof palette>): string[] {
  return [
    '',
    p.red(p.bold('Commit blocked: the staged change adds the key(s) above.')),
    ...wrap('Fix: take the key out of the file and read it from an environment variable or a secrets manager. If it was ever pushed or shared, rotate it as above: removing it from the next commit does not un-leak it.', 0, 5),
    ...wrap('Not a secret? Put `sk-scan:allow -- why` on its line, or accept it in the baseline with `sk-scan staged --update-baseline` and commit .sk-scan-baseline.json.', 0, 5),
  ];
}

/** "3 keys exposed in 5 places; 1 active: revoke it first". */
function headline(secrets: SecretExposure[], places: number): string {
  const active = secrets.filter((s) => s.verification.status === 'active').length;
  const keys = `${secrets.length} ${plural(secrets.length, 'key')} exposed in ${places} ${plural(places, 'place')}`;
  return active > 0 ? `${keys}; ${active} active: revoke ${active === 1 ? 'it' : 'them'} first` : keys;
}

function where(f: Finding, withTarget: boolean): string {
  const prefix = withTarget && f.target ? `${quotePath(f.target)}: ` : '';
  if (f.path === null) {
    const message = messageOf(f);
    return message ? `${prefix}message of ${message}, line ${f.line}:${f.column}` : `${prefix}(stdin) ${f.line}:${f.column}`;
  }
  return f.inName ? `${prefix}${quotePath(f.path)} (the key is in the name)` : `${prefix}${quotePath(f.path)}:${f.line}:${f.column}`;
}

/** What --verify learned, in a few words; nothing without --verify. */
function statusTag(s: SecretExposure, p: ReturnType<typeof palette>): string {
  const v = s.verification;
  switch (v.status) {
    case 'active':
      return p.red(p.bold(v.requiredScope ? `ACTIVE (restricted: lacks ${v.requiredScope})` : 'ACTIVE'));
    case 'inactive':
      return p.green(`inactive (${v.reason})`);
    case 'unknown':
      return p.yellow(`unverified (${v.reason}${v.httpStatus ? ` ${v.httpStatus}` : ''})`);
    default:
      return v.reason === 'no-check' ? p.dim('not verifiable') : '';
  }
}

/** For history findings: which commit brought the key in, and whether it is still there. */
function historyLine(f: Finding): string | null {
  if (f.git === undefined) return null;
  const parts: string[] = [];
  const by = `${f.date ? ` (${f.date.slice(0, 10)})` : ''}${f.author ? ` by ${printable(f.author)}` : ''}`;
  if (f.git.in === 'tag') parts.push(`tagged${by}${f.commit ? `, on commit ${f.commit.slice(0, 12)}` : ''}`);
  else if (f.commit && f.git.in !== 'message') parts.push(`commit ${f.commit.slice(0, 12)}${by}`);
  if (f.git.in === 'index') parts.push('staged in the index, in no commit yet');
  else if (f.git.unreachable) parts.push('unreachable: dropped from every branch, still in the object store');
  else if (f.git.refs && f.git.refs.length > 0) parts.push(`on ${f.git.refs.slice(0, 3).map(printable).join(', ')}${f.git.refs.length > 3 ? ', …' : ''}`);
  parts.push(f.git.atHead ? 'still in HEAD' : 'not in HEAD (history only)');
  return parts.join(' · ');
}

/** Word-wrap to the terminal width: first line indented by `first`, the rest by `rest`. */
function wrap(text: string, first: number, rest = first): string[] {
  const lines: string[] = [];
  let line = ' '.repeat(first);
  for (const word of text.split(' ')) {
    const fresh = line.trim() === '';
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(rest) + word;
    } else {
      line += fresh ? word : ` ${word}`;
    }
  }
  lines.push(line);
  return lines;
}
