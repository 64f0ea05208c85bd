/**
 * SARIF 2.1.0 for GitHub code scanning, from the report model.
 *
 * - One result per finding, each with the rule's index, a level, the redacted
 *   key in its message, and a location: the file and region, or, for a key in
 *   a commit message, the commit's own pseudo-path (`.git/COMMIT_EDITMSG` at
 *   that commit; for a tag's message `.git/TAG_EDITMSG` at the tag) so that
 *   code scanning still has somewhere to put it.
 * - `partialFingerprints` are the finding's fingerprint: a hash of the rule,
 *   the path (or commit) and the key's hash, never the line, so a result keeps
 *   its identity across runs and when code moves.
 * - Accepted findings (with --include-suppressed) carry `suppressions`.
 * - Each rule carries short and full descriptions, help (its remediation), and
 *   `security-severity` (GitHub's 0–10 scale) with the `security` tag.
 */
import { nameBytes } from '../common/names.js';
import { messageOf, placeLabel } from './format.js';
import { AUDIT_MODE, changeSentence } from './settings.js';
import type { Finding, Report } from './model.js';
import type { Severity } from '../detect/rule.js';

const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
const INFO_URI = 'https://www.npmjs.com/package/sk-scan';

export function renderSarif(report: Report): string {
  const index = new Map(report.rules.map((r, i) => [r.id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sk-scan',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: INFO_URI,
            rules: report.rules.map((r) => ({
              id: r.id,
              name: pascal(r.id),
              shortDescription: { text: r.description },
              fullDescription: { text: `${r.description}. A ${r.kind === 'generic' ? 'secret' : `${r.kind} secret`} written into a file or commit can be used by anyone who can read the repository.` },
              help: {
                text: r.help.map((s, i) => `${i + 1}. ${s}`).join('\n'),
                markdown: r.help.map((s, i) => `${i + 1}. ${s}`).join('\n'),
              },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { 'security-severity': SECURITY_SEVERITY[r.severity], tags: ['security', 'secret', 'external/cwe/cwe-798'], precision: 'high' },
            })),
          },
        },
        automationDetails: { id: `sk-scan/${report.target.kind}/` },
        // What the settings changed (a repository's .sk-scan.yaml that disables rules, say), and the mode, where a reader of the log looks.
        invocations: [
          {
            executionSuccessful: true,
            toolConfigurationNotifications: [
              ...(report.settings.mode === 'audit' ? [{ level: 'note', message: { text: `Run in ${AUDIT_MODE}.` }, descriptor: { id: 'settings/audit-mode' } }] : []),
              ...report.settings.changes.map((c) => ({ level: 'warning', message: { text: changeSentence(c) }, descriptor: { id: `settings/${c.kind}` } })),
            ],
          },
        ],
        properties: { mode: report.settings.mode },
        columnKind: 'unicodeCodePoints',
        results: report.findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: index.get(f.ruleId) ?? 0,
          level: LEVEL[f.severity],
          message: { text: message(f, report) },
          locations: [location(f)],
          partialFingerprints: { 'skScanSecret/v1': f.fingerprint },
          ...(f.suppressed ? { suppressions: [{ kind: f.suppressed.kind === 'allow' ? 'inSource' : 'external', justification: f.suppressed.reason }] } : {}),
          properties: {
            'security-severity': SECURITY_SEVERITY[f.severity],
            secretSha256: f.secret.sha256,
            verification: f.verification.status,
            ...(f.commit ? { commit: f.commit } : {}),
            ...(f.git?.atHead !== undefined ? { atHead: f.git.atHead } : {}),
          },
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

function message(f: Finding, report: Report): string {
  const key = f.secret.value ?? f.secret.redacted;
  const status =
    f.verification.status === 'active'
      ? ' Its issuer confirms it works.'
      : f.verification.status === 'inactive'
        ? ` Its issuer says it no longer works (${f.verification.reason}).`
        : '';
  const inMessage = messageOf(f);
  // The artifact is the archive; the member, and the line inside it, are said here.
  const member = f.member !== undefined ? ` inside the archive, in ${f.member} at line ${f.line}, column ${f.column}` : '';
  const where = member + (inMessage ? ` in the message of ${inMessage}` : f.commit ? ` (introduced in ${f.commit.slice(0, 12)})` : f.path === null ? ` in ${placeLabel(f)}` : '');
  return `${describeRule(report, f.ruleId)} ${key}${where}.${status} ${f.remediation[0] ?? ''}`.trim();
}

/** What the key is, from its rule's description up to any parenthesis: `Chatbot Platform live API key`. */
function describeRule(report: Report, ruleId: string): string {
  const description = report.rules.find((r) => r.id === ruleId)?.description;
  return description ? (description.split(' (')[0] as string) : 'Secret';
}

function location(f: Finding) {
  // A key in a message has no file: it is placed at the message, as a path under .git (where git edits such messages).
  // A dangling blob (staged once, never committed) is placed at its loose object's path, where git keeps it.
  const blob = f.git?.in === 'dangling' ? f.git.blob : undefined;
  const uri =
    f.path ?? (f.git?.tag ? `.git/TAG_EDITMSG@${f.git.tag.name}` : f.commit ? `.git/COMMIT_EDITMSG@${f.commit}` : blob ? `.git/objects/${blob.slice(0, 2)}/${blob.slice(2)}` : 'stdin');
  return {
    physicalLocation: {
      artifactLocation: { uri: uriPath(uri), uriBaseId: '%SRCROOT%' },
      // Lines inside an archive's member are not lines of the archive: the region is the archive's start.
      region: f.member !== undefined ? { startLine: 1 } : { startLine: f.line, startColumn: f.column },
    },
  };
}

/**
 * A path as a relative URI reference, resolved against %SRCROOT%: its bytes
 * (names that are not UTF-8 included), percent-encoded where a URI needs it.
 * A colon is always encoded, so that no file name can make the reference
 * absolute (`javascript:alert(1)` is a file name here, never a scheme), and a
 * leading slash too, so that it stays relative to the root.
 */
export function uriPath(path: string): string {
  let out = '';
  for (const byte of nameBytes(path)) {
    const ch = String.fromCharCode(byte);
    const first = out === '';
    out += /[A-Za-z0-9\-._~!$&'()*+,;=@/]/.test(ch) && !(first && ch === '/') ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function pascal(id: string): string {
  return id.replace(/(^|[-_.])([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase());
}
