/** The human report: a summary line, findings grouped by file, then what was skipped. */
import type { Finding, Report } from './model.js';
import { SEVERITY_ORDER } from './model.js';
import { advice } from './remediation.js';

export interface TextOptions {
  color: boolean;
}

type Paint = (s: string) => string;

function palette(color: boolean) {
  const sgr = (open: number, close: number): Paint => (color ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39), green: sgr(32, 39) };
}

export function renderText(report: Report, opts: TextOptions): string {
  const p = palette(opts.color);
  const sev = { critical: p.red, high: p.red, medium: p.yellow, low: p.cyan };
  const out: string[] = [];
  const { findings, stats } = report;
  const scanned = `${stats.files} ${plural(stats.files, 'file')}, ${formatBytes(stats.bytes)} in ${stats.durationMs} ms`;

  if (findings.length === 0) {
    out.push(p.green('No secrets found.') + p.dim(` (${scanned})`));
  } else {
    const files = new Set(findings.map((f) => f.path ?? ''));
    const bySeverity = countBy(findings, (f) => f.severity);
    const severities = Object.entries(bySeverity)
      .sort(([a], [b]) => SEVERITY_ORDER[a as Finding['severity']] - SEVERITY_ORDER[b as Finding['severity']])
      .map(([s, n]) => `${n} ${s}`)
      .join(', ');
    const active = findings.filter((f) => f.verification.status === 'active').length;
    out.push(
      p.bold(`${findings.length} ${plural(findings.length, 'secret')} found in ${files.size} ${plural(files.size, 'file')}`) +
        ` (${severities})` +
        (active > 0 ? p.red(p.bold(` · ${active} ACTIVE: revoke ${active === 1 ? 'it' : 'them'} first`)) : '') +
        p.dim(` · scanned ${scanned}`),
    );
    const many = new Set(findings.map((f) => f.target)).size > 1;
    // Live keys first: they are the emergency.
    const ordered = [...findings].sort((a, b) => STATUS_ORDER[a.verification.status] - STATUS_ORDER[b.verification.status]);
    for (const [heading, group] of groupBy(ordered, (f) => place(f, many))) {
      out.push('', p.bold(heading));
      for (const f of group) {
        const key = f.secret.value ?? f.secret.redacted;
        const env = f.secret.environment ? ` [${f.secret.environment}]` : '';
        const where = f.path === null ? `line ${f.line}:${f.column}` : `${f.path}:${f.line}:${f.column}`;
        const status = statusTag(f, p);
        out.push(`  ${where}  ${sev[f.severity](f.severity)}  ${f.ruleId}  ${key}${env}${status ? `  ${status}` : ''}`);
        const history = historyLine(f);
        if (history) out.push(p.dim(`    ${history}`));
        out.push(p.dim(`    → ${advice(f.secret.kind)}`));
      }
    }
    out.push('', p.dim('Full steps for each finding: --format json (remediation). A false positive? Put `sk-scan:allow -- why` on its line.'));
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
  if (skipped.length > 0) out.push(p.dim(`Skipped: ${skipped.join(', ')}.`));
  if (stats.suppressed > 0) out.push(p.dim(`Allowed by sk-scan:allow comments: ${stats.suppressed}.`));
  return out.join('\n') + '\n';
}

const STATUS_ORDER = { active: 0, unknown: 1, unchecked: 2, inactive: 3 } as const;

/** What --verify learned, in a few words; nothing without --verify. */
function statusTag(f: Finding, p: ReturnType<typeof palette>): string {
  const v = f.verification;
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

/** The group a finding is listed under: its file, or the commit whose message holds it. */
function place(f: Finding, withTarget: boolean): string {
  const what = f.path ?? (f.git?.in === 'message' && f.commit ? `commit message of ${f.commit.slice(0, 12)}` : '(no file)');
  return withTarget && f.target ? `${f.target}: ${what}` : what;
}

/** For history findings: which commit brought the key in, and whether it is still there. */
function historyLine(f: Finding): string | null {
  if (f.git === undefined) return null;
  const parts: string[] = [];
  if (f.commit) parts.push(`commit ${f.commit.slice(0, 12)}${f.author ? ` by ${f.author}` : ''}${f.date ? `, ${f.date.slice(0, 10)}` : ''}`);
  if (f.git.unreachable) parts.push('unreachable (dropped from every branch, still in the object store)');
  else if (f.git.refs && f.git.refs.length > 0) parts.push(`on ${f.git.refs.slice(0, 3).join(', ')}${f.git.refs.length > 3 ? ', …' : ''}`);
  parts.push(f.git.atHead ? 'still in HEAD' : 'not in HEAD (history only)');
  return parts.join(' · ');
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}
