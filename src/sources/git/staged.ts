/**
 * `sk-scan staged`: what the next commit will hold, read from the index, never
 * from the working tree. This is the pre-commit hook's path, so it costs two
 * git processes and loads nothing it does not need.
 *
 * Without files: `git diff --cached -U0 --full-index` gives each changed file's
 * staged blob and the line numbers its hunks add; the whole staged blob is
 * scanned (so patterns see whole lines) and only matches on added lines count.
 * With files (as the pre-commit framework passes them): each file's staged
 * content is scanned whole.
 */
import { SkScanError } from '../../errors.js';
import type { Source, SourceEvents, SourceItem } from '../types.js';
import { readObjects } from './catfile.js';
import { GitError, firstLine, git } from './exec.js';
import { pushTo } from '../../group.js';

interface StagedFile {
  path: string;
  blob: string;
  /** Added line numbers; null means the whole file counts. */
  lines: number[] | null;
}

export function stagedSource(files: string[]): Source {
  return {
    kind: 'staged',
    root: '.',
    async *items(events) {
      yield* read(files.length > 0 ? await namedFiles(files) : await changedFiles(events), events);
    },
  };
}

async function changedFiles(events: SourceEvents): Promise<StagedFile[]> {
  let diff: string;
  try {
    diff = (
      await git('.', ['-c', 'core.quotePath=false', 'diff', '--cached', '-U0', '--full-index', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'])
    ).toString('utf8');
  } catch (err) {
    throw notARepo(err);
  }
  return parseStagedDiff(diff, events);
}

/** The files of a `git diff -U0 --full-index` and the lines each adds. */
export function parseStagedDiff(diff: string, events?: SourceEvents): StagedFile[] {
  const out: StagedFile[] = [];
  let file: StagedFile | null = null;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = null;
    } else if (line.startsWith('index ')) {
      // "index <old>..<new> <mode>"; a submodule (160000) holds no blob to read.
      const m = /^index [0-9a-f]+\.\.([0-9a-f]+)(?: (\d+))?$/.exec(line);
      if (m && m[2] !== '160000' && !/^0+$/.test(m[1] ?? '')) file = { path: '', blob: m[1] ?? '', lines: [] };
    } else if (file && line.startsWith('+++ ')) {
      // git ends a name that holds a space with a tab, to mark where it ends.
      const name = unquote(line.slice(4).replace(/\t$/, ''));
      if (name === '/dev/null') file = null;
      else {
        file.path = name.replace(/^b\//, '');
        out.push(file);
      }
    } else if (file && line.startsWith('@@ ')) {
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
      const start = Number(m?.[1]);
      const count = m?.[2] === undefined ? 1 : Number(m[2]);
      for (let i = 0; i < count; i++) file.lines?.push(start + i);
    } else if (file && line.startsWith('Binary files ')) {
      events?.skip('binary', file.path || line);
      file = null;
    }
  }
  return out.filter((f) => f.lines === null || f.lines.length > 0);
}

async function namedFiles(files: string[]): Promise<StagedFile[]> {
  // `:./path` names the index entry of a path relative to the current directory.
  const names = files.map((f) => `:./${f.replace(/^\.\//, '')}`);
  let listing: string;
  try {
    listing = (await git('.', ['cat-file', '--batch-check=%(objectname) %(objecttype)'], names.join('\n') + '\n')).toString('utf8');
  } catch (err) {
    throw notARepo(err);
  }
  const out: StagedFile[] = [];
  listing
    .split('\n')
    .slice(0, files.length)
    .forEach((line, i) => {
      const [oid = '', type] = line.split(' ');
      const path = (files[i] ?? '').replace(/\\/g, '/').replace(/^\.\//, '');
      if (type === 'blob') out.push({ path, blob: oid, lines: null });
      else out.push({ path, blob: '', lines: null }); // not in the index: reported when read
    });
  return out;
}

async function* read(files: StagedFile[], events: SourceEvents): AsyncIterable<SourceItem[]> {
  const byBlob = new Map<string, StagedFile[]>();
  for (const f of files) {
    if (f.blob === '') {
      events.skip('unreadable', f.path, 'not in the index (not staged)');
      continue;
    }
    pushTo(byBlob, f.blob, f);
  }
  if (byBlob.size === 0) return;
  const onProblem = (p: { oid: string; message: string }) => events.skip('unreadable', byBlob.get(p.oid)?.[0]?.path ?? p.oid, p.message);
  for await (const batch of readObjects('.', [[...byBlob.keys()].map((oid) => ({ oid, size: 0 }))], onProblem)) {
    yield batch.flatMap((obj) =>
      (byBlob.get(obj.oid) ?? []).map((f) => ({ origin: { path: f.path, commit: null, ...(f.lines ? { onlyLines: f.lines } : {}) }, bytes: obj.bytes, transient: true })),
    );
  }
}

function notARepo(err: unknown): Error {
  // Outside a repository `git diff` falls back to `--no-index` and rejects --cached.
  if (err instanceof GitError && /not a git repository|diff --no-index/i.test(err.stderr)) return new SkScanError('not a git repository (sk-scan staged runs inside one)');
  if (err instanceof GitError) return new SkScanError(`git failed: ${firstLine(err.stderr)}`);
  return err as Error;
}

/** git's C-style quoting of unusual paths: `"a\\tb"`, `"caf\\303\\251"`. */
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
  return Buffer.from(bytes).toString('utf8');
}
