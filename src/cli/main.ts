#!/usr/bin/env node
/**
 * The command line: parse arguments, call the typed API, pick an exit code.
 * 0 no findings, 1 findings, 2 an error (one line on stderr, never a stack trace).
 */
import { realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';
import { cleanUpNow } from '../common/cleanup.js';
import { SkScanError } from '../common/errors.js';
import { fromHere, readRegularFile } from '../common/files.js';
import {
  DEFAULT_VERIFY_DEADLINE_MS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  DEFAULT_VERIFY_URL,
  FORMATS,
  exitCodeFor,
  mergeReports,
  parseReport,
  render,
  scanDir,
  scanGit,
  scanPrePush,
  scanStaged,
  scanImage,
  scanStdin,
  type BaselineUpdate,
  type Format,
  type Progress,
  type RenderOptions,
  type Report,
  type ScanOptions,
} from '../index.js';
import { maskSecrets } from '../common/redact.js';
import { count, formatNumber, printable, quotePath, shellQuote } from '../common/text.js';
import { changeSentence, narrowing } from '../report/settings.js';
import { unread } from '../report/model.js';
import { VERSION } from '../common/version.js';
import { findCommand, optionFirst, parseCommand, SCAN_FLAGS, unknownCommand, usageError, type Command, type FlagValues } from './args.js';
import { forTerminal, guardStreams, warn, writeReport } from './output.js';
import { progressView, type ProgressView } from './progress.js';

/** The flags every scan takes, as parsed. */
type ScanFlags = FlagValues<typeof SCAN_FLAGS>;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return print((await help()).overview());
  if (name === '--version' || name === '-v' || name === 'version') return print(`${VERSION}\n`);
  const command = findCommand(name);
  if (!command) throw name.startsWith('-') ? optionFirst(name) : unknownCommand(name);
  const { values, positionals } = parseCommand(command, rest);
  if (values['help']) return print((await help()).commandHelp(command));
  const flags = values as ScanFlags;
  switch (command.name) {
    case 'help': {
      if (positionals.length === 0) return print((await help()).overview());
      const about = findCommand(positionals[0] ?? '');
      if (!about || positionals.length > 1) throw about ? usageError('help takes one command') : unknownCommand(positionals[0] ?? '');
      return print((await help()).commandHelp(about));
    }
    case 'dir':
      return scan(command, flags, (o) => scanDir(positionals, { ...o, noIgnore: values['no-ignore'] === true, audit: values['audit'] === true }));
    case 'git':
      if (values['since'] !== undefined && values['range'] !== undefined) throw usageError('--since and --range cannot be used together', command);
      return scan(command, flags, (o) => scanGit([...positionals, ...targetsFile(values['targets-file'] as string | undefined, command)], { ...o, audit: values['audit'] === true || values['targets-file'] !== undefined, since: values['since'] as string | undefined, range: values['range'] as string | undefined, cache: values['cache'] as string | undefined, noCache: values['no-cache'] === true, jobs: jobsOf(values['jobs'] as string | undefined, command) }));
    case 'staged':
      return scan(command, flags, (o) => scanStaged(positionals, o));
    case 'pre-push': {
      const input = process.stdin.isTTY ? '' : process.stdin;
      return scan(command, flags, (o) => scanPrePush({ args: positionals, input, env: process.env }, o));
    }
    case 'stdin':
      if (process.stdin.isTTY) throw usageError('stdin is a terminal: pipe something in, e.g. `cat file | sk-scan stdin`', command);
      return scan(command, flags, (o) => scanStdin(process.stdin, { ...o, path: values['path'] as string | undefined }));
    case 'image':
      if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'image needs a PATH: a docker save tarball or an OCI image layout' : 'image takes one PATH', command);
      return scan(command, flags, (o) => scanImage(positionals[0] as string, o));
    case 'merge':
      return mergeCommand(command, flags, positionals);
    case 'install-hook': {
      const { installHook } = await import('../setup/hooks.js');
      const done = await installHook({ kind: values['pre-push'] ? 'pre-push' : 'pre-commit', husky: values['husky'] === true, chain: values['chain'] === true });
      return print(`sk-scan: ${done.message}\n`);
    }
    default: {
      const init = await import('../setup/init.js');
      const hook = values['hook'] as string | undefined;
      if (hook !== undefined && !['git', 'husky', 'pre-commit'].includes(hook)) throw usageError(`--hook takes git, husky or pre-commit, not '${hook}'`, command);
      const said: string[] = [];
      const config = init.writeConfigTemplate('.');
      said.push(config ? `wrote ${config}` : 'kept the existing .sk-scan.yaml');
      if (values['ci'] !== undefined) {
        const ci = init.writeCi('.', values['ci'] as string);
        said.push(ci.wrote.includes('already there') ? ci.wrote : `wrote ${ci.wrote}`, ...ci.notes);
      }
      if (hook === 'pre-commit') said.push(`wrote ${init.writePreCommitConfig('.')}; now run: pre-commit install && pre-commit install --hook-type pre-push`);
      else if (hook !== undefined) {
        const { installHook } = await import('../setup/hooks.js');
        said.push((await installHook({ kind: 'pre-commit', husky: hook === 'husky', chain: false })).message);
      }
      return print(`${said.map((s) => `sk-scan: ${s}\n`).join('')}${values['ci'] === undefined && hook === undefined ? `\n${init.setupGuide()}` : ''}`);
    }
  }
}

/** The largest report `merge` reads. */
const MAX_REPORT = 512 << 20;

/** `sk-scan merge`: the reports read and checked, merged, and delivered as a scan's report is. */
async function mergeCommand(command: Command, flags: ScanFlags, files: string[]): Promise<number> {
  if (files.length === 0) throw usageError('merge needs at least one JSON report', command);
  const { format, failOn } = reportFlags(flags, command);
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

function jobsOf(value: string | undefined, command: Command): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`--jobs takes a whole number from 1 to 64, not '${value}'`, command);
  return n;
}

/** --targets-file: one path or URL a line; blank lines and `#` comments skipped. */
function targetsFile(file: string | undefined, command: Command): string[] {
  if (file === undefined) return [];
  // Read as settings files are: a FIFO or a device is refused at once, and the size is capped.
  const read = readRegularFile(file, 16 << 20);
  if (read === null || !('bytes' in read)) throw usageError(`cannot read the targets file ${file}: ${read === null ? 'it does not exist' : 'refused' in read ? read.refused : read.failed}`, command);
  const targets = read.bytes
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
  if (targets.length === 0) throw usageError(`the targets file ${file} names no repository`, command);
  return targets;
}

/** The help pages, loaded only when asked for (a hook never needs them). */
function help() {
  return import('./help.js');
}

async function print(text: string): Promise<number> {
  await writeReport(text, undefined);
  return 0;
}

/** --format and --fail-on, checked: what every command that writes a report takes. */
function reportFlags(flags: ScanFlags, command: Command): { format: Format; failOn: 'any' | 'active' } {
  const format = (flags.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) throw usageError(`unknown format '${format}': use one of ${FORMATS.join(', ')}`, command);
  const failOn = flags['fail-on'] ?? 'any';
  if (failOn !== 'any' && failOn !== 'active') throw usageError(`--fail-on takes any or active, not '${failOn}'`, command);
  return { format, failOn };
}

/** Every scan command: the shared flags checked, the scan run under a progress display, the report written. */
async function scan(command: Command, flags: ScanFlags, run: (options: ScanOptions) => Promise<Report>): Promise<number> {
  const { format, failOn } = reportFlags(flags, command);
  const usage = (message: string) => usageError(message, command);
  if (failOn === 'active' && !flags.verify) throw usage('--fail-on active needs --verify: without it no key is confirmed live');
  if (!flags.verify && (flags['verify-url'] ?? flags['verify-timeout'] ?? flags['verify-deadline']) !== undefined) {
    throw usage('--verify-url, --verify-timeout and --verify-deadline go with --verify');
  }
  if (flags.color && flags['no-color']) throw usage('--color and --no-color cannot be used together');
  if (flags.baseline !== undefined && flags['no-baseline']) throw usage('--baseline and --no-baseline cannot be used together');
  if (flags['update-baseline'] && flags['no-baseline']) throw usage('--update-baseline writes the baseline; --no-baseline ignores it: pick one');
  const progress = await progressView(flags.quiet === true, command.name === 'git' || command.name === 'pre-push' ? 'object' : 'file');
  let report: Report;
  try {
    report = await run(scanOptions(flags, progress, command));
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

/** The report where it goes, in the words that fit: a baseline written is one line; a report to a file, a line on stderr. */
async function deliver(report: Report, format: Format, flags: ScanFlags, command: Command): Promise<void> {
  const written = report.baseline ? baselineLine(report.baseline) : null;
  const open = report.findings.filter((f) => !f.suppressed);
  if (written !== null && format === 'text' && flags.output === undefined && open.length === 0) {
    await writeReport(`${written}\n`, undefined);
    return;
  }
  const hook = command.name === 'staged' ? 'pre-commit' : command.name === 'pre-push' ? 'pre-push' : undefined;
  if (hook && format === 'text' && flags.output === undefined && open.length === 0 && written === null && report.errors.length === 0) {
    // A clean commit or push: one short line, not a report.
    const accepted = report.stats.suppressed > 0 ? `; ${count(report.stats.suppressed, 'finding')} accepted` : '';
    // What the settings switched off or kept from being read is said here too; what they accepted is counted above.
    const settings = narrowing(report.settings.changes)
      .map((c) => `; ${printable(changeSentence(c))}`)
      .join('');
    await writeReport(`sk-scan: no keys in ${hook === 'pre-commit' ? 'the staged change' : 'what the push sends'} (${count(report.stats.files, hook === 'pre-commit' ? 'file' : 'object')})${accepted}${settings}\n`, undefined);
    return;
  }
  const toTerminal = flags.output === undefined && process.stdout.isTTY === true;
  // Worked out only for a text report that will suggest commands.
  const self = open.length > 0 && format === 'text' ? selfCommand() : undefined;
  const options: RenderOptions = {
    color: format === 'text' && wantsColor(flags, toTerminal),
    width: toTerminal ? process.stdout.columns || 80 : 80,
    explain: flags.explain === true,
    hook,
    command: self,
    accept: self === undefined ? undefined : hook === 'pre-commit' ? await hookAccept(self, open) : command.name === 'dir' || command.name === 'git' ? acceptCommand(self, process.argv.slice(2), report.settings.mode === 'audit') : undefined,
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

/** Flags that only shape the output: the command that accepts a report's findings leaves them out. */
const OUTPUT_ONLY = new Set(['--update-baseline', '--format', '--output', '--explain', '--color', '--no-color', '--quiet', '-q', '--show-secrets', '--include-suppressed', '--no-baseline', '--fail-on', '--threads']);
const WITH_VALUE = new Set(['--format', '--output', '--fail-on', '--threads']);

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
 * finding of its report. An audit writes nothing into what it scanned: its
 * baseline is the auditor's, in their home folder unless they named one
 * (`~` left unquoted, for the shell to expand).
 */
function acceptCommand(self: string, argv: string[], audit: boolean): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] as string;
    if (!OUTPUT_ONLY.has(name)) kept.push(arg);
    else if (WITH_VALUE.has(name) && !arg.includes('=')) i++;
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

function scanOptions(flags: ScanFlags, progress: ProgressView, command: Command): ScanOptions {
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw usageError(`--threads takes a whole number from 1 to 64, not '${flags.threads}'`, command);
  }
  const seconds = (value: string | undefined, flag: string, fallbackMs: number) => secondsOf(value, flag, fallbackMs, command);
  return {
    config: flags.config,
    baseline: flags.baseline,
    updateBaseline: flags['update-baseline'] === true,
    noBaseline: flags['no-baseline'] === true,
    includeSuppressed: flags['include-suppressed'] === true,
    showSecrets: flags['show-secrets'] === true,
    threads,
    verify: flags.verify
      ? {
          baseUrl: flags['verify-url'] ?? process.env['SK_SCAN_VERIFY_URL'] ?? DEFAULT_VERIFY_URL,
          timeoutMs: seconds(flags['verify-timeout'], '--verify-timeout', DEFAULT_VERIFY_TIMEOUT_MS),
          deadlineMs: seconds(flags['verify-deadline'], '--verify-deadline', DEFAULT_VERIFY_DEADLINE_MS),
        }
      : undefined,
    onProgress: (p: Progress) => progress.update(p),
    onWarning: (m: string) => progress.print(() => warn(m)),
    saveMemoryWhenLong: true,
  };
}

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer one fires at once. */
const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function secondsOf(value: string | undefined, flag: string, fallbackMs: number, command: Command): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.001 || n > MAX_SECONDS) throw usageError(`${flag} takes a number of seconds from 0.001 to ${formatNumber(MAX_SECONDS)}, not '${value}'`, command);
  return Math.round(n * 1000);
}

/** The one line anything that escapes becomes, with exit code 2: never a stack trace (SK_SCAN_DEBUG shows it). */
function fail(err: unknown): void {
  if (err instanceof SkScanError) {
    process.stderr.write(`${forTerminal(`sk-scan: error: ${printable(maskSecrets(err.message))}`)}\n`);
  } else {
    const e = err as Error;
    process.stderr.write(`sk-scan: internal error: ${printable(maskSecrets(e?.message ?? String(err)))}\n`);
    if (process.env['SK_SCAN_DEBUG']) process.stderr.write(`${e?.stack ?? ''}\n`);
  }
  process.exitCode = 2;
}

guardStreams();
// The last resort: whatever escapes the promise chain below still ends as one line and exit code 2.
process.on('uncaughtException', (err) => {
  fail(err);
  cleanUpNow();
  process.exit(2);
});
process.on('unhandledRejection', (err) => {
  fail(err);
  cleanUpNow();
  process.exit(2);
});
// Ctrl-C or a CI runner's SIGTERM: git processes ended, temporary folders and half-written reports removed,
// and the exit code a shell expects (128 + the signal's number).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    cleanUpNow();
    process.exit(code);
  });
}
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, fail);
