/** Auditing many repositories in one run: a folder of clones, a targets file, per-repository lines and targets[]. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitEnv, makeRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { progressLine } from '../../src/cli/progress.js';
import { runCli, tempDir } from '../helpers/run.js';

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
    expect(text).toMatch(new RegExp(`  ${join(org, 'api')} +\\d+ objects? +[\\d.]+ \\w+ +[\\d.]+ s  1 key\\n`));
    expect(text).toMatch(/\/definitely\/not\/here +not scanned/);
  });

  it('--jobs 2 scans repositories side by side and reports what --jobs 1 does', () => {
    const dirs = [0, 1, 2].map(() => {
      const repo = makeRepo();
      for (let c = 0; c < 3; c++) repo.commit(`c${c}`, { [`f${c}.env`]: `K=${fakeKey('live')}\n` });
      return repo.dir;
    });
    const summary = (args: string[]) => {
      // --no-cache: both runs read every object (a second run would otherwise read only what the first did not find clean).
      const r = JSON.parse(runCli(['git', ...dirs, ...args, '--no-cache', '--format', 'json']).stdout);
      return { findings: r.findings.map((f: { target: string; path: string }) => `${f.target}:${f.path}`).sort(), targets: r.targets.map((t: { target: string; objects: number }) => `${t.target}:${t.objects}`).sort() };
    };
    const serial = summary(['--jobs', '1']);
    expect(serial.findings).toHaveLength(9);
    expect(summary(['--jobs', '2'])).toEqual(serial);
    expect(runCli(['git', '--jobs', '0']).stderr).toMatch(/--jobs takes a whole number from 1 to 64, not '0'/);
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

describe('merge', () => {
  function threeRepos() {
    const shared = fakeKey('live');
    const a = makeRepo();
    a.commit('k', { 'a.env': `K=${shared}\n` });
    const b = makeRepo();
    b.commit('k', { 'b.env': `K=${fakeKey('test')}\n` });
    const c = makeRepo();
    c.commit('k', { 'c.env': `K=${shared}\nW=${fakeKey('live', 'prod')}\n` });
    return [a.dir, b.dir, c.dir] as const;
  }
  const places = (r: { findings: { target: string; path: string; line: number; ruleId: string }[] }) => r.findings.map((f) => `${f.target}:${f.path}:${f.line}:${f.ruleId}`).sort();
  const keys = (r: { secrets: { sha256: string; occurrences: number; paths: string[] }[] }) => r.secrets.map((s) => `${s.sha256}:${s.occurrences}:${s.paths.join(',')}`).sort();

  it('two shards merge into the report one unsharded run makes: the same keys, places and counts', () => {
    const [a, b, c] = threeRepos();
    const out = tempDir();
    expect(runCli(['git', a, b, '--format', 'json', '--output', join(out, 's1.json')]).code).toBe(1);
    expect(runCli(['git', c, '--format', 'json', '--output', join(out, 's2.json')]).code).toBe(1);
    const whole = JSON.parse(runCli(['git', a, b, c, '--format', 'json']).stdout);
    const merged = runCli(['merge', join(out, 's1.json'), join(out, 's2.json'), '--format', 'json']);
    expect(merged.code).toBe(1);
    const m = JSON.parse(merged.stdout);
    expect(places(m)).toEqual(places(whole));
    expect(keys(m)).toEqual(keys(whole));
    expect(m.secrets).toHaveLength(3);
    expect(m.targets.map((t: { target: string }) => t.target).sort()).toEqual([a, b, c].sort());
    // The same shard twice is not twice the findings; any format renders the merge.
    expect(JSON.parse(runCli(['merge', join(out, 's1.json'), join(out, 's1.json'), '--format', 'json']).stdout).findings).toHaveLength(2);
    expect(runCli(['merge', join(out, 's1.json'), join(out, 's2.json')]).stdout).toMatch(/^sk-scan: 3 keys in 4 places/);
  });

  it("keeps each key's most telling verdict, and refuses what is not a version-1 report, naming the file", () => {
    const [a] = threeRepos();
    const out = tempDir();
    runCli(['git', a, '--format', 'json', '--output', join(out, 'old.json')]);
    const old = JSON.parse(readFileSync(join(out, 'old.json'), 'utf8'));
    old.findings[0].verification = { status: 'unknown', reason: 'timeout' };
    const fresh = structuredClone(old);
    fresh.findings[0].verification = { status: 'active', reason: 'ok', httpStatus: 200 };
    writeFileSync(join(out, 'old.json'), JSON.stringify(old));
    writeFileSync(join(out, 'fresh.json'), JSON.stringify(fresh));
    const m = JSON.parse(runCli(['merge', join(out, 'old.json'), join(out, 'fresh.json'), '--format', 'json']).stdout);
    expect(m.findings).toHaveLength(1);
    expect(m.secrets[0].verification.status).toBe('active');
    writeFileSync(join(out, 'v2.json'), JSON.stringify({ ...old, version: 2 }));
    const bad = runCli(['merge', join(out, 'old.json'), join(out, 'v2.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`sk-scan: error: ${join(out, 'v2.json')}: report version 2, and this sk-scan reads version 1\n`);
    writeFileSync(join(out, 'junk.json'), '{ nope');
    expect(runCli(['merge', join(out, 'junk.json')]).stderr).toMatch(/junk\.json: not valid JSON/);
  });
});

describe('cloning URLs', () => {
  it('says how far a clone is, from the stages git reports', () => {
    expect(progressLine({ phase: 'cloning', label: 'https://example.test/org/api.git (receiving)', items: 45, bytes: 0 }, 900, 'object')).toBe('cloning https://example.test/org/api.git (receiving): 45%');
    expect(progressLine({ phase: 'cloning', label: 'file:///srv/a.git (remote:)', items: 0, bytes: 0 }, 10, 'object')).toBe('cloning file:///srv/a.git (preparing): 0%');
  });
});

describe('exposure', () => {
  it("says when each key entered HEAD's line, when it was last there and which commit took it out", () => {
    const repo = makeRepo();
    const gone = fakeKey('live');
    const back = fakeKey('live');
    const added = repo.commit('add', { 'a.env': `K=${gone}\n`, 'b.env': `K=${back}\n` });
    const kept = repo.commit('more', { 'c.txt': 'c\n' });
    repo.remove('a.env', 'b.env');
    const removed = repo.commit('remove both');
    repo.commit('b again', { 'b.env': `K=${back}\n` });
    const report = JSON.parse(runCli(['git', repo.dir, '--format', 'json']).stdout) as { secrets: { sha256: string; exposure: { firstSeen: { commit: string }; lastSeen: { commit: string } | null; removedIn: { commit: string } | null; atHead: boolean } }[] };
    const of = (key: string) => report.secrets.find((s) => s.sha256 === createHash('sha256').update(key).digest('hex'))?.exposure;
    expect(of(gone)).toMatchObject({ firstSeen: { commit: added }, lastSeen: { commit: kept }, removedIn: { commit: removed }, atHead: false });
    expect(of(back)).toMatchObject({ firstSeen: { commit: added }, lastSeen: null, removedIn: null, atHead: true });
  });
});
