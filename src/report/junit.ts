/**
 * JUnit XML for CI systems that show test results: one test suite per scanned
 * target, one failing test case per finding. A clean target is one passing case,
 * so the suite still shows that the check ran.
 */
import { quotePath } from '../common/text.js';
import { filePath } from '../sources/origin.js';
import { placeLabel } from './format.js';
import { changeSentence } from './settings.js';
import type { Report } from './model.js';
import { groupBy } from '../common/group.js';

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters, so they are dropped
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export function renderJunit(report: Report): string {
  // A suite per target that had findings (git mode names each repository), or one for the scan root.
  const targets = groupBy(
    report.findings.filter((x) => !x.suppressed),
    (f) => quotePath(f.target ?? report.target.root),
  );
  if (targets.size === 0) targets.set(report.target.root, []);
  const seconds = (report.stats.durationMs / 1000).toFixed(3);
  const failures = report.findings.filter((f) => !f.suppressed).length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="sk-scan" tests="${Math.max(failures, targets.size)}" failures="${failures}" time="${seconds}">`];
  for (const [target, findings] of targets) {
    const name = escapeXml(`sk-scan ${report.target.kind} ${target}`);
    out.push(`  <testsuite name="${name}" tests="${Math.max(1, findings.length)}" failures="${findings.length}" errors="0" skipped="0" time="${seconds}">`);
    out.push('    <properties>', `      <property name="sk-scan.mode" value="${report.settings.mode}"/>`);
    for (const c of report.settings.changes) out.push(`      <property name="sk-scan.settings.${escapeXml(c.kind)}" value="${escapeXml(changeSentence(c))}"/>`);
    out.push('    </properties>');
    if (findings.length === 0) out.push(`    <testcase classname="${name}" name="no secrets found" time="0"/>`);
    for (const f of findings) {
      const where = f.path !== null ? quotePath(filePath(f) as string) : placeLabel(f);
      const key = f.secret.value ?? f.secret.redacted;
      out.push(`    <testcase classname="${escapeXml(where)}" name="${escapeXml(`${f.ruleId} ${key} at ${where}:${f.line}:${f.column}`)}" time="0">`);
      out.push(`      <failure type="${escapeXml(f.ruleId)}" message="${escapeXml(`${f.severity}: ${key} (${f.verification.status})`)}">${escapeXml(f.remediation.map((s, i) => `${i + 1}. ${s}`).join('\n'))}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
