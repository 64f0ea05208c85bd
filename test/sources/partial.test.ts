/**
 * CI checkouts hold as little as they can: shallow clones, and partial clones
 * (`--filter=blob:none`, `blob:limit=1k`) whose store lacks blobs the history
 * names. A scan never passes what it did not read. Clones are made from real
 * repositories over file:// URLs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { CLI, runCli, tempDir } from '../helpers/run.js';

/** A repository that serves partial clones, whose only key sits in a 3 KB file of an older commit. */
function origin(): { repo: TestRepo; key: string } {
  const repo = makeRepo();
  repo.git('config', 'uploadpack.allowFilter', 'true');
  repo.git('config', 'uploadpack.allowAnySHA1InWant', 'true');
  const key = fakeKey('live');
  repo.commit('init', { 'readme.txt': 'hello\n' });
  repo.commit('big config', { 'big.env': `${'# padding\n'.repeat(300)}K=${key}\n`, 'small.txt': 'small\n' });
  repo.remove('big.env');
  repo.commit('drop it', { 'small.txt': 'still small\n' });
  return { repo, key };
}

function clone(args: string[], from: TestRepo): string {
  const dir = join(tempDir(), 'clone');
  execFileSync('git', ['clone', '-q', ...args, `file://${from.dir}`, dir], { stdio: 'ignore' });
  return dir;
}

/** A file the payload writes: proof that a program the repository named was run. */
function payload(dir: string): { marker: string; command: string } {
  const marker = join(dir, 'payload-ran');
  return { marker, command: `touch ${marker}; false` };
}

describe('partial clones', () => {
  it('never fetches what a blob:limit=1k clone lacks: names it, says how to fetch it, and does not pass; the advice works', () => {
    const { repo, key } = origin();
    const dir = clone(['--bare', '--filter=blob:limit=1k'], repo);
    // If sk-scan let git fetch, the repository's own upload-pack would run.
    const { marker, command } = payload(tempDir());
    execFileSync('git', ['-C', dir, 'config', 'remote.origin.uploadpack', command]);
    const r = runCli(['git', dir]);
    expect(r.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).toMatch(/cannot read object [0-9a-f]{40} \(big\.env in commit [0-9a-f]{12}\): missing from this partial clone \(sk-scan never fetches\)/);
    expect(r.stdout).toMatch(/^No keys in what was read; 1 item could not be read/);
    // The advice, pasted into a shell as printed (after the repository's own upload-pack is put back).
    execFileSync('git', ['-C', dir, 'config', '--unset', 'remote.origin.uploadpack']);
    const advice = /fetch them with (git -C .* fetch --refetch --no-filter origin) and scan again/.exec(r.stderr)?.[1];
    expect(advice).toBeDefined();
    execFileSync('sh', ['-c', advice as string], { stdio: 'ignore' });
    const again = runCli(['git', dir, '--format', 'json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).findings.map((f: { path: string }) => f.path)).toEqual(['big.env']);
    expect(again.stdout).not.toContain(key);
  });

  it('--no-fetch is still accepted, and changes nothing', () => {
    const { repo } = origin();
    const dir = clone(['--bare', '--filter=blob:limit=1k'], repo);
    const r = runCli(['git', dir, '--no-fetch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read object [0-9a-f]{40} \(big\.env in commit [0-9a-f]{12}\): missing from this partial clone/);
  });

  it('a range in a blob:none clone names the blobs it lacks and judges what it can read; no lazy fetch runs', () => {
    const { repo } = origin();
    const dir = clone(['--bare', '--filter=blob:none'], repo);
    const { marker, command } = payload(tempDir());
    execFileSync('git', ['-C', dir, 'config', 'remote.origin.uploadpack', command]);
    const r = runCli(['git', dir, '--range', 'HEAD~1^..HEAD~1', '--format', 'json']);
    expect(existsSync(marker)).toBe(false);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).stats.skipped.unreadable).toBe(2);
    expect(r.stderr).toMatch(/2 objects the range needs are missing from this partial clone \(sk-scan never fetches\): if you trust/);
    // Where the store has what the range changed, it is judged as before.
    const full = runCli(['git', clone(['--bare'], repo), '--range', 'HEAD~1^..HEAD~1', '--format', 'json']);
    expect(full.code).toBe(1);
    expect(JSON.parse(full.stdout).findings).toHaveLength(1);
  });

  it('a store that lost a blob the history names (not a partial clone) does not pass', () => {
    const { repo } = origin();
    const blob = repo.git('rev-parse', 'HEAD~1:big.env').trim();
    rmSync(join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const r = runCli(['git', repo.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read object ${blob} (big.env in commit ${repo.git("rev-parse", "HEAD~1").trim().slice(0, 12)}): named by the history but missing from the object store`);
  });
});

describe('shallow clones', () => {
  it('a range reaching past the boundary says what to fetch, in one line', () => {
    const { repo } = origin();
    const dir = clone(['--depth', '1'], repo);
    const r = spawnSync(process.execPath, [CLI, 'git', '--range', 'HEAD~2..HEAD'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'sk-scan: error: --range HEAD~2..HEAD: not in this shallow clone: fetch the history the range needs (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)',
    );
  });
});
