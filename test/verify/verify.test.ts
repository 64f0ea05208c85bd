/** --verify against a fake of the platform on 127.0.0.1 that answers as its documentation says. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDir, scanStdin, type Finding, type Report } from '../../src/index.js';
import { parseRetryAfter } from '../../src/verify/client.js';
import { fakeKey, fakeHex } from '../helpers/keys.js';
import { localhostCertificate, startPlatform, startProxy, type FakePlatform } from '../helpers/platform.js';
import { runCli, runCliAsync, tempDir, writeTree } from '../helpers/run.js';

let platform: FakePlatform;
beforeEach(async () => {
  platform = await startPlatform();
});
afterEach(async () => {
  await platform.close();
});

const fast = () => ({ baseUrl: platform.url, backoffMs: 5, timeoutMs: 2000 });
const verdict = (findings: Finding[], key: string) => findings.find((f) => f.secret.redacted.endsWith(key.slice(-4)))?.verification;

describe('each documented response', () => {
  it('maps 200, 403 INSUFFICIENT_PERMISSIONS, 401 INVALID_API_KEY and 401 API_KEY_EXPIRED', async () => {
    const live = fakeKey('live');
    const restricted = fakeKey('live', 'prod');
    const deleted = fakeKey('live');
    const expired = fakeKey('test');
    platform.keys.set(live, 'active').set(restricted, 'restricted').set(deleted, 'invalid').set(expired, 'expired');
    const r = await scanStdin(Buffer.from([live, restricted, deleted, expired].map((k) => `K=${k}`).join('\n')), { verify: fast() });
    expect(verdict(r.findings, live)).toEqual({ status: 'active', reason: 'ok', httpStatus: 200 });
    expect(verdict(r.findings, restricted)).toEqual({ status: 'active', reason: 'insufficient-permissions', httpStatus: 403, requiredScope: 'bots:read' });
    expect(verdict(r.findings, deleted)).toEqual({ status: 'inactive', reason: 'invalid', httpStatus: 401 });
    expect(verdict(r.findings, expired)).toEqual({ status: 'inactive', reason: 'expired', httpStatus: 401 });
  });

  it('never calls a proxy-style HTML 403 active: it is unknown, unexpected-response', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'html-403');
    const r = await scanStdin(Buffer.from(`K=${key}`), { verify: fast() });
    expect(r.findings[0]?.verification).toEqual({ status: 'unknown', reason: 'unexpected-response', httpStatus: 403 });
  });

  it('raises the severity of a live key and lowers a dead one', async () => {
    const liveTest = fakeKey('test');
    const deadLive = fakeKey('live');
    platform.keys.set(liveTest, 'active').set(deadLive, 'invalid');
    const r = await scanStdin(Buffer.from(`A=${liveTest}\nB=${deadLive}\n`), { verify: fast() });
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['chatbot-test-key', 'high'], // medium, raised
      ['chatbot-live-key', 'high'], // critical, lowered
    ]);
  });

  it('sends the key only in the Authorization header of GET /v1/bots', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'active');
    await scanStdin(Buffer.from(`K=${key}`), { verify: fast() });
    expect(platform.seen).toHaveLength(1);
    expect(platform.seen[0]?.url).toBe('/v1/bots');
    expect(platform.seen[0]?.headers.authorization).toBe(`Bearer ${key}`);
    expect(JSON.stringify(platform.seen[0]?.headers).split(key)).toHaveLength(2);
  });
});

describe('what is sent, and how often', () => {
  it('asks once about a key found in 30 files', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'active');
    const dir = writeTree(tempDir(), Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`svc${i}/app.env`, `KEY=${key}\n`])));
    const r = await scanDir([dir], { verify: fast(), threads: 1 });
    expect(r.findings).toHaveLength(30);
    expect(r.findings.every((f) => f.verification.status === 'active')).toBe(true);
    expect(platform.requests.get(key)).toHaveLength(1);
  });

  it('never sends placeholders or findings an allow comment accepted', async () => {
    const allowed = fakeKey('live');
    await scanStdin(Buffer.from(`A=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX\nB=${allowed} # sk-scan:allow -- revoked demo key\n`), { verify: fast() });
    expect(platform.seen).toHaveLength(0);
  });

  it('keeps at most 4 requests in flight', async () => {
    platform.delayMs = 150;
    const keys = Array.from({ length: 12 }, () => fakeKey('live'));
    for (const k of keys) platform.keys.set(k, 'active');
    const r = await scanStdin(Buffer.from(keys.map((k) => `K=${k}`).join('\n')), { verify: fast() });
    expect(r.findings.filter((f) => f.verification.status === 'active')).toHaveLength(12);
    expect(platform.maxInFlight).toBe(4);
  });

  it('leaves webhook secrets unchecked (there is no way to ask), and everything unchecked without --verify', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'active');
    const text = Buffer.from(`WEBHOOK_SECRET=${fakeHex(40)}\nK=${key}\n`);
    const verified = await scanStdin(text, { verify: fast() });
    expect(verified.findings.find((f) => f.ruleId === 'chatbot-webhook-secret')?.verification).toEqual({ status: 'unchecked', reason: 'no-check' });
    const plain = await scanStdin(text);
    expect(plain.findings.map((f) => f.verification.status)).toEqual(['unchecked', 'unchecked']);
    expect(platform.requests.get(key)).toHaveLength(1);
  });
});

describe('retries', () => {
  it('waits for Retry-After (seconds) after a 429, then gets its answer', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, { rateLimited: 1, retryAfter: '1', then: 'active' });
    const r = await scanStdin(Buffer.from(`K=${key}`), { verify: fast() });
    expect(r.findings[0]?.verification.status).toBe('active');
    const [first, second] = platform.requests.get(key) ?? [];
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('gives up after 4 attempts of 429: unknown, rate-limited', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'always-rate-limited');
    const r = await scanStdin(Buffer.from(`K=${key}`), { verify: fast() });
    expect(r.findings[0]?.verification).toEqual({ status: 'unknown', reason: 'rate-limited', httpStatus: 429 });
    expect(platform.requests.get(key)).toHaveLength(4);
  });

  it('retries a 5xx with backoff, then reports it', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'server-error');
    const r = await scanStdin(Buffer.from(`K=${key}`), { verify: fast() });
    expect(r.findings[0]?.verification).toEqual({ status: 'unknown', reason: 'server-error', httpStatus: 503 });
    expect(platform.requests.get(key)).toHaveLength(4);
  });

  it('reports a refused connection as unknown, connection-error', async () => {
    const url = platform.url;
    await platform.close();
    const r = await scanStdin(Buffer.from(`K=${fakeKey('live')}`), { verify: { baseUrl: url, backoffMs: 5 } });
    expect(r.findings[0]?.verification).toEqual({ status: 'unknown', reason: 'connection-error', detail: 'ECONNREFUSED' });
    platform = await startPlatform();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});

describe('an endpoint that never answers', () => {
  it('cannot stall the run: each request times out (retried once) and the deadline ends the phase', async () => {
    const keys = Array.from({ length: 6 }, () => fakeKey('live'));
    for (const k of keys) platform.keys.set(k, 'hang');
    const r = await runCliAsync(['stdin', '--verify', '--verify-url', platform.url, '--verify-timeout', '0.3', '--verify-deadline', '2', '--format', 'json'], {
      input: keys.map((k) => `K=${k}`).join('\n'),
      timeoutMs: 30_000,
    });
    expect(r.signal).toBeNull(); // it ended by itself, before the test's own limit stopped it
    const report = JSON.parse(r.stdout);
    expect(report.findings).toHaveLength(6);
    const reasons = new Set(report.findings.map((f: Finding) => f.verification.reason));
    expect([...reasons].every((x) => x === 'timeout' || x === 'deadline')).toBe(true);
    expect(report.findings.every((f: Finding) => f.verification.status === 'unknown')).toBe(true);
    // The first four keys were asked about (four at a time), each at most twice: a timeout is retried once.
    for (const k of keys.slice(0, 4)) expect((platform.requests.get(k) ?? []).length).toBeGreaterThanOrEqual(1);
    for (const k of keys) expect((platform.requests.get(k) ?? []).length).toBeLessThanOrEqual(2);
  });
});

describe('a match that may be cut short', () => {
  it('is never sent, and keeps its severity: an answer about a part of a key would make a live key look dead', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'active');
    // Wrapped base64 whose lines could not be joined (the second is wider): the first ends inside the key.
    const encoded = Buffer.from(`CHATBOT_API_KEY=${key}\nMORE=1\n`).toString('base64').replace(/=+$/, '');
    const r = await scanStdin(Buffer.from(`${encoded.slice(0, 64)}\n${encoded.slice(64)}${'A'.repeat(60)}\n`), { verify: fast() });
    expect(r.findings.map((f) => [f.secret.partial, f.severity, f.verification])).toEqual([[true, 'critical', { status: 'unchecked', reason: 'partial' }]]);
    expect(platform.requests.size).toBe(0);
  });
});

describe('the endpoint', () => {
  it('refuses plain http to a host that is not loopback, before any connection', async () => {
    const key = fakeKey('live');
    // ::ffff:127.0.0.1 would reach the fake platform, but it is not one of the loopback names allowed.
    const port = new URL(platform.url).port;
    for (const url of ['http://api.chatbotplatform.io', `http://[::ffff:127.0.0.1]:${port}`]) {
      const r = await runCliAsync(['stdin', '--verify', '--verify-url', url], { input: `K=${key}` });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^sk-scan: error: refusing to send keys over plain http to .*: use https/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout + r.stderr).not.toContain(key);
    }
    expect(platform.seen).toHaveLength(0);
  });

  it('takes the URL from SK_SCAN_VERIFY_URL', async () => {
    const key = fakeKey('live');
    platform.keys.set(key, 'active');
    const r = await runCliAsync(['stdin', '--verify', '--format', 'json'], { input: `K=${key}`, env: { SK_SCAN_VERIFY_URL: platform.url } });
    expect(JSON.parse(r.stdout).findings[0].verification.status).toBe('active');
  });

  it('lets a custom rule declare its own check', async () => {
    const dir = writeTree(tempDir(), {
      '.sk-scan.yaml': [
        'rules:',
        '  - id: internal-token',
        '    description: Internal token',
        '    severity: high',
        '    keywords: [tok_]',
        "    pattern: 'tok_(?<secret>[A-Za-z0-9]{24})'",
        '    verify:',
        '      request:',
        '        path: /v1/bots',
        '        headers: { Authorization: "Bearer tok_{{secret}}" }',
        '      responses:',
        '        - { status: 401, match: { error.code: INVALID_API_KEY }, result: inactive, reason: revoked }',
        '',
      ].join('\n'),
      'a.txt': 'x = tok_Zq8Lm3Vx7Rp2Wn5Ks9Dt4Hy6\n',
    });
    const r = await scanDir([dir], { verify: fast(), threads: 1 });
    expect(r.findings[0]?.verification).toEqual({ status: 'inactive', reason: 'revoked', httpStatus: 401 });
    expect(platform.seen[0]?.headers.authorization).toBe('Bearer tok_Zq8Lm3Vx7Rp2Wn5Ks9Dt4Hy6');
  });

  it('rejects a custom check that would put the key in the URL', () => {
    const dir = writeTree(tempDir(), {
      '.sk-scan.yaml': "rules:\n  - id: t\n    description: d\n    severity: low\n    keywords: [tok_]\n    pattern: 'tok_(?<secret>[a-z]{8})'\n    verify:\n      request:\n        path: '/check?key={{secret}}'\n        headers: { X-Key: '{{secret}}' }\n      responses: []\n",
    });
    const r = runCli(['dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.sk-scan\.yaml:9: .*must not carry \{\{secret\}\}/);
  });
});

describe('CLI', () => {
  function project() {
    const live = fakeKey('live');
    const dead = fakeKey('live');
    platform.keys.set(live, 'active').set(dead, 'invalid');
    return { dir: writeTree(tempDir(), { 'a/old.env': `K=${dead}\n`, 'z/new.env': `K=${live}\n` }), live, dead };
  }

  it('lists active keys first in text, and never prints a full key', async () => {
    const { dir, live, dead } = project();
    const r = await runCliAsync(['dir', dir, '--verify', '--verify-url', platform.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^sk-scan: 2 keys in 2 places/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('2 keys: 2 live (1 critical, 1 high); 1 confirmed active: revoke it first');
    expect(r.stdout.indexOf('z/new.env')).toBeLessThan(r.stdout.indexOf('a/old.env'));
    expect(r.stdout).toMatch(new RegExp(` 1\\. sk_live_…${live.slice(-4)}  CRITICAL  live key  ACTIVE\\n    z/new\\.env:1:3`));
    expect(r.stdout).toMatch(new RegExp(` 2\\. sk_live_…${dead.slice(-4)}  high  live key  inactive \\(invalid\\)\\n    a/old\\.env:1:3`));
    for (const k of [live, dead]) expect(r.stdout + r.stderr).not.toContain(k);
  });

  it('--fail-on active fails only on confirmed-live keys, and needs --verify', async () => {
    const { dir } = project();
    expect((await runCliAsync(['dir', dir, '--verify', '--verify-url', platform.url, '--fail-on', 'active'])).code).toBe(1);
    const onlyDead = writeTree(tempDir(), { 'x.env': `K=${[...platform.keys].find(([, b]) => b === 'invalid')?.[0]}\n` });
    expect((await runCliAsync(['dir', onlyDead, '--verify', '--verify-url', platform.url, '--fail-on', 'active'])).code).toBe(0);
    expect((await runCliAsync(['dir', onlyDead, '--verify', '--verify-url', platform.url])).code).toBe(1);
    const r = runCli(['dir', onlyDead, '--fail-on', 'active']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on active needs --verify/);
  });
});

describe('in a company network: an HTTPS proxy', () => {
  it('goes through HTTPS_PROXY with TLS verified end to end; the key is seen only by the platform', async () => {
    const dir = tempDir();
    const tls = localhostCertificate(dir);
    const secure = await startPlatform(tls);
    const proxy = await startProxy();
    try {
      const key = fakeKey('live');
      secure.keys.set(key, 'active');
      const tree = writeTree(tempDir(), { 'a.env': `K=${key}\n` });
      const env = { HTTPS_PROXY: proxy.url, NO_PROXY: '', NODE_EXTRA_CA_CERTS: tls.certFile };
      const r = await runCliAsync(['dir', tree, '--verify', '--verify-url', secure.url, '--format', 'json'], { env });
      expect((JSON.parse(r.stdout) as Report).findings[0]?.verification).toMatchObject({ status: 'active', reason: 'ok' });
      expect(proxy.tunnels).toEqual([new URL(secure.url).host]);
      expect(Buffer.concat(proxy.relayed).includes(key)).toBe(false);
      expect(secure.seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${key}`]);
      // Without the company's CA the certificate is not trusted, and nothing is sent.
      const untrusted = await runCliAsync(['dir', tree, '--verify', '--verify-url', secure.url, '--format', 'json'], { env: { ...env, NODE_EXTRA_CA_CERTS: '' } });
      expect((JSON.parse(untrusted.stdout) as Report).findings[0]?.verification).toMatchObject({ status: 'unknown', reason: 'connection-error' });
      expect(secure.seen).toHaveLength(1);
    } finally {
      await Promise.all([secure.close(), proxy.close()]);
    }
  });

  it('never sends a key to a proxy in plain text: a loopback http endpoint is reached directly', async () => {
    const proxy = await startProxy();
    try {
      const key = fakeKey('live');
      platform.keys.set(key, 'active');
      const tree = writeTree(tempDir(), { 'a.env': `K=${key}\n` });
      const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '' };
      const r = await runCliAsync(['dir', tree, '--verify', '--verify-url', platform.url, '--format', 'json'], { env });
      expect((JSON.parse(r.stdout) as Report).findings[0]?.verification).toMatchObject({ status: 'active' });
      expect(proxy.plain).toEqual([]);
      expect(proxy.tunnels).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});

describe('without a network', () => {
  it('says one count, explained: no proxy warning, the keys it could ask about, and why each is unverified', async () => {
    const dir = writeTree(tempDir(), {
      'a.env': `A=${fakeKey('live')}\nB=${fakeKey('live')}\nT=${fakeKey('test')}\nWEBHOOK_SECRET=Kq83mZpL0vYt2RbX9sWc4NdE7uFa\n`,
    });
    // A port nothing listens on: every connection is refused.
    const r = await runCliAsync(['dir', dir, '--verify', '--verify-url', 'https://127.0.0.1:9', '--verify-deadline', '5'], { env: { HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/UNDICI|experimental/i);
    expect(r.stderr).toMatch(/unverified: could not connect to 127\.0\.0\.1:9 \(ECONNREFUSED\): 3 keys/);
  });

  it('shows, while it waits, how many keys were answered, how many wait, and when the deadline falls', async () => {
    const { verifyLine } = await import('../../src/cli/progress.js');
    const now = 1_000_000;
    expect(verifyLine({ phase: 'verifying keys', items: 3, bytes: 0, verify: { checkable: 3, settled: 1, unverifiable: 1, deadlineAt: now + 41_200 } }, now)).toBe(
      'verifying 3 keys: 1 answered, 2 waiting, deadline in 42 s; 1 has no check',
    );
  });
});
