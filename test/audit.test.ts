/** Auditing many repositories in one run: a folder of clones, a targets file, per-repository lines and targets[]. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitEnv, makeRepo } from './helpers/git.js';
import { fakeKey } from './helpers/keys.js';
import { runCli, tempDir } from './helpers/run.js';

describe('an audit of many repositories', () => {
  it('finds the repositories in a folder, takes more from a targets file, and reports each, the failing one too', () => {
    const org = tempDir();
    const shared = fakeKey('live');
    const api = makeRepo({ dir: join(org, 'api') });
    api.commit('k', { 'config.env': `K=${shared}\n` });
    const web = makeRepo({ dir: join(org, 'team', 'web') });
    web.commit('k', { 'web.env': `K=${shared}\nT=${fakeKey('test')}\n` });
    // A bare clone below the folder, and a folder of plain files that is no repository.
    execFileSync('git', ['clone', '-q', '--bare', web.dir, join(org, 'mirrors', 'web.git')], { env: gitEnv() });
    mkdirSync(join(org, 'docs'));
    writeFileSync(join(org, 'docs', 'notes.txt'), 'nothing\n');
    const extra = makeRepo();
    extra.commit('clean', { 'a.txt': 'a\n' });
    const list = join(tempDir(), 'targets.txt');
    writeFileSync(list, `# more to audit\n${extra.dir}\n\n/definitely/not/here  # gone\n`);

    const r = runCli(['git', org, '--targets-file', list, '--format', 'json']);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    const byTarget = Object.fromEntries(report.targets.map((t: { target: string }) => [t.target, t]));
    expect(Object.keys(byTarget).sort()).toEqual([join(org, 'api'), join(org, 'mirrors', 'web.git'), join(org, 'team', 'web'), extra.dir, '/definitely/not/here'].sort());
    expect(byTarget[join(org, 'api')]).toMatchObject({ kind: 'worktree', findings: 1, error: null });
    expect(byTarget[join(org, 'mirrors', 'web.git')]).toMatchObject({ kind: 'bare', findings: 2, error: null });
    expect(byTarget[extra.dir]).toMatchObject({ findings: 0, error: null });
    expect(byTarget[extra.dir].objects).toBeGreaterThan(0);
    expect(byTarget['/definitely/not/here']).toMatchObject({ kind: null, error: 'no such file or directory: /definitely/not/here' });
    // The key in three repositories is one key, with places in each.
    const key = report.secrets.find((s: { kind: string }) => s.kind === 'live');
    expect(key.occurrences).toBe(3);
    expect(report.secrets).toHaveLength(2);

    const text = runCli(['git', org, '--targets-file', list]).stdout;
    expect(text).toMatch(/Repositories \(5\):/);
    expect(text).toMatch(new RegExp(`  ${join(org, 'api')} +\\d+ objects +[\\d.]+ \\w+ +[\\d.]+ s  1 key\\n`));
    expect(text).toMatch(/\/definitely\/not\/here +not scanned/);
  });

  it('a folder with no repository below it is still an error', () => {
    const empty = tempDir();
    const r = runCli(['git', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sk-scan: error: not a git repository: ${empty}\n`);
    const missing = runCli(['git', '--targets-file', join(empty, 'nope.txt')]);
    expect(missing.stderr).toMatch(/^sk-scan: error: cannot read the targets file .*nope\.txt: it does not exist \(sk-scan help git\)$/m);
  });
});
