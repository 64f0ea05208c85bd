/** `sk-scan git`: every object in a real repository, and where each key entered history. */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, chmodSync, readFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanGit, type Finding, type Report } from '../../src/index.js';
import { Git } from '../../src/gitexec/run.js';
import { readObjects } from '../../src/sources/git/objects.js';
import { gitEnv, importCommits, makeRepo, repoAt, type TestRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { runCli, tempDir } from '../helpers/run.js';

const byKey = (r: Report, key: string) => r.findings.filter((f) => f.secret.redacted.endsWith(key.slice(-4)));

/** The commit a finding names really holds the key at the path it names. */
function expectHeld(repo: TestRepo, f: Finding, key: string): void {
  expect(f.commit).toMatch(/^[0-9a-f]{40}$/);
  expect(repo.git('show', `${f.commit}:${f.path}`)).toContain(key);
}

describe('whole history', () => {
  it('finds a key added and later removed, at the commit that added it, not at HEAD', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'README.md': 'hello\n' });
    const added = repo.commit('add config', { 'config/app.env': `A=1\nCHATBOT_API_KEY=${key}\n` });
    repo.commit('remove key', { 'config/app.env': 'A=1\nCHATBOT_API_KEY=\n' });
    const report = await scanGit([repo.dir]);
    const [f, ...rest] = byKey(report, key);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ path: 'config/app.env', line: 2, column: 17, commit: added, author: 'Dev One <dev@example.test>' });
    expect(f?.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(f?.git).toMatchObject({ refs: ['refs/heads/main'], atHead: false, unreachable: false });
    expect(f?.git?.blob).toMatch(/^[0-9a-f]{40}$/);
    expectHeld(repo, f as Finding, key);
  });

  it('places a key in a SHA-256 repository: its commit, the branch that holds it, reachable', async () => {
    const repo = makeRepo({ sha256: true });
    const key = fakeKey('live');
    repo.commit('init', { 'README.md': 'hello\n' });
    const added = repo.commit('add config', { 'app.env': `CHATBOT_API_KEY=${key}\n` });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.commit('more', { 'b.txt': 'b\n' });
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(added).toMatch(/^[0-9a-f]{64}$/);
    expect(f).toMatchObject({ path: 'app.env', commit: added });
    expect(f?.git).toMatchObject({ refs: ['refs/heads/feature', 'refs/heads/main'], atHead: true, unreachable: false });
  });

  it('finds a key in a file that was deleted', async () => {
    const repo = makeRepo();
    const key = fakeKey('test');
    const added = repo.commit('add', { 'old/secret.txt': `k=${key}\n` });
    repo.remove('old/secret.txt');
    repo.commit('delete file');
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(f).toMatchObject({ path: 'old/secret.txt', commit: added, git: { atHead: false } });
  });

  it('reports a renamed file at its old path and its new one', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    const first = repo.commit('add', { 'a.env': `K=${key}\n` });
    repo.git('mv', 'a.env', 'b.env');
    const renamed = repo.commit('rename');
    const found = byKey(await scanGit([repo.dir]), key);
    expect(found.map((f) => [f.path, f.commit])).toEqual([
      ['a.env', first],
      ['b.env', renamed],
    ]);
    expect(new Set(found.map((f) => f.git?.blob)).size).toBe(1);
    expect(found.find((f) => f.path === 'b.env')?.git?.atHead).toBe(true);
    for (const f of found) expectHeld(repo, f, key);
  });

  it('finds a key on a branch that was never merged, and names the branch', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.git('checkout', '-q', '-b', 'feature/x');
    const c = repo.commit('wip', { 'wip.py': `KEY = "${key}"\n` });
    repo.git('checkout', '-q', 'main');
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(f).toMatchObject({ path: 'wip.py', commit: c, git: { refs: ['refs/heads/feature/x'], atHead: false, unreachable: false } });
  });

  it('finds a key reachable only from a tag', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.git('checkout', '-q', '-b', 'release');
    const c = repo.commit('release config', { 'release.env': `K=${key}\n` });
    repo.git('tag', '-a', 'v1.0', '-m', 'v1.0');
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-q', '-D', 'release');
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(f).toMatchObject({ path: 'release.env', commit: c, git: { refs: ['refs/tags/v1.0'], unreachable: false } });
  });

  it("attributes a key introduced by a merge's conflict resolution to the merge", async () => {
    const repo = makeRepo();
    const key = fakeKey('live', 'prod');
    repo.commit('init', { 'app.env': 'MODE=a\n' });
    repo.git('checkout', '-q', '-b', 'side');
    repo.commit('side', { 'app.env': 'MODE=side\n' });
    repo.git('checkout', '-q', 'main');
    repo.commit('main', { 'app.env': 'MODE=main\n' });
    expect(repo.tryGit('merge', '-q', 'side').ok).toBe(false); // a conflict
    repo.write({ 'app.env': `MODE=merged\nCHATBOT_API_KEY=${key}\n` });
    repo.git('add', 'app.env');
    repo.git('commit', '-q', '--no-edit');
    const merge = repo.git('rev-parse', 'HEAD').trim();
    const [f, ...rest] = byKey(await scanGit([repo.dir]), key);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ path: 'app.env', line: 2, commit: merge, secret: { environment: 'prod' }, git: { atHead: true } });
    expect(repo.git('rev-list', '--parents', '-n', '1', merge).trim().split(' ')).toHaveLength(3);
  });

  it('finds a key that only lives in the stash', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'app.env': 'K=\n' });
    repo.write({ 'app.env': `K=${key}\n` });
    repo.git('stash', 'push', '-q');
    expect(readFileSync(join(repo.dir, 'app.env'), 'utf8')).toBe('K=\n');
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(f).toMatchObject({ path: 'app.env', git: { refs: ['refs/stash'], unreachable: false, atHead: false } });
    expectHeld(repo, f as Finding, key);
  });

  it('cannot pass when a ref names a commit its own store does not hold (its only pack a link, not read): exit 2, the commit named', () => {
    const repo = makeRepo();
    const tip = repo.commit('one', { 'a.txt': 'a\n' });
    repo.git('repack', '-adq');
    const dir = join(repo.dir, '.git', 'objects', 'pack');
    const pack = readdirSync(dir).find((f) => f.endsWith('.pack')) as string;
    const elsewhere = join(tempDir(), pack);
    writeFileSync(elsewhere, readFileSync(join(dir, pack)));
    rmSync(join(dir, pack));
    symlinkSync(elsewhere, join(dir, pack));
    const r = runCli(['git', repo.dir, '--no-cache']);
    expect(r.stderr).toMatch(/is a link: not read as this repository's/);
    expect(r.stderr).toContain(`cannot read object ${tip}`);
    expect(r.code).toBe(2);
  });

  it('finds a key in a dropped commit (reset away, not yet garbage-collected) and says it is unreachable', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'a.txt': 'a\n' });
    const dropped = repo.commit('oops', { 'leak.env': `K=${key}\n` });
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    repo.git('reflog', 'expire', '--expire=now', '--all');
    expect(repo.git('rev-list', '--all')).not.toContain(dropped);
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(f).toMatchObject({ path: 'leak.env', commit: dropped, git: { unreachable: true, refs: [], atHead: false } });
    const text = runCli(['git', repo.dir]).stdout;
    expect(text).toContain(`leak.env:1:3  ${dropped.slice(0, 7)}`);
    expect(text).toMatch(/\(unreachable: on no branch or tag\)/);
    expect(text).not.toMatch(/dangling|never committed/);
  });

  it('names a key that was staged but never committed by its index path, and a dropped one as unreachable', async () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const staged = fakeKey('live');
    const dangling = fakeKey('live');
    repo.write({ 'wip.env': `K=${staged}\n`, 'oops.env': `K=${dangling}\n` });
    repo.git('add', 'wip.env', 'oops.env');
    repo.git('rm', '-q', '--cached', 'oops.env');
    repo.remove('oops.env');
    const report = await scanGit([repo.dir]);
    expect(byKey(report, staged)).toMatchObject([{ path: 'wip.env', commit: null, git: { in: 'index', refs: [] } }]);
    expect(byKey(report, dangling)).toMatchObject([{ path: null, commit: null, git: { unreachable: true, in: 'dangling' } }]);
    expect(byKey(report, staged)[0]?.remediation.at(-1)).toMatch(/only staged, in no commit: it has not left this machine/);
  });

  it('finds a key in a commit message', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    const c = repo.commit(`fix auth\n\nused ${key} to test`, { 'a.txt': 'a\n' });
    const [f] = byKey(await scanGit([repo.dir]), key);
    expect(f).toMatchObject({ path: null, commit: c, line: 3, column: 6, git: { in: 'message', refs: ['refs/heads/main'] } });
  });

  it('reads a blob once however many commits hold it, with one finding per path', async () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    const content = `K=${key}\n`;
    importCommits(repo, [
      { message: 'add', files: { 'one/app.env': content } },
      ...Array.from({ length: 40 }, (_, i) => ({ message: `work ${i}`, files: { 'counter.txt': `${i}\n` } })),
      { message: 'copy', files: { 'two/app.env': content } },
    ]);
    const report = await scanGit([repo.dir]);
    expect(byKey(report, key).map((f) => f.path)).toEqual(['one/app.env', 'two/app.env']);
    // Every blob and commit in the object store, each read exactly once.
    const objects = repo.git('cat-file', '--batch-all-objects', '--batch-check=%(objecttype)').split('\n');
    const readable = objects.filter((t) => t === 'blob' || t === 'commit').length;
    expect(report.stats.files).toBe(readable);
  });

  it('finds keys in objects larger than a read and among hundreds of objects, on one thread or several, and leaves no files behind', async () => {
    const repo = makeRepo();
    const deep = fakeKey('live');
    const small = fakeKey('test');
    // 3 MB of text before the key: the object spans several of the reader's 1 MB reads.
    const filler = Array.from({ length: 60_000 }, (_, i) => `line ${i} of a long generated file, nothing secret here`).join('\n');
    const files: Record<string, string> = { 'big/data.txt': `${filler}\nKEY=${deep}\n` };
    // 300 files of 12 KB: several reads' worth, so the reader reuses its buffers while earlier objects wait for a thread.
    const page = filler.slice(0, 12_000);
    for (let i = 0; i < 300; i++) files[`many/f${i}.txt`] = `${i}\n${page}\n${i === 150 ? `token: ${small}\n` : ''}`;
    const c = repo.commit('import', files);
    const tmp = tempDir('sk-scan-tmp-');
    const where = (r: Report) => r.findings.map((f) => [f.path, f.commit, f.line]);
    const expected = [
      ['big/data.txt', c, 60_001],
      ['many/f150.txt', c, page.split('\n').length + 2],
    ];
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = tmp;
    try {
      expect(where(await scanGit([repo.dir]))).toEqual(expected);
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
    const r = runCli(['git', repo.dir, '--format', 'json'], { env: { TMPDIR: tmp } });
    expect(where(JSON.parse(r.stdout) as Report)).toEqual(expected);
    // Worker threads (which run the built CLI) keep copies of what the reader's reused buffers held.
    const threaded = runCli(['git', repo.dir, '--format', 'json', '--threads', '2'], { env: { TMPDIR: tmp } });
    expect(where(JSON.parse(threaded.stdout) as Report)).toEqual(expected);
    // git's output went through temporary files: none is left, not even an empty folder.
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('places each of many keys at the commit that added it, however many there are', async () => {
    // Over 64 blobs with findings: the walk's output is parsed whole instead of searched blob by blob.
    const repo = makeRepo();
    const keys = Array.from({ length: 70 }, (_, i) => fakeKey(i % 2 ? 'live' : 'test'));
    const commits = importCommits(
      repo,
      keys.map((key, i) => ({ message: `add ${i}`, files: { [`conf/k${i}.env`]: `K=${key}\n` } })),
    );
    const added = new Map(keys.map((key, i) => [key, commits[i] as string]));
    const report = await scanGit([repo.dir]);
    expect(report.findings).toHaveLength(70);
    for (const [key, commit] of added) {
      const [f, ...rest] = byKey(report, key);
      expect(rest).toEqual([]);
      expect(f?.commit).toBe(commit);
      expectHeld(repo, f as Finding, key);
    }
  });

  it('finds nothing in a clean history and exits 0', () => {
    const repo = makeRepo();
    repo.commit('init', { 'README.md': 'Use sk_live_abc123xyz... as the format\n' });
    const r = runCli(['git', repo.dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No secrets found/);
  });
});

describe('ranges', () => {
  function history() {
    const repo = makeRepo();
    const old = fakeKey('live');
    const fresh = fakeKey('live');
    repo.commit('init', { 'old.env': `K=${old}\n` });
    const base = repo.commit('base', { 'a.txt': 'a\n' });
    const introduced = repo.commit('new', { 'new.env': `K=${fresh}\n` });
    return { repo, old, fresh, base, introduced };
  }

  it('--since REV scans only what the commits after REV introduced', async () => {
    const { repo, old, fresh, base, introduced } = history();
    const report = await scanGit([repo.dir], { since: base });
    expect(byKey(report, old)).toEqual([]);
    expect(byKey(report, fresh)).toMatchObject([{ path: 'new.env', commit: introduced }]);
  });

  it('--range A..B does the same for an explicit range, through the CLI', () => {
    const { repo, fresh, base } = history();
    const r = runCli(['git', repo.dir, '--range', `${base}..main`, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: Finding) => f.path)).toEqual(['new.env']);
    expect(r.stdout).not.toContain(fresh);
  });

  it('a bad revision is a one-line error with exit code 2', () => {
    const { repo } = history();
    const r = runCli(['git', repo.dir, '--since', 'no-such-rev']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('sk-scan: error: --since no-such-rev: no such commit here: pass a commit, branch or tag, or a date such as 2024-01-01\n');
  });
});

describe('kinds of repository', () => {
  function withKeys() {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.commit('add', { 'k.env': `K=${key}\n` });
    for (let i = 0; i < 3; i++) repo.commit(`more ${i}`, { 'b.txt': `${i}\n` });
    return { repo, key };
  }

  it('scans a bare repository', async () => {
    const { repo, key } = withKeys();
    const bare = tempDir();
    execFileSync('git', ['clone', '-q', '--bare', repo.dir, bare]);
    const [f] = byKey(await scanGit([bare]), key);
    expect(f).toMatchObject({ path: 'k.env', git: { atHead: true } });
  });

  it('scans a shallow clone and says history is partial', async () => {
    const { repo, key } = withKeys();
    const shallow = tempDir();
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, shallow]);
    const report = await scanGit([shallow]);
    expect(report.warnings.join('\n')).toMatch(/shallow clone/);
    expect(byKey(report, key)).toHaveLength(1); // still in HEAD's tree
  });

  it('clones a URL into a temporary folder, scans it and removes it', () => {
    const { repo, key } = withKeys();
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('sk-scan-clone-'));
    const r = runCli(['git', `file://${repo.dir}`, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings[0]).toMatchObject({ path: 'k.env', target: `file://${repo.dir}` });
    expect(r.stdout).not.toContain(key);
    const after = readdirSync(tmpdir()).filter((n) => n.startsWith('sk-scan-clone-'));
    expect(after).toEqual(before);
  });

  it("clones with the user's own git environment: an ssh command for a deploy key, an askpass, config given in variables", () => {
    const { repo } = withKeys();
    const env = { ...process.env, GIT_SSH_COMMAND: 'ssh -i /nonexistent/deploy_key', GIT_SSH: 'ssh', GIT_ASKPASS: '/bin/false', GIT_PROXY_COMMAND: '/bin/false', GIT_TEMPLATE_DIR: tempDir(), GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'credential.helper', GIT_CONFIG_VALUE_0: '' };
    const r = runCli(['git', `file://${repo.dir}`, '--format', 'json'], { env });
    expect(r.stderr).not.toMatch(/cannot clone/);
    expect(r.code).toBe(1);
  });

  it('scans several repositories in one run, each finding naming its target', async () => {
    const a = withKeys();
    const b = withKeys();
    const report = await scanGit([a.repo.dir, b.repo.dir]);
    expect(report.findings.map((f) => f.target).sort()).toEqual([a.repo.dir, b.repo.dir].sort());
  });

  it('scans from a linked worktree', async () => {
    const { repo, key } = withKeys();
    const wt = join(tempDir(), 'wt');
    repo.git('worktree', 'add', '-q', wt, '-b', 'other');
    const [f] = byKey(await scanGit([wt]), key);
    expect(f).toMatchObject({ path: 'k.env' });
  });

  it('says a folder is not a repository in one line, exit code 2', () => {
    const dir = tempDir();
    const r = runCli(['git', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sk-scan: error: not a git repository: ${dir}\n`);
  });

  it('warns about a corrupt object, scans the rest, and will not call the scan clean', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('add', { 'k.env': `K=${key}\n`, 'victim.txt': 'this blob gets corrupted\n' });
    const victim = repo.git('rev-parse', 'HEAD:victim.txt').trim();
    const file = join(repo.dir, '.git', 'objects', victim.slice(0, 2), victim.slice(2));
    chmodSync(file, 0o644);
    writeFileSync(file, 'not zlib at all');
    const r = runCli(['git', repo.dir, '--format', 'json']);
    expect(r.stderr).toMatch(new RegExp(`warning: cannot read object ${victim}`));
    expect(r.code).toBe(1); // the key elsewhere is still found
    expect(JSON.parse(r.stdout).stats.skipped.unreadable).toBe(1);

    const clean = makeRepo();
    clean.commit('add', { 'victim.txt': 'this blob gets corrupted too\n' });
    const v2 = clean.git('rev-parse', 'HEAD:victim.txt').trim();
    const f2 = join(clean.dir, '.git', 'objects', v2.slice(0, 2), v2.slice(2));
    chmodSync(f2, 0o644);
    writeFileSync(f2, 'garbage');
    const r2 = runCli(['git', clean.dir]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/error: the scan is incomplete: 1 item could not be read/);
    expect(r2.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('damaged object stores', () => {
  /** `n` blobs written loose and then cut in half: git lists them, but cannot read them. */
  function truncatedBlobs(repo: TestRepo, n: number): string[] {
    const oids: string[] = [];
    for (let i = 0; i < n; i++) {
      const oid = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: `blob ${i}\n${'x'.repeat(3000)}${i}\n` }).toString().trim();
      const file = join(repo.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
      chmodSync(file, 0o644);
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      oids.push(oid);
    }
    return oids;
  }

  it('reports each of many unreadable objects, and still reads the rest', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('add', { 'k.env': `K=${key}\n` });
    const bad = truncatedBlobs(repo, 20);
    const r = runCli(['git', repo.dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => f.path)).toEqual(['k.env']);
    expect(report.stats.skipped.unreadable).toBe(20);
    // Each is named in the report; on the terminal, the first ten and then one line for the rest.
    for (const oid of bad) expect(report.warnings.join('\n')).toContain(`cannot read object ${oid}`);
    expect(r.stderr.match(/warning: cannot read object/g)).toHaveLength(10);
    expect(r.stderr).toContain('warning: and 10 more items could not be read (20 in all; --format json names each)');
  });

  it('reads every object exactly once across many git processes, around corrupt ones, from a listing that streams in', async () => {
    const repo = makeRepo();
    const good = new Map<string, string>();
    for (let i = 0; i < 120; i++) {
      const text = `object ${i}\n${'y'.repeat(500 + i * 37)}\n`;
      good.set(execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: text }).toString().trim(), text);
    }
    const bad = truncatedBlobs(repo, 3);
    const ids = [...good.keys()];
    const order = [...ids.slice(0, 40), bad[0], ...ids.slice(40, 80), bad[1], bad[2], ...ids.slice(80)] as string[];
    // The ids arrive in small batches, as from a listing still being written; 8 KB runs make ~20 git processes.
    async function* listing() {
      for (let i = 0; i < order.length; i += 7) {
        await new Promise((r) => setTimeout(r, 1));
        yield order.slice(i, i + 7).map((oid) => ({ oid, size: 400 + (good.get(oid)?.length ?? 0) }));
      }
    }
    for (const parts of [1, 2]) {
      const seen = new Map<string, number>();
      const problems: string[] = [];
      for await (const batch of readObjects(Git.at(repo.dir), listing(), (p) => problems.push(p.oid), parts, 8 * 1024)) {
        for (const obj of batch) {
          expect(obj.bytes.view().toString()).toBe(good.get(obj.oid));
          seen.set(obj.oid, (seen.get(obj.oid) ?? 0) + 1);
        }
      }
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      expect([...seen.keys()].sort()).toEqual([...ids].sort());
      expect(problems.sort()).toEqual([...bad].sort());
    }
  });

  it('keeps a batch readable while its consumer awaits, however often git is caught up with meanwhile', async () => {
    // Found on git/git: the first archive in a batch loads its reader (an await), and
    // the object reader, polling a git that answered everything so far, refilled the
    // buffer the batch was lent from ("lent bytes read after their buffer was refilled").
    const repo = makeRepo();
    const texts = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const text = `blob ${i}\n${'z'.repeat(200 + i)}\n`;
      texts.set(execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: text }).toString().trim(), text);
    }
    // Ten ids, then a pause in which git has answered everything it was asked, then the rest.
    const ids = [...texts.keys()];
    async function* pausing() {
      yield ids.slice(0, 10).map((oid) => ({ oid, size: 300 }));
      await new Promise((r) => setTimeout(r, 200));
      yield ids.slice(10).map((oid) => ({ oid, size: 300 }));
    }
    let read = 0;
    for await (const batch of readObjects(Git.at(repo.dir), pausing(), () => {}, 1)) {
      // The consumer holds the batch across an await, as the first archive's lazy import does.
      await new Promise((r) => setTimeout(r, 50));
      for (const obj of batch) expect(obj.bytes.view().toString()).toBe(texts.get(obj.oid));
      read += batch.length;
    }
    expect(read).toBe(texts.size);
  });

  it('says in one line when it cannot make its temporary files', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const r = runCli(['git', repo.dir], { env: { TMPDIR: join(repo.dir, 'no-such-folder') } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sk-scan: error: cannot create a temporary folder in .*no-such-folder \(ENOENT\); set TMPDIR to a writable folder$/);
  });

  it('names every object it cannot read, and exits 2 without a stack trace', () => {
    const repo = makeRepo();
    truncatedBlobs(repo, 70);
    const r = runCli(['git', repo.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read object [0-9a-f]{40}: corrupt: the loose object [0-9a-f]{40} does not inflate/);
    expect(r.stderr).toMatch(/the scan is incomplete: 70 items could not be read/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('read through git, stops with one line when git can read nothing at all, rather than trying every object', async () => {
    const repo = makeRepo();
    truncatedBlobs(repo, 70);
    await expect(scanGit([repo.dir], { readObjects: 'git', noCache: true })).rejects.toThrow(/git cat-file keeps failing: /);
  });
});

describe('report', () => {
  it('text output shows the commit, its author and whether the key is still at HEAD', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    const c = repo.commit('add', { 'k.env': `K=${key}\n` });
    const r = runCli(['git', repo.dir]);
    expect(r.stdout).toMatch(new RegExp(`k\\.env:1:3  ${c.slice(0, 7)} \\d{4}-\\d\\d-\\d\\d Dev One\\n`));
    expect(r.stdout).toContain('still in HEAD');
    const explained = runCli(['git', repo.dir, '--explain']);
    expect(explained.stdout).toMatch(new RegExp(`commit ${c.slice(0, 12)} \\(\\d{4}-\\d\\d-\\d\\d\\) by Dev One <dev@example.test>`));
    expect(explained.stdout).toMatch(/fingerprint [0-9a-f]{16}/);
    expect(r.stdout).not.toContain(key);
  });

  it('leaves no temporary clone behind even when the URL is bad', () => {
    // A temporary folder of its own: other test files clone URLs at the same time, into the shared one.
    const tmp = tempDir('sk-scan-tmp-');
    const r = runCli(['git', 'file:///definitely/not/a/repo'], { env: { TMPDIR: tmp } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sk-scan: error: cannot clone file:\/\/\/definitely\/not\/a\/repo/);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('submodules', () => {
  /** A superproject with vendor/lib, which has deps/x: each submodule's history holds a key its superproject never saw. */
  function superproject() {
    const keys = { lib: fakeKey('live'), deps: fakeKey('live') };
    const deps = makeRepo();
    deps.commit('init', { 'README.md': 'deps\n' });
    deps.commit('oops', { 'deps.env': `K=${keys.deps}\n` });
    deps.commit('fix', { 'deps.env': 'K=\n' });
    const lib = makeRepo();
    lib.commit('init', { 'README.md': 'lib\n' });
    lib.commit('oops', { 'lib.env': `K=${keys.lib}\n` });
    lib.commit('fix', { 'lib.env': 'K=\n' });
    lib.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', deps.dir, 'deps/x');
    lib.commit('add deps');
    const sup = makeRepo();
    sup.commit('init', { 'README.md': 'app\n' });
    sup.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib.dir, 'vendor/lib');
    sup.git('-c', 'protocol.file.allow=always', 'submodule', 'update', '-q', '--init', '--recursive');
    sup.commit('add lib');
    return { sup, keys };
  }

  it("scans the repositories a superproject keeps for its submodules, nested ones too, each a target of its own", () => {
    const { sup, keys } = superproject();
    const r = runCli(['git', sup.dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    const found = (key: string) => report.findings.filter((f: { secret: { redacted: string } }) => f.secret.redacted.endsWith(key.slice(-4)));
    expect(found(keys.lib).map((f: { target: string; path: string }) => [f.target.endsWith(join('.git', 'modules', 'vendor', 'lib')), f.path])).toEqual([[true, 'lib.env']]);
    expect(found(keys.deps).map((f: { target: string; path: string }) => [f.target.endsWith(join('modules', 'vendor', 'lib', 'modules', 'deps', 'x')), f.path])).toEqual([[true, 'deps.env']]);
    expect(report.targets).toHaveLength(3);
    expect(report.warnings.join('\n')).not.toMatch(/not scanned/);
  });

  it('counts a submodule whose repository is not in the clone as unread (exit 2, named); --no-submodules accepts it', () => {
    const { sup } = superproject();
    const copy = tempDir();
    execFileSync('git', ['clone', '-q', sup.dir, copy], { env: gitEnv() });
    const r = runCli(['git', copy]);
    expect(r.code).toBe(2);
    expect(r.stderr.replace(/\s+/g, ' ')).toMatch(/cannot read vendor\/lib: the submodule of \S+ at commit [0-9a-f]{12}: its repository is not in this clone \(git -C \S+ submodule update --init --recursive brings it/);
    const json = JSON.parse(runCli(['git', copy, '--format', 'json']).stdout);
    expect(json.stats.skipped.unreadable).toBe(1);
    const accepted = runCli(['git', copy, '--no-submodules']);
    expect(accepted.code).toBe(0);
    expect(accepted.stderr.replace(/\s+/g, ' ')).toMatch(/submodule vendor\/lib \(commit [0-9a-f]{12}\) is a separate repository, not scanned \(--no-submodules\)/);
    // Or by its path, as any unread item is accepted.
    writeFileSync(join(copy, '.sk-scanignore'), 'vendor/lib\n');
    expect(runCli(['git', copy]).code).toBe(0);
  });

  it('leaves submodules unread with `submodules: false` in .sk-scan.yaml, and the report says so; audit mode reads no such setting', () => {
    const { sup } = superproject();
    const copy = tempDir();
    execFileSync('git', ['clone', '-q', sup.dir, copy], { env: gitEnv() });
    writeFileSync(join(copy, '.sk-scan.yaml'), 'submodules: false\n');
    const r = runCli(['git', copy]);
    expect(r.code, r.stderr).toBe(0);
    const said = (r.stdout + r.stderr).replace(/\s+/g, ' ');
    expect(said).toMatch(/submodule vendor\/lib \(commit [0-9a-f]{12}\) is a separate repository, not scanned \(submodules: false in \S*\.sk-scan\.yaml\)/);
    expect(said).toContain("(the scanned tree's) sets submodules to false: the repositories of submodules are not scanned");
    // With the repository present, it is not scanned either: its key is not found.
    writeFileSync(join(sup.dir, '.sk-scan.yaml'), 'submodules: false\n');
    expect(JSON.parse(runCli(['git', sup.dir, '--format', 'json']).stdout).targets).toHaveLength(1);
    // The scanned tree's settings are not the auditor's.
    expect(runCli(['git', copy, '--audit']).code).toBe(2);
    writeFileSync(join(copy, '.sk-scan.yaml'), 'submodules: sometimes\n');
    const bad = runCli(['git', copy]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\.sk-scan\.yaml:1: `submodules` is true .* or false/);
  });

  it("is not taken for present through a link the superproject planted, nor through a name that climbs out of its modules", () => {
    const { sup } = superproject();
    const copy = tempDir();
    execFileSync('git', ['clone', '-q', sup.dir, copy], { env: gitEnv() });
    // .git/modules/vendor -> the original's: a repository there is reached through a link, which the scan never follows.
    mkdirSync(join(copy, '.git', 'modules'));
    symlinkSync(join(sup.dir, '.git', 'modules', 'vendor'), join(copy, '.git', 'modules', 'vendor'));
    const linked = runCli(['git', copy, '--format', 'json']);
    expect(linked.code).toBe(2);
    expect(JSON.parse(linked.stdout).targets).toHaveLength(1);
    // A .gitmodules whose name for vendor/lib climbs to a repository elsewhere.
    const other = makeRepo();
    other.commit('init', { 'a.txt': 'a\n' });
    const repo = repoAt(copy);
    repo.commit('rename', { '.gitmodules': `[submodule "../../../../${other.dir}/.git"]\n\tpath = vendor/lib\n\turl = ${other.dir}\n` });
    expect(runCli(['git', copy]).code).toBe(2);
  });
});
