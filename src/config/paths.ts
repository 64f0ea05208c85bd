/**
 * The config's `exclude` globs, compiled once when the config loads and used
 * wherever a path is judged: by the working-tree walk, which never enters an
 * excluded folder, and by suppression, which sets aside findings at excluded
 * paths in history. A glob that matches a folder excludes everything in it,
 * so `vendor` and `vendor/**` mean the same, in `dir` and in `git` alike.
 *
 * Paths are relative to the scan root, with forward slashes. Globs are
 * picomatch's, with dotfiles matched.
 */
export class PathPatterns {
  private constructor(
    /** The globs as written. */
    readonly globs: readonly string[],
    private readonly test: (path: string) => boolean,
  ) {}

  /** The globs compiled, or null when there are none (the matcher then never loads). */
  static async compile(globs: readonly string[]): Promise<PathPatterns | null> {
    if (globs.length === 0) return null;
    const { default: picomatch } = await import('picomatch');
    return new PathPatterns(globs, picomatch([...globs], { dot: true }));
  }

  /** The path itself matches. The walk asks only this, having pruned every excluded folder above it. */
  matchesItself(path: string): boolean {
    return this.test(path);
  }

  /** The path, or a folder above it, matches. */
  covers(path: string): boolean {
    if (this.test(path)) return true;
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      if (this.test(path.slice(0, slash))) return true;
    }
    return false;
  }
}
