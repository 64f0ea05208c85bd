/**
 * Reading `git diff -U0 --full-index` output (the staged change, a range's
 * commits): each changed file's new blob and the lines the change adds.
 */
import { isZeroId } from '../../gitexec/run.js';
import { decodeName } from '../../common/names.js';

export interface StagedFile {
  path: string;
  blob: string;
  /** Added line numbers; null means the whole file counts. */
  lines: number[] | null;
}

/**
 * The files of a `git diff -U0 --full-index` and the lines each adds. Hunk
 * bodies are walked by the counts in their headers, so an added line that
 * looks like a header (`+++ x`, `diff --git …`) is still an added line, and
 * context lines (should git print any) are not counted as added.
 */
export function parseStagedDiff(diff: string): StagedFile[] {
  return parseDiff(diff).filter((f) => f.lines === null || f.lines.length > 0);
}

/** Every file of a diff with the lines it adds, those that add none (only delete) included. */
export function parseDiff(diff: string): StagedFile[] {
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
      file = m && m[2] !== '160000' && !isZeroId(m[1] ?? '') ? { path: '', blob: m[1] ?? '', lines: [] } : null;
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
  return out;
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
