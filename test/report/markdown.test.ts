/** Markdown, for a CI job's summary. */
import { describe, expect, it } from 'vitest';
import { render, scanStdin } from '../../src/index.js';
import { fakeKey } from '../helpers/keys.js';

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
