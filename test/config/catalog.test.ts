/** `sk-scan rules list` and `sk-scan rules check FILE`, run as a user runs them. */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fakeHex } from '../helpers/keys.js';
import { flatePdf } from '../helpers/pdf.js';
import { ROOT, runCli, tempDir, writeTree } from '../helpers/run.js';

const ACME_RULE = [
  '  - id: acme-token',
  '    description: Acme API token',
  '    severity: high',
  '    keywords: [acme_]',
  "    pattern: '(?P<secret>acme_[0-9a-f]{24})'",
];

describe('sk-scan rules list', () => {
  it("lists the rules a scan from this folder uses, and the encodings it claims are the ones a scan finds the user's key in", () => {
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': ['disable: [chatbot-test-key]', 'rules:', ...ACME_RULE, ''].join('\n') });
    const r = runCli(['rules', 'list', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.disabled).toEqual(['chatbot-test-key']);
    const byId = new Map(list.rules.map((rule: { id: string }) => [rule.id, rule]));
    expect([...byId.keys()]).toEqual(['chatbot-live-key', 'chatbot-webhook-secret', 'acme-token']);
    expect(byId.get('chatbot-live-key')).toMatchObject({ severity: 'critical', from: 'built-in', keywords: ['sk_live_'], verify: 'GET /v1/bots' });
    expect(byId.get('chatbot-webhook-secret')).toMatchObject({ verify: null });
    const acme = byId.get('acme-token') as { from: string; decodes: string[]; verify: null };
    expect(acme.from).toMatch(/\.sk-scan\.yaml$/);
    expect(acme.verify).toBeNull();
    expect(acme.decodes).toEqual(['base64', 'hex', 'percent', 'json-escape', 'x-escape', 'quoted-printable', 'base64/compressed', 'pdf-flate']);

    // Each encoding listed: a key written in it is found, and reported as found in it.
    const key = `acme_${fakeHex(24)}`;
    const written: Record<string, string> = {
      base64: Buffer.from(`token=${key}\n`).toString('base64'),
      hex: Buffer.from(`token=${key}`).toString('hex'),
      percent: `token=${key.replace('_', '%5F')}`,
      'json-escape': `{"token": "${key.replace('_', '\\u005f')}"}`,
      'x-escape': `token = b"${key.replace('_', '\\x5f')}"`,
      'base64/compressed': gzipSync(`token=${key}\n`).toString('base64'),
      'pdf-flate': flatePdf(`token=${key}`).toString('latin1'),
      'quoted-printable': `Content-Transfer-Encoding: quoted-printable\r\n\r\ntoken=3D${key.slice(0, 12)}=\r\n${key.slice(12)}\r\n`,
    };
    for (const encoding of acme.decodes) {
      const scan = runCli(['stdin', '--format', 'json'], { cwd: dir, input: Buffer.from(`${written[encoding]}\n`, 'latin1') });
      expect({ encoding, code: scan.code }).toEqual({ encoding, code: 1 });
      expect(JSON.parse(scan.stdout).findings.map((f: { ruleId: string; secret: { encoding?: string } }) => [f.ruleId, f.secret.encoding])).toEqual([['acme-token', { 'base64/compressed': 'base64/gzip', 'pdf-flate': 'binary/pdf-flate' }[encoding] ?? encoding]]);
    }
  });

  it('reads at 80 columns: a block per rule, every line within the width', () => {
    const r = runCli(['rules', 'list'], { cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^chatbot-live-key {2}critical {2}built-in\n/);
    expect(r.stdout).toMatch(/ {2}verify {4}no check/);
    expect(r.stdout).toMatch(/3 rules in force; no \.sk-scan\.yaml: the built-in rules\.\n$/);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

describe('sk-scan rules check FILE', () => {
  it('runs every example of every rule and names each that misbehaves by file and line (exit 1)', () => {
    const dir = tempDir();
    const good = `acme_${fakeHex(24)}`;
    writeTree(dir, {
      'my-rules.yaml': [
        'rules:',
        ...ACME_RULE,
        '    examples:',
        '      match:',
        `        - 'TOKEN=${good}'`,
        `        - 'TOKEN=acme_${fakeHex(12)}'`,
        '      noMatch:',
        "        - 'acme_xyz'",
        `        - 'the token acme_${fakeHex(24)} in a sentence'`,
        '  - id: bare',
        '    description: a rule nobody checks',
        '    severity: low',
        '    keywords: [zz_]',
        "    pattern: '(?P<secret>zz_[0-9]{8})'",
        '',
      ].join('\n'),
    });
    const r = runCli(['rules', 'check', 'my-rules.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('my-rules.yaml:10: acme-token: match example 2 is not found\n');
    expect(r.stdout).toContain('my-rules.yaml:13: acme-token: noMatch example 2 is found\n');
    expect(r.stdout).not.toContain('my-rules.yaml:9:');
    expect(r.stdout).toMatch(/^✗ acme-token +line 2 +2 match, 2 noMatch: 2 misbehave$/m);
    expect(r.stdout).toMatch(/^\? bare +line 14 +0 match, 0 noMatch: no examples: nothing checks it$/m);
    expect(r.stdout).toMatch(/2 rules, 4 examples: 2 misbehave\n$/);
    // No key is printed: the line is enough to find it.
    expect(r.stdout).not.toContain(good);

    const json = JSON.parse(runCli(['rules', 'check', 'my-rules.yaml', '--format', 'json'], { cwd: dir }).stdout);
    expect(json.rules[0].examples.filter((e: { ok: boolean }) => !e.ok).map((e: { line: number }) => e.line)).toEqual([10, 13]);
  });

  it("passes the rules sk-scan ships, run on the engine a scan runs them on (exit 0)", () => {
    const r = runCli(['rules', 'check', join(ROOT, 'rules', 'chatbot.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ chatbot-live-key /m);
    expect(r.stdout).toMatch(/3 rules, \d+ examples: all as expected\n$/);
  });

  it('refuses what is not a rules file with one line naming the file and line (exit 2)', () => {
    const dir = writeTree(tempDir(), {
      'broken.yaml': 'rules:\n  - id: x\n    pattern: [\n',
      'norules.yaml': 'exclude: [vendor/]\n',
      'badrule.yaml': ['rules:', ...ACME_RULE.map((l) => l.replace('severity: high', 'severity: urgent')), ''].join('\n'),
    });
    const cases: [string[], RegExp][] = [
      [['rules', 'check', 'broken.yaml'], /^sk-scan: error: broken\.yaml:4: invalid YAML/],
      [['rules', 'check', 'norules.yaml'], /^sk-scan: error: norules\.yaml:1: no `rules:` list here/],
      [['rules', 'check', 'badrule.yaml'], /^sk-scan: error: badrule\.yaml:4: rule `acme-token`: severity must be one of critical, high, medium, low, not `urgent`/],
      [['rules', 'check', 'missing.yaml'], /^sk-scan: error: cannot read missing\.yaml: it does not exist$/],
      [['rules', 'check'], /^sk-scan: error: rules check takes one FILE/],
      [['rules', 'frob'], /^sk-scan: error: rules has no frob: use list or check FILE \(sk-scan help rules\)$/],
      [['rules', 'lst'], /^sk-scan: error: rules has no lst; did you mean list\? \(sk-scan help rules\)$/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, { cwd: dir });
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });
});
