/** .sk-scan.yaml and rule files: what they change, and how a broken one is reported. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseSize } from '../../src/config/config-file.js';
import { SkScanError } from '../../src/common/errors.js';
import { fakeKey } from '../helpers/keys.js';
import { runCli, tempDir, writeTree } from '../helpers/run.js';

async function configError(yaml: string): Promise<string> {
  const dir = tempDir();
  writeFileSync(join(dir, '.sk-scan.yaml'), yaml);
  try {
    await loadConfig({ root: dir });
  } catch (err) {
    expect(err).toBeInstanceOf(SkScanError);
    return (err as Error).message.replace(dir + '/', '');
  }
  throw new Error('config loaded without error');
}

describe('malformed config is an error naming file and line', () => {
  it.each([
    ['invalid YAML', 'exclude:\n  - a\n  b: [\n', /^\.sk-scan\.yaml:3: invalid YAML/],
    ['an unknown top-level field', 'exclude: []\nexlude: [x]\n', /^\.sk-scan\.yaml:2: unknown field `exlude`/],
    ['a bad severity', 'rules:\n  - id: mine\n    description: d\n    severity: urgent\n    keywords: [k]\n    pattern: "k(?<secret>x+)"\n', /^\.sk-scan\.yaml:4: rule `mine`: severity must be one of/],
    ['a regex that does not compile', 'rules:\n  - id: mine\n    description: d\n    severity: low\n    keywords: [k]\n    pattern: "k(?<secret>[x"\n', /^\.sk-scan\.yaml:6: rule `mine`: bad `pattern`/],
    ['a pattern without a secret group', 'rules:\n  - id: mine\n    description: d\n    severity: low\n    keywords: [k]\n    pattern: "k(x+)"\n', /^\.sk-scan\.yaml:6: .*named group `secret`/],
    ['an empty keyword', 'rules:\n  - id: mine\n    description: d\n    severity: low\n    keywords: [k, ""]\n    pattern: "k(?<secret>x+)"\n', /^\.sk-scan\.yaml:5: each entry of rule `mine`: `keywords` must be a non-empty string/],
    ['a missing field', 'rules:\n  - id: mine\n    severity: low\n    keywords: [k]\n    pattern: "k(?<secret>x+)"\n', /^\.sk-scan\.yaml:2: rule is missing `description`/],
    ['an example the rule does not match', 'rules:\n  - id: mine\n    description: d\n    severity: low\n    keywords: [tok_]\n    pattern: "tok_(?<secret>[a-z]{8})"\n    examples:\n      match: ["tok_ABC"]\n', /^\.sk-scan\.yaml:2: rule `mine`: example 1 of `match` does not match$/],
    ['disabling an unknown rule', 'disable:\n  - chatbot-live-keys\n', /^\.sk-scan\.yaml:2: `disable` names an unknown built-in rule `chatbot-live-keys`/],
    ['a bad maxFileSize', 'maxFileSize: lots\n', /^\.sk-scan\.yaml:1: `maxFileSize` must be/],
  ])('%s', async (_what, yaml, message) => {
    expect(await configError(yaml)).toMatch(message);
  });

  it('reaches the CLI as one line on stderr and exit code 2', () => {
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': 'exclude:\n  - a\n  b: [\n', 'a.txt': 'hello\n' });
    const r = runCli(['dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sk-scan: error: .*\.sk-scan\.yaml:3: invalid YAML/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the file given with --config', () => {
    const dir = writeTree(tempDir(), { 'custom.yaml': 'rules: 3\n' });
    const r = runCli(['dir', dir, '--config', join(dir, 'custom.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/custom\.yaml:1: `rules` must be a list/);
  });
});

describe('what the config changes', () => {
  const live = fakeKey('live');
  const token = 'tok_' + 'Zq8Lm3Vx7Rp2Wn5Ks9Dt4Hy6';

  it('adds a user rule, disables a built-in one, excludes paths', () => {
    const dir = writeTree(tempDir(), {
      '.sk-scan.yaml': [
        'disable: [chatbot-test-key]',
        'exclude: ["vendor/**"]',
        'rules:',
        '  - id: internal-token',
        '    description: Our internal service token',
        '    severity: high',
        '    keywords: [tok_]',
        '    pattern: "tok_(?<secret>[A-Za-z0-9]{24})"',
        '    minEntropy: 3',
        '    examples:',
        `      match: ["${token}"]`,
        '      noMatch: ["tok_short"]',
        '',
      ].join('\n'),
      'app.env': `A=${live}\nB=${fakeKey('test')}\nC=${token}\n`,
      'vendor/lib.env': `A=${fakeKey('live')}\n`,
    });
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: { ruleId: string; path: string }) => `${f.path} ${f.ruleId}`)).toEqual([
      'app.env chatbot-live-key',
      'app.env internal-token',
    ]);
  });

  it('sets the maximum file size, and counts what it skips', () => {
    const dir = writeTree(tempDir(), {
      '.sk-scan.yaml': 'maxFileSize: 1KiB\n',
      'big.txt': `${'x'.repeat(2000)}\n${live}\n`,
      'small.txt': 'nothing here\n',
    });
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.stats.skipped.tooLarge).toBe(1);
    expect(report.stats.files).toBe(1);
    expect(r.stderr).toMatch(/skipped, too large: big\.txt: /);
  });

  it('parses sizes', () => {
    expect(parseSize('10MiB')).toBe(10 * 1024 * 1024);
    expect(parseSize('500 KB')).toBe(500_000);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('-1')).toBeNull();
    expect(parseSize('10 parsecs')).toBeNull();
  });
});
