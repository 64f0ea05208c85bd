/**
 * `sk-scan pre-receive` as a server's hook: real pushes by a real git client
 * to a bare repository on this machine, the hook run by git's receive-pack
 * with the pushed objects in its quarantine; what the pusher sees is git's
 * `remote:` lines.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitEnv, importCommits, makeRepo, type TestRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { CLI, runCli, tempDir } from '../helpers/run.js';
import { gitDaemon, httpBackend, type GitServer } from '../helpers/servers.js';

/**
 * A bare repository whose pre-receive hook runs sk-scan (with `flags`), and a
 * clone that pushed `main` to it; `before` pushes what the server had before
 * the hook was installed.
 */
function server(flags: string[] = [], before?: (dev: TestRepo) => void, at?: string): { bare: TestRepo; dev: TestRepo } {
  const bare = makeRepo({ bare: true, ...(at ? { dir: at } : {}) });
  const dev = makeRepo();
  dev.git('remote', 'add', 'origin', bare.dir);
  dev.commit('init', { 'README.md': 'app\n' });
  before?.(dev);
  const hook = join(bare.dir, 'hooks', 'pre-receive');
  writeFileSync(hook, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' pre-receive ${flags.map((f) => `'${f}'`).join(' ')}\n`);
  chmodSync(hook, 0o755);
  expect(push(dev, 'main').code).toBe(0);
  return { bare, dev };
}

/** `git push origin ARGS…`: its exit code, and what the pusher reads (git's own lines and the hook's `remote:` ones). */
function push(dev: TestRepo, ...args: string[]): { code: number; said: string } {
  const r = spawnSync('git', ['push', 'origin', ...args], { cwd: dev.dir, env: gitEnv(), encoding: 'utf8' });
  return { code: r.status ?? -1, said: r.stdout + r.stderr };
}

/** The same without blocking this process: the HTTP server these tests start answers from its event loop. */
function pushAsync(dev: TestRepo, ...args: string[]): Promise<{ code: number; said: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', ['push', 'origin', ...args], { cwd: dev.dir, env: gitEnv() });
    let said = '';
    child.stdout.on('data', (d: Buffer) => (said += d.toString()));
    child.stderr.on('data', (d: Buffer) => (said += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, said }));
  });
}

/** What the hook said, its lines joined: a paragraph wraps to fit git's `remote: ` before each line. */
function said(text: string): string {
  return remote(text).join(' ').replace(/\s+/g, ' ');
}

/** The hook's lines as the pusher reads them, without git's `remote: ` and its padding. */
function remote(said: string): string[] {
  return said
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice('remote: '.length).trimEnd());
}

describe('sk-scan pre-receive', () => {
  it('refuses a push that adds a key, telling the pusher which key, where, in which commit, and what to do', () => {
    const { bare, dev } = server();
    const key = fakeKey('live');
    const commit = dev.commit('add config', { 'config/app.env': `CHATBOT_API_KEY=${key}\n` });
    const r = push(dev, 'main');
    expect(r.code).not.toBe(0);
    expect(r.said).toMatch(/! \[remote rejected\] main -> main \(pre-receive hook declined\)/);
    const lines = remote(r.said);
    expect(lines[0]).toBe('sk-scan: push rejected: 1 live key in config/app.env:1');
    expect(lines[1]).toBe(`  config/app.env:1:17  sk_live_…${key.slice(-4)}  CRITICAL  in ${commit.slice(0, 7)}`);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toMatch(/did not reach this server\. Remove it from your local commits \(git commit --amend/);
    // Every line fits 80 columns with git's `remote: ` before it; no key in full anywhere.
    for (const l of lines) expect(l.length + 'remote: '.length).toBeLessThanOrEqual(80);
    expect(r.said).not.toContain(key);
    // Refused: the server's branch did not move, and the key's objects are not in its store.
    expect(bare.git('rev-parse', 'main').trim()).not.toBe(commit);
    expect(bare.tryGit('cat-file', '-e', commit).ok).toBe(false);
    // Taken out of the commit, the push goes through, with one line.
    dev.git('rm', '-q', '--cached', 'config/app.env');
    dev.git('commit', '-q', '--amend', '--allow-empty', '-m', 'add config (no key)');
    const clean = push(dev, 'main');
    expect(clean.code, clean.said).toBe(0);
    expect(remote(clean.said)).toEqual([expect.stringMatching(/^sk-scan: no keys in what the push adds \(\d+ objects?\)$/)]);
  }, 60_000);

  it('judges only what the push adds: a new branch, a deletion, a force-push, a tag message, a removal', () => {
    const { dev } = server();
    const key = fakeKey('live');
    // A new branch with a key: refused; deleting a branch: nothing to scan.
    dev.git('checkout', '-q', '-b', 'feature');
    dev.commit('feature with key', { 'f.env': `K=${key}\n` });
    expect(push(dev, 'feature').code).not.toBe(0);
    dev.git('reset', '-q', '--hard', 'main');
    dev.commit('feature', { 'f.txt': 'fine\n' });
    expect(push(dev, 'feature').code).toBe(0);
    expect(push(dev, '--delete', 'feature').code).toBe(0);
    // A force-push that rewrites main with a key in the rewritten commit: refused.
    dev.git('checkout', '-q', 'main');
    dev.git('commit', '-q', '--amend', '-m', 'init', '--allow-empty');
    dev.commit('oops', { 'o.env': `K=${fakeKey('live')}\n` });
    expect(push(dev, '--force', 'main').code).not.toBe(0);
    dev.git('reset', '-q', '--hard', 'HEAD~1');
    // An annotated tag whose message holds a key: refused, named as the tag's message.
    dev.git('tag', '-a', 'v1', '-m', `release; deploy with ${fakeKey('live')}`);
    const tag = push(dev, 'v1');
    expect(tag.code).not.toBe(0);
    expect(remote(tag.said)[0]).toMatch(/^sk-scan: push rejected: 1 live key in message of tag v1/);
    dev.git('tag', '-d', 'v1');
    // A commit that only takes a key out passes.
    expect(push(dev, '--force', 'main').code).toBe(0);
    // A branch named after a key is pushed with the key: refused, with what to do about a name.
    const named = push(dev, `HEAD:refs/heads/deploy-${key}`);
    expect(named.code).not.toBe(0);
    const said = remote(named.said);
    expect(said[0]).toBe(`sk-scan: push rejected: 1 live key in refs/heads/deploy-sk_live_…${key.slice(-4)}`);
    expect(said.join(' ')).toMatch(/Push under a branch or tag name without it/);
    expect(said.join('\n')).not.toContain(key);
  }, 60_000);

  it('passes a merge that brings in a key the server already has on another branch: not this push\'s', () => {
    const key = fakeKey('live');
    const { dev } = server([], (d) => {
      d.git('checkout', '-q', '-b', 'legacy');
      d.commit('old key', { 'legacy.env': `K=${key}\n` });
      expect(push(d, 'legacy').code).toBe(0);
      d.git('checkout', '-q', 'main');
    });
    dev.commit('work', { 'w.txt': 'work\n' });
    dev.git('merge', '-q', '--no-edit', 'legacy');
    const r = push(dev, 'main');
    expect(r.code, r.said).toBe(0);
    // The same key in a commit of its own is this push's.
    dev.commit('again', { 'again.env': `K=${key}\n` });
    expect(push(dev, 'main').code).not.toBe(0);
  }, 60_000);

  it("never lets the pushed tree relax the check: its .sk-scan.yaml, .sk-scanignore and allow comments count for nothing; the operator's config does", () => {
    const { dev } = server();
    const key = fakeKey('live');
    dev.commit('relax', {
      '.sk-scan.yaml': 'disable: [chatbot-live-key]\nexclude: ["**"]\n',
      '.sk-scanignore': '*.env\n',
      'a.env': `K=${key}  # sk-scan:allow -- not really\n`,
    });
    const r = push(dev, 'main');
    expect(r.code).not.toBe(0);
    expect(remote(r.said)[0]).toBe('sk-scan: push rejected: 1 live key in a.env:1');
    // The operator's own file, named to the hook, is the one that counts.
    const { dev: dev2 } = server(['--config', join(writeOperatorConfig(), 'server.yaml')]);
    dev2.commit('key', { 'b.env': `K=${fakeKey('live')}\n` });
    const allowed = push(dev2, 'main');
    expect(allowed.code, allowed.said).toBe(0);
  }, 60_000);

  describe('over the network, as pushers reach a server', () => {
    let running: GitServer | null = null;
    afterEach(async () => {
      await running?.stop();
      running = null;
    });

    for (const [transport, start] of [
      ['git daemon (git://)', gitDaemon],
      ["git's smart HTTP (git http-backend)", httpBackend],
    ] as const) {
      it(`refuses a key pushed through ${transport}, and lets a clean push through`, async () => {
        const root = tempDir();
        const { bare, dev } = server([], undefined, join(root, 'app.git'));
        // receive-pack over HTTP needs a pusher (REMOTE_USER); the daemon needs --enable=receive-pack: both given.
        running = await start(root);
        dev.git('remote', 'set-url', 'origin', running.url('app.git'));
        const key = fakeKey('live');
        dev.commit('key', { 'deploy/prod.env': `CHATBOT_API_KEY=${key}\n` });
        const r = await pushAsync(dev, 'main');
        expect(r.code, r.said).not.toBe(0);
        expect(r.said).toMatch(/pre-receive hook declined/);
        expect(remote(r.said)[0]).toBe('sk-scan: push rejected: 1 live key in deploy/prod.env:1');
        expect(r.said).not.toContain(key);
        dev.git('reset', '-q', '--hard', 'HEAD~1');
        dev.commit('fine', { 'docs.md': 'no key\n' });
        const ok = await pushAsync(dev, 'main');
        expect(ok.code, ok.said).toBe(0);
        expect(bare.git('rev-parse', 'main').trim()).toBe(dev.git('rev-parse', 'HEAD').trim());
      }, 60_000);
    }
  });

  it('install-hook --server writes the hook into a bare repository, keeps one that is there only with --chain, and refuses what is not a server repository', () => {
    const bare = makeRepo({ bare: true });
    const r = runCli(['install-hook', '--server', bare.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(`installed the pre-receive hook at ${join(bare.dir, 'hooks', 'pre-receive')}`);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(`git -C ${bare.dir} config receive.advertisePushOptions true`);
    const dev = makeRepo();
    dev.git('remote', 'add', 'origin', bare.dir);
    dev.commit('key', { 'a.env': `K=${fakeKey('live')}\n` });
    expect(remote(push(dev, 'main').said)[0]).toBe('sk-scan: push rejected: 1 live key in a.env:1');
    // Another server's hook is kept, and run first, only when asked; its refusal stands.
    const other = makeRepo({ bare: true });
    const theirs = join(other.dir, 'hooks', 'pre-receive');
    writeFileSync(theirs, '#!/bin/sh\ncat > /dev/null\necho "their policy: ok"\n');
    chmodSync(theirs, 0o755);
    const refused = runCli(['install-hook', '--server', other.dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/a pre-receive hook already exists at .*; not replacing it\. Run install-hook --chain/);
    expect(runCli(['install-hook', '--server', other.dir, '--chain']).code).toBe(0);
    const dev2 = makeRepo();
    dev2.git('remote', 'add', 'origin', other.dir);
    dev2.commit('key', { 'b.env': `K=${fakeKey('live')}\n` });
    const both = push(dev2, 'main');
    expect(remote(both.said).slice(0, 2)).toEqual(['their policy: ok', 'sk-scan: push rejected: 1 live key in b.env:1']);
    // A working tree is not where a server receives pushes.
    const worktree = makeRepo();
    const wrong = runCli(['install-hook', '--server', worktree.dir]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe(`sk-scan: error: ${worktree.dir} is not a bare repository: --server installs the hook of the repository a server receives pushes into (PATH.git)`);
    expect(runCli(['install-hook', '--server', bare.dir, '--pre-push']).code).toBe(2);
  }, 60_000);

  describe('a bypass the pusher asks for, recorded; the time budget', () => {
    /** A server that advertises push options (as `git push -o` needs), its hook run with `flags`. */
    function withOptions(flags: string[]) {
      const s = server(flags);
      s.bare.git('config', 'receive.advertisePushOptions', 'true');
      return s;
    }

    it('lets a push through with -o sk-scan.bypass="why", and logs who, where, which findings and why, never the key', () => {
      const log = join(tempDir(), 'bypass.jsonl');
      const { dev } = withOptions(['--log', log]);
      const key = fakeKey('test');
      dev.commit('fixture', { 'test/fixture.env': `CHATBOT_API_KEY=${key}\n` });
      const r = push(dev, '-o', `sk-scan.bypass=used in tests; the key ${key} is a fake`, 'main');
      expect(r.code, r.said).toBe(0);
      expect(said(r.said)).toMatch(/^sk-scan: push accepted with a bypass \("used in tests; the key sk_test_…\w{4} is a fake"\): 1 key in test\/fixture\.env:1; this server records it in its log\.$/);
      for (const l of remote(r.said)) expect(l.length + 'remote: '.length).toBeLessThanOrEqual(80);
      const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ event: 'bypass', pusher: expect.any(String), rules: ['chatbot-test-key'], refs: [{ ref: 'refs/heads/main' }], reason: expect.stringContaining('used in tests') });
      expect(entries[0].fingerprints).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
      expect(entries[0].repository).toMatch(/\.git$|sk-scan-git-/);
      expect(readFileSync(log, 'utf8')).not.toContain(key);
      expect(r.said).not.toContain(key);
    }, 60_000);

    it('refuses the bypass where the server forbids it, limits it to other rules, or keeps no log', () => {
      // Refused without asking, the pusher is told the server takes a bypass, and how to ask.
      const { dev: asking } = withOptions(['--log', join(tempDir(), 'l')]);
      asking.commit('key', { 'a.env': `K=${fakeKey('live')}\n` });
      const told = remote(push(asking, 'main').said);
      expect(told.slice(-3)).toEqual(['Not a secret, or must it go in now? This server takes a bypass, recorded', '  with your name:', '  git push -o sk-scan.bypass="false positive: …"']);
      for (const l of told) expect(l.length + 'remote: '.length).toBeLessThanOrEqual(80);
      for (const [flags, why] of [
        [['--log', join(tempDir(), 'l'), '--no-bypass'], 'this server does not allow it.'],
        [['--log', join(tempDir(), 'l'), '--bypass-rules', 'chatbot-test-key'], 'this server allows it only for chatbot-test-key, not for chatbot-live-key.'],
        [[], 'this server keeps no log to record it in (its hook has no --log).'],
      ] as const) {
        const { dev } = withOptions([...flags]);
        dev.commit('key', { 'a.env': `K=${fakeKey('live')}\n` });
        const r = push(dev, '-o', 'sk-scan.bypass=will fix later', 'main');
        expect(r.code).not.toBe(0);
        expect(said(r.said)).toMatch(new RegExp(`^sk-scan: bypass refused: ${why.replace(/[.()]/g, '\\$&')} sk-scan: push rejected: 1 live key in a\\.env:1 `));
      }
    }, 120_000);

    it('out of time on a 20,000-commit push, refuses it, or with --on-timeout accept lets it through and logs it unscanned', () => {
      const big = makeRepo();
      importCommits(
        big,
        Array.from({ length: 20_000 }, (_, i) => ({ message: `change ${i}`, files: { [`src/f${i % 500}.js`]: `export const v${i} = ${i};\n` } })),
      );
      // A budget no machine scans 20,000 commits in (git's own log of them takes longer): the outcome does not hang on speed.
      for (const [flags, code, line] of [
        [['--timeout', '0.01'], 1, /^sk-scan: push rejected: the scan did not finish within 0\.01 s\. Push in smaller parts/],
        [['--timeout', '0.01', '--on-timeout', 'accept', '--log', join(tempDir(), 'log.jsonl')], 0, /^sk-scan: push accepted unscanned: the scan did not finish within 0\.01 s; this server records that in its log$/],
      ] as const) {
        const bare = makeRepo({ bare: true });
        const hook = join(bare.dir, 'hooks', 'pre-receive');
        writeFileSync(hook, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' pre-receive ${flags.map((f) => `'${f}'`).join(' ')}\n`);
        chmodSync(hook, 0o755);
        big.git('remote', 'add', 'to', bare.dir);
        const r = spawnSync('git', ['push', 'to', 'main'], { cwd: big.dir, env: gitEnv(), encoding: 'utf8' });
        big.git('remote', 'remove', 'to');
        expect(r.status, r.stderr).toBe(code);
        expect(said(r.stdout + r.stderr)).toMatch(line);
        const given: readonly string[] = flags;
        if (given.includes('--log')) {
          const logged = JSON.parse(readFileSync(given[given.indexOf('--log') + 1] as string, 'utf8'));
          expect(logged).toMatchObject({ event: 'unscanned', why: 'the scan did not finish within 0.01 s', refs: [{ ref: 'refs/heads/main' }] });
        }
      }
    }, 180_000);

    it('judges two pushes at once to one repository each on its own', async () => {
      const { bare, dev } = server();
      const other = makeRepo();
      other.git('remote', 'add', 'origin', bare.dir);
      other.git('pull', '-q', 'origin', 'main');
      dev.git('checkout', '-q', '-b', 'a');
      dev.commit('key', { 'a.env': `K=${fakeKey('live')}\n` });
      other.git('checkout', '-q', '-b', 'b');
      other.commit('clean', { 'b.txt': 'fine\n' });
      const [a, b] = await Promise.all([pushAsync(dev, 'a'), pushAsync(other, 'b')]);
      expect(a.code).not.toBe(0);
      expect(remote(a.said)[0]).toBe('sk-scan: push rejected: 1 live key in a.env:1');
      expect(b.code, b.said).toBe(0);
      expect(bare.git('for-each-ref', '--format=%(refname:short)').trim().split('\n')).toEqual(['b', 'main']);
    }, 60_000);
  });

  it("reports nothing of what the quarantine holds that the pushed refs do not reach", () => {
    // As receive-pack runs the hook: the push's objects in a quarantine folder, the repository's own as its alternate.
    const bare = makeRepo({ bare: true });
    const dev = makeRepo();
    const base = dev.commit('init', { 'README.md': 'app\n' });
    dev.git('push', '-q', bare.dir, 'HEAD:refs/heads/main');
    const stray = dev.commit('a key on no pushed ref', { 'stray.env': `K=${fakeKey('live')}\n` });
    dev.git('reset', '-q', '--hard', base);
    const pushed = dev.commit('clean', { 'docs.md': 'no key\n' });
    const quarantine = join(bare.dir, 'objects', 'incoming-test');
    mkdirSync(join(quarantine, 'pack'), { recursive: true });
    const pack = spawnSync('git', ['pack-objects', '--revs', '-q', join(quarantine, 'pack', 'pack')], { cwd: dev.dir, input: `${stray}\n${pushed}\n^${base}\n`, env: gitEnv() });
    expect(pack.status, String(pack.stderr)).toBe(0);
    const hookEnv = { GIT_DIR: bare.dir, GIT_OBJECT_DIRECTORY: quarantine, GIT_ALTERNATE_OBJECT_DIRECTORIES: join(bare.dir, 'objects'), GIT_QUARANTINE_PATH: quarantine };
    const clean = runCli(['pre-receive'], { cwd: bare.dir, input: `${base} ${pushed} refs/heads/main\n`, env: hookEnv });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/^sk-scan: no keys in what the push adds/);
    // The same quarantine, the stray commit pushed: refused.
    const refused = runCli(['pre-receive'], { cwd: bare.dir, input: `${base} ${stray} refs/heads/main\n`, env: hookEnv });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^sk-scan: push rejected: 1 live key in stray\.env:1/);
  }, 60_000);

  it('refuses a push part of which could not be read (a payload past the inflating budget), saying so, unless the server accepts it', async () => {
    const { gzipSync } = await import('node:zlib');
    const big = gzipSync(Buffer.alloc(17 << 20, 0x20)).toString('base64');
    const { dev } = server();
    dev.commit('bundle', { 'values.yaml': `bundle: ${big}\n` });
    const r = push(dev, 'main');
    expect(r.code).not.toBe(0);
    const blob = dev.git('rev-parse', 'HEAD:values.yaml').trim();
    expect(said(r.said)).toMatch(new RegExp(`cannot open blob ${blob}!line 1: a base64/gzip payload inflates to more than 16\\.0 MiB.* sk-scan: push rejected: 1 item of it could not be read \\(see the warnings\\), and no key was found in the rest\\. Ask whoever runs this server`));
    // The operator's config accepts it, by the blob's id.
    const dir = tempDir();
    writeFileSync(join(dir, 'server.yaml'), `ignore: [${blob.slice(0, 16)}]\n`);
    const { dev: dev2 } = server(['--config', join(dir, 'server.yaml')]);
    dev2.commit('bundle', { 'values.yaml': `bundle: ${big}\n` });
    expect(push(dev2, 'main').code).toBe(0);
  }, 60_000);

  it('refuses input that is not git\'s, in one line (exit 2)', () => {
    const bare = makeRepo({ bare: true });
    const r = runCli(['pre-receive'], { cwd: bare.dir, input: '--output=/tmp/x HEAD refs/heads/main\n', env: { GIT_DIR: bare.dir } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`sk-scan: error: pre-receive: line 1 of the hook's input is not "<old id> <new id> <ref>" with object ids and a ref name`);
  });
});

function writeOperatorConfig(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'server.yaml'), 'disable: [chatbot-live-key]\n');
  return dir;
}
