/**
 * Where a repository's parts are: its git directory, the common directory a
 * linked worktree shares, its working tree, index and object directory. Found
 * here, from the file system, the way git finds them, without running git:
 * git would read the repository's config on the way, and a repository being
 * scanned is input, not something to take orders from (see sealed.ts).
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SkScanError } from '../../common/errors.js';
import { readRegularFile } from '../../common/files.js';

export interface Location {
  /** The git directory (absolute, links resolved): HEAD, the index, a linked worktree's own refs. */
  gitDir: string;
  /** Where refs, objects, packed-refs and shallow are: the git directory, or the one a linked worktree's `commondir` names. */
  commonDir: string;
  /** The working tree's top, or null for a bare repository. */
  worktree: string | null;
  /** The index to judge: `gitDir/index`, or the one git names for a hook (GIT_INDEX_FILE). */
  index: string;
  /** The object directory: `commonDir/objects`, or the one git names for a hook (GIT_OBJECT_DIRECTORY). */
  objects: string;
  /** Object directories git itself names for a hook (GIT_ALTERNATE_OBJECT_DIRECTORIES: a push's quarantine); never the repository's own alternates file. */
  alternates: string[];
}

/** The largest `.git` file, HEAD or `commondir` read. */
const SMALL = 4096;

/** A small file's first line, or null when it is missing or not a regular file. */
export function firstLineOf(path: string): string | null {
  const read = readRegularFile(path, SMALL);
  if (read === null || !('bytes' in read)) return null;
  return read.bytes.toString('utf8').split('\n')[0]?.trim() ?? null;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The common directory of the git directory `gitDir`. */
function commonOf(gitDir: string): string {
  const named = firstLineOf(join(gitDir, 'commondir'));
  return named ? resolve(gitDir, named) : gitDir;
}

/** Whether `dir` is a git directory, as git judges one: a HEAD that names a ref or an object, and refs/ and objects/ (in the common directory). */
export function isGitDir(dir: string): boolean {
  const head = firstLineOf(join(dir, 'HEAD'));
  if (head === null || !(/^ref: refs\//.test(head) || /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(head))) return false;
  const common = commonOf(dir);
  return isDir(join(common, 'objects')) && isDir(join(common, 'refs'));
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The git directory a `.git` entry at `dotGit` stands for (a folder, or a file saying `gitdir: PATH`), or null. */
function gitDirOf(dotGit: string): string | null {
  let st;
  try {
    // Followed if it is a link, as git follows it.
    st = statSync(dotGit);
  } catch {
    return null;
  }
  if (st.isDirectory()) return isGitDir(dotGit) ? dotGit : null;
  if (!st.isFile()) return null;
  const m = /^gitdir: (.+)$/.exec(firstLineOf(dotGit) ?? '');
  if (!m?.[1]) return null;
  const target = resolve(dirname(dotGit), m[1]);
  return isGitDir(target) ? target : null;
}

function located(gitDir: string, worktree: string | null): Location {
  const g = real(gitDir);
  const common = real(commonOf(g));
  return { gitDir: g, commonDir: common, worktree: worktree === null ? null : real(worktree), index: join(g, 'index'), objects: join(common, 'objects'), alternates: [] };
}

/**
 * The repository at or above `start`, as git discovers it: at each folder,
 * its `.git` (a folder, or a file naming the git directory), else the folder
 * itself if it is a git directory (a bare repository); then the folder above.
 */
export function discover(start: string, given = start): Location {
  for (let dir = real(start); ; dir = dirname(dir)) {
    const found = gitDirOf(join(dir, '.git'));
    if (found !== null) return located(found, dir);
    if (isGitDir(dir)) return located(dir, null);
    if (dirname(dir) === dir) throw new SkScanError(`not a git repository: ${given}`);
  }
}

/**
 * The repository as git's environment names it for a hook, or for a scan
 * given no target: GIT_DIR (and GIT_WORK_TREE, GIT_COMMON_DIR), GIT_INDEX_FILE
 * (a partial commit's temporary index), GIT_OBJECT_DIRECTORY and
 * GIT_ALTERNATE_OBJECT_DIRECTORIES (a push's quarantine); what the
 * environment does not say is discovered from `cwd`.
 */
export function fromEnvironment(cwd = '.', env: NodeJS.ProcessEnv = process.env): Location {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  let loc: Location;
  const named = env['GIT_DIR'];
  if (named) {
    const gitDir = at(named);
    if (!isGitDir(gitDir)) throw new SkScanError(`not a git repository: ${named} (GIT_DIR)`);
    const tree = env['GIT_WORK_TREE'];
    loc = located(gitDir, tree ? at(tree) : worktreeOf(gitDir, cwd));
  } else {
    loc = discover(cwd, cwd === '.' ? 'the current folder' : cwd);
  }
  if (env['GIT_COMMON_DIR']) {
    loc.commonDir = real(at(env['GIT_COMMON_DIR']));
    loc.objects = join(loc.commonDir, 'objects');
  }
  if (env['GIT_INDEX_FILE']) loc.index = at(env['GIT_INDEX_FILE']);
  if (env['GIT_OBJECT_DIRECTORY']) loc.objects = at(env['GIT_OBJECT_DIRECTORY']);
  if (env['GIT_ALTERNATE_OBJECT_DIRECTORIES']) loc.alternates = env['GIT_ALTERNATE_OBJECT_DIRECTORIES'].split(':').filter(Boolean).map(at);
  return loc;
}

/**
 * The working tree of a git directory named by GIT_DIR alone: a linked
 * worktree's (its `gitdir` file names the worktree's `.git`), a `.git`
 * folder's parent, else the current folder when it holds the repository (git
 * runs hooks at the top of the working tree), else none.
 */
function worktreeOf(gitDir: string, cwd: string): string | null {
  const linked = firstLineOf(join(gitDir, 'gitdir'));
  if (linked) return dirname(resolve(gitDir, linked));
  const g = real(gitDir);
  if (g.endsWith('/.git')) return dirname(g);
  return gitDirOf(join(cwd, '.git')) !== null ? cwd : null;
}
