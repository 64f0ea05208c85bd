/** `sk-scan staged` (the pre-commit command) and `sk-scan pre-push`, in real repositories. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitEnv, makeRepo, repoAt } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { CLI, runCli, tempDir } from '../helpers/run.js';

const json = (stdout: string) => JSON.parse(stdout) as { findings: { path: string; line: number; column: number; secret: { redacted: string } }[] };

describe('sk-scan staged', () => {
  it('judges the index: a staged key is found at its staged line', () => {
    const repo = makeRepo();
    repo.commit('init', { 'app.env': 'A=1\n' });
    const key = fakeKey('live');
    repo.write({ 'app.env': `A=1\nB=2\nCHATBOT_API_KEY=${key}\n` });
    repo.git('add', 'app.env');
    const r = runCli(['staged', '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(json(r.stdout).findings).toMatchObject([{ path: 'app.env', line: 3, column: 17 }]);
    expect(r.stdout).not.toContain(key);
  });

  it('ignores unstaged changes and untracked files', () => {
    const repo = makeRepo();
    repo.commit('init', { 'app.env': 'A=1\n' });
    repo.write({ 'app.env': `A=${fakeKey('live')}\n`, 'untracked.env': `K=${fakeKey('live')}\n` });
    const r = runCli(['staged'], { cwd: repo.dir });
    expect(r.code).toBe(0);
  });

  it('judges a partly staged file by its staged content, with staged line numbers', () => {
    const repo = makeRepo();
    repo.commit('init', { 'app.env': 'A=1\nB=2\n' });
    const staged = fakeKey('live');
    const unstaged = fakeKey('live');
    repo.write({ 'app.env': `A=1\nB=2\nK=${staged}\n` });
    repo.git('add', 'app.env');
    repo.write({ 'app.env': `U=${unstaged}\nA=1\nB=2\nK=${staged}\n` });
    const r = runCli(['staged', '--format', 'json'], { cwd: repo.dir });
    const found = json(r.stdout).findings;
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: 'app.env', line: 3, column: 3, secret: { redacted: `sk_live_…${staged.slice(-4)}` } });
  });

  it('reports only keys on the lines the change adds; with FILE arguments, the whole staged file', () => {
    const repo = makeRepo();
    const old = fakeKey('test');
    repo.commit('init', { 'app.env': `OLD=${old}\n` });
    repo.write({ 'app.env': `OLD=${old}\nNAME=bot\n` });
    repo.git('add', 'app.env');
    expect(runCli(['staged'], { cwd: repo.dir }).code).toBe(0);
    const whole = runCli(['staged', 'app.env', '--format', 'json'], { cwd: repo.dir });
    expect(whole.code).toBe(1);
    expect(json(whole.stdout).findings).toMatchObject([{ path: 'app.env', line: 1 }]);
  });

  it('works before the first commit', () => {
    const repo = makeRepo();
    repo.write({ 'first.env': `K=${fakeKey('live')}\n`, 'dir with space/é.txt': `x ${fakeKey('test')}\n` });
    repo.git('add', '-A');
    const r = runCli(['staged', '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(json(r.stdout).findings.map((f) => f.path).sort()).toEqual(['dir with space/é.txt', 'first.env']);
  });

  it('names files whose paths git quotes (spaces, tabs, quotes, backslashes, non-ASCII) exactly, with or without FILE arguments', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const names = ['with space.env', 'tab\there.env', 'quote"d.env', 'back\\slash.env', 'café/日本.env', 'trailing space .env'];
    repo.write(Object.fromEntries(names.map((n) => [n, `A=1\nK=${fakeKey('live')}\n`])));
    repo.git('add', '-A');
    const byDiff = runCli(['staged', '--format', 'json'], { cwd: repo.dir });
    expect(byDiff.code).toBe(1);
    expect(json(byDiff.stdout).findings.map((f) => [f.path, f.line])).toEqual([...names].sort().map((n) => [n, 2]));
    const byName = runCli(['staged', '--format', 'json', ...names], { cwd: repo.dir });
    expect(json(byName.stdout).findings.map((f) => f.path).sort()).toEqual([...names].sort());
  });

  it('passes a clean change, a deletion, and a sample key from the docs', () => {
    const repo = makeRepo();
    repo.commit('init', { 'gone.env': `K=${fakeKey('live')}\n`, 'a.txt': 'a\n' });
    repo.git('rm', '-q', 'gone.env');
    repo.write({ 'README.md': 'Format: sk_live_abc123xyz...\n' });
    repo.git('add', 'README.md');
    expect(runCli(['staged'], { cwd: repo.dir }).code).toBe(0);
  });

  it('says so when a FILE is not staged, and when this is not a repository', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const r = runCli(['staged', 'nope.txt'], { cwd: repo.dir });
    expect(r.stderr).toMatch(/cannot read nope\.txt: not in the index/);
    const outside = runCli(['staged'], { cwd: tempDir() });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^sk-scan: error: not a git repository/);
  });

  it('blocks a commit from a real pre-commit hook, and lets a clean one through', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const hook = join(repo.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" staged\n`);
    chmodSync(hook, 0o755);
    repo.write({ 'leak.env': `K=${fakeKey('live')}\n` });
    repo.git('add', 'leak.env');
    const blocked = spawnSync('git', ['commit', '-m', 'leak'], { cwd: repo.dir, env: gitEnv(), encoding: 'utf8' });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/^sk-scan: commit blocked: 1 live key in leak\.env:1\n {2}leak\.env:1:3 {2}sk_live_…\w{4} {2}CRITICAL\n/);
    repo.git('reset', '-q');
    repo.remove('leak.env');
    repo.write({ 'fine.txt': 'nothing secret\n' });
    repo.git('add', 'fine.txt');
    const passed = spawnSync('git', ['commit', '-m', 'fine'], { cwd: repo.dir, env: gitEnv(), encoding: 'utf8' });
    expect(passed.status).toBe(0);
  });
});

describe('sk-scan pre-push', () => {
  const ZERO = '0'.repeat(40);

  function remoteAndClone() {
    const remote = makeRepo({ bare: true });
    const work = tempDir();
    execFileSync('git', ['clone', '-q', remote.dir, work], { env: gitEnv() });
    const repo = repoAt(work);
    const onRemote = fakeKey('live');
    repo.commit('init', { 'old.env': `K=${onRemote}\n` }); // already public: not this push's problem
    repo.git('push', '-q', 'origin', 'HEAD:refs/heads/main');
    return { remote, repo, onRemote };
  }

  it('scans what a new branch adds, not what the remote already has', () => {
    const { remote, repo, onRemote } = remoteAndClone();
    repo.git('checkout', '-q', '-b', 'feature');
    const key = fakeKey('live');
    const c = repo.commit('feature', { 'new.env': `K=${key}\n` });
    const r = runCli(['pre-push', 'origin', remote.dir, '--format', 'json'], { cwd: repo.dir, input: `refs/heads/feature ${c} refs/heads/feature ${ZERO}\n` });
    expect(r.code).toBe(1);
    const found = json(r.stdout).findings;
    expect(found.map((f) => f.path)).toEqual(['new.env']);
    expect(r.stdout).not.toContain(onRemote.slice(-4) + '"');
  });

  it('scans what a force push sends', () => {
    const { remote, repo } = remoteAndClone();
    const before = repo.commit('safe', { 'a.txt': 'a\n' });
    repo.git('push', '-q', 'origin', 'HEAD:refs/heads/main');
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    const key = fakeKey('live');
    const rewritten = repo.commit('rewritten', { 'b.env': `K=${key}\n` });
    const r = runCli(['pre-push', 'origin', remote.dir, '--format', 'json'], {
      cwd: repo.dir,
      input: `refs/heads/main ${rewritten} refs/heads/main ${before}\n`,
    });
    expect(r.code).toBe(1);
    expect(json(r.stdout).findings.map((f) => f.path)).toEqual(['b.env']);
  });

  it('passes a branch deletion and a clean push', () => {
    const { remote, repo } = remoteAndClone();
    const head = repo.git('rev-parse', 'HEAD').trim();
    expect(runCli(['pre-push', 'origin', remote.dir], { cwd: repo.dir, input: `(delete) ${ZERO} refs/heads/old ${head}\n` }).code).toBe(0);
    const c = repo.commit('clean', { 'c.txt': 'c\n' });
    expect(runCli(['pre-push', 'origin', remote.dir], { cwd: repo.dir, input: `refs/heads/main ${c} refs/heads/main ${head}\n` }).code).toBe(0);
  });

  it('blocks a real git push through a pre-push hook', () => {
    const { repo } = remoteAndClone();
    const hook = join(repo.dir, '.git', 'hooks', 'pre-push');
    writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" pre-push "$@"\n`);
    chmodSync(hook, 0o755);
    repo.git('checkout', '-q', '-b', 'leaky');
    repo.commit('leak', { 'x.env': `K=${fakeKey('live')}\n` });
    const push = spawnSync('git', ['push', 'origin', 'leaky'], { cwd: repo.dir, env: gitEnv(), encoding: 'utf8' });
    expect(push.status).not.toBe(0);
    const said = push.stdout + push.stderr;
    expect(said).toMatch(/x\.env:1:3/);
    // Ours first, then git's own refusal.
    expect(said.indexOf('sk-scan: push blocked: 1 live key in x.env:1')).toBeGreaterThan(-1);
    expect(said.indexOf('sk-scan: push blocked')).toBeLessThan(said.indexOf('failed to push'));
    expect(said).toMatch(/To push anyway, once: git push --no-verify/);
    expect(said).not.toMatch(/Revoke/);
    expect(repoAt(repo.dir).tryGit('ls-remote', '--exit-code', 'origin', 'refs/heads/leaky').ok).toBe(false);
  });
});
