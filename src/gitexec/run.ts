/**
 * The one way sk-scan runs git. Every call, whoever makes it:
 *
 * - reads the real objects: `--no-replace-objects` (and GIT_NO_REPLACE_OBJECTS
 *   for anything git starts), so `git replace` cannot show the scanner a
 *   harmless blob while `git push` sends the real one;
 * - pins the configuration that the parsers depend on (`-c`, which wins over
 *   user and repository config): prefixes, relative diffs, colour, quoting,
 *   root commits, signatures, the fsmonitor hook;
 * - never prompts for credentials, never takes optional locks, speaks English;
 * - puts revisions after `--end-of-options`, so that no revision (a `--range`,
 *   a ref name, a pre-push line) can be read as an option;
 * - for a repository the user named, ignores GIT_DIR, GIT_WORK_TREE,
 *   GIT_INDEX_FILE and the object directories in the environment; inside a
 *   hook (`Git.fromEnvironment`) it keeps what git set for the hook.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { untilDone } from '../common/cleanup.js';
import { SkScanError } from '../common/errors.js';

/** Configuration every call pins, whatever the user's or the repository's config says. */
const PINNED: Record<string, string> = {
  // Names in diff headers quoted with octal escapes: every byte of a name survives (names that are not UTF-8 too).
  'core.quotePath': 'true',
  'core.fsmonitor': 'false',
  'core.pager': 'cat',
  'color.ui': 'false',
  'diff.relative': 'false',
  'diff.noprefix': 'false',
  'diff.mnemonicPrefix': 'false',
  'diff.srcPrefix': 'a/',
  'diff.dstPrefix': 'b/',
  'diff.interHunkContext': '0',
  'diff.renames': 'false',
  'diff.ignoreSubmodules': 'none',
  'log.showRoot': 'true',
  'log.showSignature': 'false',
  'log.decorate': 'false',
  'log.follow': 'false',
  'log.mailmap': 'false',
  'log.abbrevCommit': 'false',
  'i18n.logOutputEncoding': 'UTF-8',
  // Nothing sk-scan runs talks to a remote or tidies a repository up: no transport, no lazy fetch, no automatic gc.
  'protocol.allow': 'never',
  'gc.auto': '0',
  'maintenance.auto': 'false',
  // A commit-graph is a cache the repository carries: one that lied about parents or trees would hide commits.
  'core.commitGraph': 'false',
};
const GLOBAL_ARGS = ['--no-replace-objects', ...Object.entries(PINNED).flatMap(([key, value]) => ['-c', `${key}=${value}`])];

/** Environment variables that change what a command prints, cleared for every call. */
const OUTPUT_ENV = ['GIT_EXTERNAL_DIFF', 'GIT_DIFF_OPTS', 'GIT_PAGER', 'GIT_REPLACE_REF_BASE'];
/** Environment variables that say which repository, index and objects to use. */
const LOCATION_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX'];

function environment(keepLocation: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of OUTPUT_ENV) delete env[name];
  if (!keepLocation) for (const name of LOCATION_ENV) delete env[name];
  // GIT_NO_LAZY_FETCH: a partial clone never fetches what it lacks (git 2.44 and later; a sealed view has no promisor anyway).
  return { ...env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', GIT_NO_REPLACE_OBJECTS: '1', GIT_NO_LAZY_FETCH: '1', LC_ALL: 'C', ...extra };
}

/** The environment for a git process that must not inherit which repository to use (a clone made from a hook). */
export function neutralEnvironment(): NodeJS.ProcessEnv {
  return environment(false);
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    super(`git ${args[0] ?? ''} failed: ${firstLine(stderr) || `exit code ${code}`}`);
  }

  /** git said the folder is not in a repository (or, for `git diff --cached`, fell back to comparing files). */
  get notARepository(): boolean {
    return /not a git repository|diff --no-index/i.test(this.stderr);
  }
}

/** git's first line of complaint, without its `fatal:` or `error:`. */
export function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').replace(/^(fatal|error): /, '').trim();
}

export interface RunOptions {
  /** Standard input, whole. */
  input?: string;
  /** Revisions, placed after `--end-of-options`. */
  revs?: string[];
}

/** Where and how git runs for one repository (or for the hook git is running). */
export class Git {
  private constructor(
    /** The folder git runs in. */
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The repository at or above `dir`, and nothing the environment says about another one. */
  static at(dir: string): Git {
    return new Git(dir, environment(false));
  }

  /**
   * A sealed view of a repository (sources/git/sealed.ts): `view` is the git
   * directory git uses, `env` the rest it is told (the index, alternates named
   * for a hook). Nothing in the environment says otherwise.
   */
  static sealed(view: string, env: Record<string, string>, cwd = view): Git {
    return new Git(cwd, environment(false, { GIT_DIR: view, ...env }));
  }

  /**
   * The repository of the current directory as the environment describes it:
   * inside a hook, the GIT_DIR and GIT_INDEX_FILE git set for it (a partial
   * commit is staged in a temporary index).
   */
  static fromEnvironment(cwd = '.'): Git {
    return new Git(cwd, environment(true));
  }

  /** The whole argument list for a git command. */
  argv(args: string[], revs?: string[]): string[] {
    return revs === undefined ? [...GLOBAL_ARGS, ...args] : [...GLOBAL_ARGS, ...args, '--end-of-options', ...revs];
  }

  /** git with its stdin and stderr piped, and its stdout piped or into a file descriptor. */
  spawn(args: string[], stdout: 'pipe' | number, revs?: string[]): ChildProcess {
    return spawn('git', this.argv(args, revs), { cwd: this.cwd, env: this.env, stdio: ['pipe', stdout, 'pipe'] });
  }

  /** Run git to completion: its stdout, or a GitError carrying stderr. */
  run(args: string[], opts: RunOptions = {}): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let child: ChildProcessWithoutNullStreams;
      try {
        child = this.spawn(args, 'pipe', opts.revs) as ChildProcessWithoutNullStreams;
      } catch (err) {
        reject(notInstalled(err));
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e) => reject(notInstalled(e)));
      const forget = untilDone(() => child.kill());
      child.on('close', (code) => {
        forget();
        if (code === 0) resolve(Buffer.concat(out));
        else reject(new GitError(args, code, Buffer.concat(err).toString('utf8'), Buffer.concat(out).toString('utf8')));
      });
      child.stdin.on('error', () => {}); // git may exit before reading all input; close reports it
      child.stdin.end(opts.input);
    });
  }

  async text(args: string[], opts: RunOptions = {}): Promise<string> {
    return (await this.run(args, opts)).toString('utf8');
  }
}

function notInstalled(err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? new SkScanError('git is not installed or not on PATH') : new SkScanError(`cannot run git: ${e.message}`);
}

/** git's all-zero id: no object (a ref created or deleted, a file added or removed). */
export function isZeroId(s: string): boolean {
  return /^0+$/.test(s);
}

/** A 40- or 64-hex object id, and nothing else: what may be handed to git as a revision from untrusted input. */
export function isObjectId(s: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(s);
}
