/**
 * The working-tree source: files under one or more roots.
 *
 * fast-glob walks the tree. Its `fs.readdir` hook is where this source applies
 * what a static ignore list cannot express: nested `.gitignore` files. An ignored
 * directory is dropped from its parent's listing, so it is never entered, and
 * `.git` is dropped the same way. Symbolic links are never followed (so the walk
 * cannot leave the tree or loop); each one is counted.
 */
import { readdir, statSync, type Dirent } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import { IgnoreRules } from './gitignore.js';
import { describe } from './read.js';
import type { Source, SourceEvents, SourceItem } from './types.js';
import { SkScanError } from '../errors.js';

export interface DirOptions {
  /** Also scan files that .gitignore would skip (never `.git/`). */
  noIgnore?: boolean;
  /** Paths never read (`.sk-scan.yaml`'s `exclude`, compiled), relative to each root: an excluded folder is not entered. */
  excluded?: { matchesItself(path: string): boolean } | null;
  /**
   * The config file in use: not scanned, since the examples of its own rules
   * match those rules by design.
   */
  skipFile?: string;
}

type ReaddirCallback = (err: NodeJS.ErrnoException | null, entries: Dirent[]) => void;

export function dirSource(roots: string[], opts: DirOptions = {}): Source {
  for (const root of roots) {
    try {
      statSync(root);
    } catch {
      throw new SkScanError(`no such file or directory: ${root}`);
    }
  }
  const single = roots.length === 1;
  return {
    kind: 'dir',
    root: single ? (roots[0] ?? '.') : '.',
    async *items(events) {
      for (const root of roots) {
        // With several roots, paths keep the root as given so they stay unambiguous.
        const prefix = single ? '' : toPosix(root).replace(/\/+$/, '') + '/';
        yield* walkRoot(root, prefix, opts, events);
      }
    },
  };
}

/** Where `.sk-scan.yaml` is looked for: the root when there is one directory root, else the current directory. */
export function dirConfigRoot(roots: string[]): string {
  const only = roots.length === 1 ? roots[0] : undefined;
  return only !== undefined && isDirectory(only) ? only : '.';
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

async function* walkRoot(root: string, prefix: string, opts: DirOptions, events: SourceEvents): AsyncIterable<SourceItem[]> {
  const abs = resolve(root);
  if (!isDirectory(abs)) {
    yield [{ origin: { path: toPosix(root), commit: null }, file: abs }];
    return;
  }
  const rules = opts.noIgnore ? null : new IgnoreRules(abs, (file, message) => events.skip('unreadable', file, message));
  const excluded = opts.excluded ?? null;
  // The config file in use: not scanned, since the examples of its own rules match those rules by design.
  const skipFile = opts.skipFile === undefined ? null : resolve(opts.skipFile);
  const hook = (dir: string, options: { withFileTypes: true }, cb: ReaddirCallback): void => {
    readdir(dir, options, (err, entries) => {
      const at = resolve(dir);
      if (err) {
        // The root itself failing is fatal; a subdirectory is a counted warning.
        if (at === abs) return cb(err, []);
        events.skip('unreadable', relPath(abs, at) + '/', describe(err));
        return cb(null, []);
      }
      rules?.enter(at, entries.some((e) => e.name === '.gitignore'));
      const relDir = at === abs ? '' : toPosix(at.slice(abs.length + 1)) + '/';
      cb(null, entries.filter((e) => keep(e, at, relDir)));
    });
  };
  const keep = (entry: Dirent, dir: string, relDir: string): boolean => {
    if (entry.name === '.git') return false;
    if (excluded?.matchesItself(relDir + entry.name)) return false;
    if (entry.isSymbolicLink()) {
      events.skip('symlink', relPath(abs, join(dir, entry.name)));
      return false;
    }
    const isDir = entry.isDirectory();
    if (!isDir && !entry.isFile()) {
      // A FIFO, socket or device: reading it could block forever, so it is counted instead.
      events.skip('unreadable', relPath(abs, join(dir, entry.name)), 'not a regular file');
      return false;
    }
    if (!isDir && skipFile !== null && join(dir, entry.name) === skipFile) return false;
    return !rules?.ignores(dir, entry.name, isDir);
  };

  const stream = fg.stream('**', {
    cwd: abs,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    unique: false, // one pattern cannot yield a path twice; skip fast-glob's set of every path
    fs: { readdir: hook as unknown as typeof readdir },
  });
  try {
    let batch: SourceItem[] = [];
    for await (const rel of stream) {
      const relStr = rel.toString();
      batch.push({ origin: { path: prefix + relStr, commit: null }, file: join(abs, relStr) });
      if (batch.length === 64) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } catch (err) {
    throw new SkScanError(`cannot read ${root}: ${describe(err)}`);
  }
}

function relPath(root: string, p: string): string {
  const r = resolve(p).slice(root.length + 1);
  return toPosix(r || basename(p));
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
