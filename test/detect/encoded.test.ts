/** Keys written encoded: base64 in a Kubernetes Secret, a Docker config's auth, base64 inside base64, hex, escapes; for the built-in rules and for a user's. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scanStdin } from '../../src/index.js';
import { fakeKey, randomBody, rng } from '../helpers/keys.js';
import { flatePdf } from '../helpers/pdf.js';
import { runCli, tempDir, writeTree } from '../helpers/run.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('base64', () => {
  it('finds a key in a Secret manifest, a Docker auth and base64 inside base64, at the encoded place, as the same key', async () => {
    const key = fakeKey('live', 'prod');
    const text = [
      'apiVersion: v1',
      'kind: Secret',
      'data:',
      `  CHATBOT_API_KEY: ${b64(key)}`,
      `  .dockerconfigjson: ${b64(JSON.stringify({ auths: { 'registry.example': { auth: b64(`ci:${key}`) } } }))}`,
      '---',
      `{"auths": {"registry.example": {"auth": "${b64(`deploy:${key}`)}"}}}`,
      `PLAIN=${key}`,
      '',
    ].join('\n');
    const report = await scanStdin(Buffer.from(text), { path: 'deploy.yaml' });
    expect(report.findings.map((f) => [f.line, f.column, f.secret.encoding ?? 'plain'])).toEqual([
      [4, 20, 'base64'],
      [5, 22, 'base64/base64'],
      [7, 42, 'base64'],
      [8, 7, 'plain'],
    ]);
    // One key, wherever and however it is written; redacted as the plain one.
    expect(report.secrets).toHaveLength(1);
    expect(new Set(report.findings.map((f) => f.secret.redacted))).toEqual(new Set([`sk_live_prod_…${key.slice(-4)}`]));
  });

  it('finds base64 inside base64 wherever it is written, not only in a Kubernetes Secret', async () => {
    const key = fakeKey('test');
    // A Helm value, a CI variable, a JSON config: no `Secret` anywhere; the key at each place in the inner and outer groups.
    const lines = ['# values.yaml', 'image: app:1.2'];
    for (let pad = 0; pad < 9; pad++) lines.push(`token${pad}: ${b64(b64(`${'#'.repeat(pad)}CHATBOT_API_KEY=${key}`))}`);
    lines.push(`{"config": "${b64(b64(key))}"}`, `ENCODED=${b64(b64(`ci:${key}`))}`);
    const report = await scanStdin(Buffer.from(lines.join('\n') + '\n'), { path: 'values.yaml' });
    expect(report.findings.map((f) => [f.line, f.secret.encoding])).toEqual([
      ...Array.from({ length: 9 }, (_, pad) => [3 + pad, 'base64/base64']),
      [12, 'base64/base64'],
      [13, 'base64/base64'],
    ]);
    expect(report.secrets).toHaveLength(1);
    expect(report.secrets[0]?.sha256).toBe(sha(key));
    // Long base64 that holds no key (an image, a hash) is searched and passes.
    const clean = await scanStdin(Buffer.from(`logo: ${randomBody(rng(5), 5000, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}\nsum: ${b64(b64('no key in here, only words'))}\n`));
    expect(clean.findings).toEqual([]);
  });

  it('reports nothing for base64 of a placeholder, nor for base64 that holds no key', () => {
    const text = `data:\n  A: ${b64('sk_live_your_api_key_here_0000000')}\n  B: ${b64('sk_test_envkey1234567890')}\n  C: ${b64('just some configuration text here')}\n`;
    const r = runCli(['stdin', '--format', 'json'], { input: text });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it('accepts an encoded key by an allow comment on its line, and never prints it', () => {
    const key = fakeKey('live');
    const r = runCli(['stdin'], { input: `token: ${b64(key)}  # sk-scan:allow -- a revoked demo key\nother: ${b64(`x:${key}`)}\n` });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\(stdin\), line 2:8/);
    expect(r.stdout).not.toContain(key);
    expect(r.stdout).not.toContain(b64(key).slice(0, 20));
  });
});

describe('hex', () => {
  it('finds a key written in hex, either case, as the same key', async () => {
    const key = fakeKey('test');
    const hex = Buffer.from(key).toString('hex');
    const report = await scanStdin(Buffer.from(`lower=${hex}\nUPPER=${hex.toUpperCase()}\nshort=736b5f6c697665\nplain=${key}\n`));
    expect(report.findings.map((f) => [f.line, f.column, f.secret.encoding ?? 'plain'])).toEqual([
      [1, 7, 'hex'],
      [2, 7, 'hex'],
      [4, 7, 'plain'],
    ]);
    expect(report.secrets).toHaveLength(1);
  });
});

describe('compressed, then base64', () => {
  it('inflates gzip and zlib kept as base64 (an annotation, a CI variable) and a Helm release (base64 of that), naming the chain', async () => {
    const key = fakeKey('live');
    const helm = b64(gzipSync(JSON.stringify({ name: 'web', config: { chatbot: { apiKey: key } } })).toString('base64'));
    const text = [
      'metadata:',
      '  annotations:',
      `    app/config: ${gzipSync(`CHATBOT_API_KEY=${key}\n`).toString('base64')}`,
      `CI_CONFIG=${deflateSync(`token: ${key}\n`).toString('base64')}`,
      'kind: Secret',
      'type: helm.sh/release.v1',
      'data:',
      `  release: ${helm}`,
      '',
    ].join('\n');
    const report = await scanStdin(Buffer.from(text), { path: 'manifest.yaml' });
    expect(report.findings.map((f) => [f.line, f.secret.encoding, f.secret.sha256])).toEqual([
      [3, 'base64/gzip', sha(key)],
      [4, 'base64/zlib', sha(key)],
      [8, 'base64/base64/gzip', sha(key)],
    ]);
  });

  it('names a payload that inflates past the budget as not read: the scan cannot pass it (exit 2) unless its file is accepted', () => {
    // 17 MiB of text in 17 KiB of gzip: a key at its end would not be searched.
    const key = fakeKey('live');
    const big = gzipSync(Buffer.concat([Buffer.alloc(17 << 20, 0x20), Buffer.from(`\nCHATBOT_API_KEY=${key}\n`)])).toString('base64');
    const small = gzipSync(`token: ${key}\n`).toString('base64');
    const root = writeTree(tempDir(), { 'values.yaml': `image: app\nbundle: ${big}\nplain: ${small}\n` });
    const r = runCli(['dir', root, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    // The small payload is searched; the large one is named, with its line, as not read.
    expect(report.findings.map((f: { line: number; secret: { encoding: string } }) => [f.line, f.secret.encoding])).toEqual([[3, 'base64/gzip']]);
    expect(r.stderr).toContain('values.yaml!line 2: a base64/gzip payload inflates to more than 16.0 MiB');
    expect(report.stats.skipped.corrupt).toBe(1);
    // Nothing found and something not read: exit 2; the file accepted by name, exit 0.
    writeFileSync(join(root, 'values.yaml'), `bundle: ${big}\n`);
    expect(runCli(['dir', root]).code).toBe(2);
    writeFileSync(join(root, '.sk-scanignore'), 'values.yaml\n');
    const accepted = runCli(['dir', root, '--format', 'json']);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout).warnings).toEqual([expect.stringMatching(/^accepted by \.sk-scanignore: cannot open values\.yaml!line 1: a base64\/gzip payload inflates/)]);
    expect(r.stdout + r.stderr + accepted.stdout).not.toContain(key);
  });

  it('reports nothing for compressed data without a key, nor for text that only starts like it', async () => {
    const text = `a: ${gzipSync('nothing to see here\n'.repeat(20)).toString('base64')}\nb: H4sIAAAAnotreallygzipdataatallnotatall\n`;
    expect((await scanStdin(Buffer.from(text))).findings).toEqual([]);
  });
});

describe('PDF', () => {
  it('inflates a /FlateDecode page stream, as most PDFs keep their text, and leaves other streams alone', () => {
    const key = fakeKey('live');
    const dir = writeTree(tempDir(), { 'invoice.pdf': flatePdf(`CHATBOT_API_KEY=${key}`) });
    const r = runCli(['dir', dir, '--format', 'json']);
    const findings = JSON.parse(r.stdout).findings as { path: string; secret: { sha256: string; encoding?: string } }[];
    expect(findings.map((f) => [f.path, f.secret.encoding, f.secret.sha256])).toEqual([['invoice.pdf', 'binary/pdf-flate', sha(key)]]);
  });
});

describe('quoted-printable', () => {
  it('joins soft breaks and decodes =XX in a mail part that declares it, and reports the key at its logical line', async () => {
    const key = fakeKey('live');
    const line = `CHATBOT_API_KEY=3D${key}`;
    const eml = [
      'From: dev@example.test',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Here is the config you asked for:',
      `${line.slice(0, 30)}=`,
      `${line.slice(30)}`,
      '',
    ].join('\r\n');
    const report = await scanStdin(Buffer.from(eml), { path: 'mail.eml' });
    expect(report.findings.map((f) => [f.line, f.secret.encoding, f.secret.sha256])).toEqual([[7, 'quoted-printable', sha(key)]]);
  });
});

describe('escapes', () => {
  it('finds a key written with \\x escapes, as C, Python bytes and a shell $\'…\' string write it, as the same key', async () => {
    const key = fakeKey('live');
    const whole = [...key].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    const text = `KEY = b"${whole}"\nexport K=$'${key.replace(/_/g, '\\x5F')}'\n`;
    const report = await scanStdin(Buffer.from(text));
    expect(report.findings.map((f) => [f.line, f.secret.encoding, f.secret.sha256])).toEqual([
      [1, 'x-escape', sha(key)],
      [2, 'x-escape', sha(key)],
    ]);
  });

  it('finds a key whose underscores a URL wrote as %5F, or a JSON string as \\u005f, as the same key, once', async () => {
    const key = fakeKey('live', 'prod');
    const percent = key.replace(/_/g, '%5F');
    const json = key.replace(/_/g, '\\u005f');
    const full = [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const text = [
      `GET /v1/bots?api_key=${percent}&page=2`,
      `{"key": "${json}"}`,
      `{"key": "${full}"}`,
      `redirect=https%3A%2F%2Fexample.test%2Fcb%3Fx%3D1&other=${key}`,
      `PLAIN=${key}`,
      '',
    ].join('\n');
    const report = await scanStdin(Buffer.from(text));
    expect(report.findings.map((f) => [f.line, f.column, f.secret.encoding ?? 'plain'])).toEqual([
      [1, 22, 'percent'],
      [2, 10, 'json-escape'],
      [3, 10, 'json-escape'],
      [4, 56, 'plain'],
      [5, 7, 'plain'],
    ]);
    expect(report.secrets).toHaveLength(1);
  });

  it('reports nothing for an escaped placeholder', () => {
    const r = runCli(['stdin', '--format', 'json'], { input: 'url=https://x.test/?k=sk%5Flive%5Fyour%5Fapi%5Fkey%5Fhere\n{"k":"sk\\u005ftest\\u005fxxxxxxxxxxxxxxxxxxxxxxxx"}\n' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });
});

describe("a user's rule", () => {
  it('finds its keys in base64, hex, percent and JSON escapes, and base64 inside base64 in a Secret, as the same key', () => {
    const token = `tok_${randomBody(rng(4242), 24)}`;
    const config = [
      'rules:',
      '  - id: internal-service-token',
      '    description: Our internal service token',
      '    severity: high',
      '    keywords: [tok_]',
      "    pattern: 'tok_(?<secret>[A-Za-z0-9]{24})'",
      '    minEntropy: 3',
      '    examples:',
      `      match: ["tok_${randomBody(rng(7), 24)}"]`,
      '      noMatch: ["tok_short"]',
      '',
    ].join('\n');
    const manifest = [
      'kind: Secret',
      'data:',
      `  TOKEN: ${b64(token)}`,
      `  HEX: ${Buffer.from(`value=${token}`).toString('hex')}`,
      `  URL: https://svc.example.test/hook?t=${token.replace('_', '%5F')}`,
      `  JSON: '{"t": "${token.replace('_', '\\u005f')}"}'`,
      `  .dockerconfigjson: ${b64(JSON.stringify({ auths: { 'registry.example': { auth: b64(`ci:${token}`) } } }))}`,
      `  PLAIN: ${token}`,
      '',
    ].join('\n');
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': config, 'secret.yaml': manifest });
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { line: number; ruleId: string; secret: { encoding?: string } }) => [f.line, f.ruleId, f.secret.encoding ?? 'plain'])).toEqual([
      [3, 'internal-service-token', 'base64'],
      [4, 'internal-service-token', 'hex'],
      [5, 'internal-service-token', 'percent'],
      [6, 'internal-service-token', 'json-escape'],
      [7, 'internal-service-token', 'base64/base64'],
      [8, 'internal-service-token', 'plain'],
    ]);
    expect(report.secrets).toHaveLength(1);
  });
});


describe('wrapped base64: the whole key, or none, never a part taken for it', () => {
  it('joins what `base64` wraps at 76 columns, wherever the line break falls in the key', () => {
    const dir = tempDir();
    const key = fakeKey('live');
    let straddled = 0;
    for (let pad = 0; pad < 57; pad++) {
      const plain = `${'#'.repeat(pad)}\nCHATBOT_API_KEY=${key}\n`;
      // coreutils' base64, as people run it: it wraps at 76 columns.
      writeTree(dir, { [`env-${pad}.b64`]: execFileSync('base64', { input: plain }) });
      const keyAt = pad + '\nCHATBOT_API_KEY='.length;
      if (Math.floor((keyAt * 4) / 3 / 76) !== Math.floor(((keyAt + key.length) * 4) / 3 / 76)) straddled++;
    }
    expect(straddled).toBeGreaterThan(10);
    const r = runCli(['dir', dir, '--format', 'json']);
    const findings = JSON.parse(r.stdout).findings as { path: string; secret: { sha256: string; encoding?: string; partial?: true } }[];
    const wrapped = findings.filter((f) => f.path.endsWith('.b64'));
    expect(wrapped).toHaveLength(57);
    for (const f of wrapped) expect({ path: f.path, sha256: f.secret.sha256, encoding: f.secret.encoding, partial: f.secret.partial }).toEqual({ path: f.path, sha256: sha(key), encoding: 'base64', partial: undefined });
  });

  it('joins a MIME attachment in an .eml (CRLF, 76 columns) with the key across a line break', async () => {
    const key = fakeKey('live', 'prod');
    // Padding that puts a line break inside the key's encoding.
    let pad = 0;
    const keyAt = (p: number) => p + 'CHATBOT_API_KEY='.length;
    while (Math.floor((keyAt(pad) * 4) / 3 / 76) === Math.floor(((keyAt(pad) + key.length) * 4) / 3 / 76)) pad++;
    const attachment = `${'#'.repeat(pad)}CHATBOT_API_KEY=${key}\nDEBUG=false\n`;
    const body = (b64(attachment).match(/.{1,76}/g) as string[]).join('\r\n');
    const eml = [
      'From: dev@example.test',
      'Subject: the config you asked for',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Attached.',
      '--b1',
      'Content-Type: text/plain; name="prod.env"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="prod.env"',
      '',
      body,
      '--b1--',
      '',
    ].join('\r\n');
    const report = await scanStdin(Buffer.from(eml), { path: 'mail.eml' });
    expect(report.findings.map((f) => [f.line, f.secret.sha256, f.secret.encoding, f.secret.partial])).toEqual([[15, sha(key), 'base64', undefined]]);
    expect(report.findings[0]?.secret.redacted).toBe(`sk_live_prod_…${key.slice(-4)}`);
  });

  it('says a key may be cut short where wrapped lines could not be joined', () => {
    const key = fakeKey('live');
    const encoded = b64(`CHATBOT_API_KEY=${key}\nMORE=1\n`).replace(/=+$/, '');
    // A first line of 64 characters ends inside the key (24 of its 32 body characters); the next is wider, so the two are no wrapped block.
    const text = `${encoded.slice(0, 64)}\n${encoded.slice(64)}${'A'.repeat(60)}\n`;
    const r = runCli(['stdin', '--format', 'json'], { input: text });
    const findings = JSON.parse(r.stdout).findings as { secret: { sha256: string; partial?: true } }[];
    expect(findings).toHaveLength(1);
    expect(findings[0]?.secret.partial).toBe(true);
    expect(findings[0]?.secret.sha256).not.toBe(sha(key));
    const text80 = runCli(['stdin'], { input: text }).stdout;
    expect(text80).toMatch(/CRITICAL {2}live key · may be cut short/);
    // Its advice does not send anyone looking for a key by last four characters that may not be the key's.
    const json = JSON.parse(r.stdout) as { findings: { remediation: string[] }[] };
    expect(json.findings[0]?.remediation[0]).toMatch(/find the key and click Delete/);
  });
});
