/**
 * The config's `exclude` patterns, compiled once when the config loads and
 * used wherever a path is judged: by the working-tree walk, which never enters
 * an excluded folder, and by suppression, which sets aside findings at
 * excluded paths in history. They are written in gitignore syntax, the syntax
 * of `.gitignore` and `.sk-scanignore`: `vendor/` or `vendor` excludes a
 * folder and everything in it, `*.min.js` such files at any depth,
 * `/build` only at the root, `!keep.env` takes one back.
 *
 * Matching must finish in time linear in the path whatever a pattern says
 * (`*a*a*a*a*b` against a long name used to take minutes with a glob library
 * that backtracks); the `ignore` package compiles each star so that it cannot
 * overlap the text after it, which leaves nothing to backtrack over.
 *
 * Paths are relative to the scan root, with forward slashes.
 */
import type { Ignore } from 'ignore';
import { requirePackage } from '../common/require.js';

const ignore = requirePackage('ignore') as typeof import('ignore');

export class PathPatterns {
  private constructor(
    /** The patterns as written. */
    readonly patterns: readonly string[],
    private readonly rules: Ignore,
  ) {}

  /** The patterns compiled, or null when there are none. */
  static compile(patterns: readonly string[]): PathPatterns | null {
    return patterns.length === 0 ? null : new PathPatterns(patterns, ignore({ allowRelativePaths: true }).add([...patterns]));
  }

  /** The entry itself matches. The walk asks only this, having pruned every excluded folder above it. */
  matchesItself(path: string, isDir: boolean): boolean {
    return this.rules.test(isDir ? `${path}/` : path).ignored;
  }

  /** The path, or a folder above it, matches. */
  covers(path: string): boolean {
    return this.rules.ignores(path);
  }
}
