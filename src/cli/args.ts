/**
 * The command line's grammar: what a command and a flag are, and how one
 * command's arguments are parsed and checked against its entry in the table
 * (./commands.ts), from which the help is made too, so they cannot disagree.
 * Argument errors share one shape, `sk-scan: error: <what>; <the fix>
 * (sk-scan help <command>)`, with the nearest command or flag suggested, and a
 * flag that belongs to another command named as such.
 */
import { parseArgs } from 'node:util';
import { SkScanError } from '../common/errors.js';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help: `--format FORMAT`. */
  arg?: string;
  help: string;
  /** A value's check: null when it is good, else what is wrong with it (`--jobs takes a whole number from 1 to 64, not '0'`). */
  valid?: (value: string) => string | null;
  /** Only shapes the output (format, colour, where it goes): a command the report suggests (accept every finding) leaves it out. */
  output?: true;
  /** The other flags given, judged from this one's side: null when they agree with it, else what is wrong (`--since and --range cannot be used together`). */
  together?: (given: Parsed['values']) => string | null;
}

export type Flags = Record<string, Flag>;

/** Flags as parsed: a boolean flag's value is a boolean, a string flag's a string; each absent unless given. */
export type FlagValues<F extends Flags> = { [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : string };

/** Every command takes --help. */
export const HELP_FLAG = { help: { type: 'boolean', short: 'h', help: "this command's help" } } satisfies Flags;

/** A command's arguments as parsed and checked: flag values by name, and the rest. */
export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  /** What follows the name in usage: `[PATH...]`. */
  args: string;
  summary: string;
  /** More about it, for its own help. */
  about?: string;
  /** Its own flags, listed first in its help. */
  own: Flags;
  /** The flags every scan takes, for a scan command: listed after its own in its help. */
  shared?: Flags;
  positionals: boolean;
  /** What it does with its arguments: the exit code. */
  run(args: Parsed, command: Command): Promise<number>;
}

/** Every flag a command takes: its own, the shared ones, and --help. */
export function flagsOf(command: Command): Flags {
  return { ...command.own, ...command.shared, ...HELP_FLAG };
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

export function unknownCommand(name: string, all: readonly Command[]): SkScanError {
  const habit = OTHER_TOOLS_COMMANDS[name];
  if (habit) return usageError(habit);
  const near = nearest(name, all.map((c) => c.name).concat(['version']));
  return usageError(`unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}`);
}

/** An option given before any command: `--version` and `--help` are the only ones (a typo of either is said). */
export function optionFirst(name: string): SkScanError {
  const near = nearest(name.replace(/^-+/, ''), ['version', 'help']);
  return usageError(near ? `unknown option '${name}'; did you mean --${near}?` : `'${name}' comes after a command: sk-scan COMMAND [options]`);
}

/** One command's arguments, checked against its entry: flags known, values valid, no two that conflict. `all`: every command, to name the one a stray flag belongs to. */
export function parseCommand(command: Command, argv: string[], all: readonly Command[]): Parsed {
  const flags = flagsOf(command);
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }]));
  // A negative number after a flag that takes a value is that flag's value (`--jobs -1`), for its own check to judge.
  const args = argv.flatMap((arg, i) => (/^-\d/.test(arg) && flags[(argv[i - 1] ?? '').replace(/^--/, '')]?.type === 'string' ? [] : /^--[\w-]+$/.test(arg) && flags[arg.slice(2)]?.type === 'string' && /^-\d/.test(argv[i + 1] ?? '') ? [`${arg}=${argv[i + 1] as string}`] : [arg]));
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: command.positionals, strict: true });
  } catch (err) {
    throw explain(err as Error & { code?: string }, command, flags, all);
  }
  check(parsed.values, flags, command);
  return parsed;
}

/** Each given flag's value, and the other flags given with it, as its entry says. */
function check(values: Parsed['values'], flags: Flags, command: Command): void {
  for (const [name, value] of Object.entries(values)) {
    const flag = flags[name];
    if (flag === undefined || value === undefined) continue;
    const wrong = (typeof value === 'string' ? flag.valid?.(value) : null) ?? flag.together?.(values) ?? null;
    if (wrong !== null) throw usageError(wrong, command);
  }
}

/** Node's parse error, said as this tool says things. */
function explain(err: Error & { code?: string }, command: Command, flags: Flags, all: readonly Command[]): SkScanError {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = quoted.replace(/^-+/, '').split('=')[0] ?? '';
    const habit = OTHER_TOOLS_FLAGS[name];
    if (habit && !(name in flags)) return usageError(`unknown option '${quoted}' for sk-scan ${command.name}: ${habit}`, command);
    const owner = all.find((c) => c !== command && name in c.own);
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
