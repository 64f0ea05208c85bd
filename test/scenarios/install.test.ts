/**
 * sk-scan installed into someone else's repository, for real: from the tarball
 * `npm pack` makes (as a dev dependency and globally) and from a git URL (which
 * builds dist/ on install). npm runs with --offline: everything comes from the
 * npm cache that installing this project filled, never the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gitEnv, makeRepo, type TestRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { ROOT, tempDir } from '../helpers/run.js';

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

/** A project with sk-scan installed from the tarball as a dev dependency (package-lock.json included). */
let tarballForProjects = '';
function installed(): { repo: TestRepo; key: string } {
  const p = project();
  npm(['install', '--save-dev', tarballForProjects], p.repo.dir);
  return p;
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
    tarballForProjects = tarball;
    files = (packed[0]?.files ?? []).map((f) => f.path);
  });

  it('packs what running needs and nothing else', () => {
    expect(files).toContain('dist/bin/sk-scan.js');
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

  it('prints commands that run where they are pasted: run through npx, the report says npx sk-scan, and it works from a shell without node_modules/.bin', () => {
    const { repo } = installed();
    const sub = join(repo.dir, 'src');
    // From a folder inside the project, as a user often is.
    const report = run('npx', ['--offline', 'sk-scan', 'git', '..'], sub);
    expect(report.code).toBe(1);
    // The line as the terminal shows it, copied whole: the command has a line of its own.
    const accept = /accept every finding above\s+with:\n {2}(.+)$/m.exec(report.stdout)?.[1];
    expect(accept).toMatch(/^npx sk-scan git \.\. --update-baseline$/);
    // The user's shell: the system PATH, without any node_modules/.bin that npx added for its child.
    const plainPath = (process.env['PATH'] ?? '').split(':').filter((d) => !d.endsWith('node_modules/.bin')).join(':');
    const pasted = spawnSync('sh', ['-c', accept ?? 'false'], { cwd: sub, encoding: 'utf8', env: { ...process.env, PATH: plainPath, npm_config_offline: 'true' } });
    expect(pasted.status).toBe(0);
    expect(existsSync(join(repo.dir, '.sk-scan-baseline.json'))).toBe(true);
  }, 180_000);

  it("init --ci github writes a workflow whose steps work as written, for a pull request with two keys", () => {
    const { repo } = installed();
    const init = run(join(repo.dir, 'node_modules', '.bin', 'sk-scan'), ['init', '--ci', 'github'], repo.dir);
    expect(init.code).toBe(0);
    const workflow = parse(readFileSync(join(repo.dir, '.github', 'workflows', 'sk-scan.yml'), 'utf8')) as { jobs: { 'sk-scan': { steps: { id?: string; run?: string }[] } } };
    const steps = workflow.jobs['sk-scan'].steps;
    repo.commit('ci', {});
    const base = repo.git('rev-parse', 'HEAD').trim();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.commit('two keys', { 'src/a.js': `const a = '${fakeKey('live')}';\n`, 'config/b.env': `B=${fakeKey('live', 'prod')}\n` });
    const head = repo.git('rev-parse', 'HEAD').trim();
    const dir = tempDir('sk-scan-runner-');
    writeFileSync(join(dir, 'event.json'), JSON.stringify({ number: 3, pull_request: { number: 3, base: { sha: base }, head: { sha: head } } }));
    writeFileSync(join(dir, 'summary.md'), '');
    writeFileSync(join(dir, 'output'), '');
    const env = { ...process.env, npm_config_offline: 'true', GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: join(dir, 'event.json'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), GITHUB_OUTPUT: join(dir, 'output'), RUNNER_TEMP: dir };
    const ran = steps.filter((step) => step.run !== undefined).map((step) => ({ id: step.id, ...spawnSync('bash', ['-e', '-c', step.run as string], { cwd: repo.dir, env, encoding: 'utf8' }) }));
    expect(ran.map((r) => r.status)).toEqual([0, 1]);
    const scan = ran.find((r) => r.id === 'sk-scan');
    expect(scan?.stdout).toMatch(/^::error file=src\/a\.js,line=1,col=12/m);
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^## sk-scan: 2 keys in 2 places/);
    expect(readFileSync(join(dir, 'output'), 'utf8')).toMatch(/^findings=2\nsarif=.*sk-scan\.sarif$/m);
  }, 180_000);

  it('init --ci github in a repository without a lockfile (package-lock=false) writes an install step that works there, says so, and says what exists when run again', () => {
    const { repo } = project();
    repo.write({ '.npmrc': 'package-lock=false\n' });
    npm(['install', '--save-dev', tarballForProjects], repo.dir);
    expect(existsSync(join(repo.dir, 'package-lock.json'))).toBe(false);
    const bin = join(repo.dir, 'node_modules', '.bin', 'sk-scan');
    const init = run(bin, ['init', '--ci', 'github'], repo.dir);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/no lockfile here \(\.npmrc says package-lock=false\), so CI installs with npm install/);
    const workflow = parse(readFileSync(join(repo.dir, '.github', 'workflows', 'sk-scan.yml'), 'utf8')) as { jobs: { 'sk-scan': { steps: { id?: string; run?: string }[] } } };
    const install = workflow.jobs['sk-scan'].steps.find((step) => step.run !== undefined && step.id === undefined)?.run ?? '';
    expect(install).toMatch(/^npm install /);
    // As the runner would: a fresh checkout, no node_modules, the step as written.
    const checkout = tempDir('sk-scan-checkout-');
    execFileSync('git', ['clone', '-q', repo.dir, checkout]);
    execFileSync('cp', [join(repo.dir, 'package.json'), join(repo.dir, '.npmrc'), checkout]);
    const ran = spawnSync('bash', ['-e', '-c', install], { cwd: checkout, env: { ...process.env, npm_config_offline: 'true' }, encoding: 'utf8' });
    expect(ran.status).toBe(0);
    expect(existsSync(join(checkout, 'node_modules', '.bin', 'sk-scan'))).toBe(true);
    // Again: the file is what init writes, and it says so; changed by hand, it is refused, saying what differs.
    const again = run(bin, ['init', '--ci', 'github'], repo.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\.github\/workflows\/sk-scan\.yml \(already there, as init writes it: nothing to change\)/);
    writeFileSync(join(repo.dir, '.github', 'workflows', 'sk-scan.yml'), 'name: mine\n');
    const changed = run(bin, ['init', '--ci', 'github'], repo.dir);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/already exists and differs from what sk-scan init writes \(\d+ of its lines: 'name: sk-scan', .*\); not overwritten/);
  }, 180_000);

  it('init --ci gitlab writes a job whose script works as written, for a merge request and a push', () => {
    const { repo } = installed();
    expect(run(join(repo.dir, 'node_modules', '.bin', 'sk-scan'), ['init', '--ci', 'gitlab'], repo.dir).code).toBe(0);
    const job = (parse(readFileSync(join(repo.dir, '.gitlab-ci.yml'), 'utf8')) as { 'sk-scan': { script: string[]; artifacts: { reports: { junit: string } } } })['sk-scan'];
    repo.commit('ci', {});
    const base = repo.git('rev-parse', 'HEAD').trim();
    repo.commit('key', { 'new.env': `K=${fakeKey('live')}\n` });
    const head = repo.git('rev-parse', 'HEAD').trim();
    const script = (vars: Record<string, string>) => spawnSync('sh', ['-e', '-c', job.script.join('\n')], { cwd: repo.dir, env: { ...process.env, npm_config_offline: 'true', CI_COMMIT_SHA: head, ...vars }, encoding: 'utf8' });
    const mr = script({ CI_MERGE_REQUEST_DIFF_BASE_SHA: base });
    expect(mr.status).toBe(1);
    const xml = readFileSync(join(repo.dir, job.artifacts.reports.junit), 'utf8');
    expect(xml).toMatch(/failures="1"/);
    expect(xml).toContain('new.env');
    expect(xml).not.toContain('src/config.js'); // the planted key predates the merge request
    const push = script({ CI_COMMIT_BEFORE_SHA: head });
    expect(push.status).toBe(0);
    const firstPush = script({ CI_COMMIT_BEFORE_SHA: '0'.repeat(40) });
    expect(firstPush.status).toBe(1);
    expect(readFileSync(join(repo.dir, 'sk-scan.xml'), 'utf8')).toMatch(/failures="2"/);
  }, 180_000);

  it('init --hook pre-commit writes local hooks the real pre-commit tool runs', () => {
    const { repo } = installed();
    expect(run(join(repo.dir, 'node_modules', '.bin', 'sk-scan'), ['init', '--hook', 'pre-commit'], repo.dir).stdout).toMatch(/wrote \.pre-commit-config\.yaml; now run: pre-commit install/);
    repo.commit('hooks', {});
    const env = { ...process.env, PRE_COMMIT_HOME: join(tempDir(), 'cache'), npm_config_offline: 'true' };
    execFileSync('pre-commit', ['install'], { cwd: repo.dir, env });
    repo.write({ 'leak.env': `K=${fakeKey('live')}\n` });
    repo.git('add', 'leak.env');
    const blocked = spawnSync('git', ['commit', '-m', 'leak'], { cwd: repo.dir, env: { ...gitEnv(), ...env }, encoding: 'utf8' });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/sk-scan: commit blocked: 1 live key in leak\.env:1/);
  }, 180_000);

  it("the README's install commands work when pasted into a fresh repository, and then in a teammate's clone of it", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- use-it[^>]*-->\n```sh\n([\s\S]*?)```\n<!-- \/use-it -->/.exec(readme)?.[1] as string;
    expect(block).toMatch(/^SK_SCAN_TGZ=/);
    // The tarball the README names is the one npm pack makes of this version.
    expect(block).toContain(basename(tarball));
    // Where the tarball is is the one line a reader adapts.
    const script = block.replace(/^SK_SCAN_TGZ=.*$/m, `SK_SCAN_TGZ='${tarball}'`);
    const { repo } = project();
    const env = { ...process.env, npm_config_offline: 'true', CI: '1' };
    const r = spawnSync('sh', ['-e', '-c', script], { cwd: repo.dir, env, encoding: 'utf8' });
    // The last command is the audit, which finds the planted key.
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/installed the pre-commit hook/);
    expect(r.stdout).toMatch(/wrote \.github\/workflows\/sk-scan\.yml/);
    expect(r.stdout).toMatch(/src\/config\.js:1:21/);
    expect(JSON.parse(readFileSync(join(repo.dir, 'package.json'), 'utf8')).devDependencies['sk-scan']).toBe(`file:vendor/${basename(tarball)}`);
    // A teammate clones the repository and installs: the tarball is in it, so nothing outside is needed.
    repo.git('commit', '-q', '-m', 'sk-scan');
    const teammate = tempDir('sk-scan-teammate-');
    execFileSync('git', ['clone', '-q', repo.dir, teammate]);
    expect(spawnSync('npm', ['ci', ...NPM], { cwd: teammate, env, encoding: 'utf8' }).status).toBe(0);
    const audit = spawnSync('npx', ['--no', 'sk-scan', 'git', '.'], { cwd: teammate, env, encoding: 'utf8' });
    expect(audit.status).toBe(1);
    expect(audit.stdout).toMatch(/src\/config\.js:1:21/);
  }, 180_000);

  it('init --ci github-org: the shard and merge steps it writes, run here over three repositories in two shards, report what one unsharded run does', () => {
    const { repo } = installed();
    const bin = join(repo.dir, 'node_modules', '.bin', 'sk-scan');
    expect(run(bin, ['init', '--ci', 'github-org'], repo.dir).stdout).toMatch(/wrote \.github\/workflows\/sk-scan-audit\.yml and audit-targets\.txt/);
    const workflow = parse(readFileSync(join(repo.dir, '.github', 'workflows', 'sk-scan-audit.yml'), 'utf8')) as { jobs: Record<string, { steps: { name?: string; run?: string }[] }> };
    const shardStep = workflow.jobs['audit']?.steps.find((s) => s.name?.startsWith('Audit'))?.run as string;
    const mergeStep = workflow.jobs['report']?.steps.find((s) => s.name?.startsWith('Merge'))?.run as string;
    const shared = fakeKey('live');
    const repos = ['a', 'b', 'c'].map((name, i) => {
      const r = makeRepo();
      r.commit(name, { [`${name}.env`]: `K=${i === 1 ? fakeKey('test') : shared}\nP=${fakeKey('live', 'prod')}\n` });
      return r.dir;
    });
    writeFileSync(join(repo.dir, 'audit-targets.txt'), `# the org\n${repos.join('\n')}\n`);
    const env = { ...process.env, npm_config_offline: 'true', CI: '1', SHARDS: '2', GITHUB_STEP_SUMMARY: join(tempDir(), 'summary.md') };
    for (const shard of ['0', '1']) expect(spawnSync('bash', ['-e', '-c', shardStep], { cwd: repo.dir, env: { ...env, SHARD: shard }, encoding: 'utf8' }).status).toBe(0);
    // Keys were found: the report job fails, after writing the report.
    expect(spawnSync('bash', ['-e', '-c', mergeStep], { cwd: repo.dir, env, encoding: 'utf8' }).status).toBe(1);
    expect(readFileSync(join(repo.dir, 'sk-scan-audit.html'), 'utf8')).toContain('<title>sk-scan audit: 5 keys</title>');
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')).toMatch(/^## sk-scan: 5 keys in 6 places/);
    const merged = JSON.parse(run(bin, ['merge', 'sk-scan-shard-0.json', 'sk-scan-shard-1.json', '--format', 'json'], repo.dir).stdout);
    const whole = JSON.parse(run(bin, ['git', ...repos, '--format', 'json'], repo.dir).stdout);
    const places = (r: { findings: { target: string; path: string; line: number }[] }) => r.findings.map((f) => `${f.target}:${f.path}:${f.line}`).sort();
    expect(places(merged)).toEqual(places(whole));
    expect(merged.secrets.map((s: { sha256: string; occurrences: number }) => `${s.sha256}:${s.occurrences}`).sort()).toEqual(whole.secrets.map((s: { sha256: string; occurrences: number }) => `${s.sha256}:${s.occurrences}`).sort());
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
    // As a global user runs it (sk-scan on PATH, no node_modules/.bin): the accept command the report prints, pasted into sh.
    const env = { ...process.env, CI: '1', PATH: [join(prefix, 'bin'), ...(process.env['PATH'] ?? '').split(':').filter((d) => !d.endsWith('node_modules/.bin'))].join(':') };
    const found = spawnSync('sk-scan', ['git'], { cwd: repo.dir, encoding: 'utf8', env });
    expect(found.status).toBe(1);
    const accept = /accept every finding above\s+with:\n {2}(.+)$/m.exec(found.stdout)?.[1] ?? '';
    expect(accept).toBe('sk-scan git --update-baseline');
    expect(spawnSync('sh', ['-c', accept], { cwd: repo.dir, encoding: 'utf8', env }).status).toBe(0);
    expect(run(bin, ['git'], repo.dir).code).toBe(0);
  }, 180_000);

  it("init --ci github warns when the repository's .npmrc refuses the git install package.json names", () => {
    const { repo } = installed();
    const bin = join(repo.dir, 'node_modules', '.bin', 'sk-scan');
    const pkg = JSON.parse(readFileSync(join(repo.dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    pkg.devDependencies['sk-scan'] = 'git+https://git.example.test/sk-scan.git#v0.1.0';
    writeFileSync(join(repo.dir, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(repo.dir, '.npmrc'), 'allow-git=none\n');
    const init = run(bin, ['init', '--ci', 'github'], repo.dir);
    expect(init.code).toBe(0);
    expect(`${init.stdout}${init.stderr}`.replace(/\s+/g, ' ')).toMatch(/\.npmrc refuses git dependencies \(allow-git=none\), and package\.json installs sk-scan from git \(git\+https:\/\/git\.example\.test\/sk-scan\.git#v0\.1\.0\): CI's install will fail/);
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
