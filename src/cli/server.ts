/**
 * `sk-scan pre-receive` as a server runs it: the scan within a time budget
 * (a host kills a hook that takes too long: GitHub Enterprise after 5 s), and
 * a pusher's recorded bypass.
 *
 * - Out of time, the push is refused ("push in smaller parts"), or, with
 *   `--on-timeout accept`, let through and recorded in the server's log as
 *   unscanned.
 * - `git push -o sk-scan.bypass="why"` lets a push with findings through,
 *   as GitHub's push protection lets a pusher give a reason, when the server
 *   allows it (`--no-bypass` forbids it, `--bypass-rules` limits it to some
 *   rules) and keeps a log (`--log FILE`): each bypass is a JSON line there
 *   (time, pusher, repository, refs, rules, fingerprints, reason), never a
 *   key. Without a log no bypass is taken: one nobody can read later is not
 *   recorded.
 */
import { appendFileSync, realpathSync } from 'node:fs';
import { userInfo } from 'node:os';
import { count, printable, wrap } from '../common/text.js';
import { maskKeys } from '../common/redact.js';
import { exitCodeFor, parseReceiveLines, scanPreReceive, type Report } from '../index.js';
import { unread } from '../report/model.js';
import { readAll } from '../sources/stdin.js';
import type { Command } from './args.js';
import { deliver, scanOptions } from './scan.js';
import type { ScanFlags } from './scan-flags.js';
import { progressView } from './progress.js';

export type ServerFlags = ScanFlags & {
  timeout?: string;
  'on-timeout'?: string;
  log?: string;
  'no-bypass'?: boolean;
  'bypass-rules'?: string;
};

const BYPASS = 'sk-scan.bypass=';
const REASON_MAX = 500;

/** Who pushes, as the host names them: GitLab, Gitea or Forgejo, GitHub Enterprise, a web server's authenticated user; else the account the hook runs as. */
export function pusher(env: NodeJS.ProcessEnv = process.env): string {
  for (const name of ['GL_USERNAME', 'GITEA_PUSHER_NAME', 'GITHUB_USER_LOGIN', 'REMOTE_USER']) {
    const v = env[name];
    if (v) return v;
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The reason a pusher gave with `-o sk-scan.bypass=…`, or null (push options reach a hook only where receive.advertisePushOptions is on). */
export function bypassReason(env: NodeJS.ProcessEnv = process.env): string | null {
  const n = Number(env['GIT_PUSH_OPTION_COUNT'] ?? '0');
  for (let i = 0; i < n && i < 100; i++) {
    const option = env[`GIT_PUSH_OPTION_${i}`] ?? '';
    if (option.startsWith(BYPASS)) return option.slice(BYPASS.length);
  }
  return null;
}

export async function runPreReceive(command: Command, flags: ServerFlags): Promise<number> {
  const input = process.stdin.isTTY ? '' : (await readAll(process.stdin)).toString('utf8');
  // The ref lines are checked before anything runs: a bad one is one line and exit 2.
  const refs = parseReceiveLines(input);
  const seconds = flags.timeout === undefined ? 4 : Number(flags.timeout);
  const progress = await progressView(true, 'object');
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), seconds * 1000)));
  let report: Report | null;
  try {
    report = await Promise.race([scanPreReceive(input, scanOptions(flags, progress)), expired]);
  } finally {
    clearTimeout(timer);
  }
  const record = (entry: Record<string, unknown>) => {
    const line = JSON.stringify({ time: new Date().toISOString(), pusher: pusher(), repository: repository(), refs: refs.map((r) => ({ ref: r.ref, old: r.oldId, new: r.newId })), ...entry });
    appendFileSync(flags.log as string, `${line}\n`, { mode: 0o600 });
  };

  if (report === null) {
    // The scan goes on in the background: the process ends here, with the hook's answer.
    const took = `the scan did not finish within ${seconds} s`;
    if (flags['on-timeout'] === 'accept' && flags.log !== undefined) {
      record({ event: 'unscanned', why: took });
      return leave(0, `sk-scan: push accepted unscanned: ${took}; this server records that in its log`);
    }
    return leave(1, `sk-scan: push rejected: ${took}. Push in smaller parts (a few commits at a time), or ask whoever runs this server.`);
  }

  const open = report.findings.filter((f) => !f.suppressed);
  const reason = bypassReason();
  if (open.length > 0 && reason !== null) {
    const refused = bypassRefusal(flags, report, reason);
    if (refused === null) {
      const rules = [...new Set(open.map((f) => f.ruleId))];
      record({ event: 'bypass', rules, fingerprints: [...new Set(open.map((f) => f.fingerprint))], reason: cleanReason(reason) });
      const places = [...new Set(open.map((f) => (f.path === null ? f.ruleId : `${f.path}:${f.line}`)))];
      say(`sk-scan: push accepted with a bypass ("${cleanReason(reason)}"): ${count(report.secrets.length, 'key')} in ${places.slice(0, 3).join(', ')}${places.length > 3 ? ', …' : ''}; this server records it in its log.`);
      return 0;
    }
    say(`sk-scan: bypass refused: ${refused}`);
  }
  await deliver(report, 'text', flags, command);
  const code = exitCodeFor(report);
  if (code === 2) {
    const n = unread(report.stats) + report.errors.length;
    say(`sk-scan: push rejected: ${count(n, 'item')} of it could not be read (see the warnings), and no key was found in the rest. Ask whoever runs this server: one their config names (a blob by its id in ignore, a path in exclude) passes.`);
  }
  // Where this server takes a bypass, the pusher is told how to ask for one.
  if (code === 1 && reason === null && flags.log !== undefined && !flags['no-bypass']) {
    const only = flags['bypass-rules'] ? ` (for ${flags['bypass-rules']} only)` : '';
    say(`Not a secret, or must it go in now? This server takes a bypass${only}, recorded with your name:`);
    process.stdout.write('  git push -o sk-scan.bypass="false positive: …"\n');
  }
  return code;
}

/** Why this server does not take the bypass, or null when it does. */
function bypassRefusal(flags: ServerFlags, report: Report, reason: string): string | null {
  if (flags['no-bypass']) return 'this server does not allow it.';
  if (flags.log === undefined) return 'this server keeps no log to record it in (its hook has no --log).';
  if (cleanReason(reason).trim() === '') return 'give a reason: git push -o sk-scan.bypass="false positive: …"';
  const allowed = flags['bypass-rules']?.split(',').map((r) => r.trim()).filter(Boolean);
  if (allowed) {
    const other = [...new Set(report.findings.filter((f) => !f.suppressed && !allowed.includes(f.ruleId)).map((f) => f.ruleId))];
    if (other.length > 0) return `this server allows it only for ${allowed.join(', ')}, not for ${other.join(', ')}.`;
  }
  return null;
}

/** The pusher's reason as it may be logged and printed: one line, no key in it, bounded. */
function cleanReason(reason: string): string {
  return maskKeys(printable(reason.replace(/[\r\n\t]+/g, ' '))).slice(0, REASON_MAX);
}

/** The repository pushed to: the folder the hook runs in (git runs a server's hooks in the repository). */
function repository(): string {
  try {
    return realpathSync(process.env['GIT_DIR'] ?? '.');
  } catch {
    return process.cwd();
  }
}

/** A paragraph for the pusher, fitted (as the report's block is) to git's `remote: ` before each line. */
function say(text: string): void {
  process.stdout.write(`${wrap(text, 72, 0, 2).join('\n')}\n`);
}

/** Says `message` and ends the process once it is written: a scan still running would keep it alive. */
function leave(code: number, message: string): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`${wrap(message, 72, 0, 2).join('\n')}\n`, () => {
      process.exit(code);
      resolve(code);
    });
  });
}
