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
import { SkScanError } from '../../errors.js';
import { Git, GitError, firstLine } from '../../git/run.js';
import { pushTo } from '../../group.js';
import { decodeName } from '../names.js';
import type { Source, SourceEvents, SourceItem } from '../types.js';
import { readObjects } from './objects.js';

export interface StagedFile {
  path: string;
  blob: string;
  /** Added line numbers; null means the whole file counts. */
  lines: number[] | null;
}

export function stagedSource(files: string[]): Source {
  const git = Git.fromEnvironment();
  return {
    kind: 'staged',
    root: '.',
    async *items(events) {
      yield* read(git, files.length > 0 ? await namedFiles(git, files) : await changedFiles(git), events);
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

/**
 * The files of a `git diff -U0 --full-index` and the lines each adds. Hunk
 * bodies are walked by the counts in their headers, so an added line that
 * looks like a header (`+++ x`, `diff --git …`) is still an added line, and
 * context lines (should git print any) are not counted as added.
 */
export function parseStagedDiff(diff: string): StagedFile[] {
  const out: StagedFile[] = [];
  let file: StagedFile | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let line = 0;
  for (const text of diff.split('\n')) {
    if (oldLeft > 0 || newLeft > 0) {
      const mark = text[0];
      if (mark === '\\') continue; // "\ No newline at end of file"
      if (mark === '+') file?.lines?.push(line);
      if (mark !== '-') {
        line++;
        newLeft--;
      }
      if (mark !== '+') oldLeft--;
      continue;
    }
    if (text.startsWith('diff --git ')) {
      file = null;
    } else if (text.startsWith('index ')) {
      // "index <old>..<new> <mode>"; a submodule (160000) holds no blob to read, and 0… is a deletion.
      const m = /^index [0-9a-f]+\.\.([0-9a-f]+)(?: (\d+))?$/.exec(text);
      file = m && m[2] !== '160000' && !/^0+$/.test(m[1] ?? '') ? { path: '', blob: m[1] ?? '', lines: [] } : null;
    } else if (file && file.path === '' && text.startsWith('+++ ')) {
      // git ends a name that holds a space with a tab, to mark where it ends.
      const name = unquote(text.slice(4).replace(/\t$/, ''));
      if (name === '/dev/null') file = null;
      else out.push(Object.assign(file, { path: name.replace(/^b\//, '') }));
    } else if (text.startsWith('@@ ')) {
      const m = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text);
      oldLeft = m?.[1] === undefined ? 1 : Number(m[1]);
      line = Number(m?.[2] ?? 0);
      newLeft = m?.[3] === undefined ? 1 : Number(m[3]);
    }
  }
  return out.filter((f) => f.lines === null || f.lines.length > 0);
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
  return new SkScanError(`git failed: ${firstLine(err.stderr)}`);
}

/** git's C-style quoting of unusual paths: `"a\\tb"`, `"caf\\303\\251"`; bytes that are not UTF-8 stay bytes (names.ts). */
export function unquote(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"')) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return decodeName(Buffer.from(bytes));
}
