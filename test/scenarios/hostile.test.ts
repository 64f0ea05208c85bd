/**
 * Repositories and environments that try to make the scanner see something
 * other than what git stores or pushes, and outputs that fail under it. Each
 * case here was once a miss, a crash or a wrong exit code.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git } from '../../src/gitexec/run.js';
import { scanDir, scanGit, scanPrePush, scanStdin, type Report } from '../../src/index.js';
import { logIntroduced } from '../../src/sources/git/log.js';
import { packedObjects } from '../../src/sources/git/repo.js';
import { nameBytes } from '../../src/common/names.js';
import { gitEnv, importCommits, makeRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { startPlatform } from '../helpers/platform.js';
import { CLI, WITHOUT_ROOT_OVERRIDE, runCli, runCliAsync, tempDir, writeTree } from '../helpers/run.js';

const ZERO = '0'.repeat(40);
const tails = (r: Report) => r.findings.map((f) => f.secret.redacted.slice(-4));
/** No stack trace: a line such as `    at foo (file.js:1:2)`. */
const STACK = /^\s+at .+:\d+/m;

describe('a damaged repository', () => {
  it('a broken ref is a warning: the report is printed and the key found (exit 1, not an unhandled rejection)', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('add', { 'a.env': `K=${key}\n` });
    writeFileSync(join(repo.dir, '.git', 'refs', 'heads', 'broken'), `${'1'.repeat(40)}\n`);
    const r = runCli(['git', repo.dir, '--format', 'json']);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(tails(report)).toEqual([key.slice(-4)]);
    expect(report.findings[0]?.git?.refs).toEqual(['refs/heads/main']);
    expect(report.warnings.join('\n')).toMatch(/refs\/heads\/broken.*111111111111/);
  });
});

describe('git is made to show something else than it pushes', () => {
  function replaced() {
    const repo = makeRepo();
    const key = fakeKey('live');
    const commit = repo.commit('add', { 'a.env': `K=${key}\n` });
    const blob = repo.git('rev-parse', 'HEAD:a.env').trim();
    writeFileSync(join(repo.dir, 'harmless.txt'), 'nothing here\n');
    const harmless = repo.git('hash-object', '-w', 'harmless.txt').trim();
    repo.git('replace', blob, harmless);
    expect(repo.git('cat-file', '-p', blob)).toBe('nothing here\n'); // git itself now shows the harmless blob
    return { repo, key, commit };
  }

  it('git replace: a history scan reads the real objects', async () => {
    const { repo, key } = replaced();
    expect(tails(await scanGit([repo.dir]))).toEqual([key.slice(-4)]);
  });

  it('git replace: a pre-push scan reads the real objects', async () => {
    const { repo, key, commit } = replaced();
    const saved = process.cwd();
    process.chdir(repo.dir);
    try {
      const report = await scanPrePush({ args: ['origin', 'file:///remote.git'], input: `refs/heads/main ${commit} refs/heads/main ${ZERO}\n` });
      expect(tails(report)).toEqual([key.slice(-4)]);
    } finally {
      process.chdir(saved);
    }
  });

  it('diff.relative and other diff settings do not hide a key staged in another folder', () => {
    const repo = makeRepo();
    repo.commit('init', { 'sub/readme.txt': 'a\n' });
    for (const [k, v] of Object.entries({ 'diff.relative': 'true', 'diff.noprefix': 'true', 'diff.mnemonicPrefix': 'true', 'color.ui': 'always', 'diff.interHunkContext': '10' })) {
      repo.git('config', k, v);
    }
    const key = fakeKey('live');
    repo.write({ 'other/app.env': `A=1\nK=${key}\n` });
    repo.git('add', 'other/app.env');
    const r = runCli(['staged', '--format', 'json'], { cwd: join(repo.dir, 'sub') });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as Report).findings).toMatchObject([{ path: 'other/app.env', line: 2 }]);
  });

  it('a gitattributes line that marks a file binary does not hide its staged key', () => {
    const repo = makeRepo();
    repo.commit('init', { '.gitattributes': '*.env -diff\n' });
    repo.write({ 'app.env': `K=${fakeKey('live')}\n` });
    repo.git('add', 'app.env');
    expect(runCli(['staged'], { cwd: repo.dir }).code).toBe(1);
  });

  it('GIT_DIR in the environment does not redirect an explicit target', () => {
    const withKey = makeRepo();
    withKey.commit('add', { 'a.env': `K=${fakeKey('live')}\n` });
    const other = makeRepo();
    other.commit('clean', { 'a.txt': 'a\n' });
    const r = runCli(['git', withKey.dir], { env: { GIT_DIR: join(other.dir, '.git'), GIT_WORK_TREE: other.dir } });
    expect(r.code).toBe(1);
  });

  it('staged keeps the index git hands its hooks (GIT_INDEX_FILE): a partial commit is judged by what it commits', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n', 'app.env': 'A=1\n' });
    const hook = join(repo.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" staged\n`);
    chmodSync(hook, 0o755);
    // `git commit <path>` commits the working-tree file through a temporary index named by GIT_INDEX_FILE.
    repo.write({ 'app.env': `A=1\nK=${fakeKey('live')}\n` });
    const r = spawnSync('git', ['commit', '-q', '-m', 'partial', 'app.env'], { cwd: repo.dir, env: { ...gitEnv(), NO_COLOR: '1', CI: '' }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/app\.env:2/);
  });

  it('an option passed as a range is refused, and git writes no file', async () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const out = join(tempDir(), 'written-by-git');
    const r = runCli(['git', repo.dir, `--range=--output=${out}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sk-scan: error: --range takes a range such as origin/main..HEAD, not '--output=${out}'\n`);
    expect(existsSync(out)).toBe(false);
    // Below the API's own check, the git runner puts revisions after --end-of-options: git refuses them as options.
    await expect(logIntroduced(Git.at(repo.dir), [`--output=${out}`], () => {})).rejects.toThrow(/git log failed/);
    expect(existsSync(out)).toBe(false);
  });

  it('a pre-push line whose ids are options is refused, and git writes no file', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const out = join(tempDir(), 'written-by-git');
    // A TMPDIR of its own: the sealed view of the repository is removed on this path too.
    const tmp = tempDir('sk-scan-tmp-');
    const r = runCli(['pre-push', 'origin', 'file:///x.git'], { cwd: repo.dir, input: `refs/heads/main --output=${out} refs/heads/main ${ZERO}\n`, env: { ...process.env, TMPDIR: tmp } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sk-scan: error: .*pre-push/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("finds a key in an annotated tag's message", async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    const commit = repo.commit('init', { 'a.txt': 'a\n' });
    repo.git('tag', '-a', 'v1.0', '-m', `release\n\ndeploy with ${key}`);
    const tagId = repo.git('rev-parse', 'v1.0').trim();
    const [f, ...rest] = (await scanGit([repo.dir])).findings;
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ path: null, commit, line: 3, column: 13, git: { in: 'tag', tag: { name: 'v1.0', id: tagId }, refs: ['refs/tags/v1.0'] } });
    expect(f?.author).toBe('Dev One <dev@example.test>');
  });
});

describe('names a file system allows', () => {
  /** Names with a newline, a carriage return, an escape sequence, and bytes that are not UTF-8, each holding a key. */
  function oddTree(dir: string): { names: string[]; keys: string[] } {
    const names = ['a\nb.env', 'cr\rname.env', 'dir\nx/c.env', '\u001b[31mred.env', 'x\udcff.env', 'plain.env'];
    const keys = names.map(() => fakeKey('live'));
    names.forEach((name, i) => {
      const bytes = nameBytes(join(dir, name));
      mkdirSync(nameBytes(join(dir, dirname(name))), { recursive: true });
      writeFileSync(bytes, `A=1\nK=${keys[i]}\n`);
    });
    return { names, keys };
  }
  const placed = (r: Report) => r.findings.map((f) => [f.path, f.line, f.secret.redacted.slice(-4)]).sort();
  const expected = (t: { names: string[]; keys: string[] }) => t.names.map((n, i) => [n, 2, (t.keys[i] as string).slice(-4)]).sort();

  it('dir scans every one and reports each path so that it names the file again', () => {
    const dir = tempDir();
    const tree = oddTree(dir);
    const r = runCli(['dir', dir, '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(placed(report)).toEqual(expected(tree));
    for (const f of report.findings) expect(readFileSync(nameBytes(join(dir, f.path as string)), 'utf8')).toContain('K=');
    expect(r.stdout).toContain('"x\\udcff.env"'); // JSON carries the byte as a lone-surrogate escape
    const text = runCli(['dir', dir]).stdout;
    expect(text).not.toContain('\u001b');
    expect(text).toContain('"a\\nb.env":2:3');
    expect(text).toContain('"x\\377.env":2:3');
    expect(text).toContain('"\\033[31mred.env":2:3');
  });

  it('git and staged read them from history and the index, path for path', async () => {
    const repo = makeRepo();
    const tree = oddTree(repo.dir);
    repo.git('add', '-A');
    const staged = runCli(['staged', '--format', 'json'], { cwd: repo.dir });
    expect(placed(JSON.parse(staged.stdout) as Report)).toEqual(expected(tree));
    repo.git('commit', '-q', '-m', 'odd names');
    expect(placed(await scanGit([repo.dir]))).toEqual(expected(tree));
  });
});

describe('content that looked binary, and what was not read', () => {
  const utf16 = (text: string, order: 'le' | 'be', bom: boolean) => {
    const le = Buffer.from((bom ? '\ufeff' : '') + text, 'utf16le');
    return order === 'le' ? le : Buffer.from(le).swap16();
  };

  it('scans UTF-16 text (either byte order, with or without a byte-order mark) at the right line and column', async () => {
    const keys = [fakeKey('live'), fakeKey('live'), fakeKey('test')];
    const dir = writeTree(tempDir(), {
      'le-bom.reg': utf16(`Windows Registry Editor\r\n\r\n"Key"="${keys[0]}"\r\n`, 'le', true),
      'be-bom.txt': utf16(`one\ntwo: ${keys[1]}\n`, 'be', true),
      'le-plain.ps1': utf16(`$x = 1\n$env:KEY = '${keys[2]}'\n`, 'le', false),
      'image.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]), Buffer.from(fakeKey('live'))]),
    });
    const r = runCli(['dir', dir, '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.filter((f) => f.secret.encoding !== 'binary').map((f) => [f.path, f.line, f.column, f.secret.redacted.slice(-4)]).sort()).toEqual(
      [
        ['be-bom.txt', 2, 6, keys[1]?.slice(-4)],
        ['le-bom.reg', 3, 8, keys[0]?.slice(-4)],
        ['le-plain.ps1', 2, 13, keys[2]?.slice(-4)],
      ].sort(),
    );
    expect(report.stats.skipped.binary).toBe(1);
    expect(r.stderr).toContain('warning: searched 1 binary file for keys only, not as text (a NUL byte in the first 8 KiB): image.png');
    expect(report.findings.filter((f) => f.secret.encoding === 'binary').map((f) => f.path)).toEqual(['image.png']);
    const piped = await scanStdin(utf16(`k=${keys[0]}\n`, 'le', true));
    expect(piped.findings.map((f) => [f.line, f.column])).toEqual([[1, 3]]);
  });

  it('names the first binary files it skips, then counts the rest', () => {
    const dir = writeTree(tempDir(), Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`b${i}.bin`, Buffer.from([1, 0, 2, 0xff, 0xfe, 0])])));
    const r = runCli(['dir', dir]);
    expect(r.stderr).toMatch(/searched 5 binary files for keys only, not as text \(a NUL byte in the first 8 KiB\): b\d\.bin, b\d\.bin, b\d\.bin and 2 more/);
  });

  it('dir will not call a tree clean when it could not read all of it (exit 2), as git will not', () => {
    const dir = writeTree(tempDir(), { 'locked.env': `K=${fakeKey('live')}\n`, 'open.txt': 'nothing\n' });
    chmodSync(join(dir, 'locked.env'), 0o000);
    const r = runCli(['dir', dir], { wrap: WITHOUT_ROOT_OVERRIDE });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/warning: cannot read locked\.env: permission denied/);
    expect(r.stderr).toMatch(/error: the scan is incomplete: 1 item could not be read/);
  });
});

describe('keys in output', () => {
  it('shows no more of a webhook secret than its last four characters, in every format', () => {
    const secrets = ['correcthorse_batterystaple_Zq7x', 'qwhxzkvbnmtr_plokijuh_ygtfrd_'];
    const dir = writeTree(tempDir(), { 'app.env': secrets.map((s) => `WEBHOOK_SECRET=${s}`).join('\n') + '\n' });
    for (const format of ['text', 'json', 'sarif', 'github', 'junit']) {
      const r = runCli(['dir', dir, '--format', format]);
      expect(r.code).toBe(1);
      for (const secret of secrets) {
        expect(r.stdout).toContain(`…${secret.slice(-4)}`);
        expect(r.stdout + r.stderr).not.toContain(secret.slice(0, 8));
      }
    }
  });

  it('reports a key in a file or folder name (the place is the name), and shows it redacted everywhere', async () => {
    const inDir = fakeKey('live');
    const inFile = fakeKey('test');
    const dir = writeTree(tempDir(), { [`config/${inDir}/a.txt`]: 'a\n', [`config/${inDir}/b.txt`]: 'b\n', [`notes/${inFile}.txt`]: 'c\n' });
    for (const format of ['text', 'json', 'sarif', 'github', 'junit']) {
      const r = runCli(['dir', dir, '--format', format]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(inDir.slice(8));
      expect(r.stdout + r.stderr).not.toContain(inFile.slice(8));
    }
    const report = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout) as Report;
    expect(report.findings.map((f) => [f.path, f.inName, f.secret.redacted]).sort()).toEqual(
      [
        [`config/sk_live_…${inDir.slice(-4)}`, true, `sk_live_…${inDir.slice(-4)}`],
        [`notes/sk_test_…${inFile.slice(-4)}.txt`, true, `sk_test_…${inFile.slice(-4)}`],
      ].sort(),
    );
    const piped = await scanStdin(Buffer.from('nothing\n'), { path: `upload-${inDir}.log` });
    expect(piped.findings).toMatchObject([{ inName: true, line: 1, column: 8 }]);
  });

  it('reports a key in a ref name, and shows it redacted wherever the ref is named', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.git('branch', `deploy/${key}`);
    const report = await scanGit([repo.dir]);
    expect(report.findings).toMatchObject([{ path: `refs/heads/deploy/sk_live_…${key.slice(-4)}`, inName: true, git: { in: 'ref' } }]);
    for (const format of ['text', 'json', 'sarif', 'github', 'junit']) {
      const r = runCli(['git', repo.dir, '--format', format]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(key.slice(8));
    }
  });

  it('quotes neither a failing rule example nor an ignore entry in the error', () => {
    const key = fakeKey('live');
    const rule = `rules:\n  - id: mine\n    description: d\n    severity: low\n    keywords: [tok_]\n    pattern: "tok_(?<secret>[a-z]{40})"\n    examples:\n      match: ["tok_${key}"]\n`;
    const ignore = `ignore: ["${key}"]\n`;
    for (const config of [rule, ignore]) {
      const dir = writeTree(tempDir(), { '.sk-scan.yaml': config, 'a.txt': 'a\n' });
      const r = runCli(['dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain(key.slice(8, 20));
    }
  });

  it('keeps a required scope only if it looks like one, and strips what the network sent', async () => {
    const platform = await startPlatform();
    try {
      const key = fakeKey('live');
      platform.keys.set(key, 'echoes-key');
      const dir = writeTree(tempDir(), { 'a.env': `K=${key}\n` });
      for (const format of ['text', 'json']) {
        const r = await runCliAsync(['dir', dir, '--verify', '--verify-url', platform.url, '--format', format]);
        expect(r.stdout + r.stderr).not.toContain(key);
        expect(r.stdout).not.toContain('\u001b[2J');
        if (format === 'json') expect((JSON.parse(r.stdout) as Report).findings[0]?.verification).toEqual({ status: 'active', reason: 'insufficient-permissions', httpStatus: 403 });
      }
    } finally {
      await platform.close();
    }
  });

  it('writes a report holding full keys (--show-secrets --output) readable by its owner only', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n` });
    const out = join(tempDir(), 'full.json');
    expect(runCli(['dir', dir, '--show-secrets', '--format', 'json', '--output', out]).code).toBe(1);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('--output writes the whole report or leaves the old file, follows a link, and writes into a device without replacing it', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n` });
    const folder = tempDir();
    const real = join(folder, 'real.json');
    writeFileSync(real, 'old report\n');
    symlinkSync(real, join(folder, 'link.json'));
    expect(runCli(['dir', dir, '--format', 'json', '--output', join(folder, 'link.json')]).code).toBe(1);
    expect(lstatSync(join(folder, 'link.json')).isSymbolicLink()).toBe(true);
    expect((JSON.parse(readFileSync(real, 'utf8')) as Report).findings).toHaveLength(1);
    expect(readdirSync(folder).sort()).toEqual(['link.json', 'real.json']); // no temporary file left
    expect(runCli(['dir', dir, '--format', 'json', '--output', '/dev/null']).code).toBe(1);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});

describe('files the scanner reads from what it scans', () => {
  const outside = () => writeTree(tempDir(), { 'passwd': 'root:x:0:0:root:/root:/bin/bash\n' });

  it('a config, ignore file or baseline that links out of the scanned tree is refused, and never quoted', () => {
    for (const name of ['.sk-scan.yaml', '.sk-scanignore', '.sk-scan-baseline.json']) {
      const dir = writeTree(tempDir(), { 'a.txt': 'a\n' });
      symlinkSync(join(outside(), 'passwd'), join(dir, name));
      const r = runCli(['dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${name.replace(/\./g, '\\.')} is a link that leads out of`));
      expect(r.stderr).not.toContain('root:x');
    }
  });

  it('a FIFO or /dev/zero in their place is an error in a moment, not a hang or a crash', () => {
    for (const name of ['.sk-scan.yaml', '.sk-scanignore', '.sk-scan-baseline.json', '.gitignore']) {
      const dir = writeTree(tempDir(), { 'a.txt': 'a\n' });
      execFileSync('mkfifo', [join(dir, name)]);
      const r = runCli(['dir', dir], { timeout: 20_000 });
      if (name === '.gitignore') {
        // Its patterns are not applied (more is read, never less), and the FIFO is counted as not read.
        expect(r.stderr).toMatch(/\.gitignore is not a regular file: not read; its patterns are not applied/);
        expect(r.code).toBe(2);
      } else {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/is not a regular file: not read/);
      }
    }
    const zero = runCli(['dir', writeTree(tempDir(), { 'a.txt': 'a\n' }), '--baseline', '/dev/zero'], { timeout: 20_000 });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/baseline \/dev\/zero is not a regular file/);
  });

  it('a FIFO named like a pack index does not hang a whole-history scan (its size hint reads the indexes)', () => {
    const repo = makeRepo();
    repo.commit('one', { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    repo.git('gc', '-q');
    const inPack = Number(/in-pack: (\d+)/.exec(repo.git('count-objects', '-v'))?.[1]);
    expect(packedObjects(join(repo.dir, '.git', 'objects'))).toBe(inPack);
    execFileSync('mkfifo', [join(repo.dir, '.git', 'objects', 'pack', `pack-${'0'.repeat(40)}.idx`)]);
    // In a process of its own, killed outright after a while: a blocking open would hang it past any SIGTERM handler.
    const r = runCli(['git', repo.dir], { timeout: 20_000, killSignal: 'SIGKILL' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No secrets found/);
  });

  it('a FIFO given as the path to scan is counted, not waited on', () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'p')]);
    const r = runCli(['dir', join(dir, 'p')], { timeout: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*p: not a regular file/);
  });

  it('a baseline that is not JSON is named with the line, without quoting it', () => {
    const key = fakeKey('live');
    const dir = writeTree(tempDir(), { '.sk-scan-baseline.json': `{\n  "entries": [\n  ${key}\n]}\n`, 'a.txt': 'a\n' });
    const r = runCli(['dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.sk-scan-baseline\.json(:\d+)?: not valid JSON/);
    expect(r.stderr).not.toContain(key.slice(8));
  });
});

describe('inputs that must not hang or run away', () => {
  it('stops reading standard input at the size limit: an endless stream ends in a warning', () => {
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': 'maxFileSize: 1MiB\n' });
    const r = spawnSync('bash', ['-c', `yes sk_live_ | "${process.execPath}" "${CLI}" stdin`], { cwd: dir, encoding: 'utf8', timeout: 30_000, env: { ...process.env, CI: '' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/skipped, too large: \(stdin\): [\d.]+ \w+, over the 1\.0 MiB limit/);
  });

  const userRule = (pattern: string, extra = '') =>
    `rules:\n  - id: mine\n    description: d\n    severity: low\n    keywords: [a]\n    pattern: '${pattern}'\n${extra}`;

  it("runs a user's pattern in linear time: catastrophic backtracking cannot stall a scan, or the config loading", () => {
    // 20,000 a's and a '!': a backtracking engine would not finish this in a lifetime.
    const evil = `${'a'.repeat(20_000)}!\n`;
    for (const config of [userRule('(?<secret>(a+)+$)'), userRule('(?<secret>a*a*a*a*a*b)'), userRule('(?<secret>(a|aa)+$)', `    examples:\n      noMatch: ["${'a'.repeat(5_000)}!"]\n`)]) {
      const dir = writeTree(tempDir(), { '.sk-scan.yaml': config, 'big.txt': evil.repeat(50) });
      const r = runCli(['dir', dir, '--format', 'json'], { timeout: 60_000 });
      expect(r.signal ?? null).toBeNull();
      expect(r.code).toBe(0);
    }
  });

  it('reads a mail part or a PDF dictionary once, however many declarations and filter names a file repeats', () => {
    // Before, each declaration read its part anew (60,000 x up to 1 MiB: over two minutes), and each filter name
    // searched the rest of the file for a stream.
    const key = fakeKey('live');
    const dir = writeTree(tempDir(), {
      'mail.eml': `${'Content-Transfer-Encoding: quoted-printable\n\n'.repeat(60_000)}K=3D${key.slice(0, 20)}=\n${key.slice(20)}\n`,
      'doc.pdf': '/FlateDecode '.repeat(150_000),
    });
    const r = runCli(['dir', dir, '--format', 'json'], { timeout: 30_000 });
    expect(r.signal ?? null).toBeNull();
    expect(JSON.parse(r.stdout).findings.map((f: { path: string; secret: { encoding?: string } }) => [f.path, f.secret.encoding])).toEqual([['mail.eml', 'quoted-printable']]);
  });

  it('walks lines of base64 of differing widths once, not every neighbour for every line', () => {
    // 30,000 lines that each look like the start of a key's base64 but are no wrapped block: each line was
    // compared with up to 16,384 neighbours on either side before.
    const lines = Array.from({ length: 30_000 }, (_, i) => `c2tfbGl2ZV${'A'.repeat(20 + (i % 7))}`).join('\n');
    const dir = writeTree(tempDir(), { 'lines.txt': `${lines}\n` });
    const r = runCli(['dir', dir], { timeout: 30_000 });
    expect(r.signal ?? null).toBeNull();
    expect(r.code).toBe(0);
  });

  it("refuses, by file and line, what a linear-time engine cannot run in a user's pattern", () => {
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': userRule('(?<=x)(?<secret>a{8})') });
    const r = runCli(['dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sk-scan: error: .*\.sk-scan\.yaml:\d+: rule `mine`: bad `pattern`: .*lookarounds and backreferences are not available/);
  });

  it('matches exclude patterns in linear time, however many stars they hold', () => {
    const name = `${'a'.repeat(200)}.env`;
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': `exclude: ["${'*a'.repeat(12)}*b"]\n`, [name]: `K=${fakeKey('live')}\n` });
    const r = runCli(['dir', dir], { timeout: 60_000 });
    expect(r.signal ?? null).toBeNull();
    expect(r.code).toBe(1);
  });

  it('refuses verification times no timer can keep, before reading anything', async () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n` });
    for (const flag of ['--verify-deadline', '--verify-timeout']) {
      const r = runCli(['dir', dir, '--verify', '--verify-url', 'http://127.0.0.1:9', flag, '3000000']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`sk-scan: error: ${flag} takes a number of seconds from 0.001 to 2,147,483, not '3000000' (sk-scan help dir)\n`);
    }
    await expect(scanDir([dir], { verify: { baseUrl: 'http://127.0.0.1:9', deadlineMs: 3_000_000_000 } })).rejects.toThrow(/deadlineMs must be from 1 to 2147483647 ms/);
  });
});

describe('ending: failures after a clone, and signals', () => {
  /** Entries in a folder, polled until `ready` says so (or 20 s pass). */
  async function waitFor(ready: () => boolean): Promise<void> {
    for (const end = Date.now() + 20_000; !ready() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
  }

  it('refuses a bad --verify-url before cloning anything', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const tmp = tempDir('sk-scan-tmp-');
    const r = runCli(['git', `file://${repo.dir}`, '--verify', '--verify-url', 'http://example.com'], { env: { TMPDIR: tmp } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to send keys over plain http/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('SIGINT while a scan of a cloned URL waits on the platform: nothing left behind, exit 130', async () => {
    const platform = await startPlatform();
    try {
      const repo = makeRepo();
      const key = fakeKey('live');
      platform.keys.set(key, 'hang');
      repo.commit('add', { 'a.env': `K=${key}\n` });
      const tmp = tempDir('sk-scan-tmp-');
      const child = spawn(process.execPath, [CLI, 'git', `file://${repo.dir}`, '--verify', '--verify-url', platform.url], { env: { ...process.env, TMPDIR: tmp, CI: '' }, stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await waitFor(() => platform.requests.size > 0);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      await platform.close();
    }
  });

  it('SIGTERM in the middle of reading a history: git ended, temporary files removed, exit 143', async () => {
    const repo = makeRepo();
    // 20,000 commits, each changing a file: long enough to read that the signal lands mid-read.
    importCommits(repo, Array.from({ length: 20_000 }, (_, i) => ({ message: `c${i}`, files: { [`f${i % 50}.txt`]: `${randomBytes(600).toString('base64')}\n` } })));
    const tmp = tempDir('sk-scan-tmp-');
    const child = spawn(process.execPath, [CLI, 'git', repo.dir], { env: { ...process.env, TMPDIR: tmp, CI: '' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(() => readdirSync(tmp).length >= 1); // the repository's sealed view: the read starts next
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    await waitFor(() => !execFileSync('ps', ['-eo', 'args']).toString().split('\n').some((l) => l.includes(repo.dir) && /\bgit\b/.test(l)));
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);
});

describe('writing the report', () => {
  const clean = () => writeTree(tempDir(), { 'a.txt': 'nothing\n' });

  it('a reader that stops early (a closed pipe) ends the scan quietly, with the scan exit code', () => {
    const dir = clean();
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" dir "${dir}" | true; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8', env: { ...process.env, CI: '' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0');
    const many = writeTree(tempDir(), Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}.env`, `K=${fakeKey('live')}\n`])));
    const big = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" dir "${many}" --format json | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8', env: { ...process.env, CI: '' } });
    expect(big.stderr).toBe('');
    expect(big.stdout.trim()).toBe('1');
  });

  it('a full disk is one line and exit code 2', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" dir "${clean()}" > /dev/full`], { encoding: 'utf8', env: { ...process.env, CI: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sk-scan: error: cannot write the report.*no space left/i);
  });
});

describe('exclude', () => {
  it('means the same to dir and git: a folder named in it is excluded with everything in it', () => {
    const repo = makeRepo();
    repo.commit('add', { '.sk-scan.yaml': 'exclude: [vendor, "*.min.js"]\n', 'vendor/lib/a.env': `K=${fakeKey('live')}\n`, 'app.min.js': `k="${fakeKey('live')}"\n`, 'b.txt': 'b\n' });
    expect(runCli(['dir', repo.dir]).code).toBe(0);
    expect(runCli(['git', repo.dir]).code).toBe(0);
    mkdirSync(join(repo.dir, 'src'));
    writeFileSync(join(repo.dir, 'src', 'vendor.env'), `K=${fakeKey('live')}\n`); // a file, not the folder
    expect(runCli(['dir', repo.dir]).code).toBe(1);
  });
});
