/**
 * sk-scan installed into someone else's repository, for real: from the tarball
 * `npm pack` makes (as a dev dependency and globally) and from a git URL (which
 * builds dist/ on install). npm runs with --offline: everything comes from the
 * npm cache that installing this project filled, never the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from './helpers/git.js';
import { fakeKey } from './helpers/keys.js';
import { ROOT, tempDir } from './helpers/run.js';

const NPM = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, ...NPM], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh repository with a package.json and one planted key, as a user's project would be. */
function project(): { repo: TestRepo; key: string } {
  const repo = makeRepo();
  const key = fakeKey('live');
  repo.write({ 'package.json': JSON.stringify({ name: 'someones-app', version: '1.0.0', private: true }, null, 2), 'src/config.js': `export const key = '${key}';\n` });
  repo.write({ '.gitignore': 'node_modules/\n' });
  repo.commit('app');
  return { repo, key };
}

function run(bin: string, args: string[], cwd: string) {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A scan of a repository holding only the planted key: found, and nothing of sk-scan's own, even in node_modules. */
function expectOnlyThePlantedKey(bin: string, cwd: string) {
  const r = run(bin, ['dir', '.', '--no-ignore', '--format', 'json'], cwd);
  expect(r.stderr).not.toMatch(/error/);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout).findings.map((f: { path: string }) => f.path)).toEqual(['src/config.js']);
}

describe('installing the package', () => {
  let tarball = '';
  let files: string[] = [];

  beforeAll(() => {
    const out = tempDir();
    // dist/ is already built (test/global-setup.ts): packing need not build again.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    tarball = join(out, packed[0]?.filename ?? '');
    files = (packed[0]?.files ?? []).map((f) => f.path);
  });

  it('packs what running needs and nothing else', () => {
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/rules.json');
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    const outside = files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f));
    expect(outside).toEqual([]);
    // The rules ship without their key-shaped examples (the source keeps them for the tests).
    const rules = JSON.parse(readFileSync(join(ROOT, 'dist', 'rules.json'), 'utf8')) as { examples: { match: string[] } }[];
    for (const rule of rules) expect(rule.examples.match).toEqual([]);
  });

  it('installs from the tarball as a dev dependency, runs, and scans clean of itself', () => {
    const { repo } = project();
    npm(['install', '--save-dev', tarball], repo.dir);
    const bin = join(repo.dir, 'node_modules', '.bin', 'sk-scan');
    const r = run(bin, ['dir', '.'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/src\/config\.js:1:21/);
    expectOnlyThePlantedKey(bin, repo.dir);
    // npx finds the project's own copy, offline.
    expect(run('npx', ['--offline', 'sk-scan', '--version'], repo.dir).stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  }, 180_000);

  it('installs globally from the tarball', () => {
    const { repo } = project();
    const prefix = tempDir();
    npm(['install', '--global', '--prefix', prefix, tarball], repo.dir);
    const bin = join(prefix, 'bin', 'sk-scan');
    expect(existsSync(bin)).toBe(true);
    const r = run(bin, ['git'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/src\/config\.js:1:21/);
  }, 180_000);

  it('installs from a git URL, building dist/ on install', () => {
    // The committed state, as a user would name it.
    const clone = tempDir();
    execFileSync('git', ['clone', '-q', ROOT, clone]);
    const { repo } = project();
    npm(['install', '--save-dev', `git+file://${clone}`], repo.dir);
    const bin = join(repo.dir, 'node_modules', '.bin', 'sk-scan');
    expect(existsSync(join(repo.dir, 'node_modules', 'sk-scan', 'dist', 'cli', 'main.js'))).toBe(true);
    const r = run(bin, ['git'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/src\/config\.js:1:21/);
    expectOnlyThePlantedKey(bin, repo.dir);
  }, 300_000);
});
