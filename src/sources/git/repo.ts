/**
 * Opening a repository the user named: a path (a working tree, a bare
 * repository, a linked worktree) or a URL, which is cloned bare into a
 * temporary folder and removed after the scan.
 */
import { closeSync, constants, existsSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { compareText } from '../../common/group.js';
import { SkScanError } from '../../common/errors.js';
import { TempDir } from '../../gitexec/output.js';
import { GitError, firstLine, neutralEnvironment, type Git } from '../../gitexec/run.js';
import { requirePackage } from '../../common/require.js';
import { shellQuote } from '../../common/text.js';
import { decodeName } from '../../common/names.js';
import { discover, fromEnvironment, type Location } from './location.js';
import { seal, type DirectStore, type SealOptions } from './sealed.js';

export interface Repo {
  /** The repository as the user gave it. */
  given: string;
  /** git for a sealed view of this repository (sealed.ts): its objects and refs, nothing it configures. */
  git: Git;
  /** The working tree's top, or null for a bare repository or a clone made for the scan. */
  worktree: string | null;
  /** The git directory (absolute): the repository's identity, for the scan cache. */
  gitDir: string;
  /** Where its refs, objects and submodules' repositories are: the git directory, or a linked worktree's common one. */
  commonDir: string;
  /** Why its submodules are not read (`--no-submodules`, a range scan): each is named, and accepted unread. */
  skipSubmodules?: string;
  /** A repository receiving a push (a server's hook), and the refs pushed: its HEAD, submodules and other refs are not the push's, and not looked at. */
  receiving?: { refs: string[] };
  /** The repository's own object folder. */
  objects: string;
  /** A clone made for the scan, removed afterwards. */
  temporary?: true;
  shallow: boolean;
  /** Object folders the repository borrows from (objects/info/alternates), not read as its own. */
  borrowed: string[];
  /** A partial clone's promisor remote, named in messages (never fetched from), or null. */
  promisor: string | null;
  /** What the sealed view left out, for warnings. */
  notes: string[];
  /** The object folder sk-scan reads itself in a whole-history scan, or why git reads it (sealed.ts). */
  store: DirectStore;
  /** Removes the sealed view, and a temporary clone. */
  close(): void;
}

/** `https://…`, `ssh://…`, `file://…`, `git://…`, or scp-like `user@host:path`. */
export function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || (/^[^/\\]+@[^/\\:]+:/.test(s) && !existsSync(s));
}

/**
 * `given` as the user named it: whatever GIT_DIR and the like say in the
 * environment, it is this repository that is scanned. With `fromEnvironment`
 * (the repository of a hook, or of a scan given no target), git's environment
 * decides, as it does for git itself.
 */
export interface OpenOptions {
  fromEnvironment?: boolean;
  /** How a clone advances: `percent` of `what` git reports (receiving, resolving). */
  onClone?: (url: string, stage: string, percent: number) => void;
  /** How much of the repository the sealed view needs (see SealOptions). */
  view?: SealOptions;
}

export async function openRepo(given: string, opts: OpenOptions = {}): Promise<Repo> {
  if (isUrl(given)) return cloneForScan(given, opts.onClone);
  if (!existsSync(given)) throw new SkScanError(`no such file or directory: ${given}`);
  return Promise.resolve(opened(given, opts.fromEnvironment ? fromEnvironment(given) : discover(given), opts.view));
}

/** The repository at `loc`, sealed (see sealed.ts); `close` removes the view, and `also` (a temporary clone). */
function opened(given: string, loc: Location, view: SealOptions = {}, also?: TempDir): Repo {
  const sealed = seal(loc, view);
  const close = () => {
    sealed.close();
    also?.remove();
  };
  return { given, git: sealed.git, worktree: loc.worktree, gitDir: loc.gitDir, commonDir: loc.commonDir, objects: loc.objects, shallow: sealed.shallow, borrowed: sealed.borrowed, promisor: sealed.promisor, notes: sealed.notes, store: sealed.store, close, ...(also ? { temporary: true as const } : {}) };
}

/** Why objects the history names are not in the store, and (said once) what the user can do about it. */
export function missingAdvice(repo: Repo): { why: string; remedy: string } {
  const at = shellQuote(repo.given);
  const why: string[] = [];
  const remedy: string[] = [];
  if (repo.promisor !== null) {
    why.push('missing from this partial clone (sk-scan never fetches)');
    remedy.push(`if you trust the repository and its remote ${repo.promisor}, fetch them with git -C ${at} fetch --refetch --no-filter ${shellQuote(repo.promisor)} and scan again`);
  }
  if (repo.borrowed.length > 0) {
    why.push("not in the repository's own object store (it borrows objects from another repository)");
    remedy.push(`sk-scan does not read ${repo.borrowed.join(', ')} as this repository's own: scan that repository too, or copy the objects in with git -C ${at} repack -a -d`);
  }
  if (why.length === 0) return { why: 'named by the history but missing from the object store', remedy: `the repository is damaged; git -C ${at} fsck says more` };
  return { why: why.join(', or '), remedy: remedy.join('; ') };
}

/**
 * simple-git also refuses environment variables that make git run a program,
 * unless allowed. Every one allowed here can only come from the user's own
 * environment: the arguments are fixed (`clone --mirror URL DIR`), and a
 * clone reads no configuration from the remote, so the scanned repository
 * sets none of them. They are how people reach private repositories: an
 * askpass or credential helper (GIT_ASKPASS, SSH_ASKPASS, credential.helper
 * in GIT_CONFIG_KEY_n), config given in variables (GIT_CONFIG_COUNT,
 * GIT_CONFIG_GLOBAL, GIT_EXEC_PATH), a CI deploy key (GIT_SSH_COMMAND,
 * GIT_SSH), a proxy (GIT_PROXY_COMMAND). Refused, `sk-scan git URL` failed in
 * a CI job that set GIT_SSH_COMMAND (test/sources/git.test.ts).
 */
const USERS_GIT_ENVIRONMENT = {
  allowUnsafeAskPass: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeSshCommand: true,
  allowUnsafeGitProxy: true,
};

async function cloneForScan(url: string, onClone?: OpenOptions['onClone']): Promise<Repo> {
  const temp = new TempDir('sk-scan-clone-');
  const dir = temp.path;
  const close = () => temp.remove();
  try {
    // --mirror: every ref the remote has (branches, tags, notes, pull-request refs). simple-git reports
    // git's progress as events, and refuses options that run a program (--upload-pack, -u, ext::) in
    // the one argument from outside, the URL.
    const { simpleGit } = requirePackage('simple-git') as typeof import('simple-git');
    const progress = onClone ? ({ stage, progress: percent }: { stage: string; progress: number }) => onClone(url, stage, percent) : undefined;
    // An editor, a pager or a template (hooks copied into a clone nobody commits in) has no part in a clone.
    const env = neutralEnvironment();
    for (const name of ['EDITOR', 'VISUAL', 'GIT_EDITOR', 'PAGER', 'GIT_PAGER', 'GIT_TEMPLATE_DIR']) delete env[name];
    await simpleGit({ baseDir: dir, progress, unsafe: USERS_GIT_ENVIRONMENT }).env(env).clone(url, dir, ['--mirror']);
    return opened(url, discover(dir, url), {}, temp);
  } catch (err) {
    close();
    // git's complaint, not its chatter ("Cloning into bare repository …").
    const said = err instanceof GitError ? err.stderr : (err as Error).message;
    const complaint = said.split('\n').find((l) => /^(fatal|error):/.test(l.trim())) ?? said;
    throw new SkScanError(`cannot clone ${url}: ${firstLine(complaint)}`);
  }
}

/**
 * Open each repository (cloning URLs). One that cannot be opened is set aside
 * with why, and the rest are scanned; only when none opens is it an error.
 * On failure, what was already cloned is removed.
 */
export async function openRepos(targets: string[], opts: OpenOptions = {}): Promise<{ repos: Repo[]; failed: { target: string; message: string }[]; searched: boolean }> {
  const repos: Repo[] = [];
  const failed: { target: string; message: string }[] = [];
  /** A target was a folder of repositories, searched for them. */
  let searched = false;
  try {
    for (const t of targets) {
      try {
        repos.push(await openRepo(t, opts));
      } catch (err) {
        if (!(err instanceof SkScanError)) throw err;
        // A folder that is no repository may hold many: each one below it is a target.
        const below = !opts.fromEnvironment && !isUrl(t) ? findRepositories(t) : [];
        if (below.length === 0 && targets.length === 1) throw err;
        if (below.length === 0) failed.push({ target: t, message: err.message });
        else {
          searched = true;
          await openEach(below, repos, failed);
        }
      }
    }
    if (repos.length === 0 && failed[0]) throw new SkScanError(failed.map((f) => f.message).join('; '));
  } catch (err) {
    for (const r of repos) r.close();
    throw err;
  }
  return { repos, failed, searched };
}

/** Open each of `targets` into `repos`; one that fails goes to `failed`. */
async function openEach(targets: string[], repos: Repo[], failed: { target: string; message: string }[]): Promise<void> {
  for (const t of targets) {
    try {
      repos.push(await openRepo(t));
    } catch (err) {
      if (!(err instanceof SkScanError)) throw err;
      failed.push({ target: t, message: err.message });
    }
  }
}

/** How deep below a named folder repositories are looked for. */
const FIND_DEPTH = 6;

/**
 * The repositories below `root` (a folder of clones, `~/src`): a folder with a
 * `.git` entry is a working tree, one with HEAD, objects/ and refs/ a bare
 * repository; neither is entered. Links are not followed.
 */
export function findRepositories(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    if (depth > 0 && (names.has('.git') || (names.has('HEAD') && names.has('objects') && names.has('refs')))) {
      found.push(dir);
      return;
    }
    if (depth >= FIND_DEPTH) return;
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
  };
  if (existsSync(root)) walk(root, 0);
  return found.sort(compareText);
}

export interface HeadTree {
  /** HEAD's commit, or null before the first commit. */
  commit: string | null;
  /** Blob ids in HEAD's tree. */
  blobs: Set<string>;
  /** Every path in HEAD's tree (a folder's name is part of the paths below it): names a key can be in. */
  paths: string[];
  /** Submodules (gitlinks) in HEAD's tree: path and the commit it points at. */
  submodules: { path: string; commit: string }[];
}

/** HEAD's tree, read once: which blobs are "still there", the names in it, and which submodules a scan cannot see. */
export async function headTree(git: Git): Promise<HeadTree> {
  const tree: HeadTree = { commit: null, blobs: new Set(), paths: [], submodules: [] };
  let out: Buffer;
  try {
    const [commit, listing] = await Promise.all([git.text(['rev-parse', '--verify', '-q'], { revs: ['HEAD^{commit}'] }), git.run(['ls-tree', '-r', '-z', '--full-tree'], { revs: ['HEAD'] })]);
    tree.commit = commit.trim() || null;
    out = listing;
  } catch {
    return tree; // no commit yet
  }
  for (let at = 0; at < out.length; ) {
    // "<mode> <type> <oid>\t<path>\0"
    const nul = out.indexOf(0, at);
    const end = nul === -1 ? out.length : nul;
    const tab = out.indexOf(0x09, at);
    const [mode, type, oid = ''] = out.toString('latin1', at, tab).split(' ');
    const path = decodeName(out.subarray(tab + 1, end));
    if (type === 'blob') tree.blobs.add(oid);
    else if (type === 'commit' && mode === '160000') tree.submodules.push({ path, commit: oid });
    tree.paths.push(path);
    at = end + 1;
  }
  return tree;
}

/**
 * Objects in the packs of the object folder `objects`, from each index's header
 * (its fan-out table's last entry): a few small reads, where `git
 * count-objects` would be a process. Loose objects and alternates are not
 * counted: this is a size hint.
 */
export function packedObjects(objects: string): number {
  const packDir = join(objects, 'pack');
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(packDir).filter((n) => n.endsWith('.idx'));
  } catch {
    return 0;
  }
  const head = Buffer.alloc(8 + 256 * 4);
  for (const name of names) {
    let fd: number | null = null;
    try {
      // Non-blocking: a FIFO named like an index must not hang the scan.
      fd = openSync(join(packDir, name), constants.O_RDONLY | constants.O_NONBLOCK);
      const n = readSync(fd, head, 0, head.length, 0);
      // Version 2 and later start with "\377tOc" and a version; version 1 starts with the fan-out table.
      const fanout = head.readUInt32BE(0) === 0xff744f63 ? 8 : 0;
      if (n >= fanout + 256 * 4) total += head.readUInt32BE(fanout + 255 * 4);
    } catch {
      // Unreadable: not counted (a hint only).
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
  return total;
}
