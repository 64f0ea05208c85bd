/** Help, made from the command table (./commands.ts): the overview, and each command's own page. Both fit 80 columns. */
import { wrap as wrapTo } from '../common/text.js';
import { VERSION } from '../common/version.js';
import { flagsOf, type Command, type Flags } from './args.js';

const WIDTH = 80;
const wrap = (text: string, first: number, rest: number) => wrapTo(text, WIDTH, first, rest);

/** The overview: what sk-scan is for, every command, and the flags every scan takes (`shared`). */
export function overview(commands: readonly Command[], shared: Flags): string {
  const usage = commands.map((c) => [`${c.name} ${c.args}`.trim(), c.summary] as const);
  return [
    `sk-scan ${VERSION}: find Chatbot Platform API keys before they leak through git.`,
    '',
    // Four uses, a line each: the command on the left, what it is for on the right.
    ...[
      ['sk-scan install-hook', 'the hook: block commits that add a key'],
      ['sk-scan git --since origin/main', 'CI: judge what a push or a PR adds'],
      ['sk-scan pre-receive', 'a git server: refuse pushes that add a key'],
      ['sk-scan git --audit REPO|URL', "audit a history somebody else made"],
    ].map(([cmd, what]) => `  ${(cmd as string).padEnd(34)}${what as string}`),
    '',
    'Usage: sk-scan COMMAND [options]',
    '',
    'Commands:',
    ...table(usage),
    '',
    'Options for every scan (dir, git, staged, pre-push, pre-receive, stdin):',
    ...flagTable(shared),
    '',
    "Each command's own options: sk-scan help COMMAND, or sk-scan COMMAND --help.",
    'Exit codes: 0 no keys found, 1 keys found, 2 an error (or a scan that could',
    'not read everything).',
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const own = Object.keys(command.own).length > 0;
  return [
    `Usage: sk-scan ${command.name}${command.args ? ` ${command.args}` : ''}${Object.keys(flagsOf(command)).length > 0 ? ' [options]' : ''}`,
    '',
    ...wrap(`${capital(command.summary)}.${command.about ? ` ${command.about}` : ''}`, 0, 0),
    ...(own ? ['', 'Options:', ...flagTable(command.own)] : []),
    ...(command.shared ? ['', 'Options for every scan:', ...flagTable(command.shared)] : []),
    '',
  ].join('\n');
}

function flagTable(flags: Flags): string[] {
  return table(Object.entries(flags).map(([name, f]) => [`${f.short ? `-${f.short}, ` : ''}--${name}${f.arg ? ` ${f.arg}` : ''}`, f.help] as const));
}

/** Two columns; a left side too wide for the column puts its text on the next line. */
function table(rows: (readonly [string, string])[]): string[] {
  const column = 26;
  const out: string[] = [];
  for (const [left, right] of rows) {
    if (left.length + 4 > column) {
      out.push(`  ${left}`, ...wrap(right, column, column));
    } else {
      const [first = '', ...rest] = wrap(right, column, column);
      out.push(`  ${left.padEnd(column - 2)}${first.slice(column)}`, ...rest);
    }
  }
  return out;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
