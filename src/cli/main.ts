#!/usr/bin/env node
/**
 * The command line: parse arguments, call the typed API, pick an exit code.
 * 0 no findings, 1 findings, 2 an error (one line on stderr, never a stack trace).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SkScanError } from '../errors.js';
import { DEFAULT_VERIFY_URL, FORMATS, exitCodeFor, render, type ScanOptions, scanDir, scanGit, scanPrePush, scanStaged, scanStdin, type Format, type Report } from '../index.js';
import type { Progress } from '../pipeline/scan.js';
import { VERSION } from '../version.js';
import { progressView } from './progress.js';

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
  --threads N                worker threads (default: one per core)
  --verify                   ask the platform whether each key is live
                             (GET /v1/bots with the key; off by default)
  --verify-url BASE          the platform's API (default https://api.chatbotplatform.io,
                             or $SK_SCAN_VERIFY_URL); https, or http to loopback only
  --verify-timeout SECONDS   per request (default 10)
  --verify-deadline SECONDS  for the whole verification phase (default 60)
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

const COMMON = {
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
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const COMMANDS = {
  dir: { ...COMMON, 'no-ignore': { type: 'boolean' } },
  git: { ...COMMON, since: { type: 'string' }, range: { type: 'string' } },
  staged: COMMON,
  'pre-push': COMMON,
  'install-hook': { husky: { type: 'boolean' }, 'pre-push': { type: 'boolean' }, chain: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  init: { help: { type: 'boolean', short: 'h' } },
  stdin: { ...COMMON, path: { type: 'string' } },
} as const satisfies Record<string, ParseArgsConfig['options']>;

type Command = keyof typeof COMMANDS;

function usage(message: string): never {
  throw new SkScanError(`${message} (see sk-scan --help)`);
}

function parse(command: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: COMMANDS[command], allowPositionals: !['stdin', 'install-hook', 'init'].includes(command), strict: true });
  } catch (err) {
    // Node's messages are long and multi-line; keep the first sentence.
    usage(((err as Error).message.split('\n')[0] ?? '').replace(/\. To specify.*$/, ''));
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!(command in COMMANDS)) usage(`unknown command '${command}'`);
  const parsed = parse(command as Command, rest);
  const positionals = parsed.positionals;
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'install-hook' || command === 'init') return setup(command, parsed.values);

  // Every scan command shares the COMMON flags; the rest are looked up by name.
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const str = (name: string) => values[name] as string | undefined;
  const flag = (name: string) => values[name] === true;
  const format = (str('format') ?? 'text') as Format;
  if (!FORMATS.includes(format)) usage(`unknown format '${format}': use one of ${FORMATS.join(', ')}`);
  let threads: number | undefined;
  if (str('threads') !== undefined) {
    threads = Number(str('threads'));
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) usage(`--threads takes a whole number from 1 to 64, not '${str('threads')}'`);
  }
  const failOn = str('fail-on') ?? 'any';
  if (failOn !== 'any' && failOn !== 'active') usage(`--fail-on takes any or active, not '${failOn}'`);
  if (failOn === 'active' && !flag('verify')) usage('--fail-on active needs --verify: without it no key is confirmed live');
  const verify = flag('verify')
    ? {
        baseUrl: str('verify-url') ?? process.env['SK_SCAN_VERIFY_URL'] ?? DEFAULT_VERIFY_URL,
        timeoutMs: seconds(str('verify-timeout'), '--verify-timeout', 10),
        deadlineMs: seconds(str('verify-deadline'), '--verify-deadline', 60),
      }
    : undefined;
  if (!flag('verify') && (str('verify-url') ?? str('verify-timeout') ?? str('verify-deadline')) !== undefined) {
    usage('--verify-url, --verify-timeout and --verify-deadline go with --verify');
  }
  const progress = await progressView(flag('quiet'), command === 'git' ? 'object' : 'file');
  const common = {
    config: str('config'),
    baseline: str('baseline'),
    updateBaseline: flag('update-baseline'),
    includeSuppressed: flag('include-suppressed'),
    showSecrets: flag('show-secrets'),
    threads,
    verify,
    onProgress: (p: Progress) => progress.update(p),
    onWarning: (m: string) => progress.print(() => warn(m)),
  };
  // Only what a scan needs past this point; the progress display must stop however it ends.
  try {
    return await scanAndReport(command as Command, positionals, values, common, format, failOn);
  } finally {
    progress.stop();
  }
}

async function scanAndReport(
  command: Command,
  positionals: string[],
  values: Record<string, unknown>,
  common: ScanOptions,
  format: Format,
  failOn: 'any' | 'active',
): Promise<number> {
  let report: Report;
  if (command === 'dir') {
    report = await scanDir(positionals, { ...common, noIgnore: values['no-ignore'] === true });
  } else if (command === 'git') {
    const since = values['since'] as string | undefined;
    const range = values['range'] as string | undefined;
    if (since !== undefined && range !== undefined) usage('--since and --range cannot be used together');
    report = await scanGit(positionals, { ...common, since, range });
  } else if (command === 'staged') {
    report = await scanStaged(positionals, common);
  } else if (command === 'pre-push' && positionals.length === 0 && process.env['PRE_COMMIT_TO_REF']) {
    // Run by the pre-commit framework, which works out the range itself.
    const from = process.env['PRE_COMMIT_FROM_REF'] ?? '';
    const to = process.env['PRE_COMMIT_TO_REF'];
    report = await scanGit(['.'], { ...common, range: /^0+$/.test(from) || from === '' ? to : `${from}..${to}` });
  } else if (command === 'pre-push') {
    if (positionals.length !== 2) usage('pre-push takes the remote name and URL that git passes to the hook');
    const input = process.stdin.isTTY ? '' : await readStdin();
    report = await scanPrePush(positionals[0] as string, positionals[1] as string, input, common);
  } else {
    if (process.stdin.isTTY) usage('stdin is a terminal: pipe something in, e.g. `cat file | sk-scan stdin`');
    report = await scanStdin(process.stdin, { ...common, path: values['path'] as string | undefined });
  }

  summarizeSkips(report, warn);
  const output = values['output'] as string | undefined;
  const toFile = output !== undefined;
  const color = !toFile && format === 'text' && process.stdout.isTTY === true && !process.env['NO_COLOR'];
  const text = render(report, format, { color });
  if (toFile) {
    try {
      writeFileSync(output, text);
    } catch (err) {
      throw new SkScanError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    process.stdout.write(text);
  }
  if (common.updateBaseline) return 0;
  const code = exitCodeFor(report, failOn);
  if (code === 2) {
    process.stderr.write(`sk-scan: error: ${report.stats.skipped.unreadable} object(s) could not be read; the scan is incomplete\n`);
  }
  return code;
}

function warn(message: string): void {
  process.stderr.write(`sk-scan: warning: ${message}\n`);
}

function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) usage(`${flag} takes a number of seconds, not '${value}'`);
  return Math.round(n * 1000);
}

async function setup(command: 'install-hook' | 'init', values: Record<string, unknown>): Promise<number> {
  if (command === 'init') {
    const { setupGuide, writeConfigTemplate } = await import('../setup/init.js');
    const file = writeConfigTemplate('.');
    process.stdout.write(`wrote ${file}\n\n${setupGuide()}`);
    return 0;
  }
  const { installHook } = await import('../setup/hooks.js');
  const done = await installHook({ kind: values['pre-push'] ? 'pre-push' : 'pre-commit', husky: values['husky'] === true, chain: values['chain'] === true });
  process.stdout.write(`sk-scan: ${done.message}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Binary files and links are warned about once, as a count, rather than file by file. */
function summarizeSkips(report: Report, warn: (m: string) => void): void {
  const { binary, symlink } = report.stats.skipped;
  if (binary > 0) warn(`skipped ${binary} binary file${binary === 1 ? '' : 's'} (a NUL byte in the first 8 KiB)`);
  if (symlink > 0) warn(`skipped ${symlink} symbolic link${symlink === 1 ? '' : 's'} (links are not followed)`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof SkScanError) {
      process.stderr.write(`sk-scan: error: ${err.message}\n`);
    } else {
      const e = err as Error;
      process.stderr.write(`sk-scan: internal error: ${e.message ?? String(err)}\n`);
      if (process.env['SK_SCAN_DEBUG']) process.stderr.write(`${e.stack ?? ''}\n`);
    }
    process.exitCode = 2;
  },
);
