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
import { stat } from 'node:fs/promises';
import { readdirSync, type Dirent } from 'node:fs';
import { resolve, sep } from 'node:path';
import { SkScanError, describeIoError } from '../common/errors.js';
import { IgnoreRules } from './gitignore.js';
import { shellQuote } from '../common/text.js';
import { decodeName, fsPath } from '../common/names.js';
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
        if (kind === 'directory') yield* new TreeWalk(resolve(root), prefix, opts, events, toPosix(root)).batches();
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

/**
 * A folder's entries, and their names as strings that round-trip to their
 * bytes (names.ts): the entries' own names, or, for a folder listed again as
 * bytes, decoded ones (`names`).
 */
type Listed = { dir: Dir; entries: (Dirent<string> | Dirent<Buffer>)[]; names: string[] | null } | { dir: Dir; error: unknown };

class TreeWalk {
  private readonly rules: IgnoreRules | null;
  private readonly skipFile: string | null;
  private readonly todo: Dir[];
  private files: SourceItem[] = [];

  constructor(
    private readonly root: string,
    private readonly prefix: string,
    private readonly opts: DirOptions,
    private readonly events: SourceEvents,
    /** The root as the user gave it, for messages. */
    private readonly given: string,
  ) {
    this.rules = opts.noIgnore ? null : new IgnoreRules(root, (message) => events.warn(message));
    this.skipFile = opts.skipFile === undefined ? null : resolve(opts.skipFile);
    this.todo = [{ abs: root, rel: '' }];
  }

  *batches(): Iterable<SourceItem[]> {
    // A folder the user named that .gitignore ignores is read no more than it would be found by a walk from the
    // top: said so, and counted as not read, so that it can never read as a clean result.
    if (this.rules?.ignoresRoot()) {
      this.events.skip('unreadable', this.given, `it is ignored by .gitignore, so nothing in it was read (sk-scan dir --no-ignore ${shellQuote(this.given)} reads it)`);
      return;
    }
    // Folders are listed synchronously, one at a time: a listing takes microseconds, where an
    // asynchronous one costs a trip through the thread pool and a promise (docs/speed.md, “Design measurements”).
    // Files are handed on in batches as they are found.
    while (this.todo.length > 0) {
      this.take(list(this.todo.shift() as Dir));
      while (this.files.length >= BATCH) yield this.files.splice(0, BATCH);
    }
    if (this.files.length > 0) yield this.files;
  }

  private take(listed: Listed): void {
    const { dir } = listed;
    if ('error' in listed) {
      // The root itself failing is fatal; a subdirectory is a counted warning.
      if (dir.rel === '') throw new SkScanError(`cannot read ${this.root}: ${describeIoError(listed.error)}`);
      this.events.skip('unreadable', dir.rel, describeIoError(listed.error));
      return;
    }
    const { entries } = listed;
    const names = listed.names ?? (entries as Dirent<string>[]).map((e) => e.name);
    this.rules?.enter(dir.abs, names.includes('.gitignore'));
    entries.forEach((entry, i) => this.entry(dir, entry, names[i] as string));
  }

  private entry(dir: Dir, entry: Dirent<string> | Dirent<Buffer>, name: string): void {
    if (name === '.git') return;
    const rel = dir.rel + name;
    const isDir = entry.isDirectory();
    if (this.opts.excluded?.matchesItself(rel, isDir)) return this.events.pruned('exclude', isDir ? `${rel}/` : rel);
    if (this.rules?.ignores(dir.abs, name, isDir)) return this.events.pruned('gitignore', isDir ? `${rel}/` : rel);
    // A listed name holds no separator, and dir.abs is already normal: no need for path.join's normalizing.
    const abs = dir.abs.endsWith(sep) ? dir.abs + name : dir.abs + sep + name;
    if (isDir) this.todo.push({ abs, rel: `${rel}/` });
    else if (entry.isSymbolicLink()) this.events.skip('symlink', rel);
    else if (!entry.isFile()) this.events.skip('unreadable', rel, 'not a regular file');
    else if (abs !== this.skipFile) this.files.push({ origin: { path: this.prefix + rel, commit: null }, file: abs });
  }
}

/**
 * A folder's entries, or why it could not be listed. Names are read as
 * UTF-8 strings, which is cheap; a folder where one did not decode (U+FFFD
 * stands in for its bytes) is read again as bytes, so that each name
 * round-trips (names.ts).
 */
function list(dir: Dir): Listed {
  try {
    const path = fsPath(dir.abs);
    const entries = readdirSync(path, { withFileTypes: true });
    if (!entries.some((e) => e.name.includes('\ufffd'))) return { dir, entries, names: null };
    const raw = readdirSync(path, { withFileTypes: true, encoding: 'buffer' });
    return { dir, entries: raw, names: raw.map((entry) => decodeName(entry.name)) };
  } catch (error) {
    return { dir, error };
  }
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
