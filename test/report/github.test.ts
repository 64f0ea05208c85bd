/** GitHub Actions annotations (`--format github`). */
import { describe, expect, it } from 'vitest';
import { render, scanGit } from '../../src/index.js';
import { escapeData, escapeProperty } from '../../src/report/github.js';
import { leakyHistory } from '../helpers/histories.js';

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
