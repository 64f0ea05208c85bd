/**
 * GitHub Actions workflow commands, one per finding:
 *   ::error file=config/app.env,line=3,col=17,title=…::message
 * `::warning` for keys the platform says are dead and for test keys. A finding
 * without a file (a commit message) gets an annotation without `file=`.
 */
import { printable } from '../common/text.js';
import { placeLabel } from './format.js';
import { AUDIT_MODE, changeSentence } from './settings.js';
import type { Finding, Report } from './model.js';

/** Escaping for the message part: %, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping for property values: the same, plus : and ,. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderGithub(report: Report): string {
  const notices = [
    ...(report.settings.mode === 'audit' ? [`::notice title=sk-scan audit mode::${escapeData(`Run in ${AUDIT_MODE}.`)}\n`] : []),
    ...report.settings.changes.map((c) => `::warning title=${escapeProperty('sk-scan settings')}::${escapeData(printable(changeSentence(c)))}\n`),
  ];
  return (
    notices.join('') +
    report.findings
      .filter((f) => !f.suppressed)
      .map(annotation)
      .join('')
  );
}

function annotation(f: Finding): string {
  const level = f.verification.status === 'inactive' || f.secret.kind === 'test' ? 'warning' : 'error';
  const props: string[] = [];
  if (f.path !== null) props.push(`file=${escapeProperty(printable(f.path))}`, `line=${f.line}`, `col=${f.column}`);
  const live = f.verification.status === 'active' ? ' (ACTIVE)' : '';
  props.push(`title=${escapeProperty(`${f.ruleId}: ${f.secret.value ?? f.secret.redacted}${live}`)}`);
  const inside = f.member !== undefined ? `Inside ${printable(f.path ?? '')}, in ${printable(f.member)} (line ${f.line}). ` : '';
  const where = inside + (f.path === null ? `In the ${placeLabel(f)}: ` : f.commit ? `Introduced in commit ${f.commit.slice(0, 12)}. ` : '');
  const steps = f.remediation.map((s, i) => `${i + 1}. ${s}`).join('\n');
  return `::${level} ${props.join(',')}::${escapeData(`${where}${f.severity} ${f.ruleId}\n${steps}`)}\n`;
}
