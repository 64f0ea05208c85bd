/** Adopting sk-scan on an old repository: baseline, ignores, hooks (git, husky, pre-commit), init. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDir } from '../../src/index.js';
import { gitEnv, makeRepo, repoAt, type TestRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { startPlatform, type FakePlatform } from '../helpers/platform.js';
import { ROOT, runCli, runCliAsync, tempDir, writeTree } from '../helpers/run.js';

describe('baseline', () => {
  it("accepts today's keys without storing them, keeps accepting them when lines move, and fails on a new key", () => {
    const old = fakeKey('live');
    const dir = writeTree(tempDir(), { 'app.env': `A=1\nK=${old}\n` });
    const write = runCli(['dir', dir, '--update-baseline']);
    expect(write.code).toBe(0);
    const file = join(dir, '.sk-scan-baseline.json');
    const baseline = readFileSync(file, 'utf8');
    expect(baseline).not.toContain(old);
    expect(baseline).not.toContain(old.slice(-8));
    expect(JSON.parse(baseline).entries).toEqual([{ ruleId: 'chatbot-live-key', path: 'app.env', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(runCli(['dir', dir]).code).toBe(0);

    writeFileSync(join(dir, 'app.env'), `# moved down\n\n\nA=1\n  K = ${old}\n`);
    expect(runCli(['dir', dir]).code).toBe(0);

    const fresh = fakeKey('live');
    writeFileSync(join(dir, 'app.env'), `A=1\nK=${old}\nNEW=${fresh}\n`);
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { line: number }) => f.line)).toEqual([3]);
  });

  it('takes --baseline FILE, and says which file is broken', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n` });
    const file = join(tempDir(), 'accepted.json');
    expect(runCli(['dir', dir, '--baseline', file, '--update-baseline']).code).toBe(0);
    expect(runCli(['dir', dir, '--baseline', file]).code).toBe(0);
    expect(runCli(['dir', dir]).code).toBe(1);
    const missing = runCli(['dir', dir, '--baseline', join(dir, 'typo.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sk-scan: error: baseline file not found: .*typo\.json/);
    writeFileSync(file, '{ not json');
    const broken = runCli(['dir', dir, '--baseline', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^sk-scan: error: .*accepted\.json(:\d+)?: not valid JSON/);
  });

  describe('with --verify', () => {
    let platform: FakePlatform;
    beforeEach(async () => {
      platform = await startPlatform();
    });
    afterEach(async () => {
      await platform.close();
    });

    it('still reports a baselined key the platform says is live', async () => {
      const live = fakeKey('live');
      const dead = fakeKey('live');
      platform.keys.set(live, 'active').set(dead, 'invalid');
      const dir = writeTree(tempDir(), { 'a.env': `K=${live}\n`, 'b.env': `K=${dead}\n` });
      await scanDir([dir], { updateBaseline: true, threads: 1 });
      const warnings: string[] = [];
      const r = await scanDir([dir], { verify: { baseUrl: platform.url, backoffMs: 5 }, threads: 1, onWarning: (w) => warnings.push(w) });
      expect(r.findings.map((f) => [f.path, f.verification.status])).toEqual([['a.env', 'active']]);
      expect(warnings.join('\n')).toMatch(/1 baselined finding\(s\) hold a key the platform says is live/);
    });

    it('never takes a live key into the baseline: --update-baseline --verify leaves it out and fails on it', async () => {
      const live = fakeKey('live');
      const dead = fakeKey('live');
      platform.keys.set(live, 'active').set(dead, 'invalid');
      const dir = writeTree(tempDir(), { 'a.env': `K=${live}\n`, 'b.env': `K=${dead}\n` });
      const r = await runCliAsync(['dir', dir, '--update-baseline', '--verify', '--verify-url', platform.url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/a\.env:1:3/);
      expect(r.stdout).not.toMatch(/b\.env/);
      expect(r.stderr).toMatch(/wrote .*\.sk-scan-baseline\.json: 1 entry, 1 added, 0 dropped/);
      expect(JSON.parse(readFileSync(join(dir, '.sk-scan-baseline.json'), 'utf8')).entries.map((e: { path: string }) => e.path)).toEqual(['b.env']);
    });
  });
});

describe('ignores', () => {
  it('.sk-scanignore (gitignore syntax), fingerprints in the config, inline allow; --include-suppressed says why', () => {
    const keys = [fakeKey('live'), fakeKey('live'), fakeKey('live'), fakeKey('live')];
    const dir = writeTree(tempDir(), {
      '.sk-scanignore': '# demo data\ndocs/**\n!docs/keep.md\n',
      'docs/demo.md': `K=${keys[0]}\n`,
      'docs/keep.md': `K=${keys[1]}\n`,
      'src/app.env': `K=${keys[2]} # sk-scan:allow -- revoked in 2023\n`,
      'src/other.env': `K=${keys[3]}\n`,
    });
    const first = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout);
    expect(first.findings.map((f: { path: string }) => f.path)).toEqual(['docs/keep.md', 'src/other.env']);
    const fp = first.findings.find((f: { path: string }) => f.path === 'src/other.env').fingerprint;
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    writeFileSync(join(dir, '.sk-scan.yaml'), `ignore:\n  - ${fp}\n`);
    const r = runCli(['dir', dir, '--format', 'json', '--include-suppressed']);
    expect(r.code).toBe(1);
    const why = Object.fromEntries(JSON.parse(r.stdout).findings.map((f: { path: string; suppressed?: { reason: string } }) => [f.path, f.suppressed?.reason ?? null]));
    expect(why).toEqual({
      'docs/keep.md': null,
      'docs/demo.md': 'path listed in .sk-scanignore',
      'src/app.env': 'sk-scan:allow -- revoked in 2023',
      'src/other.env': `fingerprint ${fp} ignored by the config`,
    });
    const text = runCli(['dir', dir, '--include-suppressed']).stdout;
    expect(text).toMatch(/Accepted \(3\), listed by --include-suppressed:/);
    expect(text).toMatch(/src\/app\.env:1:3 {2}sk_live_…\w{4} {2}sk-scan:allow -- revoked in 2023/);
  });
});

describe('install-hook', () => {
  const commit = (dir: string, message: string) => spawnSync('git', ['commit', '-m', message], { cwd: dir, env: gitEnv(), encoding: 'utf8' });

  function repoWithHook(args: string[] = []) {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const r = runCli(['install-hook', ...args], { cwd: repo.dir });
    return { repo, r };
  }

  it('blocks a commit carrying a key with the fix and the ways out, and lets a clean one through', () => {
    const { repo, r } = repoWithHook();
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(/installed the pre-commit hook at \S*\.git\/hooks\/pre-commit/);
    repo.write({ 'config.env': `A=1\nK=${fakeKey('live')}\n` });
    repo.git('add', 'config.env');
    const blocked = commit(repo.dir, 'leak');
    expect(blocked.status).not.toBe(0);
    const said = blocked.stdout + blocked.stderr;
    const lines = said.trimEnd().split('\n');
    expect(lines[0]).toBe('sk-scan: commit blocked: 1 live key in config.env:2');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(said).toMatch(/config\.env:2:3 {2}sk_live_…\w{4}/);
    expect(said).toMatch(/not left this machine/);
    expect(said).not.toMatch(/Revoke/);
    expect(said).toMatch(/sk-scan:allow -- why/);
    expect(said).toMatch(/git commit --no-verify/);
    // The way to accept it works as printed.
    const accept = lines.find((l) => l.includes('--update-baseline'))?.trim() as string;
    expect(spawnSync('sh', ['-c', accept], { cwd: repo.dir, encoding: 'utf8' }).status).toBe(0);
    expect(commit(repo.dir, 'accepted').status).toBe(0);
    repo.git('rm', '-q', 'config.env');
    repo.git('commit', '-q', '-m', 'gone');
    repo.write({ 'b.txt': 'fine\n' });
    repo.git('add', 'b.txt');
    const clean = commit(repo.dir, 'clean');
    expect(clean.status).toBe(0);
    expect(clean.stderr).toMatch(/^sk-scan: no keys in the staged change \(1 file\)$/m);
  });

  it('the way to accept that it prints makes the same commit pass, for git commit FILE, -a, -p and plain, typed in a subfolder', () => {
    const modes: [string, (repo: TestRepo) => ReturnType<typeof spawnSync>][] = [
      ['plain', (repo) => (repo.git('add', 'sub/app.env'), commit(repo.dir, 'plain'))],
      ['FILE', (repo) => spawnSync('git', ['commit', '-m', 'only', 'sub/app.env'], { cwd: repo.dir, env: gitEnv(), encoding: 'utf8' })],
      ['-a', (repo) => spawnSync('git', ['commit', '-a', '-m', 'all'], { cwd: repo.dir, env: gitEnv(), encoding: 'utf8' })],
      ['-p', (repo) => spawnSync('git', ['commit', '-p', '-m', 'patch'], { cwd: repo.dir, env: gitEnv(), encoding: 'utf8', input: 'y\n' })],
    ];
    for (const [mode, commitIt] of modes) {
      const { repo } = repoWithHook();
      repo.commit('tracked', { 'sub/app.env': 'A=1\n' });
      repo.write({ 'sub/app.env': `A=1\nK=${fakeKey('live')}\n` });
      const blocked = commitIt(repo);
      expect({ mode, status: blocked.status }).not.toEqual({ mode, status: 0 });
      const accept = String(blocked.stdout) + String(blocked.stderr);
      const line = accept.split('\n').find((l) => l.includes('--update-baseline'))?.trim() ?? '';
      expect({ mode, line }).toEqual({ mode, line: expect.stringMatching(/staged --update-baseline && git add :\/\.sk-scan-baseline\.json$/) as string });
      // Pasted where the user is: a folder inside the repository.
      const pasted = spawnSync('sh', ['-c', line], { cwd: join(repo.dir, 'sub'), encoding: 'utf8', env: gitEnv() });
      expect({ mode, status: pasted.status, err: pasted.stderr }).toEqual({ mode, status: 0, err: expect.any(String) as string });
      // The same commit, again: it passes.
      if (mode === 'plain' || mode === '-p') repo.git('reset', '-q', 'sub/app.env');
      const again = commitIt(repo);
      expect({ mode, status: again.status, said: String(again.stdout) + String(again.stderr) }).toEqual({ mode, status: 0, said: expect.any(String) as string });
    }
  }, 120_000);

  it('honours core.hooksPath', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.git('config', 'core.hooksPath', '.githooks');
    expect(runCli(['install-hook'], { cwd: repo.dir }).code).toBe(0);
    expect(existsSync(join(repo.dir, '.githooks', 'pre-commit'))).toBe(true);
    repo.write({ 'x.env': `K=${fakeKey('live')}\n` });
    repo.git('add', 'x.env');
    expect(commit(repo.dir, 'leak').status).not.toBe(0);
  });

  it('never clobbers an existing hook: refuses, or with --chain runs it first', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const hook = join(repo.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\necho "lint ran" >> "${join(repo.dir, '.git', 'lint.log')}"\n`);
    chmodSync(hook, 0o755);
    const refused = runCli(['install-hook'], { cwd: repo.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/a pre-commit hook already exists at .*not replacing it.*--chain/);
    expect(readFileSync(hook, 'utf8')).toContain('lint ran');
    expect(runCli(['install-hook', '--chain'], { cwd: repo.dir }).code).toBe(0);
    repo.write({ 'b.txt': 'b\n' });
    repo.git('add', 'b.txt');
    expect(commit(repo.dir, 'ok').status).toBe(0);
    expect(readFileSync(join(repo.dir, '.git', 'lint.log'), 'utf8')).toBe('lint ran\n');
    repo.write({ 'c.env': `K=${fakeKey('live')}\n` });
    repo.git('add', 'c.env');
    expect(commit(repo.dir, 'leak').status).not.toBe(0);
  });

  it('--pre-push installs the pre-push hook, which blocks a push carrying a key', () => {
    const remote = makeRepo({ bare: true });
    const work = tempDir();
    execFileSync('git', ['clone', '-q', remote.dir, work], { env: gitEnv() });
    const repo = repoAt(work);
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.git('push', '-q', 'origin', 'HEAD:refs/heads/main');
    expect(runCli(['install-hook', '--pre-push'], { cwd: work }).code).toBe(0);
    repo.commit('leak', { 'k.env': `K=${fakeKey('live')}\n` });
    const push = spawnSync('git', ['push', 'origin', 'HEAD:refs/heads/main'], { cwd: work, env: gitEnv(), encoding: 'utf8' });
    expect(push.status).not.toBe(0);
    expect(push.stdout + push.stderr).toMatch(/k\.env:1:3/);
  });

  it('--husky writes .husky/pre-commit for husky v9, and adds to an existing one', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    expect(runCli(['install-hook', '--husky'], { cwd: repo.dir }).code).toBe(0);
    expect(readFileSync(join(repo.dir, '.husky', 'pre-commit'), 'utf8')).toBe('sk-scan staged\n');
    const other = makeRepo();
    other.commit('init', { 'a.txt': 'a\n' });
    mkdirSync(join(other.dir, '.husky'));
    writeFileSync(join(other.dir, '.husky', 'pre-commit'), 'npm run lint\n');
    expect(runCli(['install-hook', '--husky'], { cwd: other.dir }).code).toBe(0);
    expect(readFileSync(join(other.dir, '.husky', 'pre-commit'), 'utf8')).toBe('npm run lint\nsk-scan staged\n');
    expect(runCli(['install-hook', '--husky'], { cwd: other.dir }).stdout).toMatch(/already runs sk-scan/);
  });

  it('says so outside a repository', () => {
    const r = runCli(['install-hook'], { cwd: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sk-scan: error: not a git repository/);
  });
});

describe('init', () => {
  it('writes a commented .sk-scan.yaml that loads, prints the set-up, and never overwrites', async () => {
    const dir = tempDir();
    const r = runCli(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    const yaml = readFileSync(join(dir, '.sk-scan.yaml'), 'utf8');
    expect(yaml).toMatch(/^# sk-scan configuration/);
    for (const what of ['install-hook --husky', 'init --hook pre-commit', 'init --ci github', 'init --ci gitlab']) expect(r.stdout).toContain(what);
    expect(r.stdout).not.toMatch(/npx --yes/);
    writeFileSync(join(dir, 'a.env'), `K=${fakeKey('live')}\n`);
    expect((await scanDir([dir], { threads: 1 })).findings).toHaveLength(1);
    // Asks nothing, overwrites nothing: the config is kept; a CI file that exists is refused.
    writeFileSync(join(dir, '.sk-scan.yaml'), 'exclude: [mine]\n');
    const again = runCli(['init', '--ci', 'gitlab'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('sk-scan: kept the existing .sk-scan.yaml\nsk-scan: wrote .gitlab-ci.yml\nsk-scan: no lockfile here, so CI installs with npm install (npm ci needs one); versions then resolve on each run, sk-scan\'s as package.json allows\n');
    expect(readFileSync(join(dir, '.sk-scan.yaml'), 'utf8')).toBe('exclude: [mine]\n');
    writeFileSync(join(dir, '.gitlab-ci.yml'), 'stages: [test]\n');
    const refused = runCli(['init', '--ci', 'gitlab'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^sk-scan: error: \.gitlab-ci\.yml already exists and differs from what sk-scan init writes/);
    expect(runCli(['init', '--ci', 'jenkins'], { cwd: dir }).stderr).toMatch(/--ci takes github, gitlab or github-org, not 'jenkins'/);
  });
});

describe('the pre-commit framework', () => {
  it('blocks a key and passes a clean commit, and does the same for pushes, using this repository as a hook repository', () => {
    // A clone of this repository's committed state, as a user's config would point at it.
    const hookRepo = tempDir();
    execFileSync('git', ['clone', '-q', ROOT, hookRepo]);
    const rev = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: hookRepo }).toString().trim();
    const user = makeRepo();
    writeFileSync(join(user.dir, '.pre-commit-config.yaml'), `repos:\n  - repo: file://${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: sk-scan\n      - id: sk-scan-push\n`);
    user.commit('config');
    const env = { ...gitEnv(), PRE_COMMIT_HOME: join(tempDir(), 'cache') };
    execFileSync('pre-commit', ['install'], { cwd: user.dir, env });
    execFileSync('pre-commit', ['install', '--hook-type', 'pre-push'], { cwd: user.dir, env });
    user.write({ 'leak.env': `K=${fakeKey('live')}\n` });
    user.git('add', 'leak.env');
    const blocked = spawnSync('git', ['commit', '-m', 'leak'], { cwd: user.dir, env, encoding: 'utf8', timeout: 240_000 });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toMatch(/sk-scan \(Chatbot Platform keys\)\.+Failed/);
    const said = blocked.stdout + blocked.stderr;
    expect(said).toMatch(/leak\.env:1:3/);
    expect(said).toMatch(/To commit anyway, once: SKIP=sk-scan git commit/);
    // The framework keeps its own sk-scan, on no PATH of the user's: the command the message gives still works as printed.
    const accept = said.split('\n').find((l) => l.includes('--update-baseline'))?.trim() as string;
    expect(spawnSync('sh', ['-c', accept], { cwd: user.dir, env: { ...env, PATH: '/usr/bin:/bin' }, encoding: 'utf8' }).status).toBe(0);
    const accepted = spawnSync('git', ['commit', '-m', 'accepted'], { cwd: user.dir, env, encoding: 'utf8', timeout: 240_000 });
    expect(accepted.stdout + accepted.stderr).toMatch(/sk-scan \(Chatbot Platform keys\)\.+Passed/);
    user.git('rm', '-q', 'leak.env');
    user.git('commit', '-q', '--no-verify', '-m', 'gone');
    user.write({ 'fine.txt': 'nothing to see\n' });
    user.git('add', 'fine.txt');
    const passed = spawnSync('git', ['commit', '-m', 'fine'], { cwd: user.dir, env, encoding: 'utf8', timeout: 240_000 });
    expect(passed.stdout + passed.stderr).toMatch(/sk-scan \(Chatbot Platform keys\)\.+Passed/);
    expect(passed.status).toBe(0);

    // Pushes: the first one sends the branch's whole history (the framework passes only
    // PRE_COMMIT_LOCAL_BRANCH), later ones a range (PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF).
    const remote = makeRepo({ bare: true });
    user.git('remote', 'add', 'origin', remote.dir);
    const push = () => spawnSync('git', ['push', '-q', 'origin', 'main'], { cwd: user.dir, env, encoding: 'utf8', timeout: 240_000 });
    const first = push();
    expect(first.stdout + first.stderr).toMatch(/sk-scan \(what the push sends\)\.+Passed/);
    expect(first.status).toBe(0);
    user.write({ 'later.env': `K=${fakeKey('live')}\n` });
    user.git('add', 'later.env');
    user.git('commit', '-q', '--no-verify', '-m', 'skipped the commit hook');
    const blockedPush = push();
    expect(blockedPush.status).not.toBe(0);
    expect(blockedPush.stdout + blockedPush.stderr).toMatch(/sk-scan \(what the push sends\)\.+Failed/);
    expect(blockedPush.stdout + blockedPush.stderr).toMatch(/later\.env:1:3/);
    expect(blockedPush.stdout + blockedPush.stderr).toMatch(/sk-scan: push blocked: 1 live key in later\.env:1/);
    expect(blockedPush.stdout + blockedPush.stderr).toMatch(/To push anyway, once: SKIP=sk-scan-push git push/);
    expect(remote.git('rev-parse', 'main').trim()).not.toBe(user.git('rev-parse', 'HEAD').trim());
  }, 300_000);
});


describe('a commit the hook blocked, then made with an allow comment', () => {
  it('leaves a dangling blob that the audit accepts with the committed key (one key, one verdict), and one gc step that removes it', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    const key = fakeKey('live');
    repo.write({ 'demo.env': `K=${key}\n` });
    repo.git('add', 'demo.env');
    // The hook's block leaves the staged blob in the store; the user adds the comment and commits.
    expect(runCli(['staged'], { cwd: repo.dir }).code).toBe(1);
    repo.commit('demo key', { 'demo.env': `K=${key} # sk-scan:allow -- revoked demo key\n` });
    const audit = runCli(['git', repo.dir, '--format', 'json', '--include-suppressed']);
    expect(audit.code).toBe(0);
    const findings = JSON.parse(audit.stdout).findings as { git: { in?: string }; suppressed?: { reason: string } }[];
    expect(findings.map((f) => [f.git.in ?? 'blob', f.suppressed?.reason])).toEqual(
      expect.arrayContaining([
        ['blob', 'sk-scan:allow -- revoked demo key'],
        ['dangling', expect.stringMatching(/the same key accepted at demo\.env in HEAD$/) as string],
      ]),
    );

    // A dangling blob whose key is accepted nowhere: the same one step in text, --explain and HTML, and it works.
    const other = makeRepo();
    other.commit('init', { 'a.txt': 'a\n' });
    other.write({ 'x.env': `K=${fakeKey('live')}\n` });
    other.git('add', 'x.env');
    other.commit('fixed', { 'x.env': 'K=${CHATBOT_API_KEY}\n' });
    const outs = [runCli(['git', other.dir]).stdout, runCli(['git', other.dir, '--explain']).stdout, runCli(['git', other.dir, '--format', 'html']).stdout];
    for (const out of outs) {
      expect(out.replace(/\s+/g, ' ')).toContain('git gc --prune=now');
      expect(out).not.toMatch(/reflog expire|still in HEAD/);
    }
    other.git('gc', '-q', '--prune=now');
    expect(runCli(['git', other.dir]).code).toBe(0);
  });
});

describe('a key in a .env file git tracks', () => {
  it('is advised to stop being tracked, with a .gitignore line and a .env.example, and the command in --explain works as printed', () => {
    const repo = makeRepo();
    repo.commit('env', { 'config/.env.production': `CHATBOT_API_KEY=${fakeKey('live', 'prod')}\n`, 'src/app.js': `const k = '${fakeKey('live')}';\n` });
    const text = runCli(['git', repo.dir]).stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/• 1: It is in a \.env file git tracks: stop tracking it \(git rm --cached FILE\), add the file to \.gitignore, and commit a \.env\.example/);
    // The key in code gets the environment-variable advice instead.
    expect(text).toMatch(/• 2: Take it out of the code: read it from an environment variable/);
    const explain = runCli(['git', repo.dir, '--explain']).stdout.replace(/\s+/g, ' ');
    const command = /git rm --cached \S+ && echo \S+ >> \.gitignore/.exec(explain)?.[0];
    expect(command).toBe('git rm --cached config/.env.production && echo /config/.env.production >> .gitignore');
    expect(spawnSync('sh', ['-c', command as string], { cwd: repo.dir, env: gitEnv() }).status).toBe(0);
    expect(repo.git('ls-files')).not.toContain('.env.production');
    expect(repo.git('check-ignore', 'config/.env.production').trim()).toBe('config/.env.production');
  });
  it('in a working tree, where git may not track it, is advised to be ignored, never told git tracks it', () => {
    const repo = makeRepo();
    repo.commit('init', { 'README.md': 'app\n' });
    repo.write({ '.env': `CHATBOT_API_KEY=${fakeKey('live')}\n` });
    const text = runCli(['dir', repo.dir]).stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/• It is in a \.env file: add it to \.gitignore \(and git rm --cached FILE if git already tracks it\)/);
    expect(text).not.toMatch(/git tracks:/);
    const explain = runCli(['dir', repo.dir, '--explain']).stdout.replace(/\s+/g, ' ');
    const command = /echo \S+ >> \.gitignore/.exec(explain)?.[0];
    expect(command).toBe('echo /.env >> .gitignore');
    expect(spawnSync('sh', ['-c', command as string], { cwd: repo.dir, env: gitEnv() }).status).toBe(0);
    expect(repo.git('status', '--porcelain', '--untracked-files=all')).not.toContain('.env');
  });
});
