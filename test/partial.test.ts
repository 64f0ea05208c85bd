/**
 * CI checkouts hold as little as they can: shallow clones, and partial clones
 * (`--filter=blob:none`, `blob:limit=1k`) whose store lacks blobs the history
 * names. A scan never passes what it did not read. Clones are made from real
 * repositories over file:// URLs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from './helpers/git.js';
import { fakeKey } from './helpers/keys.js';
import { CLI, runCli, tempDir } from './helpers/run.js';

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

describe('partial clones', () => {
  it('fetches the blobs a blob:limit=1k clone lacks, in one batch, and finds the key in them', () => {
    const { repo } = origin();
    const dir = clone(['--bare', '--filter=blob:limit=1k'], repo);
    const r = runCli(['git', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { path: string }) => f.path)).toEqual(['big.env']);
    expect(r.stderr).toMatch(/partial clone: fetched 1 object it lacked from origin, to scan them/);
  });

  it('with --no-fetch, counts what it lacks as unread and does not pass', () => {
    const { repo } = origin();
    const dir = clone(['--bare', '--filter=blob:limit=1k'], repo);
    const r = runCli(['git', dir, '--no-fetch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read object [0-9a-f]{40} \(big\.env in commit [0-9a-f]{12}\): missing from this partial clone \(--no-fetch\)/);
    expect(r.stdout).toMatch(/^No keys in what was read; 1 object could not be read/);
  });

  it('reads a range through git lazy fetching in a blob:none clone', () => {
    const { repo } = origin();
    const dir = clone(['--bare', '--filter=blob:none'], repo);
    const r = runCli(['git', dir, '--range', 'HEAD~1^..HEAD~1', '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toHaveLength(1);
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
