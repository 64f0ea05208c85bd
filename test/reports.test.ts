/** The formats CI and security teams act on, per-key exposure, advisories, remediation and progress. */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render, scanDir, scanGit, scanStdin, type Report } from '../src/index.js';
import { escapeData, escapeProperty } from '../src/report/github.js';
import { makeRepo } from './helpers/git.js';
import { fakeHex, fakeKey } from './helpers/keys.js';
import { CLI, ROOT, runCli, tempDir, writeTree } from './helpers/run.js';

const MULTITOOL = join(ROOT, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');

/** A history full of findings: live, test and webhook keys, one removed, one in a commit message, one on a branch. */
function leakyHistory() {
  const repo = makeRepo();
  const keys = { live: fakeKey('live', 'prod'), test: fakeKey('test'), hook: fakeHex(40), message: fakeKey('live'), removed: fakeKey('live') };
  repo.commit('init', { 'README.md': 'demo\n' });
  repo.commit('config', { 'config/prod/app.env': `CHATBOT_API_KEY=${keys.live}\n`, 'config/dev/app.env': `CHATBOT_API_KEY=${keys.live}\n` });
  repo.commit('webhook', { 'src/hook.py': `WEBHOOK_SECRET = "${keys.hook}"\n`, 'tests/fixture,with:odd%name.env': `K=${keys.test}\n` });
  repo.commit(`debug with ${keys.message}`, { 'a.txt': 'a\n' });
  repo.commit('remove prod key', { 'config/prod/app.env': 'CHATBOT_API_KEY=\n', 'old.env': `K=${keys.removed}\n` });
  repo.remove('old.env');
  repo.commit('remove old.env');
  return { repo, keys };
}

function allOutputs(report: Report): string {
  return ['text', 'json', 'sarif', 'github', 'junit'].map((f) => render(report, f as 'text')).join('\n');
}

describe('SARIF', () => {
  it("passes Microsoft's multitool with GitHub's ingestion rules, on a history full of findings", async () => {
    const { repo } = leakyHistory();
    const out = join(tempDir(), 'history.sarif');
    const r = runCli(['git', repo.dir, '--format', 'sarif', '--output', out]);
    expect(r.code).toBe(1);
    chmodSync(MULTITOOL, 0o755);
    const v = spawnSync(MULTITOOL, ['validate', '--rule-kind', 'Gh;Sarif', out], { encoding: 'utf8' });
    expect(v.stdout).toMatch(/Analysis completed successfully/);
    expect(v.stdout).not.toMatch(/: error /);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    const report = await scanGit([repo.dir]);
    expect(sarif.runs[0].results).toHaveLength(report.findings.length);
  });

  it('describes each rule with descriptions, help and security-severity', () => {
    const sarif = JSON.parse(runCli(['stdin', '--format', 'sarif'], { input: `K=${fakeKey('live')}` }).stdout);
    const rule = sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'chatbot-live-key');
    expect(rule.shortDescription.text).toMatch(/live API key/);
    expect(rule.fullDescription.text.length).toBeGreaterThan(rule.shortDescription.text.length);
    expect(rule.help.text).toMatch(/1\. Revoke it now: .*team settings → API Keys/);
    expect(rule.properties['security-severity']).toBe('9.5');
    expect(rule.properties.tags).toContain('security');
    const result = sarif.runs[0].results[0];
    expect(result.message.text).toMatch(/sk_live_…\w{4}/);
    expect(sarif.runs[0].tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
  });

  it('keeps partialFingerprints when lines move, and changes them for another key', () => {
    const key = fakeKey('live');
    const fp = (text: string) => JSON.parse(runCli(['stdin', '--path', 'app.env', '--format', 'sarif'], { input: text }).stdout).runs[0].results[0].partialFingerprints;
    const before = fp(`K=${key}\n`);
    const moved = fp(`# a comment\n\n\n  K = ${key}\n`);
    expect(moved).toEqual(before);
    expect(fp(`K=${fakeKey('live')}\n`)).not.toEqual(before);
  });

  it('locates a key in a commit message in a way the validator accepts', async () => {
    const { repo, keys } = leakyHistory();
    const report = await scanGit([repo.dir]);
    const sarif = JSON.parse(render(report, 'sarif'));
    const inMessage = sarif.runs[0].results.find((r: { properties: { commit?: string } }) =>
      report.findings.some((f) => f.path === null && f.commit === r.properties.commit && f.secret.redacted.endsWith(keys.message.slice(-4))),
    );
    expect(inMessage.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^\.git\/COMMIT_EDITMSG@[0-9a-f]{40}$/);
  });
});

describe('GitHub annotations', () => {
  it('escapes %, CR and LF in messages, and also : and , in properties', () => {
    expect(escapeData('100%\r\nnext')).toBe('100%25%0D%0Anext');
    expect(escapeProperty('a:b,c%')).toBe('a%3Ab%2Cc%25');
  });

  it('writes one ::error per finding (::warning for test and dead keys), without file= for a commit message', async () => {
    const { repo } = leakyHistory();
    const report = await scanGit([repo.dir]);
    const lines = render(report, 'github').trimEnd().split('\n');
    expect(lines).toHaveLength(report.findings.length);
    for (const line of lines) expect(line).toMatch(/^::(error|warning) /);
    expect(lines.find((l) => l.includes('tests/fixture'))).toMatch(/^::warning file=tests\/fixture%2Cwith%3Aodd%25name\.env,line=1,col=3,title=chatbot-test-key%3A sk_test_…\w{4}::/);
    const message = lines.find((l) => l.includes('In the message of commit'));
    expect(message).toMatch(/^::error title=/);
    expect(message).not.toContain('file=');
    expect(lines.every((l) => !l.slice(2).includes('\n'))).toBe(true);
  });
});

describe('JUnit', () => {
  it('has one suite per target and one failing case per finding, as well-formed XML', async () => {
    const a = leakyHistory();
    const b = makeRepo();
    b.commit('k', { 'k.env': `K=${fakeKey('live')}\n` });
    const report = await scanGit([a.repo.dir, b.dir]);
    const xml = render(report, 'junit');
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<failure /g)).toHaveLength(report.findings.length);
    const file = join(tempDir(), 'r.xml');
    writeFileSync(file, xml);
    // xmllint-free well-formedness check: python's parser, which Debian always has.
    const parsed = spawnSync('python3', ['-c', 'import sys,xml.dom.minidom as m; d=m.parse(sys.argv[1]); print(len(d.getElementsByTagName("testcase")))', file], { encoding: 'utf8' });
    expect(parsed.stdout.trim()).toBe(String(report.findings.length));
  });

  it('reports a clean scan as one passing case', () => {
    const xml = runCli(['stdin', '--format', 'junit'], { input: 'nothing here' }).stdout;
    expect(xml).toMatch(/<testsuite name="sk-scan stdin -" tests="1" failures="0"/);
    expect(xml).toMatch(/<testcase [^>]*name="no secrets found"/);
  });
});

describe('every format', () => {
  it('carries one entry per finding and no full key', async () => {
    const { repo, keys } = leakyHistory();
    const report = await scanGit([repo.dir]);
    const everything = allOutputs(report);
    for (const k of Object.values(keys)) expect(everything).not.toContain(k);
    const sarif = JSON.parse(render(report, 'sarif'));
    expect(sarif.runs[0].results).toHaveLength(report.findings.length);
    expect(render(report, 'junit').match(/<failure /g)).toHaveLength(report.findings.length);
  });
});

describe('per-key exposure and advisories', () => {
  it('lists each unique key once, worst first, with occurrences, paths, first commit and whether it is at HEAD', async () => {
    const { repo, keys } = leakyHistory();
    const report = await scanGit([repo.dir]);
    const live = report.secrets.find((s) => s.redacted.endsWith(keys.live.slice(-4)));
    expect(live).toMatchObject({ ruleId: 'chatbot-live-key', kind: 'live', environment: 'prod', occurrences: 2, atHead: true });
    expect(live?.paths).toEqual(['config/dev/app.env', 'config/prod/app.env']);
    expect(live?.firstSeen?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(report.secrets.map((s) => s.sha256)).size).toBe(report.secrets.length);
    expect(report.secrets[0]?.severity).toBe('critical');
    expect(report.secrets.at(-1)?.kind).toBe('test');
  });

  it('warns when one key serves several environments, and when a tagged key sits in another environment', async () => {
    const key = fakeKey('live', 'prod');
    const dir = writeTree(tempDir(), { '.env.production': `K=${key}\n`, 'config/dev/settings.env': `K=${key}\n`, 'values-staging.yaml': `key: ${fakeKey('live', 'prod')}\n` });
    const report = await scanDir([dir], { threads: 1 });
    const kinds = report.advisories.map((a) => `${a.kind} ${a.environments.join('/')}`).sort();
    expect(kinds).toEqual(['environment-mismatch production/development', 'environment-mismatch production/staging', 'shared-across-environments development/production']);
    const text = render(report, 'text').replace(/\s+/g, ' ');
    expect(text).toMatch(/Advisories: • sk_live_prod_…\w{4} is used in development and production files/);
    expect(text).toMatch(/is a production key, but it sits in staging files \(values-staging\.yaml\)/);
  });

  it('opens the text report with the picture, worst first', async () => {
    const live = fakeKey('live');
    const report = await scanStdin(Buffer.from(`A=${live}\nB=${live}\nC=${fakeKey('test')}\n`));
    const text = render(report, 'text');
    expect(text.split('\n')[0]).toMatch(/^sk-scan: 2 keys in 3 places {2}\(scanned 1 file, /);
    expect(text.indexOf('live key')).toBeLessThan(text.indexOf('test key'));
  });
});

describe('remediation fits the finding', () => {
  it('still in the tree: revoke, replace, then move it to an env var', async () => {
    const r = await scanStdin(Buffer.from(`K=${fakeKey('live')}`));
    const steps = r.findings[0]?.remediation ?? [];
    expect(steps[0]).toMatch(/^Revoke it now: .*API Keys, find the key ending in \w{4} and click Delete\. Deleted keys stop working at once\./);
    expect(steps.join(' ')).toMatch(/fewest|only the scopes/);
    expect(steps.at(-1)).toMatch(/environment variable .* or a secrets manager/);
  });

  it('only in history: rotating is the fix, and filter-repo is how to purge', async () => {
    const { repo, keys } = leakyHistory();
    const report = await scanGit([repo.dir]);
    // The prod key is gone from config/prod but still in config/dev at HEAD; old.env's key is gone everywhere.
    expect(report.findings.find((f) => f.path === 'config/prod/app.env')?.git?.atHead).toBe(true);
    const removed = report.findings.find((f) => f.path === 'old.env');
    expect(removed?.git?.atHead).toBe(false);
    expect(removed?.remediation.at(-1)).toMatch(/only in git history now, and rotating is the fix: .*rewriting history does not un-leak.*git filter-repo/);
    const inMessage = report.findings.find((f) => f.path === null && f.secret.redacted.endsWith(keys.message.slice(-4)));
    expect(inMessage?.remediation.at(-1)).toMatch(/commit message/);
  });

  it('test keys are lower priority but still rotated; webhook secrets are replaced', async () => {
    const r = await scanStdin(Buffer.from(`K=${fakeKey('test')}\nWEBHOOK_SECRET=${fakeHex(40)}\n`));
    expect(r.findings[0]?.remediation[0]).toMatch(/^Lower priority .*still rotate it/);
    expect(r.findings[1]?.remediation[0]).toMatch(/forge webhook requests/);
  });
});

describe("a user's rule is advised from its own data", () => {
  it("gets generic advice even with `kind: live`, never the platform's dashboard; with its own pieces, those, fitted to the place", async () => {
    const dir = tempDir();
    const plain = `acme_${fakeHex(24)}`;
    const advised = `zeta_${fakeHex(24)}`;
    writeTree(dir, {
      '.sk-scan.yaml': [
        'rules:',
        '  - { id: acme-token, description: Acme token, severity: high, kind: live, keywords: [acme_], pattern: "(?P<secret>acme_[0-9a-f]{24})" }',
        '  - id: zeta-token',
        '    description: Zeta token (full access)',
        '    severity: critical',
        '    keywords: [zeta_]',
        '    pattern: "(?P<secret>zeta_[0-9a-f]{24})"',
        '    remediation:',
        '      variable: ZETA_TOKEN',
        '      revoke: &r { short: "Revoke it in Zeta\'s console.", long: "Open Zeta\'s console and revoke {key}." }',
        '      then: [*r]',
        '',
      ].join('\n'),
      'app.js': `const a = "${plain}";\nconst z = "${advised}";\n`,
    });
    const report = await scanDir([dir]);
    const plainSteps = report.findings.find((f) => f.ruleId === 'acme-token')?.remediation ?? [];
    expect(plainSteps[0]).toBe('Treat this secret as exposed: revoke or rotate it with whoever issued it.');
    expect(plainSteps.join(' ')).not.toMatch(/dashboard|API Keys|CHATBOT_API_KEY|X-Chatbot/);
    const advisedSteps = report.findings.find((f) => f.ruleId === 'zeta-token')?.remediation ?? [];
    expect(advisedSteps[0]).toBe(`Open Zeta's console and revoke the key ending in ${advised.slice(-4)}.`);
    expect(advisedSteps.at(-1)).toMatch(/read it from an environment variable \(ZETA_TOKEN\) or a secrets manager/);
    const text = render(report, 'text');
    expect(text).toContain("Revoke it in Zeta's console.");
    expect(text).not.toMatch(/dashboard|CHATBOT_API_KEY/);
    // SARIF names the key by its rule's description, not by a vendor the code knows.
    expect(JSON.parse(render(report, 'sarif')).runs[0].results.map((r: { message: { text: string } }) => r.message.text.split(' ')[0])).toEqual(expect.arrayContaining(['Acme', 'Zeta']));
  });
});

function withoutCI(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['CI'];
  return env;
}

describe('progress', () => {
  const onTty = (args: string, env: Record<string, string> = {}) =>
    spawnSync('script', ['-qec', `stty cols 100; ${process.execPath} ${CLI} ${args}`, '/dev/null'], {
      env: { ...withoutCI(), ...env },
      encoding: 'utf8',
      timeout: 60_000,
    }).stdout;

  it('shows phase and counts on a terminal, and nothing with CI set, with --quiet, or off a terminal', () => {
    const repo = makeRepo();
    for (let i = 0; i < 20; i++) repo.commit(`c${i}`, { [`f${i}.txt`]: 'x\n'.repeat(50_000) });
    const shown = onTty(`git ${repo.dir} --format json --output /dev/null`);
    expect(shown).toMatch(/scanning: [\d,]+ objects?, [\d.]+ \w+ \([\d.]+ \w+\/s\)/);
    expect(onTty(`git ${repo.dir} --format json --output /dev/null`, { CI: 'true' })).not.toMatch(/scanning:/);
    expect(onTty(`git ${repo.dir} --quiet --format json --output /dev/null`)).not.toMatch(/scanning:/);
    expect(runCli(['git', repo.dir]).stderr).not.toMatch(/scanning:/);
  });
});

describe('markdown', () => {
  it('summarises for CI: counts by severity, each key with its places, each step once; nothing that breaks a table', async () => {
    const live = fakeKey('live');
    const report = await scanStdin(Buffer.from(`A=${live}\nB=${live}\nC=${fakeKey('test')}\n`), { path: 'we|ird`name.env' });
    const md = render(report, 'markdown');
    expect(md).toMatch(/^## sk-scan: 2 keys in 3 places\n/);
    expect(md).toContain('| **critical** | 1 |');
    expect(md).toContain('| medium | 1 |');
    expect(md).toMatch(new RegExp(`\\| 1 \\| \`sk_live_…${live.slice(-4)}\` \\| critical \\| live key \\| \`\` we\\\\\\|ird\`name\\.env:1:3 \`\`<br>\`\` we\\\\\\|ird\`name\\.env:2:3 \`\` \\|`));
    expect(md.match(/Revoke now/g)).toHaveLength(1);
    expect(md).not.toContain(live);
    for (const row of md.split('\n').filter((l) => l.startsWith('| 1 |') || l.startsWith('| 2 |'))) expect(row.split(/(?<!\\)\|/).length).toBe(7);
    const clean = render(await scanStdin(Buffer.from('nothing\n')), 'markdown');
    expect(clean).toMatch(/^## sk-scan: no keys found\n/);
  });
});

describe('one place, two rules', () => {
  it('a key two rules match at one spot is one place in text and markdown, and both findings in JSON', async () => {
    const report = await scanStdin(Buffer.from(`WEBHOOK_SECRET=${fakeKey('test')}\n`), { path: 'a.env' });
    expect(report.findings.map((f) => f.ruleId).sort()).toEqual(['chatbot-test-key', 'chatbot-webhook-secret']);
    const text = render(report, 'text');
    expect(text).toMatch(/^sk-scan: 1 key in 1 place/);
    expect(text.match(/a\.env:1:16/g)).toHaveLength(1);
    expect(render(report, 'markdown').match(/a\.env:1:16/g)).toHaveLength(1);
  });
});
