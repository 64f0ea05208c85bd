/** The scan cache: a repeated audit reads only what is new, and never reports less. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanGit, type Report } from '../../src/index.js';
import { CleanCache, cacheFileIn, cacheKey } from '../../src/sources/git/cache.js';
import { tar } from '../helpers/archives.js';
import { importCommits, makeRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { CLI, runCli, tempDir } from '../helpers/run.js';

/** Where the scan cache of a repository with a working tree lives: the user's cache folder (a test file's own), by the git directory's place. */
const cacheFile = (repo: { dir: string }) => cacheFileIn(join(process.env['XDG_CACHE_HOME'] as string, 'sk-scan'), realpathSync(join(repo.dir, '.git')));
const json = (args: string[]) => {
  const r = runCli(args);
  return { ...r, report: JSON.parse(r.stdout) as Report };
};

function repoWithKey() {
  const repo = makeRepo();
  const key = fakeKey('live', 'prod');
  for (let i = 0; i < 5; i++) repo.commit(`work ${i}`, { [`src/f${i}.js`]: `export const n = ${i};\n` });
  const added = repo.commit('config', { 'config/.env': `CHATBOT_API_KEY=${key}\n` });
  repo.commit('more', { 'src/f0.js': 'export const n = 10;\n' });
  return { repo, key, added };
}

describe('scan cache', () => {
  it('reads only what it has not seen clean, and still reports the key it found before, with its place', () => {
    const { repo, added } = repoWithKey();
    const first = json(['git', repo.dir, '--format', 'json']);
    expect(first.code).toBe(1);
    expect(first.report.stats.cached).toBe(0);
    const objects = first.report.stats.files;
    expect(existsSync(cacheFile(repo))).toBe(true);

    const second = json(['git', repo.dir, '--format', 'json']);
    expect(second.code).toBe(1);
    // The blob with the key is read again (it is never cached); everything else comes from the cache.
    expect(second.report.stats.files).toBe(1);
    expect(second.report.stats.cached).toBe(objects - 1);
    expect(second.report.findings.map((f) => [f.path, f.commit, f.line])).toEqual(first.report.findings.map((f) => [f.path, f.commit, f.line]));
    expect(second.report.findings[0]?.commit).toBe(added);
    expect(runCli(['git', repo.dir]).stdout).toMatch(/\(scanned 1 object in [\d.]+ m?s; \d+ cached\)/);

    // One new commit: its commit, tree-less blob and message are all that is read (plus the key's blob).
    repo.commit('one more', { 'src/new.js': 'export const m = 1;\n' });
    const third = json(['git', repo.dir, '--format', 'json']);
    expect(third.report.stats.files).toBe(3);
  });

  it('places a finding from the cache while the store holds the same commits, and walks the history again when it does not', () => {
    const { repo, key, added } = repoWithKey();
    const places = `${cacheFile(repo)}.places`;
    const first = json(['git', repo.dir, '--format', 'json']);
    expect(first.report.findings.map((f) => [f.path, f.commit])).toEqual([['config/.env', added]]);
    expect(existsSync(places)).toBe(true);
    expect(readFileSync(places, 'utf8')).not.toContain(key);

    // Nothing new: the placement comes from the file (edited here to show it is what was used), not from a walk.
    writeFileSync(places, readFileSync(places, 'utf8').replace('"config/.env"', '"placed/by-the-cache.env"'));
    const second = json(['git', repo.dir, '--format', 'json']);
    expect(second.report.findings.map((f) => [f.path, f.commit])).toEqual([['placed/by-the-cache.env', added]]);

    // A new commit holding the same blob at another path: the store's commits changed, so the history is walked again.
    const copied = repo.commit('copy', { 'deploy/.env': `CHATBOT_API_KEY=${key}\n` });
    const third = json(['git', repo.dir, '--format', 'json']);
    expect(third.report.findings.map((f) => [f.path, f.commit]).sort()).toEqual([['config/.env', added], ['deploy/.env', copied]]);
    expect(third.report.warnings.filter((w) => w.includes('scan cache'))).toEqual([]);

    // A damaged file: a warning naming it, the places worked out by a walk, and the file rewritten.
    writeFileSync(places, readFileSync(places, 'utf8').slice(0, 40));
    const fourth = json(['git', repo.dir, '--format', 'json']);
    expect(fourth.report.findings.map((f) => [f.path, f.commit]).sort()).toEqual(third.report.findings.map((f) => [f.path, f.commit]).sort());
    expect(fourth.stderr).toMatch(/scan cache .*\.cache\.places: damaged or not an sk-scan placements file; ignored/);
    expect(json(['git', repo.dir, '--format', 'json']).stderr).not.toMatch(/scan cache/);
  });

  it('starts afresh when the rules change, and when the file was written under another key (another version)', () => {
    const { repo } = repoWithKey();
    runCli(['git', repo.dir]);
    writeFileSync(join(repo.dir, '.sk-scan.yaml'), 'disable: [chatbot-test-key]\n');
    repo.commit('config', {});
    const changed = json(['git', repo.dir, '--format', 'json']);
    expect(changed.report.stats.cached).toBe(0);
    expect(changed.report.warnings.filter((w) => w.includes('scan cache'))).toEqual([]);

    // A cache of another version: whole and valid, but its key is not this one.
    expect(cacheKey({ version: '1.0.0' })).not.toBe(cacheKey({ version: '1.0.1' }));
    const other = CleanCache.open(cacheFile(repo), 'f'.repeat(64), () => {});
    repo.git('rev-list', '--all').trim().split('\n').forEach((c) => other.clean(c));
    other.save(() => {});
    const afresh = json(['git', repo.dir, '--format', 'json']);
    expect(afresh.report.stats.cached).toBe(0);
    expect(json(['git', repo.dir, '--format', 'json']).report.stats.cached).toBeGreaterThan(0);
  });

  it('ignores a damaged, cut-short or foreign cache with a warning, rewrites it, and reports the same', () => {
    const { repo } = repoWithKey();
    const clean = json(['git', repo.dir, '--format', 'json']).report;
    const whole = readFileSync(cacheFile(repo));
    const damaged = Buffer.from(whole);
    damaged[damaged.length - 40] = (damaged[damaged.length - 40] as number) ^ 0xff;
    const cases: [string, Buffer, RegExp][] = [
      ['a flipped byte', damaged, /damaged \(its checksum does not match\)/],
      ['cut short', whole.subarray(0, whole.length - 7), /damaged \(cut short/],
      ['foreign', Buffer.from('{"not": "a cache"}\n'), /not an sk-scan cache/],
    ];
    for (const [what, bytes, message] of cases) {
      writeFileSync(cacheFile(repo), bytes);
      const r = json(['git', repo.dir, '--format', 'json']);
      expect({ what, cached: r.report.stats.cached, files: r.report.stats.files }).toEqual({ what, cached: 0, files: clean.stats.files });
      expect(r.report.findings.length).toBe(clean.findings.length);
      expect(r.stderr).toMatch(message);
      // Rewritten: the next scan trusts it again.
      expect(json(['git', repo.dir, '--format', 'json']).report.stats.cached).toBe(clean.stats.files - 1);
    }
  });

  it('leaves a whole cache when the scan is killed half-way', async () => {
    const repo = makeRepo();
    importCommits(repo, Array.from({ length: 400 }, (_, i) => ({ message: `c${i}`, files: { [`d/f${i % 50}.txt`]: `line ${i}\n`.repeat(200) } })));
    runCli(['git', repo.dir]);
    const before = readFileSync(cacheFile(repo));
    importCommits(repo, Array.from({ length: 400 }, (_, i) => ({ message: `n${i}`, files: { [`e/g${i % 50}.txt`]: `more ${i}\n`.repeat(200) } })));
    // A killed scan cannot remove its temporary folders: they go in one of the test's, removed after it.
    const tmp = tempDir('sk-scan-killed-');
    for (const delay of [50, 150, 300]) {
      const child = spawn(process.execPath, [CLI, 'git', repo.dir, '-q'], { stdio: 'ignore', env: { ...process.env, TMPDIR: tmp } });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await exited;
      const warnings: string[] = [];
      CleanCache.open(cacheFile(repo), 'x'.repeat(64), (w) => warnings.push(w));
      expect(warnings).toEqual([]);
    }
    // Either the old cache or a new whole one, never a part of one.
    const after = readFileSync(cacheFile(repo));
    expect(after.equals(before) || after.length > before.length).toBe(true);
  });

  it('--no-cache reads everything and writes nothing; --cache DIR keeps the file there', async () => {
    const { repo } = repoWithKey();
    const nothing = json(['git', repo.dir, '--no-cache', '--format', 'json']);
    expect(nothing.report.stats.cached).toBeUndefined();
    expect(existsSync(cacheFile(repo))).toBe(false);
    const dir = tempDir();
    runCli(['git', repo.dir, '--cache', dir]);
    // The cache, and beside it where the key's blob was found in history (this repository has a finding).
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[1]).toBe(`${files[0]}.places`);
    expect(existsSync(cacheFile(repo))).toBe(false);
    // (The CLI both times: the key hashes the reading code, and tests run the API from its TypeScript.)
    const again = json(['git', repo.dir, '--cache', dir, '--format', 'json']).report;
    expect(again.stats.cached).toBeGreaterThan(0);
    expect(again.findings).toHaveLength(1);
    // A range reads what it added, with or without a cache.
    expect((await scanGit([repo.dir], { since: 'HEAD~1' })).stats.cached).toBeUndefined();
  });

  it('a first audit (reading the store itself) and a second (through git) name the store alike, so the second trusts what the first checked', () => {
    const { repo } = repoWithKey();
    repo.git('repack', '-adq');
    repo.commit('loose', { 'late.js': 'export const late = 1;\n' });
    const dir = tempDir();
    const checked = () => /^checked (\S+ \S+|-)$/m.exec(readFileSync(join(dir, readdirSync(dir).find((f) => !f.endsWith('.places')) as string), 'latin1'))?.[1];
    runCli(['git', repo.dir, '--cache', dir]);
    const first = checked();
    // Refs and store checked whole: the second audit skips the walk for objects the store lacks.
    expect(first).toMatch(/^[0-9a-f]{64} [0-9a-f]{64}$/);
    runCli(['git', repo.dir, '--cache', dir]);
    expect(checked()).toBe(first);
    // A new object is a new store.
    repo.commit('newer', { 'newer.js': 'export const newer = 1;\n' });
    runCli(['git', repo.dir, '--cache', dir]);
    expect(checked()?.split(' ')[1]).not.toBe(first?.split(' ')[1]);
  });
});

describe('what a cached audit says it read', () => {
  it('every format says what the cache vouched for, and a first and a second audit add up to the same total', () => {
    const repo = makeRepo();
    repo.commit('one', { 'a.txt': 'a\n', 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]) });
    repo.commit('two', { 'b.txt': 'b\n', 'icon.bin': Buffer.from([0, 1, 2, 3, 4]) });
    // An archive is one object, read member by member the first time and vouched for whole the second.
    repo.commit('three', { 'vendor/lib.tar': tar({ 'lib/a.js': 'a\n', 'lib/b.js': 'b\n', 'lib/c.js': 'c\n' }) });
    const cache = tempDir('sk-scan-cache-');
    const total = (text: string) => {
      const m = /scanned (\d+) objects?(?:, [\d.]+ \w+)? in [\d.]+ m?s(?:; (\d+) cached)?/.exec(text.replace(/\s+/g, ' '));
      return Number(m?.[1]) + Number(m?.[2] ?? 0);
    };
    const first = runCli(['git', repo.dir, '--cache', cache]).stdout;
    const second = runCli(['git', repo.dir, '--cache', cache]).stdout;
    expect(second).toMatch(/cached\)/);
    expect(total(second)).toBe(total(first));
    // Every object in the store but trees (their names are read with the blobs they hold), once: git's own count.
    const objects = repo.git('cat-file', '--batch-all-objects', '--batch-check=%(objecttype)').trim().split('\n');
    expect(total(first)).toBe(objects.filter((type) => type !== 'tree').length);
    for (const format of ['html', 'markdown']) {
      const out = runCli(['git', repo.dir, '--cache', cache, '--format', format]).stdout;
      expect({ format, says: /Scanned (1 repository, )?\d+ objects? \([^)]*\); \d+ more known clean from the scan cache/.test(out.replace(/\s+/g, ' ')) }).toEqual({ format, says: true });
    }
  });
});
