/**
 * Running a scan from the command line: its options from the flags (which
 * the command table has already checked), a progress display while it runs,
 * the report delivered where and how it was asked for, with the commands it
 * suggests written for the shell they will be pasted into, and the exit code.
 */
import { realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import { SkScanError } from '../common/errors.js';
import { fromHere, readRegularFile } from '../common/files.js';
import { maskSecrets } from '../common/redact.js';
import { count, formatNumber, printable, quotePath, shellQuote } from '../common/text.js';
import {
  DEFAULT_VERIFY_DEADLINE_MS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  DEFAULT_VERIFY_URL,
  exitCodeFor,
  mergeReports,
  parseReport,
  render,
  type BaselineUpdate,
  type Format,
  type Progress,
  type RenderOptions,
  type Report,
  type ScanOptions,
} from '../index.js';
import { unread } from '../report/model.js';
import { changeSentence, narrowing } from '../report/settings.js';
import { flagsOf, usageError, type Command, type Flag } from './args.js';
import { forTerminal, warn, writeReport } from './output.js';
import type { ScanFlags } from './scan-flags.js';
import { progressView, type ProgressView } from './progress.js';

/** --format and --fail-on as the report needs them (their values were checked with the flags). */
function reportFlags(flags: ScanFlags): { format: Format; failOn: 'any' | 'active' } {
  return { format: (flags.format ?? 'text') as Format, failOn: flags['fail-on'] === 'active' ? 'active' : 'any' };
}

/** A scan command: the scan run under a progress display, the report delivered, the exit code picked (and said, when it is 2). */
export async function runScan(command: Command, flags: ScanFlags, run: (options: ScanOptions) => Promise<Report>): Promise<number> {
  const { format, failOn } = reportFlags(flags);
  const progress = await progressView(flags.quiet === true, command.name === 'git' || command.name === 'pre-push' || command.name === 'pre-receive' ? 'object' : 'file');
  let report: Report;
  try {
    report = await run(scanOptions(flags, progress));
  } finally {
    await progress.stop();
  }
  await deliver(report, format, flags, command);
  const code = exitCodeFor(report, failOn);
  if (code === 2 && report.errors.length === 0) {
    const n = unread(report.stats);
    process.stderr.write(`${forTerminal(`sk-scan: error: the scan is incomplete: ${count(n, 'item')} could not be read (see the warnings above), and no key was found in the rest; to accept one by name, list it in .sk-scanignore`)}\n`);
  } else if (code === 2) {
    process.stderr.write(`sk-scan: error: ${count(report.errors.length, 'target')} could not be scanned: ${report.errors.map((e) => printable(maskSecrets(e.target))).join(', ')} (see the report)\n`);
  }
  return code;
}

/** The largest report `merge` reads. */
const MAX_REPORT = 512 << 20;

/** `sk-scan merge`: the reports read and checked, merged, and delivered as a scan's report is. */
export async function mergeCommand(command: Command, flags: ScanFlags, files: string[]): Promise<number> {
  if (files.length === 0) throw usageError('merge needs at least one JSON report', command);
  const { format, failOn } = reportFlags(flags);
  const reports = files.map((file) => {
    const read = readRegularFile(file, MAX_REPORT);
    if (read === null) throw new SkScanError(`cannot read ${file}: it does not exist`);
    if ('refused' in read) throw new SkScanError(`${file} ${read.refused}`);
    if ('failed' in read) throw new SkScanError(`cannot read ${file}: ${read.failed}`);
    return parseReport(file, read.bytes.toString('utf8'));
  });
  const report = mergeReports(reports, { showSecrets: flags['show-secrets'] === true });
  await deliver(report, format, flags, command);
  return exitCodeFor(report, failOn);
}

/** The report where it goes, in the words that fit: a baseline written is one line; a report to a file, a line on stderr. */
export async function deliver(report: Report, format: Format, flags: ScanFlags, command: Command): Promise<void> {
  const written = report.baseline ? baselineLine(report.baseline) : null;
  const open = report.findings.filter((f) => !f.suppressed);
  if (written !== null && format === 'text' && flags.output === undefined && open.length === 0) {
    await writeReport(`${written}\n`, undefined);
    return;
  }
  const hook = command.name === 'staged' ? 'pre-commit' : command.name === 'pre-push' || command.name === 'pre-receive' ? command.name : undefined;
  if (hook && format === 'text' && flags.output === undefined && open.length === 0 && written === null && report.errors.length === 0) {
    // A clean commit or push: one short line, not a report.
    const accepted = report.stats.suppressed > 0 ? `; ${count(report.stats.suppressed, 'finding')} accepted` : '';
    // What the settings switched off or kept from being read is said here too; what they accepted is counted above.
    const settings = narrowing(report.settings.changes)
      .map((c) => `; ${printable(changeSentence(c))}`)
      .join('');
    await writeReport(`sk-scan: no keys in ${hook === 'pre-commit' ? 'the staged change' : hook === 'pre-push' ? 'what the push sends' : 'what the push adds'} (${count(report.stats.files, hook === 'pre-commit' ? 'file' : 'object')})${accepted}${settings}\n`, undefined);
    return;
  }
  const toTerminal = flags.output === undefined && process.stdout.isTTY === true;
  // Worked out only for a text report that will suggest commands.
  const self = open.length > 0 && format === 'text' ? selfCommand() : undefined;
  const options: RenderOptions = {
    color: format === 'text' && wantsColor(flags, toTerminal),
    // git puts `remote: ` before each line a server's hook prints.
    width: toTerminal ? process.stdout.columns || 80 : hook === 'pre-receive' ? 72 : 80,
    explain: flags.explain === true,
    hook,
    command: self,
    accept: self === undefined ? undefined : hook === 'pre-commit' ? await hookAccept(self, open) : command.name === 'dir' || command.name === 'git' ? acceptCommand(self, process.argv.slice(2), command, report.settings.mode === 'audit') : undefined,
    preCommitFramework: process.env['PRE_COMMIT'] === '1',
  };
  await writeReport(render(report, format, options), flags.output, { secret: flags['show-secrets'] === true });
  if (flags.output !== undefined) {
    const what = open.length === 0 ? 'no keys found' : `${count(report.secrets.length, 'key')} in ${count(open.length, 'place')}`;
    process.stderr.write(`sk-scan: ${what}; report written to ${quotePath(flags.output)}\n`);
  }
  if (written !== null) process.stderr.write(`sk-scan: ${written}\n`);
}

/** --color and --no-color first, then NO_COLOR, then FORCE_COLOR, then whether stdout is a terminal. */
function wantsColor(flags: ScanFlags, toTerminal: boolean): boolean {
  if (flags.color) return true;
  if (flags['no-color']) return false;
  if (process.env['NO_COLOR']) return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return toTerminal;
}

/** `wrote .sk-scan-baseline.json: 8 entries, 1 added, 0 dropped`. */
function baselineLine(b: BaselineUpdate): string {
  return `wrote ${quotePath(fromHere(b.file))}: ${count(b.entries, 'entry', 'entries')}, ${formatNumber(b.added)} added, ${formatNumber(b.dropped)} dropped`;
}

/**
 * What accepts a blocked commit's findings, so that the same commit then
 * passes: the baseline written from the index `sk-scan staged` reads, and
 * added. When the hook judged another index (`git commit FILE`, `-a`, `-p`:
 * git's temporary one), the files are staged first, or the baseline would be
 * written from what the commit does not hold. Paths are named from the
 * top (`:/path`), so the command works from any folder of the repository.
 */
async function hookAccept(self: string, open: Report['findings']): Promise<string> {
  const { partialCommit } = await import('../sources/git/staged.js');
  const accept = `${self} staged --update-baseline && git add :/.sk-scan-baseline.json`;
  const paths = [...new Set(open.filter((f) => f.path !== null && !f.inName).map((f) => f.path as string))];
  if (!partialCommit() || paths.length === 0) return accept;
  return `git add -- ${paths.map((p) => shellQuote(`:/${p}`)).join(' ')} && ${accept}`;
}

/**
 * The scan as the user ran it, with --update-baseline: what accepts every
 * finding of its report. Flags that only shape the output (marked so in the
 * command's table) are left out. An audit writes nothing into what it
 * scanned: its baseline is the auditor's, in their home folder unless they
 * named one (`~` left unquoted, for the shell to expand).
 */
function acceptCommand(self: string, argv: string[], command: Command, audit: boolean): string {
  const flags = flagsOf(command);
  const named = (arg: string): [string, Flag] | null => {
    const name = arg.startsWith('--') ? (arg.slice(2).split('=')[0] as string) : /^-\w$/.test(arg) ? (Object.entries(flags).find(([, f]) => f.short === arg.slice(1))?.[0] ?? '') : '';
    const flag = flags[name];
    return flag ? [name, flag] : null;
  };
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag = named(arg);
    if (flag === null || !flag[1].output) kept.push(arg);
    // A value given as the next word goes with its flag.
    else if (flag[1].type === 'string' && !arg.includes('=')) i++;
  }
  const own = audit && !kept.some((a) => a === '--baseline' || a.startsWith('--baseline=')) ? ' --baseline ~/sk-scan-audit-baseline.json' : '';
  return `${self} ${kept.map(shellQuote).join(' ')} --update-baseline${own}`;
}

/**
 * How the reader can run this very sk-scan, for the commands a report
 * suggests, from the shell they will paste it into: `sk-scan` when that is
 * what their PATH finds, `npx sk-scan` for the project's own copy, else this
 * install's path. npm and npx put a project's `node_modules/.bin` folders on
 * PATH for their child only (and the pre-commit framework its own copy's):
 * those entries say nothing about the reader's shell.
 */
function selfCommand(): string {
  const self = realOrNull(process.argv[1] ?? '');
  if (self === null) return 'sk-scan';
  if (process.env['PRE_COMMIT'] === '1') return `${shellQuote(process.execPath)} ${shellQuote(self)}`;
  const underNpm = process.env['npm_command'] !== undefined || process.env['npm_lifecycle_event'] !== undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir || (underNpm && basename(dir) === '.bin' && basename(dirname(dir)) === 'node_modules')) continue;
    if (realOrNull(join(dir, 'sk-scan')) === self) return 'sk-scan';
  }
  // The project's own copy: npx finds it from anywhere inside the project.
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (realOrNull(join(dir, 'node_modules', '.bin', 'sk-scan')) === self) return 'npx sk-scan';
    if (dirname(dir) === dir) break;
  }
  return `${shellQuote(process.execPath)} ${shellQuote(self)}`;
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

export function scanOptions(flags: ScanFlags, progress: ProgressView): ScanOptions {
  const seconds = (value: string | undefined, fallbackMs: number) => (value === undefined ? fallbackMs : Math.round(Number(value) * 1000));
  return {
    config: flags.config,
    baseline: flags.baseline,
    updateBaseline: flags['update-baseline'] === true,
    noBaseline: flags['no-baseline'] === true,
    includeSuppressed: flags['include-suppressed'] === true,
    showSecrets: flags['show-secrets'] === true,
    threads: flags.threads === undefined ? undefined : Number(flags.threads),
    verify: flags.verify
      ? {
          baseUrl: flags['verify-url'] ?? process.env['SK_SCAN_VERIFY_URL'] ?? DEFAULT_VERIFY_URL,
          timeoutMs: seconds(flags['verify-timeout'], DEFAULT_VERIFY_TIMEOUT_MS),
          deadlineMs: seconds(flags['verify-deadline'], DEFAULT_VERIFY_DEADLINE_MS),
        }
      : undefined,
    onProgress: (p: Progress) => progress.update(p),
    onWarning: (m: string) => progress.print(() => warn(m)),
    saveMemoryWhenLong: true,
  };
}
