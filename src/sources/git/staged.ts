/**
 * `sk-scan staged`: what the next commit will hold, read from the index, never
 * from the working tree. This is the pre-commit hook's path, so it costs two
 * git processes and loads nothing it does not need. It runs in git's hook
 * environment: a partial commit (`git commit FILE`) is staged in a temporary
 * index that git names in GIT_INDEX_FILE, and that index is the one judged.
 *
 * Without files: `git diff --cached -U0 --full-index --text` gives each changed
 * file's staged blob and the line numbers its hunks add; the whole staged blob
 * is scanned (so patterns see whole lines) and only matches on added lines
 * count. `--text`, because a `.gitattributes` line such as `*.env -diff` would
 * otherwise turn a file's diff into "Binary files differ"; binary content is
 * still judged (and skipped) by its bytes when read.
 * With files (as the pre-commit framework passes them): each file's staged
 * content is scanned whole.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SkScanError } from '../../common/errors.js';
import { GitError, firstLine, type Git } from '../../gitexec/run.js';
import { pushTo } from '../../common/group.js';
import type { Source, SourceEvents, SourceItem } from '../types.js';
import { parseStagedDiff, type StagedFile } from './diff.js';
import { discover, fromEnvironment } from './location.js';
import { readObjects } from './objects.js';
import { seal, type Sealed } from './sealed.js';

/**
 * Where a staged scan's settings are: the working tree's top (git runs its
 * hooks there), so that `sk-scan staged --update-baseline` typed in a
 * subfolder writes the baseline the hook reads. The current folder outside a
 * repository (the scan then fails on its own).
 */
export function stagedRoot(): string {
  try {
    const loc = process.env['GIT_DIR'] ? fromEnvironment('.') : discover('.');
    return loc.worktree ?? '.';
  } catch {
    return '.';
  }
}

/**
 * Whether the hook judges an index other than the repository's own: `git
 * commit FILE` stages FILE in a temporary index, `git commit -a` and `-p`
 * in the lock of the index they are building. What the user accepts after
 * such a commit was blocked must first be staged where `sk-scan staged` reads.
 */
export function partialCommit(env: NodeJS.ProcessEnv = process.env): boolean {
  const named = env['GIT_INDEX_FILE'];
  if (!named) return false;
  try {
    const loc = fromEnvironment('.', env);
    return join(realpathSync(dirname(loc.index)), basename(loc.index)) !== join(loc.gitDir, 'index');
  } catch {
    return false;
  }
}

/**
 * The repository of the current folder, as git's environment for the hook
 * names it, sealed (sealed.ts): the index and HEAD are read, nothing the
 * repository configures is obeyed. The working tree is given to git only so
 * that `:./path` names a file relative to the current folder.
 */
export function stagedSource(files: string[]): Source {
  let sealed: Sealed | null = null;
  return {
    kind: 'staged',
    root: '.',
    async *items(events) {
      sealed = seal(fromEnvironment('.'), { headOnly: true, worktree: { cwd: process.cwd() } });
      for (const note of sealed.notes) events.warn(note);
      const git = sealed.git;
      yield* read(git, files.length > 0 ? await namedFiles(git, files) : await changedFiles(git), events);
    },
    close() {
      sealed?.close();
      return Promise.resolve();
    },
  };
}

const DIFF = ['diff', '--cached', '-U0', '--full-index', '--text', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'];

async function changedFiles(git: Git): Promise<StagedFile[]> {
  let diff: string;
  try {
    diff = await git.text(DIFF);
  } catch (err) {
    throw failed(err);
  }
  return parseStagedDiff(diff);
}

async function namedFiles(git: Git, files: string[]): Promise<StagedFile[]> {
  // `:./path` names the index entry of a path relative to the current directory.
  const names = files.map((f) => `:./${f.replace(/^\.\//, '')}`);
  let listing: string;
  try {
    listing = await git.text(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: names.join('\n') + '\n' });
  } catch (err) {
    throw failed(err);
  }
  return listing
    .split('\n')
    .slice(0, files.length)
    .map((line, i) => {
      const [oid = '', type] = line.split(' ');
      // A backslash is a path separator on Windows only; elsewhere it is part of the name.
      const given = files[i] ?? '';
      const path = (process.platform === 'win32' ? given.replace(/\\/g, '/') : given).replace(/^\.\//, '');
      // Not in the index: reported when read.
      return { path, blob: type === 'blob' ? oid : '', lines: null };
    });
}

async function* read(git: Git, files: StagedFile[], events: SourceEvents): AsyncIterable<SourceItem[]> {
  const byBlob = new Map<string, StagedFile[]>();
  for (const f of files) {
    if (f.blob === '') events.skip('unreadable', f.path, 'not in the index (not staged)');
    else pushTo(byBlob, f.blob, f);
  }
  if (byBlob.size === 0) return;
  const onProblem = (p: { oid: string; message: string }) => events.skip('unreadable', byBlob.get(p.oid)?.[0]?.path ?? p.oid, p.message);
  for await (const batch of readObjects(git, [[...byBlob.keys()].map((oid) => ({ oid, size: 0 }))], onProblem)) {
    yield batch.flatMap((obj) =>
      (byBlob.get(obj.oid) ?? []).map((f) => ({ origin: { path: f.path, commit: null, ...(f.lines ? { onlyLines: f.lines } : {}) }, bytes: obj.bytes })),
    );
  }
}

function failed(err: unknown): Error {
  if (!(err instanceof GitError)) return err as Error;
  if (err.notARepository) return new SkScanError('not a git repository (sk-scan staged runs inside one)');
  const missing = /unable to read ([0-9a-f]{40,64})/.exec(err.stderr)?.[1];
  if (missing) return new SkScanError(`the staged change cannot be read: object ${missing} is missing from the object store (nothing is fetched; git fsck says more)`);
  return new SkScanError(`git failed: ${firstLine(err.stderr)}`);
}
