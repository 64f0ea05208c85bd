/** What to do about a finding: fitted to where the key is and to what --verify said, from its rule's own advice. */
import { describe, expect, it } from 'vitest';
import { render, scanDir, scanGit, scanStdin } from '../../src/index.js';
import { fakeHex, fakeKey } from '../helpers/keys.js';
import { tempDir, writeTree } from '../helpers/run.js';
import { leakyHistory } from '../helpers/histories.js';

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
