/** The parsers of git's output: the staged diff, quoted paths, and the `git log --raw` walk. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Git } from '../../src/gitexec/run.js';
import { LogFormat, LogParser, parseFor, type Introduced } from '../../src/sources/git/log.js';
import { parseStagedDiff, unquote } from '../../src/sources/git/diff.js';
import { makeRepo } from '../helpers/git.js';
import { rng } from '../helpers/keys.js';

const BLOB_A = 'a'.repeat(40);
const BLOB_B = 'b'.repeat(40);

describe('parseStagedDiff', () => {
  it('lists each file with its staged blob and the lines its hunks add', () => {
    const diff = [
      'diff --git a/app.env b/app.env',
      `index ${'1'.repeat(40)}..${BLOB_A} 100644`,
      '--- a/app.env',
      '+++ b/app.env',
      '@@ -2,0 +3,2 @@',
      '+K=1',
      '+L=2',
      '@@ -10 +12 @@',
      '-old',
      '+new',
      'diff --git a/new.txt b/new.txt',
      'new file mode 100644',
      `index ${'0'.repeat(40)}..${BLOB_B}`,
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1 @@',
      '+hello',
      '',
    ].join('\n');
    expect(parseStagedDiff(diff)).toEqual([
      { path: 'app.env', blob: BLOB_A, lines: [3, 4, 12] },
      { path: 'new.txt', blob: BLOB_B, lines: [1] },
    ]);
  });

  it('reads an added line that looks like a header as an added line', () => {
    const diff = [
      'diff --git a/notes.md b/notes.md',
      `index ${'1'.repeat(40)}..${BLOB_A} 100644`,
      '--- a/notes.md',
      '+++ b/notes.md',
      '@@ -1,0 +2,3 @@',
      '+++ b/other.env',
      '+diff --git a/x b/x',
      `+index ${'2'.repeat(40)}..${BLOB_B} 100644`,
      '',
    ].join('\n');
    expect(parseStagedDiff(diff)).toEqual([{ path: 'notes.md', blob: BLOB_A, lines: [2, 3, 4] }]);
  });

  it('counts context lines (should git print any) without calling them added, and ignores "no newline" markers', () => {
    const diff = [
      'diff --git a/a.txt b/a.txt',
      `index ${'1'.repeat(40)}..${BLOB_A} 100644`,
      '--- a/a.txt',
      '+++ b/a.txt',
      '@@ -4,4 +4,5 @@',
      ' same',
      '-gone',
      '+added',
      ' same too',
      '', // a blank context line, as diff.suppressBlankEmpty prints it
      '+last',
      '\\ No newline at end of file',
      '',
    ].join('\n');
    expect(parseStagedDiff(diff)).toEqual([{ path: 'a.txt', blob: BLOB_A, lines: [5, 8] }]);
  });

  it('skips deletions and submodules, and unquotes paths', () => {
    const diff = [
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      `index ${BLOB_A}..${'0'.repeat(40)}`,
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/vendor/sub b/vendor/sub',
      `index ${BLOB_A}..${BLOB_B} 160000`,
      '--- a/vendor/sub',
      '+++ b/vendor/sub',
      '@@ -1 +1 @@',
      `-Subproject commit ${BLOB_A}`,
      `+Subproject commit ${BLOB_B}`,
      'diff --git "a/caf\\303\\251 \\"x\\".env" "b/caf\\303\\251 \\"x\\".env"',
      `index ${'1'.repeat(40)}..${BLOB_A} 100644`,
      '--- "a/caf\\303\\251 \\"x\\".env"',
      '+++ "b/caf\\303\\251 \\"x\\".env"',
      '@@ -0,0 +1 @@',
      '+K=1',
      '',
    ].join('\n');
    expect(parseStagedDiff(diff)).toEqual([{ path: 'café "x".env', blob: BLOB_A, lines: [1] }]);
  });
});

describe('unquote', () => {
  it("decodes git's C-style quoting, octal UTF-8 bytes included", () => {
    expect(unquote('plain.txt')).toBe('plain.txt');
    expect(unquote('"a\\tb"')).toBe('a\tb');
    expect(unquote('"line\\nbreak"')).toBe('line\nbreak');
    expect(unquote('"q\\"uote"')).toBe('q"uote');
    expect(unquote('"back\\\\slash"')).toBe('back\\slash');
    expect(unquote('"caf\\303\\251"')).toBe('café');
    expect(unquote('"\\346\\227\\245\\346\\234\\254.env"')).toBe('日本.env');
  });
});

describe('the git log --raw walk', () => {
  /** A small real history: a root, a rename, a deletion, and a merge whose conflict resolution adds a line. */
  function history() {
    const repo = makeRepo();
    repo.commit('root', { 'a.txt': 'one\n', 'b.txt': 'bee\n' });
    repo.git('mv', 'a.txt', 'renamed.txt');
    repo.commit('rename');
    repo.remove('b.txt');
    repo.commit('delete b');
    repo.git('checkout', '-q', '-b', 'side');
    repo.commit('side', { 'm.txt': 'side\n' });
    repo.git('checkout', '-q', 'main');
    repo.commit('main', { 'm.txt': 'main\n' });
    repo.tryGit('merge', '-q', 'side');
    repo.write({ 'm.txt': 'resolved\n' });
    repo.git('add', 'm.txt');
    repo.git('commit', '-q', '--no-edit');
    const format = new LogFormat();
    const out = execFileSync('git', Git.at(repo.dir).argv(format.args, ['HEAD']), { cwd: repo.dir });
    const blob = (spec: string) => repo.git('rev-parse', spec).trim();
    return { repo, out, blob, format };
  }

  const entries = (list: Introduced[]) => list.map((e) => `${e.path} ${e.blob.slice(0, 7)} ${e.commit.commit.slice(0, 7)}`).sort();

  it('lists what each commit introduced, the merge only for its resolution, never a deletion', () => {
    const { repo, out, blob, format } = history();
    const found: Introduced[] = [];
    const parser = new LogParser(format, (e) => found.push(e));
    parser.push(out);
    parser.end();
    const merge = repo.git('rev-parse', 'HEAD').trim();
    const at = (path: string) => found.filter((e) => e.path === path);
    expect(at('renamed.txt').map((e) => e.blob)).toEqual([blob('HEAD:renamed.txt')]);
    expect(at('b.txt')).toHaveLength(1); // added by the root; its deletion is not an introduction
    const resolved = at('m.txt').find((e) => e.blob === blob('HEAD:m.txt'));
    expect(resolved?.commit.commit).toBe(merge);
    expect(resolved?.commit.parents).toHaveLength(2);
    expect(resolved?.commit.author).toBe('Dev One <dev@example.test>');
  });

  it('gives the same entries however the output is cut into chunks, even inside a UTF-8 character', () => {
    const { out, format } = history();
    const whole: Introduced[] = [];
    const parser = new LogParser(format, (e) => whole.push(e));
    parser.push(out);
    parser.end();
    const next = rng(42);
    // Each chunk is lent in one buffer that the next overwrites, as git's output is read.
    const lent = Buffer.alloc(40);
    for (let round = 0; round < 20; round++) {
      const got: Introduced[] = [];
      const cut = new LogParser(format, (e) => got.push(e));
      for (let at = 0; at < out.length; ) {
        const n = Math.min(1 + Math.floor(next() * 40), out.length - at);
        out.copy(lent, 0, at, at + n);
        cut.push(lent.subarray(0, n));
        lent.fill(0x3f);
        at += n;
      }
      cut.end();
      expect(entries(got)).toEqual(entries(whole));
    }
  });

  it('finds the records for a few blobs by search, and for many by a whole parse, with the same answers', async () => {
    const { out, format } = history();
    const all: Introduced[] = [];
    const parser = new LogParser(format, (e) => all.push(e));
    parser.push(out);
    parser.end();
    async function* chunks(size: number) {
      const lent = Buffer.alloc(size);
      for (let at = 0; at < out.length; at += size) {
        const n = out.copy(lent, 0, at, at + size);
        yield await Promise.resolve(lent.subarray(0, n));
        lent.fill(0x3f);
      }
    }
    const few = new Set(all.slice(0, 2).map((e) => e.blob));
    const searched: Introduced[] = [];
    await parseFor(format, chunks(17), few, (e) => searched.push(e));
    expect(entries(searched)).toEqual(entries(all.filter((e) => few.has(e.blob))));
    // Over 64 blobs the walk is parsed whole: pad the set with ids that are nowhere.
    const many = new Set([...few, ...Array.from({ length: 70 }, (_, i) => i.toString(16).padStart(40, '0'))]);
    const parsed: Introduced[] = [];
    await parseFor(format, chunks(17), many, (e) => parsed.push(e));
    expect(entries(parsed)).toEqual(entries(searched));
  });
});
