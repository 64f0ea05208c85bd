#!/usr/bin/env node
/**
 * The GitHub Action's entry (action.yml runs it): what to scan comes from the
 * event, the scan is one run of the CLI writing the JSON report, and every
 * output GitHub shows renders from that one report:
 *
 * - annotations (`--format github`) on standard output, where the runner reads them;
 * - a SARIF file for github/codeql-action/upload-sarif (output `sarif`);
 * - a Markdown summary appended to $GITHUB_STEP_SUMMARY;
 * - output `findings`: the number of findings that stand.
 *
 * The exit code is the scan's: 0 clean, 1 keys found, 2 an error.
 *
 * What each event scans:
 * - pull_request: what the pull request adds, `base.sha..head.sha`;
 * - push: `before..after`; a new branch, the commits not on the default
 *   branch (its first push, the whole branch); a force push whose old tip is
 *   gone, the same; a deleted branch, nothing;
 * - anything else (schedule, workflow_dispatch): the whole history.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render, type Report } from '../index.js';
import { packageFile } from '../common/package-root.js';
import { count } from '../common/text.js';

const CLI = packageFile('dist', 'bin', 'sk-scan.js');
const ZERO = /^0+$/;

interface Event {
  before?: string;
  after?: string;
  forced?: boolean;
  deleted?: boolean;
  created?: boolean;
  ref?: string;
  number?: number;
  pull_request?: { number?: number; base?: { sha?: string }; head?: { sha?: string } };
  repository?: { default_branch?: string };
}

/** What the event asks to scan: a range (or a single revision: all of its history), or everything; null: nothing to scan. */
interface Plan {
  /** Arguments for `sk-scan git`. */
  args: string[];
  /** In words, for the summary. */
  what: string;
  /** If the range's first commit is missing (a force push rewrote it), this plan instead. */
  fallback?: Plan;
}

function plan(eventName: string, event: Event): Plan | null {
  const defaultName = event.repository?.default_branch ?? 'main';
  const defaultBranch = `refs/remotes/origin/${defaultName}`;
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    const base = event.pull_request?.base?.sha;
    const head = event.pull_request?.head?.sha;
    if (base && head) return { args: ['--range', `${base}..${head}`], what: `what pull request #${event.pull_request?.number ?? event.number ?? '?'} adds (${base.slice(0, 7)}..${head.slice(0, 7)})` };
  }
  if (eventName === 'push' && event.after) {
    if (event.deleted || ZERO.test(event.after)) return null;
    const after = event.after;
    const whole: Plan = { args: ['--range', after], what: `the pushed branch's whole history (${after.slice(0, 7)})` };
    // The default branch's first push: everything in it is new.
    if ((!event.before || ZERO.test(event.before)) && event.ref === `refs/heads/${defaultName}`) return whole;
    const newBranch: Plan = { args: ['--range', `${defaultBranch}..${after}`], what: `the commits of the pushed branch that ${defaultBranch.replace('refs/remotes/', '')} lacks` };
    if (!event.before || ZERO.test(event.before)) return { ...newBranch, fallback: whole };
    const pushed: Plan = { args: ['--range', `${event.before}..${after}`], what: `what the push adds (${event.before.slice(0, 7)}..${after.slice(0, 7)})` };
    return event.forced ? { ...pushed, fallback: newBranch } : pushed;
  }
  return { args: [], what: 'the whole history: every branch, tag and object' };
}

/** Inputs as action.yml passes them: INPUT_<NAME>, upper-cased, `-` as `_`. */
function input(name: string): string {
  return (process.env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] ?? '').trim();
}

/** The user's extra arguments: words, with single or double quotes for one that holds spaces. */
function words(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

function inputArgs(): string[] {
  const args: string[] = [];
  if (input('verify') === 'true') args.push('--verify', ...(input('verify-url') ? ['--verify-url', input('verify-url')] : []));
  if (input('fail-on')) args.push('--fail-on', input('fail-on'));
  if (input('baseline')) args.push('--baseline', input('baseline'));
  if (input('config')) args.push('--config', input('config'));
  return [...args, ...words(input('args'))];
}

function scan(p: Plan, report: string): { code: number; stderr: string; plan: Plan } {
  const r = spawnSync(process.execPath, [CLI, 'git', ...p.args, ...inputArgs(), '--format', 'json', '--output', report, '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  const stderr = r.stderr ?? '';
  if (r.status === 2 && p.fallback && /no such commit here/.test(stderr)) return scan(p.fallback, report);
  return { code: r.status ?? 2, stderr, plan: p };
}

function main(): number {
  const eventName = process.env['GITHUB_EVENT_NAME'] ?? '';
  const eventPath = process.env['GITHUB_EVENT_PATH'];
  const event = (eventPath ? JSON.parse(readFileSync(eventPath, 'utf8')) : {}) as Event;
  const out = process.env['RUNNER_TEMP'] ?? tmpdir();
  const summary = process.env['GITHUB_STEP_SUMMARY'];
  const outputs = process.env['GITHUB_OUTPUT'];
  const chosen = plan(eventName, event);
  if (chosen === null) {
    if (summary) appendFileSync(summary, '## sk-scan: nothing to scan (a deleted branch)\n');
    if (outputs) appendFileSync(outputs, 'findings=0\n');
    return 0;
  }
  const reportFile = join(out, 'sk-scan.json');
  const { code, stderr, plan: done } = scan(chosen, reportFile);
  process.stderr.write(stderr);
  let report: Report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  } catch {
    // The scan stopped before writing a report: its one-line error is above.
    const why = stderr.trim().split('\n').at(-1) ?? 'sk-scan failed';
    if (summary) appendFileSync(summary, `## sk-scan: the scan did not run\n\n${why}\n`);
    return code === 0 ? 2 : code;
  }
  process.stdout.write(render(report, 'github'));
  const sarif = join(out, 'sk-scan.sarif');
  writeFileSync(sarif, render(report, 'sarif'));
  if (summary) appendFileSync(summary, `${render(report, 'markdown')}\n_Scanned ${done.what}._\n`);
  const findings = report.findings.filter((f) => !f.suppressed).length;
  if (outputs) appendFileSync(outputs, `findings=${findings}\nsarif=${sarif}\n`);
  process.stderr.write(`sk-scan: ${findings === 0 ? 'no keys' : count(findings, 'finding')} in ${done.what}\n`);
  return code;
}

process.exitCode = main();
