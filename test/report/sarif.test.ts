/** SARIF 2.1.0, as GitHub code scanning ingests it. */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render, scanGit } from '../../src/index.js';
import { fakeKey } from '../helpers/keys.js';
import { ROOT, runCli, tempDir } from '../helpers/run.js';
import { leakyHistory } from '../helpers/histories.js';

const MULTITOOL = join(ROOT, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');

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
