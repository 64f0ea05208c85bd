/** Real git repositories in temporary folders, with deterministic authors and dates. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './run.js';

let clock = 1_700_000_000;

export function gitEnv(): NodeJS.ProcessEnv {
  clock += 60;
  const date = `${clock} +0000`;
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Dev One',
    GIT_AUTHOR_EMAIL: 'dev@example.test',
    GIT_COMMITTER_NAME: 'Dev One',
    GIT_COMMITTER_EMAIL: 'dev@example.test',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

export interface TestRepo {
  dir: string;
  git(...args: string[]): string;
  /** Run git and return its stdout, allowing failure (merge conflicts). */
  tryGit(...args: string[]): { ok: boolean; out: string };
  write(files: Record<string, string | Buffer>): void;
  remove(...paths: string[]): void;
  /** Write files, stage everything, commit; returns the commit id. */
  commit(message: string, files?: Record<string, string | Buffer>): string;
}

export function makeRepo(opts: { bare?: boolean; dir?: string; sha256?: boolean } = {}): TestRepo {
  const dir = opts.dir ?? tempDir('sk-scan-git-');
  const init = ['init', '-q', ...(opts.bare ? ['--bare'] : []), ...(opts.sha256 ? ['--object-format=sha256'] : [])];
  execFileSync('git', ['-c', 'init.defaultBranch=main', ...init, dir], { env: gitEnv() });
  return repoAt(dir);
}

export function repoAt(dir: string): TestRepo {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const r: TestRepo = {
    dir,
    git,
    tryGit(...args) {
      try {
        return { ok: true, out: git(...args) };
      } catch (err) {
        return { ok: false, out: String((err as { stdout?: Buffer }).stdout ?? '') };
      }
    },
    write(files) {
      for (const [rel, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), content);
      }
    },
    remove(...paths) {
      for (const p of paths) rmSync(join(dir, p), { force: true });
    },
    commit(message, files = {}) {
      r.write(files);
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
  };
  return r;
}

export interface ImportedCommit {
  message: string;
  /** Files to write (path → content); null deletes the path. */
  files: Record<string, string | null>;
}

/**
 * Many commits in one `git fast-import` process, one after another on
 * `branch` (each the child of the one before, the first the child of the
 * branch's current tip if it has one). Returns the commit ids in order.
 * A history of hundreds of commits costs one git process instead of hundreds.
 */
export function importCommits(repo: TestRepo, commits: ImportedCommit[], branch = 'refs/heads/main'): string[] {
  const parent = repo.tryGit('rev-parse', '--verify', '-q', branch).out.trim();
  const chunks: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  commits.forEach((c, i) => {
    clock += 60;
    chunks.push(`commit ${branch}\nmark :${i + 1}\ncommitter Dev One <dev@example.test> ${clock} +0000\n${data(c.message)}`);
    if (i === 0 && parent) chunks.push(`from ${parent}\n`);
    for (const [path, content] of Object.entries(c.files)) {
      chunks.push(content === null ? `D ${path}\n` : `M 100644 inline ${path}\n${data(content)}`);
    }
    chunks.push('\n');
  });
  const marks = join(tempDir('sk-scan-marks-'), 'marks');
  execFileSync('git', ['fast-import', '--quiet', `--export-marks=${marks}`], { cwd: repo.dir, env: gitEnv(), input: chunks.join('') });
  const ids = new Map(
    readFileSync(marks, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  if (repo.tryGit('rev-parse', '--is-bare-repository').out.trim() === 'false') repo.git('reset', '-q', '--hard', branch);
  return commits.map((_, i) => ids.get(`:${i + 1}`) as string);
}
