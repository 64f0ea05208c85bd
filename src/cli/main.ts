#!/usr/bin/env node
/**
 * The command line: parse arguments, call the typed API, pick an exit code.
 * 0 no findings, 1 findings, 2 an error (one line on stderr, never a stack trace).
 */
import { isAbsolute, relative } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cleanUpNow } from '../cleanup.js';
import { SkScanError } from '../errors.js';
import {
  DEFAULT_VERIFY_DEADLINE_MS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  DEFAULT_VERIFY_URL,
  FORMATS,
  exitCodeFor,
  render,
  scanDir,
  scanGit,
  scanPrePush,
  scanStaged,
  scanStdin,
  type BaselineUpdate,
  type Format,
  type Progress,
  type Report,
  type ScanOptions,
} from '../index.js';
import { maskSecrets } from '../redact.js';
import { count, plural, printable, quotePath } from '../report/format.js';
import { VERSION } from '../version.js';
import { guardStreams, warn, writeReport } from './output.js';
import { progressView, type ProgressView } from './progress.js';

const HELP = `sk-scan ${VERSION}: find Chatbot Platform API keys before they leak.

Usage:
  sk-scan dir [PATH...]      scan working trees or files (default .)
  sk-scan git [REPO...]      scan every object in git repositories (default .);
                             REPO may be a path, a bare repository or a URL
  sk-scan staged [FILE...]   scan what the next commit holds (the index): the
                             lines the staged change adds, or FILEs' staged content
  sk-scan pre-push REMOTE URL  git's pre-push hook: scan what the push sends
                             (ref lines on standard input, as git gives them)
  sk-scan stdin              scan standard input
  sk-scan install-hook       install a git pre-commit hook running sk-scan staged
                             (--pre-push: the pre-push hook; --husky: .husky/;
                             --chain: keep an existing hook and run it first)
  sk-scan init               write a commented .sk-scan.yaml and print the set-up
                             for hooks, GitHub Actions and GitLab CI
  sk-scan help | --help      this text
  sk-scan --version          the version

Options for every scan:
  --format FORMAT            text (default), json, sarif, github, junit
  --output FILE              write the report to FILE instead of stdout
  --config FILE              use FILE instead of .sk-scan.yaml at the scan root
  --show-secrets             print keys in full (redacted by default)
  --threads N                worker threads for detection (default: one per
                             core for dir; one for the git commands, which
                             read with git processes on the other cores)
  --verify                   ask the platform whether each key is live
                             (GET /v1/bots with the key; off by default)
  --verify-url BASE          the platform's API (default https://api.chatbotplatform.io,
                             or $SK_SCAN_VERIFY_URL); https, or http to loopback only
  --verify-timeout SECONDS   per request (default ${DEFAULT_VERIFY_TIMEOUT_MS / 1000})
  --verify-deadline SECONDS  for the whole verification phase (default ${DEFAULT_VERIFY_DEADLINE_MS / 1000})
  --fail-on any|active       exit 1 on any finding (default), or only on keys
                             --verify confirmed live
  --quiet, -q                no progress display (shown only on a terminal
                             outside CI)
  --baseline FILE            accepted findings (default .sk-scan-baseline.json
                             at the scan root, used whenever it exists)
  --update-baseline          write the baseline from this scan's findings, exit 0
  --include-suppressed       also list accepted findings, marked with why

dir:
  --no-ignore                also scan files .gitignore excludes (never .git/)

git:
  --since REV                only what the commits in REV..HEAD introduced
  --range A..B               only what the commits in the range introduced

stdin:
  --path NAME                the path to report for standard input

Exit codes: 0 no findings, 1 findings, 2 error.
`;

const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsConfig['options'];

const SCAN_FLAGS = {
  ...HELP_FLAG,
  format: { type: 'string' },
  output: { type: 'string' },
  config: { type: 'string' },
  'show-secrets': { type: 'boolean' },
  threads: { type: 'string' },
  verify: { type: 'boolean' },
  'verify-url': { type: 'string' },
  'verify-timeout': { type: 'string' },
  'verify-deadline': { type: 'string' },
  'fail-on': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  baseline: { type: 'string' },
  'update-baseline': { type: 'boolean' },
  'include-suppressed': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const DIR_FLAGS = { ...SCAN_FLAGS, 'no-ignore': { type: 'boolean' } } as const satisfies ParseArgsConfig['options'];
const GIT_FLAGS = { ...SCAN_FLAGS, since: { type: 'string' }, range: { type: 'string' } } as const satisfies ParseArgsConfig['options'];
const STDIN_FLAGS = { ...SCAN_FLAGS, path: { type: 'string' } } as const satisfies ParseArgsConfig['options'];
const HOOK_FLAGS = { ...HELP_FLAG, husky: { type: 'boolean' }, 'pre-push': { type: 'boolean' }, chain: { type: 'boolean' } } as const satisfies ParseArgsConfig['options'];

type ScanFlags = { [K in keyof typeof SCAN_FLAGS]?: (typeof SCAN_FLAGS)[K]['type'] extends 'string' ? string : boolean };

function usage(message: string): never {
  throw new SkScanError(`${message} (see sk-scan --help)`);
}

/** One command's arguments, typed by its flag table; `--help` anywhere prints the help instead. */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(options: O, argv: string[], allowPositionals: boolean) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    // Node's messages are long and multi-line; keep the first sentence.
    usage(((err as Error).message.split('\n')[0] ?? '').replace(/\. To specify.*$/, ''));
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return printHelp();
  if (command === '--version' || command === '-v' || command === 'version') {
    await writeReport(`${VERSION}\n`, undefined);
    return 0;
  }
  switch (command) {
    case 'dir': {
      const { values, positionals } = parse(DIR_FLAGS, rest, true);
      return values.help ? printHelp() : scan(values, (o) => scanDir(positionals, { ...o, noIgnore: values['no-ignore'] }));
    }
    case 'git': {
      const { values, positionals } = parse(GIT_FLAGS, rest, true);
      if (values.since !== undefined && values.range !== undefined) usage('--since and --range cannot be used together');
      return values.help ? printHelp() : scan(values, (o) => scanGit(positionals, { ...o, since: values.since, range: values.range }), 'object');
    }
    case 'staged': {
      const { values, positionals } = parse(SCAN_FLAGS, rest, true);
      return values.help ? printHelp() : scan(values, (o) => scanStaged(positionals, o));
    }
    case 'pre-push': {
      const { values, positionals } = parse(SCAN_FLAGS, rest, true);
      const input = process.stdin.isTTY ? '' : process.stdin;
      return values.help ? printHelp() : scan(values, (o) => scanPrePush({ args: positionals, input, env: process.env }, o));
    }
    case 'stdin': {
      const { values } = parse(STDIN_FLAGS, rest, false);
      if (values.help) return printHelp();
      if (process.stdin.isTTY) usage('stdin is a terminal: pipe something in, e.g. `cat file | sk-scan stdin`');
      return scan(values, (o) => scanStdin(process.stdin, { ...o, path: values.path }));
    }
    case 'install-hook': {
      const { values } = parse(HOOK_FLAGS, rest, false);
      if (values.help) return printHelp();
      const { installHook } = await import('../setup/hooks.js');
      const done = await installHook({ kind: values['pre-push'] ? 'pre-push' : 'pre-commit', husky: values.husky === true, chain: values.chain === true });
      await writeReport(`sk-scan: ${done.message}\n`, undefined);
      return 0;
    }
    case 'init': {
      const { values } = parse(HELP_FLAG, rest, false);
      if (values.help) return printHelp();
      const { setupGuide, writeConfigTemplate } = await import('../setup/init.js');
      const file = writeConfigTemplate('.');
      await writeReport(`wrote ${file}\n\n${setupGuide()}`, undefined);
      return 0;
    }
    default:
      usage(`unknown command '${command}'`);
  }
}

async function printHelp(): Promise<number> {
  await writeReport(HELP, undefined);
  return 0;
}

/** Every scan command: the shared flags checked, the scan run under a progress display, the report written. */
async function scan(flags: ScanFlags, run: (options: ScanOptions) => Promise<Report>, unit = 'file'): Promise<number> {
  const format = (flags.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) usage(`unknown format '${format}': use one of ${FORMATS.join(', ')}`);
  const failOn = flags['fail-on'] ?? 'any';
  if (failOn !== 'any' && failOn !== 'active') usage(`--fail-on takes any or active, not '${failOn}'`);
  if (failOn === 'active' && !flags.verify) usage('--fail-on active needs --verify: without it no key is confirmed live');
  if (!flags.verify && (flags['verify-url'] ?? flags['verify-timeout'] ?? flags['verify-deadline']) !== undefined) {
    usage('--verify-url, --verify-timeout and --verify-deadline go with --verify');
  }
  const progress = await progressView(flags.quiet === true, unit);
  let report: Report;
  try {
    report = await run(scanOptions(flags, progress));
  } finally {
    progress.stop();
  }
  const color = flags.output === undefined && format === 'text' && process.stdout.isTTY === true && !process.env['NO_COLOR'];
  const written = report.baseline ? baselineLine(report.baseline) : null;
  const open = report.findings.some((f) => !f.suppressed);
  // Writing the baseline is one ordinary line; the report is shown too only when something was not accepted (a live key).
  if (written !== null && format === 'text' && flags.output === undefined && !open) {
    await writeReport(`${written}\n`, undefined);
  } else {
    await writeReport(render(report, format, { color }), flags.output, { secret: flags['show-secrets'] === true });
    if (written !== null) process.stderr.write(`sk-scan: ${written}\n`);
  }
  const code = exitCodeFor(report, failOn);
  if (code === 2) {
    const n = report.stats.skipped.unreadable;
    const what = plural(n, report.target.kind === 'git' ? 'object' : 'file');
    process.stderr.write(`sk-scan: error: the scan is incomplete: ${n.toLocaleString('en')} ${what} could not be read (see the warnings above), and no key was found in the rest\n`);
  }
  return code;
}

/** `wrote .sk-scan-baseline.json: 8 entries, 1 added, 0 dropped`. */
function baselineLine(b: BaselineUpdate): string {
  const here = relative(process.cwd(), b.file);
  const shown = here !== '' && !here.startsWith('..') && !isAbsolute(here) ? here : b.file;
  return `wrote ${quotePath(shown)}: ${count(b.entries, 'entry', 'entries')}, ${b.added.toLocaleString('en')} added, ${b.dropped.toLocaleString('en')} dropped`;
}

function scanOptions(flags: ScanFlags, progress: ProgressView): ScanOptions {
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) usage(`--threads takes a whole number from 1 to 64, not '${flags.threads}'`);
  }
  return {
    config: flags.config,
    baseline: flags.baseline,
    updateBaseline: flags['update-baseline'] === true,
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
  };
}

/** Node's timers take at most 2^31 - 1 ms (about 24.8 days); a longer one fires at once. */
const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function seconds(value: string | undefined, flag: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.001 || n > MAX_SECONDS) usage(`${flag} takes a number of seconds from 0.001 to ${MAX_SECONDS.toLocaleString('en')}, not '${value}'`);
  return Math.round(n * 1000);
}

/** The one line anything that escapes becomes, with exit code 2: never a stack trace (SK_SCAN_DEBUG shows it). */
function fail(err: unknown): void {
  if (err instanceof SkScanError) {
    process.stderr.write(`sk-scan: error: ${printable(maskSecrets(err.message))}\n`);
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
