/** `sk-scan dir`: what the walk reads, what it skips, and that it says so. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDir, type Report } from '../../src/index.js';
import { zip } from '../helpers/archives.js';
import { fakeKey } from '../helpers/keys.js';
import { WITHOUT_ROOT_OVERRIDE, runCli, tempDir, writeTree } from '../helpers/run.js';

const paths = (r: Report) => r.findings.map((f) => f.path).sort();
const key = (n: number) => `KEY=${fakeKey('live')}\n# ${n}\n`;

function gitInit(dir: string): void {
  execFileSync('git', ['init', '-q', dir]);
}

describe('.gitignore semantics', () => {
  function tree(): string {
    const dir = tempDir();
    gitInit(dir);
    writeTree(dir, {
      '.gitignore': 'node_modules/\n*.log\n/build\n!keep.log\nsecrets/*\n!secrets/tracked.env\n',
      'app.env': key(1),
      'debug.log': key(2),
      'keep.log': key(3),
      'build/out.env': key(4),
      'src/build/generated.env': key(5), // /build is anchored to the root
      'node_modules/pkg/index.env': key(6),
      'secrets/local.env': key(7),
      'secrets/tracked.env': key(8),
      'pkg/.gitignore': '*.env\n!public.env\n',
      'pkg/private.env': key(9),
      'pkg/public.env': key(10),
      'pkg/deeper/x.env': key(11),
      'excluded-by-info.env': key(12),
    });
    writeFileSync(join(dir, '.git', 'info', 'exclude'), 'excluded-by-info.env\n');
    return dir;
  }

  it('reads what git does not ignore, file for file, under large rules files of names, patterns and negations (git ls-files --others)', async () => {
    const dir = tempDir();
    gitInit(dir);
    const files: Record<string, string | Buffer> = {};
    const names = ['git-add', 'git-commit', 'build', 'out', 'notes.txt', 'keep.log', 'x.o', 'lib.a', 'a b', 'README'];
    // Many rules of one name each (as git/git's .gitignore), anchored or not, folders only, patterns, negations.
    const rules = [
      ...names.slice(0, 2).map((n) => `/${n}`),
      'build/',
      'out',
      '*.o',
      '*.[ao]',
      '!keep.log',
      '*.log',
      '!keep.log',
      'docs/**/generated',
      'nested/deep/notes.txt',
      'trailing.txt   ',
      '\\#hash.txt',
      '# a comment',
      '',
      '!lib.a',
      // A folder a pattern ignores and a negation names again: what is in it is read.
      '*.d',
      '!keep.d',
      // Patterns of one segment, with characters a regular expression would take for its own.
      'note?.txt',
      'a+b.*',
      'RE*ME',
      'deep/x*',
      // Tails, plain bracket sets and ranges, and brackets left to the library whole.
      '*.py[co]',
      '*.[0-9]',
      '*+',
      'x[!a]y',
      '[]z]q',
      'v[ab',
      // Rules of a whole path from the file's folder, whose last segment alone would match much.
      '/gen-*/?*',
      'docs/*/gen*.md',
      '/more/m?/[ab]*',
    ];
    files['.gitignore'] = `\ufeff${rules.join('\r\n')}\n`;
    files['sub/.gitignore'] = 'README\n!out\n/notes.txt\n';
    for (const top of ['', 'sub/', 'nested/deep/', 'docs/a/b/']) {
      for (const n of [...names, 'trailing.txt', '#hash.txt', 'debug.log', 'generated']) files[`${top}${n}/f.env`] = key(0);
      for (const n of [...names, 'trailing.txt', '#hash.txt', 'debug.log', 'generated']) files[`${top}${n}.env`] = key(0);
      for (const n of ['notes.txt', 'x.o', 'lib.a', 'keep.log', 'debug.log', 'README', 'trailing.txt', '#hash.txt', 'git-add', 'out']) files[`${top}leaf/${n}`] = key(0);
    }
    files['keep.d/inside.env'] = key(0);
    files['drop.d/inside.env'] = key(0);
    for (const n of ['a+b.txt', 'aab.txt', 'README.md', 'READ.ME', 'deep/x1', 'deep/y1', 'nested/deep/x2', 'notes.txt', 'note.txt']) files[`more/${n}`] = key(0);
    for (const n of ['gen-a/x', 'gen-a/y/z', 'gen-/x', 'gen-b/c/d/e', 'docs/a/gen1.md', 'docs/a/b/gen2.md', 'docs/gen3.md', 'more/mq/a1', 'more/mq/c1', 'more/mqq/a1', 'more/mq/x/b2']) files[n] = key(0);
    for (const n of ['m.pyc', 'm.pyx', 'm.py', 'f.1', 'f.x', 'c++', 'c+d', 'xby', 'xay', ']q', 'zq', 'vab', 'v[ab', 'o']) files[`more/${n}`] = key(0);
    for (const n of ['a+b.txt', 'deep/x1', 'deep/y1']) files[n] = key(0);
    writeTree(dir, files);
    const expected = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '-z'], { cwd: dir })
      .toString()
      .split('\0')
      .filter((f) => f !== '' && !f.endsWith('.gitignore'))
      .sort();
    const r = await scanDir([dir], { threads: 1 });
    expect(paths(r)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(40);
  });

  it('a .gitignore built to stall pattern matching (runs after runs) is matched all the same, and the walk ends', async () => {
    // git itself takes minutes over these (its wildmatch backtracks), so the answer is written out here.
    const dir = tempDir();
    gitInit(dir);
    const a = 'a'.repeat(60);
    const names = [a, `${a}b`, `deep/${a}`, `deep/${a}c`, `more/deep/${a}c`, `deep/x${a}c`];
    writeTree(dir, { '.gitignore': `*${'a*'.repeat(16)}b\n/deep/${'a*'.repeat(16)}c\n`, ...Object.fromEntries(names.map((n) => [n, key(0)])) });
    const r = await scanDir([dir], { threads: 1 });
    expect(paths(r)).toEqual([a, `deep/${a}`, `deep/x${a}c`, `more/deep/${a}c`]);
  });

  it('honours root and nested .gitignore files, negation, anchoring and .git/info/exclude', async () => {
    const r = await scanDir([tree()], { threads: 1 });
    expect(paths(r)).toEqual(['app.env', 'keep.log', 'pkg/public.env', 'secrets/tracked.env', 'src/build/generated.env']);
  });

  it('--no-ignore scans ignored files too, but never .git/', async () => {
    const dir = tree();
    writeFileSync(join(dir, '.git', 'leaked.env'), key(13));
    const r = await scanDir([dir], { threads: 1, noIgnore: true });
    expect(r.findings).toHaveLength(12);
    expect(paths(r).some((p) => p?.startsWith('.git/'))).toBe(false);
  });

  it('applies the repository root .gitignore when scanning a subfolder', async () => {
    const dir = tree();
    const r = await scanDir([join(dir, 'pkg')], { threads: 1 });
    expect(paths(r)).toEqual(['public.env']);
  });

  it('honours .gitignore outside a git repository too', async () => {
    const dir = writeTree(tempDir(), { '.gitignore': 'ignored/\n', 'ignored/a.env': key(1), 'b.env': key(2) });
    expect(paths(await scanDir([dir], { threads: 1 }))).toEqual(['b.env']);
  });

  it('a .gitignore of comments and blank lines ignores nothing; an escaped \\# line is a pattern', async () => {
    const dir = writeTree(tempDir(), {
      '.gitignore': '# build output\n\n   \n#*.env\r\n',
      'a.env': key(1),
      'sub/.gitignore': '\\#notes.env\n',
      'sub/#notes.env': key(2),
      'sub/b.env': key(3),
    });
    expect(paths(await scanDir([dir], { threads: 1 }))).toEqual(['a.env', 'sub/b.env']);
  });
});

describe('links, binaries, unreadable files', () => {
  it('does not follow symbolic links out of the tree or into loops, and counts them', async () => {
    const outside = writeTree(tempDir(), { 'secret.env': key(1) });
    const dir = writeTree(tempDir(), { 'real/a.env': key(2) });
    symlinkSync(outside, join(dir, 'out'));
    symlinkSync(join(dir, 'real'), join(dir, 'real', 'loop'));
    symlinkSync(join(dir, 'real', 'a.env'), join(dir, 'alias.env'));
    const r = await scanDir([dir], { threads: 1 });
    expect(paths(r)).toEqual(['real/a.env']);
    expect(r.stats.skipped.symlink).toBe(3);
  });

  it('counts binary files (NUL in the first 8 KiB), and still finds a key in their printable text', async () => {
    const k = fakeKey('live');
    const dir = writeTree(tempDir(), {
      'image.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), Buffer.from(k)]),
      'late-nul.txt': Buffer.concat([Buffer.from(`${k}\n`), Buffer.alloc(9000, 0x20), Buffer.from([0])]),
    });
    const r = await scanDir([dir], { threads: 1 });
    expect(r.stats.skipped.binary).toBe(1);
    expect(paths(r)).toEqual(['image.png', 'late-nul.txt']);
    expect(r.findings.map((f) => f.secret.encoding)).toEqual(['binary', undefined]);
    const cli = runCli(['dir', dir]);
    expect(cli.stderr).toMatch(/warning: searched 1 binary file for keys only, not as text/);
    expect(cli.stdout).toMatch(/image\.png:1:7 \(in binary\)/);
    // A binary file over 1 MiB (a native module, an executable) is counted and named, not searched.
    writeTree(dir, { 'big.so': Buffer.concat([Buffer.alloc(2 * 1024 * 1024), Buffer.from(k)]) });
    const big = runCli(['dir', dir, '--format', 'json']);
    expect(JSON.parse(big.stdout).stats.skipped.binary).toBe(2);
    expect(big.stderr).toMatch(/warning: skipped 1 binary file over 1\.0 MiB \(not searched for keys\): big\.so/);
  });

  it('warns about an unreadable file and goes on', () => {
    const dir = writeTree(tempDir(), { 'locked.env': key(1), 'open.env': key(2), 'sub/deep.env': key(3) });
    chmodSync(join(dir, 'locked.env'), 0o000);
    mkdirSync(join(dir, 'closed'));
    writeFileSync(join(dir, 'closed', 'x.env'), key(4));
    chmodSync(join(dir, 'closed'), 0o000);
    const r = runCli(['dir', dir, '--format', 'json'], { wrap: WITHOUT_ROOT_OVERRIDE });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { path: string }) => f.path).sort()).toEqual(['open.env', 'sub/deep.env']);
    expect(report.stats.skipped.unreadable).toBe(2);
    expect(r.stderr).toMatch(/warning: cannot read locked\.env: permission denied$/m);
    expect(r.stderr).toMatch(/warning: cannot read closed\/: permission denied$/m);
  });

  it('counts a FIFO instead of blocking on it', async () => {
    const dir = writeTree(tempDir(), { 'a.env': key(1) });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const warnings: string[] = [];
    const r = await scanDir([dir], { threads: 1, onWarning: (w) => warnings.push(w) });
    expect(paths(r)).toEqual(['a.env']);
    expect(r.stats.skipped.unreadable).toBe(1);
    expect(warnings).toEqual(['cannot read pipe: not a regular file']);
  });
});

describe('paths', () => {
  it('reports paths with spaces and non-ASCII characters, relative and with forward slashes', async () => {
    const dir = writeTree(tempDir(), { 'my docs/données clés.txt': key(1), 'a/b/c.env': key(2) });
    const r = await scanDir([dir], { threads: 1 });
    expect(paths(r)).toEqual(['a/b/c.env', 'my docs/données clés.txt']);
  });

  it('scans a single file given as the path', async () => {
    const dir = writeTree(tempDir(), { 'one.env': key(1) });
    const r = await scanDir([join(dir, 'one.env')], { threads: 1 });
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.path).toBe(join(dir, 'one.env'));
  });

  it('keeps each root in the path when given several', async () => {
    const a = writeTree(tempDir(), { 'x.env': key(1) });
    const b = writeTree(tempDir(), { 'y.env': key(2) });
    const r = await scanDir([a, b], { threads: 1 });
    expect(paths(r)).toEqual([`${a}/x.env`, `${b}/y.env`].sort());
  });
});

describe('worker threads', () => {
  it('give the same report as one thread on a tree big enough to use them', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) {
      files[`d${i % 17}/f${i}.txt`] = i % 50 === 0 ? `line\n${fakeKey(i % 100 === 0 ? 'live' : 'test')}\n` : `nothing ${i}\n`.repeat(50);
    }
    const dir = writeTree(tempDir(), files);
    // The CLI, because worker threads run the built JavaScript.
    const scan = (threads: string) => JSON.parse(runCli(['dir', dir, '--threads', threads, '--format', 'json']).stdout) as Report;
    const one = scan('1');
    const two = scan('2');
    expect(two.findings).toEqual(one.findings);
    expect(two.stats.files).toBe(600);
    expect(two.stats.bytes).toBe(one.stats.bytes);
    expect(one.findings).toHaveLength(12);
  });
});

describe('the walk', () => {
  it('yields every file of a wide tree to a consumer slower than the listings (none lost while it waits)', async () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 120; d++) for (let f = 0; f < 4; f++) files[`d${d}/e${d % 7}/f${f}.txt`] = `${d}.${f}\n`;
    const dir = writeTree(tempDir(), files);
    const { dirSource } = await import('../../src/sources/dir.js');
    const seen: string[] = [];
    for await (const batch of dirSource([dir]).items({ skip: () => {}, warn: () => {}, total: () => {}, expect: () => {}, pruned: () => {} })) {
      for (const item of batch) seen.push(item.origin.path ?? '');
      await new Promise((r) => setTimeout(r, 5)); // several listings settle meanwhile
    }
    expect(seen.sort()).toEqual(Object.keys(files).sort());
  });
});

describe('worker threads', () => {
  it('a tree large enough for worker threads reports exactly what one thread does', () => {
    const files: Record<string, string | Buffer> = {};
    for (let i = 0; i < 600; i++) files[`src/m${i % 7}/file${i}.js`] = `export const n${i} = ${i};\n`.repeat(1 + (i % 40));
    files['src/m3/app.env'] = key(1);
    files['deep/a/b/c/.env.local'] = key(2);
    files['vendor/pkg.zip'] = zip([{ name: 'pkg/config.env', data: key(3) }]);
    files['assets/blob.bin'] = Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(key(4))]);
    files['empty.txt'] = '';
    const dir = writeTree(tempDir(), files);
    const run = (threads: string) => {
      const r = runCli(['dir', dir, '--format', 'json', '--threads', threads]);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as Report;
      return { places: report.findings.map((f) => `${f.path}${f.member ? `!${f.member}` : ''}:${f.line}`).sort(), files: report.stats.files, bytes: report.stats.bytes, skipped: report.stats.skipped };
    };
    const one = run('1');
    expect(one.places).toEqual(['assets/blob.bin:1', 'deep/a/b/c/.env.local:1', 'src/m3/app.env:1', 'vendor/pkg.zip!pkg/config.env:1']);
    expect(one.files).toBe(604);
    expect(run('2')).toEqual(one);
  });
});

describe('a folder the user names that .gitignore ignores', () => {
  it('is said to be ignored, with the command that reads it, and never reads as a clean result', () => {
    const dir = writeTree(tempDir(), { '.gitignore': 'node_modules/\n', 'node_modules/zz/.env': `K=${fakeKey('live')}\n`, 'app.js': 'x\n' });
    execFileSync('git', ['init', '-q', dir]);
    const r = runCli(['dir', 'node_modules/zz'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/No secrets found/);
    expect(r.stderr).toContain('cannot read node_modules/zz: it is ignored by .gitignore, so nothing in it was read (sk-scan dir --no-ignore node_modules/zz reads it)');
    const again = runCli(['dir', '--no-ignore', 'node_modules/zz'], { cwd: dir });
    expect(again.code).toBe(1);
  });
});
