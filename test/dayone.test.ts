/** A team's first day: the baseline, the hook's advice and what the tool says, as a new user meets them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from './helpers/git.js';
import { fakeKey } from './helpers/keys.js';
import { runCli, tempDir, writeTree } from './helpers/run.js';

const entries = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { entries: { path: string }[] }).entries;

describe('--update-baseline', () => {
  it('from a limited scan adds to the baseline and keeps every other entry, in one ordinary line', () => {
    const repo = makeRepo();
    const files: Record<string, string> = {};
    for (let i = 1; i <= 7; i++) files[`svc${i}/app.env`] = `KEY=${fakeKey('live')}\n`;
    repo.commit('old keys', files);
    const whole = runCli(['git', '--update-baseline'], { cwd: repo.dir });
    expect(whole.code).toBe(0);
    expect(whole.stdout).toBe('wrote .sk-scan-baseline.json: 7 entries, 7 added, 0 dropped\n');
    expect(whole.stderr).toBe('');

    repo.write({ 'src/payments.js': `const k = '${fakeKey('live')}';\n` });
    repo.git('add', 'src/payments.js');
    const staged = runCli(['staged', '--update-baseline'], { cwd: repo.dir });
    expect(staged.stdout).toBe('wrote .sk-scan-baseline.json: 8 entries, 1 added, 0 dropped\n');
    expect(staged.code).toBe(0);
    expect(staged.stdout + staged.stderr).not.toMatch(/warning|Revoke/);
    expect(entries(join(repo.dir, '.sk-scan-baseline.json'))).toHaveLength(8);

    repo.commit('payments');
    expect(runCli(['git'], { cwd: repo.dir }).code).toBe(0);
    // A range adds too: the 8 stay.
    const range = runCli(['git', '--since', 'HEAD~1', '--update-baseline'], { cwd: repo.dir });
    expect(range.stdout).toBe('wrote .sk-scan-baseline.json: 8 entries, 0 added, 0 dropped\n');
  });

  it('from a whole scan drops what is gone, and says so', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n`, 'b.env': `K=${fakeKey('live')}\n` });
    expect(runCli(['dir', dir, '--update-baseline']).stdout).toMatch(/: 2 entries, 2 added, 0 dropped\n$/);
    writeTree(dir, { 'b.env': 'K=from-the-environment\n', 'c.env': `K=${fakeKey('test')}\n` });
    // One file is a limited scan: nothing dropped.
    expect(runCli(['dir', join(dir, 'c.env'), '--baseline', join(dir, '.sk-scan-baseline.json'), '--update-baseline']).stdout).toMatch(
      /: 3 entries, 1 added, 0 dropped\n$/,
    );
    expect(runCli(['dir', dir, '--update-baseline']).stdout).toMatch(/: 2 entries, 1 added, 2 dropped\n$/);
    expect(entries(join(dir, '.sk-scan-baseline.json')).map((e) => e.path)).toEqual(['a.env', 'c.env']);
  });
});
