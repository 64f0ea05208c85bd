/**
 * gitignore semantics for the working-tree walk: every `.gitignore` from the
 * repository's top down to the file, deeper files overriding shallower ones, and
 * `.git/info/exclude` below them all. Rules are read lazily, once per directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export class IgnoreRules {
  /** The repository's top-level directory, or the scan root outside a repository. */
  private readonly top: string;
  private readonly perDir = new Map<string, Ignore | null>();
  private readonly exclude: Ignore | null;

  constructor(
    scanRoot: string,
    private readonly onUnreadable: (file: string, message: string) => void,
  ) {
    const repoTop = findRepoTop(scanRoot);
    this.top = repoTop ?? scanRoot;
    this.exclude = repoTop ? this.read(join(repoTop, '.git', 'info', 'exclude')) : null;
  }

  /** Whether git would ignore `abs` (a directory when `isDir`). */
  ignores(abs: string, isDir: boolean): boolean {
    for (let dir = dirname(abs); ; dir = dirname(dir)) {
      const verdict = this.test(this.rulesFor(dir), dir, abs, isDir);
      if (verdict !== null) return verdict;
      if (dir === this.top || !isInside(dir, this.top)) break;
    }
    return this.test(this.exclude, this.top, abs, isDir) ?? false;
  }

  private test(rules: Ignore | null, base: string, abs: string, isDir: boolean): boolean | null {
    if (!rules) return null;
    const rel = relative(base, abs).split(sep).join('/') + (isDir ? '/' : '');
    const r = rules.test(rel);
    if (r.ignored) return true;
    if (r.unignored) return false;
    return null;
  }

  private rulesFor(dir: string): Ignore | null {
    let rules = this.perDir.get(dir);
    if (rules === undefined) {
      rules = this.read(join(dir, '.gitignore'));
      this.perDir.set(dir, rules);
    }
    return rules;
  }

  private read(file: string): Ignore | null {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') this.onUnreadable(file, code ?? String(err));
      return null;
    }
    return ignore({ allowRelativePaths: true }).add(text);
  }
}

/** The nearest directory at or above `start` holding `.git` (a directory, or a worktree's `.git` file). */
function findRepoTop(start: string): string | null {
  for (let dir = start; ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    if (existsSync(dotGit)) {
      const st = statSync(dotGit);
      if (st.isDirectory() || st.isFile()) return dir;
    }
    if (dirname(dir) === dir) return null;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}
