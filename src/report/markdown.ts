/**
 * Markdown, for what CI shows people: a GitHub job summary, a pull-request or
 * merge-request comment. Counts by severity, each key with its places, and
 * each thing to do once. GitHub-flavoured: tables, code spans.
 */
import { KIND_NAMES, distinctPlaces, keyNumbers, keyWhere, sharedSteps } from './advice.js';
import { count, formatDuration, printable } from '../common/text.js';
import { placeAt, scannedWords } from './format.js';
import { unread, type Finding, type Report } from './model.js';
import { AUDIT_MODE, changeSentence } from './settings.js';
import { SEVERITIES } from '../detect/rule.js';
import { groupBy } from '../common/group.js';

/** Places listed per key before the rest are counted. */
const PLACES_SHOWN = 5;

export function renderMarkdown(report: Report): string {
  const open = distinctPlaces(report.findings.filter((f) => !f.suppressed));
  const { stats } = report;
  const scanned = `Scanned ${scannedWords(report)}, in ${formatDuration(stats.durationMs)}, with sk-scan ${report.tool.version}.`;
  const out: string[] = [];
  if (open.length === 0) {
    out.push(`## sk-scan: no keys found`, '');
    if (stats.suppressed > 0) out.push(`${count(stats.suppressed, 'finding')} accepted (baseline, allow comments or ignores).`, '');
  } else {
    out.push(`## sk-scan: ${count(report.secrets.length, 'key')} in ${count(open.length, 'place')}`, '');
    out.push('| Severity | Keys |', '| --- | ---: |');
    const bySeverity = groupBy(report.secrets, (s) => s.severity);
    for (const severity of SEVERITIES) {
      const n = bySeverity.get(severity)?.length ?? 0;
      if (n > 0) out.push(`| ${severity === 'critical' ? '**critical**' : severity} | ${n} |`);
    }
    out.push('', ...keysTable(report, open), '', '### What to do', '');
    const one = report.secrets.length === 1;
    for (const { text, keys } of sharedSteps(report)) out.push(`- ${one ? '' : `**${keyNumbers(keys)}**: `}${cell(text)}`);
    out.push('');
  }
  if (report.errors.length > 0) {
    out.push('### Not scanned', '', ...report.errors.map((e) => `- ${code(e.target)}: ${cell(printable(e.message))}`), '');
  }
  if (unread(stats) > 0) out.push(`**${count(unread(stats), 'item')} could not be read**: the scan cannot vouch for them.`, '');
  if (report.settings.mode === 'audit') out.push(`Run in ${cell(AUDIT_MODE)}.`, '');
  if (report.settings.changes.length > 0) {
    out.push('### Settings that changed this scan', '', ...report.settings.changes.map((c) => `- ${cell(changeSentence(c))}`), '');
  }
  out.push(`<sub>${scanned}</sub>`, '');
  return out.join('\n');
}

function keysTable(report: Report, open: Finding[]): string[] {
  const byKey = groupBy(open, (f) => f.secret.sha256);
  const many = new Set(open.map((f) => f.target)).size > 1;
  const rows = ['| # | Key | Severity | Kind | Where |', '| ---: | --- | --- | --- | --- |'];
  report.secrets.forEach((s, i) => {
    const places = byKey.get(s.sha256) ?? [];
    const shown = places.slice(0, PLACES_SHOWN).map((f) => where(f, many));
    if (places.length > PLACES_SHOWN) shown.push(`and ${count(places.length - PLACES_SHOWN, 'more place')}`);
    const kind = `${KIND_NAMES[s.kind] ?? s.ruleId}${s.environment ? `, ${s.environment}` : ''}${s.verification.status === 'active' ? ', **ACTIVE**' : ''}${places.some((f) => f.secret.partial) ? ', may be cut short' : ''}`;
    const key = places[0]?.secret.value ?? s.redacted;
    rows.push(`| ${i + 1} | ${code(key)} | ${s.severity} | ${cell(kind)}${report.target.kind === 'git' ? ` · ${keyWhere(true, s, places)}` : ''} | ${shown.join('<br>')} |`);
  });
  return rows;
}

/** `config/app.env:2:17` (4f16cea); with several targets, each place names its own. */
function where(f: Finding, many: boolean): string {
  const place = placeAt(f);
  const commit = f.commit && f.git?.in !== 'message' ? ` (${f.commit.slice(0, 7)})` : '';
  return `${code(`${many && f.target ? `${f.target}: ` : ''}${place}`)}${commit}`;
}

/** Text in a table cell: a pipe would end the cell, a newline the row. */
function cell(s: string): string {
  return printable(s).replace(/\|/g, '\\|');
}

/** A code span that no backtick in `s` can close early, safe in a table cell. */
function code(s: string): string {
  const text = printable(s).replace(/\|/g, '\\|');
  const ticks = '`'.repeat(Math.max(1, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return ticks.length > 1 ? `${ticks} ${text} ${ticks}` : `\`${text}\``;
}
