/** What every format shares: one entry per finding, no full key, one place however many rules match it. */
import { describe, expect, it } from 'vitest';
import { render, scanGit, scanStdin } from '../../src/index.js';
import { fakeKey } from '../helpers/keys.js';
import { allOutputs, leakyHistory } from '../helpers/histories.js';

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
