/**
 * The command line's grammar: each command's flags in one table, from which
 * both the parsing and the help are made, so they cannot disagree. Argument
 * errors share one shape, `sk-scan: error: <what>; <the fix> (sk-scan help
 * <command>)`, with the nearest command or flag suggested, and a flag that
 * belongs to another command named as such.
 */
import { parseArgs } from 'node:util';
import { SkScanError } from '../common/errors.js';
import { FORMATS } from '../report/index.js';
import { DEFAULT_VERIFY_DEADLINE_MS, DEFAULT_VERIFY_TIMEOUT_MS } from '../verify/spec.js';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help: `--format FORMAT`. */
  arg?: string;
  help: string;
}

export type Flags = Record<string, Flag>;

/** Flags as parsed: a boolean flag's value is a boolean, a string flag's a string; each absent unless given. */
export type FlagValues<F extends Flags> = { [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : string };

const HELP_FLAG = { help: { type: 'boolean', short: 'h', help: "this command's help" } } satisfies Flags;

/** Every scan command takes these. */
export const SCAN_FLAGS = {
  format: { type: 'string', arg: 'FORMAT', help: `${FORMATS.join(', ')} (default text)` },
  output: { type: 'string', arg: 'FILE', help: 'write the report to FILE (a summary line goes to stderr)' },
  explain: { type: 'boolean', help: 'text: every place and the full advice for each key' },
  color: { type: 'boolean', help: 'text: colour even when stdout is not a terminal' },
  'no-color': { type: 'boolean', help: 'text: no colour (as NO_COLOR does)' },
  config: { type: 'string', arg: 'FILE', help: 'use FILE instead of .sk-scan.yaml at the scan root' },
  'show-secrets': { type: 'boolean', help: 'print keys in full (redacted by default)' },
  baseline: { type: 'string', arg: 'FILE', help: 'accepted findings (default .sk-scan-baseline.json at the scan root)' },
  'no-baseline': { type: 'boolean', help: 'use no baseline: report what it accepts too' },
  'update-baseline': { type: 'boolean', help: 'accept every finding into the baseline (a limited scan adds; a whole one also drops what is gone)' },
  'include-suppressed': { type: 'boolean', help: 'also list accepted findings, each with why' },
  verify: { type: 'boolean', help: 'ask the platform whether each key is live (GET /v1/bots; off by default)' },
  'verify-url': { type: 'string', arg: 'URL', help: 'the platform API (default https://api.chatbotplatform.io or $SK_SCAN_VERIFY_URL); https, or http to loopback' },
  'verify-timeout': { type: 'string', arg: 'SECONDS', help: `per request (default ${DEFAULT_VERIFY_TIMEOUT_MS / 1000})` },
  'verify-deadline': { type: 'string', arg: 'SECONDS', help: `for all verification (default ${DEFAULT_VERIFY_DEADLINE_MS / 1000})` },
  'fail-on': { type: 'string', arg: 'any|active', help: 'exit 1 on any finding (default), or only on keys --verify confirmed live' },
  threads: { type: 'string', arg: 'N', help: 'detection threads (default: one per core for dir, one for git)' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress display (shown only on a terminal, outside CI)' },
  ...HELP_FLAG,
} satisfies Flags;

export interface Command {
  name: string;
  /** What follows the name in usage: `[PATH...]`. */
  args: string;
  summary: string;
  /** More about it, for its own help. */
  about?: string;
  /** Its own flags, listed first in its help. */
  own: Flags;
  /** Whether the scan flags apply. */
  scan: boolean;
  positionals: boolean;
}

export const COMMANDS: Command[] = [
  {
    name: 'dir',
    args: '[PATH...]',
    summary: 'scan working trees or files (default .)',
    own: {
      'no-ignore': { type: 'boolean', help: 'also scan files .gitignore excludes (never .git/)' },
      audit: { type: 'boolean', help: "a tree somebody else prepared: read none of its settings files or .gitignore, and report its allow comments" },
    },
    scan: true,
    positionals: true,
  },
  {
    name: 'git',
    args: '[REPO...]',
    summary: 'scan every object in git repositories (default .)',
    about:
      'REPO may be a working tree, a bare repository, a URL (cloned for the scan, then removed), or a folder holding repositories (each one below it is scanned). A repository that cannot be opened is reported and the rest are scanned (exit 2).',
    own: {
      audit: { type: 'boolean', help: "a repository somebody else prepared: read none of its settings files, and report its allow comments (implied for URLs, folders of repositories and --targets-file)" },
      'targets-file': { type: 'string', arg: 'FILE', help: 'more REPOs, one path or URL a line (# starts a comment)' },
      jobs: { type: 'string', arg: 'N', help: 'repositories scanned at once (default: one per two cores)' },
      since: { type: 'string', arg: 'REV|DATE', help: 'only lines the commits since REV (REV..HEAD) or DATE (2024-01-01) added' },
      range: { type: 'string', arg: 'A..B', help: 'only lines the commits in the range added' },
      'no-fetch': { type: 'boolean', help: 'kept for old scripts: sk-scan never fetches what a partial clone lacks (it names them; exit 2)' },
      cache: { type: 'string', arg: 'DIR', help: 'keep the scan cache in DIR (default: ~/.cache/sk-scan, never in the repository)' },
      'no-cache': { type: 'boolean', help: 'read every object: neither use nor write the scan cache' },
    },
    scan: true,
    positionals: true,
  },
  {
    name: 'staged',
    args: '[FILE...]',
    summary: 'scan what the next commit holds: the pre-commit hook',
    about: "Reads the index, never the working tree: the lines the staged change adds, or with FILEs their whole staged content (as the pre-commit framework passes them). A block says `sk-scan: commit blocked: …` on its first line.",
    own: {},
    scan: true,
    positionals: true,
  },
  {
    name: 'pre-push',
    args: 'REMOTE URL',
    summary: "git's pre-push hook: scan the lines the push adds",
    about: "Reads git's ref lines on standard input (or the pre-commit framework's PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF).",
    own: {},
    scan: true,
    positionals: true,
  },
  {
    name: 'image',
    args: 'PATH',
    summary: 'scan a container image: a docker save tarball or an OCI layout',
    about:
      "No Docker daemon needed: PATH is what `docker save -o app.tar app:1.0` writes, or an OCI image layout (a folder with index.json, or its tar). Every layer's files are read, those a later layer deleted too (they are still in the image), and the config's Env, Labels, Cmd, Entrypoint and history (where ENV and ARG values stay).",
    own: {},
    scan: true,
    positionals: true,
  },
  { name: 'stdin', args: '', summary: 'scan standard input', own: { path: { type: 'string', arg: 'NAME', help: 'the path to report for standard input' } }, scan: true, positionals: false },
  {
    name: 'install-hook',
    args: '',
    summary: 'install a git hook that runs sk-scan',
    own: {
      'pre-push': { type: 'boolean', help: 'the pre-push hook (default: pre-commit)' },
      husky: { type: 'boolean', help: 'write it under .husky/ (husky v9)' },
      chain: { type: 'boolean', help: 'keep an existing hook and run it first' },
    },
    scan: false,
    positionals: false,
  },
  {
    name: 'init',
    args: '',
    summary: 'write a commented .sk-scan.yaml; print the hook and CI set-up',
    about: 'Asks nothing and overwrites nothing: an existing .sk-scan.yaml is kept, and a CI or hook file that exists is refused.',
    own: {
      ci: { type: 'string', arg: 'github|gitlab|github-org', help: 'write the CI set-up: .github/workflows/sk-scan.yml, .gitlab-ci.yml, or an audit of many repositories on a matrix' },
      hook: { type: 'string', arg: 'git|husky|pre-commit', help: 'install the commit hook, or write .pre-commit-config.yaml' },
    },
    scan: false,
    positionals: false,
  },
  {
    name: 'merge',
    args: 'REPORT.json...',
    summary: 'one report from the JSON reports of separate runs (shards, days)',
    about: 'Findings put together, each key once across reports (its most telling verdict: active over inactive over unknown), advisories worked out again. Each report is checked against the report model (a problem is named by file and field), and the result is masked as a scan is. Exit codes as for a scan.',
    own: {
      format: SCAN_FLAGS.format,
      output: SCAN_FLAGS.output,
      explain: SCAN_FLAGS.explain,
      color: SCAN_FLAGS.color,
      'no-color': SCAN_FLAGS['no-color'],
      'fail-on': SCAN_FLAGS['fail-on'],
      'show-secrets': { type: 'boolean', help: 'keys in full, where the reports hold them (written with --show-secrets); masked by default' },
    },
    scan: false,
    positionals: true,
  },
  { name: 'help', args: '[COMMAND]', summary: 'this text, or the usage and options of COMMAND', own: {}, scan: false, positionals: true },
];

export function flagsOf(command: Command): Flags {
  return { ...command.own, ...(command.scan ? SCAN_FLAGS : HELP_FLAG) };
}

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** An argument error: one line, the fix, and where the help is. */
export function usageError(message: string, command?: Command): SkScanError {
  return new SkScanError(`${message} (sk-scan help${command && command.name !== 'help' ? ` ${command.name}` : ''})`);
}

/**
 * What people who come from gitleaks and trufflehog type, and what sk-scan
 * does instead: said at once, rather than only "unknown".
 */
const OTHER_TOOLS_COMMANDS: Record<string, string> = {
  detect: 'sk-scan has no detect: sk-scan git . scans a whole history, sk-scan dir . a working tree',
  protect: 'sk-scan has no protect: sk-scan staged scans what the next commit holds',
  scan: 'sk-scan has no scan: sk-scan dir PATH scans a tree, sk-scan git REPO a history',
  filesystem: 'sk-scan has no filesystem: sk-scan dir PATH scans files and folders',
  github: 'sk-scan has no github: sk-scan git URL clones a repository and scans its history',
};
const OTHER_TOOLS_FLAGS: Record<string, string> = {
  redact: 'keys are redacted by default (--show-secrets shows them)',
  'report-path': 'sk-scan writes the report with --output FILE',
  'report-format': 'sk-scan picks the format with --format FORMAT',
  'exit-code': 'exit codes are fixed (0 no keys, 1 keys, 2 an error); --fail-on active fails only on keys --verify confirmed',
  verbose: 'sk-scan has no verbose mode: --explain gives every place and each key its own advice, --format json everything',
  v: 'sk-scan has no verbose mode: --explain gives every place and each key its own advice, --format json everything',
  staged: 'sk-scan staged is a command of its own: sk-scan staged',
  source: 'sk-scan takes the path as an argument: sk-scan dir PATH, sk-scan git REPO',
  'no-git': 'sk-scan dir PATH scans files without git',
  'log-opts': 'sk-scan git --range A..B or --since REV|DATE picks the commits',
  json: 'sk-scan picks the format with --format json',
};

export function unknownCommand(name: string): SkScanError {
  const habit = OTHER_TOOLS_COMMANDS[name];
  if (habit) return usageError(habit);
  const near = nearest(name, COMMANDS.map((c) => c.name).concat(['version']));
  return usageError(`unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}`);
}

/** An option given before any command: `--version` and `--help` are the only ones (a typo of either is said). */
export function optionFirst(name: string): SkScanError {
  const near = nearest(name.replace(/^-+/, ''), ['version', 'help']);
  return usageError(near ? `unknown option '${name}'; did you mean --${near}?` : `'${name}' comes after a command: sk-scan COMMAND [options]`);
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** One command's arguments, checked against its table. */
export function parseCommand(command: Command, argv: string[]): Parsed {
  const flags = flagsOf(command);
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }]));
  // A negative number after a flag that takes a value is that flag's value (`--jobs -1`), for its own check to judge.
  const args = argv.flatMap((arg, i) => (/^-\d/.test(arg) && flags[(argv[i - 1] ?? '').replace(/^--/, '')]?.type === 'string' ? [] : /^--[\w-]+$/.test(arg) && flags[arg.slice(2)]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '') ? [`${arg}=${argv[i + 1] as string}`] : [arg]));
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: command.positionals, strict: true });
    return { values: values, positionals };
  } catch (err) {
    throw explain(err as Error & { code?: string }, command, flags);
  }
}

/** Node's parse error, said as this tool says things. */
function explain(err: Error & { code?: string }, command: Command, flags: Flags): SkScanError {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = quoted.replace(/^-+/, '').split('=')[0] ?? '';
    const habit = OTHER_TOOLS_FLAGS[name];
    if (habit && !(name in flags)) return usageError(`unknown option '${quoted}' for sk-scan ${command.name}: ${habit}`, command);
    const owner = COMMANDS.find((c) => c !== command && name in c.own);
    if (owner) return usageError(`--${name} applies to sk-scan ${owner.name}, not sk-scan ${command.name}`, command);
    const near = nearest(name, Object.keys(flags));
    return usageError(`unknown option '${quoted}' for sk-scan ${command.name}${near ? `; did you mean --${near}?` : ''}`, command);
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /--([\w-]+)/.exec(err.message)?.[1] ?? quoted;
    const flag = flags[name];
    return flag?.type === 'string' ? usageError(`--${name} needs a value: --${name} ${flag.arg ?? 'VALUE'}`, command) : usageError(`--${name} takes no value`, command);
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return usageError(`sk-scan ${command.name} takes no arguments, not '${quoted}'`, command);
  return usageError((err.message.split('\n')[0] ?? '').replace(/\. To specify.*$/, ''), command);
}

/** The closest name within a few edits, for "did you mean". */
export function nearest(word: string, names: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const name of names) {
    const d = distance(word.toLowerCase(), name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/** Edit distance, a swap of two neighbours counting as one edit (`gti` is one from `git`). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
