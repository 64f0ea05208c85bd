/**
 * The working-tree source: files under one or more roots.
 *
 * The walk lists directories itself, a few at a time, with names read as
 * bytes: a name holding a newline, a carriage return or bytes that are not
 * UTF-8 is scanned like any other (names.ts says how it is reported). A glob
 * library cannot do that: fast-glob, which this walk replaced, dropped names
 * with CR or LF and lost the others in decoding, silently.
 *
 * Ignored and excluded entries are dropped as their directory is listed, so an
 * ignored directory is never entered; `.git` is dropped the same way.
 * Symbolic links are never followed (so the walk cannot leave the tree or
 * loop); each one is counted. FIFOs, sockets and devices are counted and never
 * opened: reading one could block forever.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { SkScanError, describeIoError } from '../errors.js';
import { IgnoreRules } from './gitignore.js';
import { decodeName, fsPath } from './names.js';
import type { Source, SourceEvents, SourceItem } from './types.js';

export interface DirOptions {
  /** Also scan files that .gitignore would skip (never `.git/`). */
  noIgnore?: boolean;
  /** Paths never read (`.sk-scan.yaml`'s `exclude`, compiled), relative to each root: an excluded folder is not entered. */
  excluded?: { matchesItself(path: string, isDir: boolean): boolean } | null;
  /**
   * The config file in use: not scanned, since the examples of its own rules
   * match those rules by design.
   */
  skipFile?: string;
}

/** Directories listed at once: enough to keep the file system busy while this thread works. */
const LISTINGS_IN_FLIGHT = 4;
const BATCH = 64;

export function dirSource(roots: string[], opts: DirOptions = {}): Source {
  const single = roots.length === 1;
  return {
    kind: 'dir',
    root: single ? (roots[0] ?? '.') : '.',
    async *items(events) {
      const kinds = await Promise.all(roots.map(rootKind));
      for (const [i, root] of roots.entries()) {
        // With several roots, paths keep the root as given so they stay unambiguous.
        const prefix = single ? '' : toPosix(root).replace(/\/+$/, '') + '/';
        const kind = kinds[i];
        if (kind === 'directory') yield* new TreeWalk(resolve(root), prefix, opts, events).batches();
        else if (kind === 'file') yield [{ origin: { path: toPosix(root), commit: null }, file: resolve(root) }];
        else events.skip('unreadable', toPosix(root), 'not a regular file');
      }
    },
  };
}

/** What a root given by the user is; a missing one is an error before anything is read. */
async function rootKind(root: string): Promise<'directory' | 'file' | 'special'> {
  try {
    const st = await stat(root);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'special';
  } catch {
    throw new SkScanError(`no such file or directory: ${root}`);
  }
}

/** Where `.sk-scan.yaml` is looked for: the root when there is one directory root, else the current directory. */
export async function dirConfigRoot(roots: string[]): Promise<string> {
  const only = roots.length === 1 ? roots[0] : undefined;
  return only !== undefined && (await rootKind(only)) === 'directory' ? only : '.';
}

interface Dir {
  /** Absolute; names that are not UTF-8 stand as lone surrogates (names.ts). */
  abs: string;
  /** Relative to the root, with a trailing slash ('' for the root itself). */
  rel: string;
}

type Listed = { dir: Dir; entries: Dirent<Buffer>[] } | { dir: Dir; error: unknown };

/** A listing under way, which settles with itself and its result (so the one that won a race can be removed). */
type Listing = Promise<{ listing: Listing; listed: Listed }>;

class TreeWalk {
  private readonly rules: IgnoreRules | null;
  private readonly skipFile: string | null;
  private readonly todo: Dir[];
  private readonly running = new Set<Listing>();
  private files: SourceItem[] = [];

  constructor(
    private readonly root: string,
    private readonly prefix: string,
    private readonly opts: DirOptions,
    private readonly events: SourceEvents,
  ) {
    this.rules = opts.noIgnore ? null : new IgnoreRules(root, (message) => events.warn(message));
    this.skipFile = opts.skipFile === undefined ? null : resolve(opts.skipFile);
    this.todo = [{ abs: root, rel: '' }];
  }

  async *batches(): AsyncIterable<SourceItem[]> {
    while (this.todo.length > 0 || this.running.size > 0) {
      while (this.todo.length > 0 && this.running.size < LISTINGS_IN_FLIGHT) this.list(this.todo.shift() as Dir);
      // Only the listing that won the race leaves the set: others that settled meanwhile wait their turn.
      const { listing, listed } = await Promise.race(this.running);
      this.running.delete(listing);
      this.take(listed);
      while (this.files.length >= BATCH) yield this.files.splice(0, BATCH);
    }
    if (this.files.length > 0) yield this.files;
  }

  private list(dir: Dir): void {
    const listing: Listing = readdir(fsPath(dir.abs), { withFileTypes: true, encoding: 'buffer' }).then(
      (entries): { listing: Listing; listed: Listed } => ({ listing, listed: { dir, entries } }),
      (error: unknown): { listing: Listing; listed: Listed } => ({ listing, listed: { dir, error } }),
    );
    this.running.add(listing);
  }

  private take(listed: Listed): void {
    const { dir } = listed;
    if ('error' in listed) {
      // The root itself failing is fatal; a subdirectory is a counted warning.
      if (dir.rel === '') throw new SkScanError(`cannot read ${this.root}: ${describeIoError(listed.error)}`);
      this.events.skip('unreadable', dir.rel, describeIoError(listed.error));
      return;
    }
    const named = listed.entries.map((entry) => ({ entry, name: decodeName(entry.name) }));
    this.rules?.enter(dir.abs, named.some((n) => n.name === '.gitignore'));
    for (const { entry, name } of named) this.entry(dir, entry, name);
  }

  private entry(dir: Dir, entry: Dirent<Buffer>, name: string): void {
    if (name === '.git') return;
    const rel = dir.rel + name;
    const isDir = entry.isDirectory();
    if (this.opts.excluded?.matchesItself(rel, isDir)) return;
    if (this.rules?.ignores(dir.abs, name, isDir)) return;
    const abs = join(dir.abs, name);
    if (isDir) this.todo.push({ abs, rel: `${rel}/` });
    else if (entry.isSymbolicLink()) this.events.skip('symlink', rel);
    else if (!entry.isFile()) this.events.skip('unreadable', rel, 'not a regular file');
    else if (abs !== this.skipFile) this.files.push({ origin: { path: this.prefix + rel, commit: null }, file: abs });
  }
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
