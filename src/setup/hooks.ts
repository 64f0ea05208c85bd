/**
 * `sk-scan install-hook`: a git hook that runs `sk-scan staged` before each
 * commit (or `sk-scan pre-push` before each push; with --server, a bare
 * repository's `sk-scan pre-receive`).
 *
 * - The hook goes where git looks: `core.hooksPath` if set, else .git/hooks.
 * - An existing hook is never overwritten. With --chain it is kept, renamed,
 *   and run first by ours; without, the install stops and says what to do.
 * - --husky writes `.husky/pre-commit` (husky v9: a plain shell script, run
 *   with node_modules/.bin on PATH), appending to it if it already exists.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkScanError } from '../common/errors.js';
import { shellQuote } from '../common/text.js';
import { Git, GitError } from '../gitexec/run.js';

export type HookKind = 'pre-commit' | 'pre-push' | 'pre-receive';

export interface InstallOptions {
  kind: HookKind;
  husky?: boolean;
  /** Keep an existing hook and run it before sk-scan. */
  chain?: boolean;
  /** The repository (default: the current directory). */
  cwd?: string;
  /** A server's repository (`--server PATH.git`): its pre-receive hook. */
  server?: string;
}

export interface Installed {
  file: string;
  /** What happened, in a sentence for the user. */
  message: string;
}

const MARK = '# sk-scan hook';
const CHAINED_SUFFIX = '.before-sk-scan';

function command(kind: HookKind): string {
  return kind === 'pre-commit' ? 'staged' : `${kind} "$@"`;
}

const WHAT: Record<HookKind, string> = { 'pre-commit': 'commits that add', 'pre-push': 'pushes that send', 'pre-receive': 'pushes that add' };

/** The hook's body: prefer the project's own sk-scan, then one on PATH, then this very install. */
export function hookScript(kind: HookKind, chained: string | null): string {
  const self = `"${process.execPath}" "${resolve(process.argv[1] ?? 'sk-scan')}"`;
  const lines = [
    '#!/bin/sh',
    `${MARK}: blocks ${WHAT[kind]} Chatbot Platform keys (installed by sk-scan install-hook).`,
  ];
  if (chained) {
    lines.push(
      '# The hook that was here before, kept and run first:',
      kind !== 'pre-commit'
        ? `input=$(cat); printf '%s\\n' "$input" | "$(dirname "$0")/${chained}" "$@" || exit $?`
        : `"$(dirname "$0")/${chained}" "$@" || exit $?`,
    );
  }
  const run = command(kind);
  const feed = chained && kind !== 'pre-commit' ? `printf '%s\\n' "$input" | ` : '';
  // On a server, this very install: nothing a pushed repository holds is ever run.
  if (kind === 'pre-receive') return [...lines, `${feed}exec ${self} ${run}`, ''].join('\n');
  lines.push(
    'if [ -x ./node_modules/.bin/sk-scan ]; then',
    `  ${feed}exec ./node_modules/.bin/sk-scan ${run}`,
    'elif command -v sk-scan >/dev/null 2>&1; then',
    `  ${feed}exec sk-scan ${run}`,
    'else',
    `  ${feed}exec ${self} ${run}`,
    'fi',
    '',
  );
  return lines.join('\n');
}

export async function installHook(opts: InstallOptions): Promise<Installed> {
  if (opts.server !== undefined) return installServerHook(opts.server, opts.chain === true);
  const git = Git.fromEnvironment(opts.cwd ?? '.');
  let top: string;
  let hooks: string;
  try {
    [top = '', hooks = ''] = (await git.text(['rev-parse', '--show-toplevel', '--git-path', 'hooks'])).split('\n');
  } catch (err) {
    if (err instanceof GitError && err.notARepository) throw new SkScanError('not a git repository: install-hook runs inside one');
    throw new SkScanError(`git failed: ${(err as Error).message}`);
  }
  // --git-path answers relative to the folder git ran in.
  return opts.husky ? installHusky(top, opts.kind) : installGitHook(resolve(git.cwd, hooks), opts);
}

function installGitHook(dir: string, opts: InstallOptions): Installed {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, opts.kind);
  let chained: string | null = null;
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8');
    if (current.includes(MARK)) {
      chained = existsSync(file + CHAINED_SUFFIX) ? opts.kind + CHAINED_SUFFIX : null;
    } else if (opts.chain) {
      renameSync(file, file + CHAINED_SUFFIX);
      chained = opts.kind + CHAINED_SUFFIX;
    } else {
      throw new SkScanError(
        `a ${opts.kind} hook already exists at ${file}; not replacing it. Run install-hook --chain to keep it and run it before sk-scan, or add \`sk-scan ${command(opts.kind).replace(' "$@"', '')}\` to it yourself`,
      );
    }
  }
  writeFileSync(file, hookScript(opts.kind, chained));
  chmodSync(file, 0o755);
  return { file, message: `installed the ${opts.kind} hook at ${file}${chained ? ` (it runs the previous hook, kept as ${chained}, first)` : ''}` };
}

/** A server repository's pre-receive hook, where git looks for its hooks (core.hooksPath honoured). */
async function installServerHook(path: string, chain: boolean): Promise<Installed> {
  if (!existsSync(path)) throw new SkScanError(`no such file or directory: ${path}`);
  const git = Git.fromEnvironment(path);
  let hooks: string;
  let bare: string;
  try {
    [bare = '', hooks = ''] = (await git.text(['rev-parse', '--is-bare-repository', '--git-path', 'hooks'])).split('\n');
  } catch (err) {
    if (err instanceof GitError && err.notARepository) throw new SkScanError(`not a git repository: ${path}`);
    throw new SkScanError(`git failed: ${(err as Error).message}`);
  }
  if (bare !== 'true') throw new SkScanError(`${path} is not a bare repository: --server installs the hook of the repository a server receives pushes into (PATH.git)`);
  const installed = installGitHook(resolve(git.cwd, hooks), { kind: 'pre-receive', chain });
  return {
    ...installed,
    message: `${installed.message}. It reads only the server's settings: add --config FILE to its last line to name yours. For recorded bypasses (git push -o sk-scan.bypass="why"), add --log FILE there too, and let git pass push options to hooks: git -C ${shellQuote(path)} config receive.advertisePushOptions true`,
  };
}

function installHusky(top: string, kind: HookKind): Installed {
  const dir = join(top, '.husky');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, kind);
  const line = `sk-scan ${command(kind)}`;
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8');
    if (current.split('\n').some((l) => l.trim().startsWith(line.split(' "')[0] ?? line))) {
      return { file, message: `${file} already runs sk-scan` };
    }
    writeFileSync(file, `${current.replace(/\n*$/, '\n')}${line}\n`);
    return { file, message: `added \`${line}\` to ${file}` };
  }
  writeFileSync(file, `${line}\n`);
  chmodSync(file, 0o755);
  return { file, message: `wrote ${file}; husky v9 runs it (make sure "prepare": "husky" is in package.json)` };
}
