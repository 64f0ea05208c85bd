/** Keys inside archives: zip (jar), tar, gzip, nested, in every source; bombs and damage bounded and named. */
import { describe, expect, it } from 'vitest';
import { scanDir, scanGit } from '../../src/index.js';
import { gzip, tar, zip } from '../helpers/archives.js';
import { makeRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { runCli, tempDir, writeTree } from '../helpers/run.js';
import type { Report } from '../../src/index.js';

const places = (r: Report) => r.findings.map((f) => `${f.path}!${f.member ?? ''}:${f.line}:${f.column}`).sort();

describe('archives', () => {
  it('finds a .env inside a .tgz inside a .zip, and a jar\'s .properties, as the same key as the plain one', () => {
    const key = fakeKey('live', 'prod');
    const pkg = gzip(tar({ 'package/package.json': '{"name":"x"}\n', 'package/.env': `# settings\nCHATBOT_API_KEY=${key}\n` }));
    const dir = writeTree(tempDir(), {
      'dist/bundle.zip': zip([{ name: 'README.txt', data: 'hello\n' }, { name: 'vendor/pkg.tgz', data: pkg, method: 0 }]),
      'lib/app.jar': zip([{ name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\n' }, { name: 'config/app.properties', data: `chatbot.key=${key}\n` }]),
      '.env': `CHATBOT_API_KEY=${key}\n`,
    });
    const r = runCli(['dir', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(places(report)).toEqual(['.env!:1:17', 'dist/bundle.zip!vendor/pkg.tgz!package/.env:2:17', 'lib/app.jar!config/app.properties:1:13']);
    expect(report.secrets).toHaveLength(1);
    expect(report.secrets[0]?.paths).toContain('dist/bundle.zip!vendor/pkg.tgz!package/.env');
    expect(r.stdout).not.toContain(key);
    // The text report writes the place the same way.
    const text = runCli(['dir', dir]);
    expect(text.stdout).toContain('dist/bundle.zip!vendor/pkg.tgz!package/.env:2:17');
    expect(text.stdout).toContain('lib/app.jar!config/app.properties:1:13');
    // The advice for a key inside an archive is about the archive's sources, and the baseline (no comment fits inside it).
    expect(text.stdout.replace(/\s+/g, ' ')).toContain('It is inside an archive (a package, a jar, a tarball): take it out of the sources');
  });

  it('reads an archive from stdin, and puts the archive in SARIF as the artifact with the member in the message', () => {
    const key = fakeKey('test');
    const input = gzip(tar({ 'app/settings.ini': `[api]\nkey = ${key}\n` }));
    const r = runCli(['stdin', '--path', 'release.tar.gz', '--format', 'sarif'], { input });
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout).runs[0].results[0];
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('release.tar.gz');
    expect(result.message.text).toContain('in app/settings.ini at line 2, column 7');
  });

  it('stops a zip bomb at once, with a warning, whatever sizes its directory states', async () => {
    const key = fakeKey('live');
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const bomb = zip([{ name: 'zeros.bin', data: zeros, statedSize: 1000 }]);
    const nested = zip(Array.from({ length: 16 }, (_, i) => ({ name: `layer${i}.zip`, data: bomb, method: 0 as const })));
    const dir = writeTree(tempDir(), { '42.zip': zip([...Array.from({ length: 4 }, (_, i) => ({ name: `d${i}.zip`, data: nested })), { name: 'k.env', data: `KEY=${key}\n` }]) });
    const before = process.memoryUsage().rss;
    const report = await scanDir([dir], { threads: 1 });
    // The key next to the bombs is still found; each bomb is named and counted, never inflated.
    expect(places(report)).toEqual(['42.zip!k.env:1:5']);
    expect(report.stats.skipped.corrupt).toBe(64);
    expect(report.warnings.filter((w) => w.includes('as a zip bomb does'))).toHaveLength(64);
    expect(report.warnings[0]).toMatch(/^cannot open 42\.zip!d0\.zip!layer0\.zip!zeros\.bin: expands more than 200 times/);
    // 64 bombs of 64 MiB each: the scan did not hold them (4 GiB) in memory.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('keeps to maxArchiveBytes: the members past the budget are named, not read, and the scan does not pass', () => {
    const key = fakeKey('live');
    const members = Array.from({ length: 5 }, (_, i) => ({ name: `part${i}.txt`, data: `${'x'.repeat(600)}\n${i === 4 ? `KEY=${key}` : ''}\n` }));
    const dir = writeTree(tempDir(), { '.sk-scan.yaml': 'maxArchiveBytes: 2KiB\n', 'parts.zip': zip(members) });
    const r = runCli(['dir', dir, '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings).toEqual([]);
    expect(report.stats.skipped.corrupt).toBe(2);
    expect(report.warnings.some((w) => w.includes('parts.zip!part4.txt') && w.includes('maxArchiveBytes'))).toBe(true);
    expect(r.code).toBe(2);
  });

  it('scans the rest of a damaged archive and names what it could not open; what was not read keeps a clean scan from passing', async () => {
    const key = fakeKey('live');
    const dir = writeTree(tempDir(), {
      'mixed.zip': zip([{ name: 'bad.txt', data: 'x', rawData: Buffer.from([0xff, 0xff, 0xff, 0xff]) }, { name: 'good.env', data: `KEY=${key}\n` }]),
      'cut.zip': zip([{ name: 'a.txt', data: 'hello world' }]).subarray(0, 40),
      'cut.tgz': gzip(tar({ 'a.env': `KEY=${fakeKey('live')}\n` })).subarray(0, 30),
    });
    const report = await scanDir([dir]);
    expect(places(report)).toEqual(['mixed.zip!good.env:1:5']);
    expect(report.stats.skipped.corrupt).toBe(3);
    expect(report.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^cannot open mixed\.zip!bad\.txt: damaged zip/), expect.stringMatching(/^cannot open cut\.zip: damaged zip: no central directory/), expect.stringMatching(/^cannot open cut\.tgz: damaged gzip/)]),
    );
    const text = runCli(['dir', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('3 not read in archives or compressed payloads');
    // Without the key beside them, the damaged archives are what the scan could not vouch for.
    writeTree(dir, { 'mixed.zip': zip([{ name: 'bad.txt', data: 'x', rawData: Buffer.from([0xff, 0xff, 0xff, 0xff]) }]) });
    const incomplete = runCli(['dir', dir]);
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toMatch(/the scan is incomplete: 3 items could not be read/);
  });

  it('finds a key committed inside an archive and deleted since, with its commit; names a member it cannot open with its blob', async () => {
    const key = fakeKey('live', 'prod');
    const repo = makeRepo();
    const added = repo.commit('vendor a package', { 'vendor/tool.whl': zip([{ name: 'tool/config.py', data: `API_KEY = "${key}"\n` }]) });
    repo.remove('vendor/tool.whl');
    repo.commit('drop it');
    // A member that cannot be opened is named with its archive's blob, not as if the blob itself were damaged.
    const broken = zip([{ name: 'bad.txt', data: 'x', rawData: Buffer.from([0xff, 0xff, 0xff, 0xff]) }]);
    repo.commit('add a broken archive', { 'broken.zip': broken });
    const blob = repo.git('rev-parse', 'HEAD:broken.zip').trim();
    const report = await scanGit([repo.dir]);
    expect(report.findings.map((f) => [f.path, f.member, f.line, f.column, f.commit])).toEqual([['vendor/tool.whl', 'tool/config.py', 1, 12, added]]);
    expect(report.secrets[0]?.atHead).toBe(false);
    expect(report.warnings).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^cannot open blob ${blob}!bad\\.txt: damaged zip`))]));
  });

  it('blocks a commit that stages an archive holding a key', () => {
    const key = fakeKey('live');
    const repo = makeRepo();
    repo.commit('start', { 'README.md': 'hi\n' });
    repo.write({ 'release/app.tgz': gzip(tar({ 'app/.env': `CHATBOT_API_KEY=${key}\n` })) });
    repo.git('add', '-A');
    const r = runCli(['staged'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('release/app.tgz!app/.env:1:17');
    expect(r.stdout).not.toContain(key);
  });

  it('accepts a key inside an archive by the baseline, for that member only', () => {
    const key = fakeKey('live');
    const dir = writeTree(tempDir(), { 'a.zip': zip([{ name: 'one.env', data: `K=${key}\n` }]) });
    expect(runCli(['dir', dir, '--update-baseline']).code).toBe(0);
    expect(runCli(['dir', dir]).code).toBe(0);
    writeTree(dir, { 'a.zip': zip([{ name: 'one.env', data: `K=${key}\n` }, { name: 'two.env', data: `K=${key}\n` }]) });
    const again = runCli(['dir', dir]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('a.zip!two.env:1:3');
    expect(again.stdout).not.toContain('a.zip!one.env');
  });
});

describe('damaged archives, byte by byte', () => {
  it('a zip, tar or tgz with any bytes changed or cut off yields members or named problems, never an exception', async () => {
    const fc = (await import('fast-check')).default;
    const { openArchive } = await import('../../src/content/archive/index.js');
    const key = fakeKey('live');
    const samples = [
      zip([{ name: 'a.env', data: `K=${key}\n` }, { name: 'b/c.txt', data: 'x'.repeat(3000) }, { name: 'in.tgz', data: gzip(tar({ 'p/.env': `K=${key}\n` })), method: 0 }]),
      tar({ 'a.env': `K=${key}\n`, 'b.txt': 'y'.repeat(2000) }),
      gzip(tar({ 'a.env': `K=${key}\n` })),
    ];
    const limits = { maxArchiveBytes: 1 << 20, maxFileSize: 1 << 20 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat()), (which, edits, cut) => {
        const bytes = Buffer.from(samples[which] as Buffer);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        const input = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
        for (const part of openArchive(input, 'x.zip', limits)) {
          expect(typeof part.member).toBe('string');
          if ('skip' in part) expect(part.message.length).toBeGreaterThan(0);
        }
      }),
      { seed: 20261129, numRuns: Number(process.env['SK_SCAN_FC_RUNS'] ?? 400) },
    );
  });
});
