/** A team's first day: the baseline, the hook's advice and what the tool says, as a new user meets them. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/git.js';
import { fakeHex, fakeKey } from '../helpers/keys.js';
import { progressLine } from '../../src/cli/progress.js';
import { CLI, runCli, tempDir, writeTree } from '../helpers/run.js';

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

describe('progress', () => {
  it('rounds rates, and once the total is known shows how far along and the time left', () => {
    expect(progressLine({ phase: 'scanning', items: 14, bytes: 620 }, 700, 'object')).toBe('scanning: 14 objects, 620 B (886 B/s)');
    const MiB = 1024 * 1024;
    expect(progressLine({ phase: 'scanning', items: 29469, bytes: 40 * MiB, total: { items: 60000, bytes: 100 * MiB } }, 4000, 'object')).toBe(
      'scanning: 29,469 objects, 40.0 MiB (10.0 MiB/s), 40%, about 6.00 s left',
    );
    expect(progressLine({ phase: 'verifying keys', items: 1, bytes: 0 }, 10, 'file')).toBe('verifying 1 key with the platform');
  });

  it('is gone from the terminal before the report reaches it through a pipe (sk-scan git | cat)', () => {
    const repo = makeRepo();
    repo.commit('k', { 'a.env': `K=${fakeKey('live')}\n` });
    // A pseudo-terminal for stderr (script), stdout piped through cat onto the same terminal.
    const r = spawnSync('script', ['-qec', `stty cols 80 rows 40; "${process.execPath}" "${CLI}" git | cat`, '/dev/null'], {
      cwd: repo.dir,
      encoding: 'utf8',
      env: { ...process.env, CI: undefined, NO_COLOR: '1' },
    });
    const screen = r.stdout;
    const report = screen.indexOf('sk-scan: 1 key');
    expect(report).toBeGreaterThan(0);
    expect(screen.slice(0, report)).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] starting/);
    // Nothing of the spinner after the report starts: no frame, no redraw.
    expect(screen.slice(report)).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(screen.slice(report)).not.toContain(`${String.fromCharCode(27)}[1G`);
  });
});

describe('a range is judged by the lines it adds', () => {
  it('--since REV reports a key the range added, not an untouched key in a blob it changed', () => {
    const repo = makeRepo();
    const old = fakeKey('live');
    repo.commit('old', { 'app.py': `a = 1\nb = 2\n\nKEY = '${old}'\n` });
    repo.commit('comment above', { 'app.py': `a = 1\nb = 2\n# sk-scan:allow -- just a comment on line 3\nKEY = '${old}'\n` });
    const quiet = runCli(['git', '--since', 'HEAD~1', '--format', 'json'], { cwd: repo.dir });
    expect(JSON.parse(quiet.stdout).findings).toEqual([]);
    expect(quiet.code).toBe(0);

    const fresh = fakeKey('live');
    repo.commit('new key', { 'app.py': `a = 1\nb = 2\n# sk-scan:allow -- just a comment on line 3\nKEY = '${old}'\nNEW = '${fresh}'\n` });
    const r = runCli(['git', '--range', 'HEAD~2..HEAD', '--format', 'json'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { path: string; line: number }) => `${f.path}:${f.line}`)).toEqual(['app.py:5']);
  });

  it('--since takes a date, and says what to pass when it is neither a date nor a commit', () => {
    const repo = makeRepo();
    repo.commit('k', { 'a.env': `K=${fakeKey('live')}\n` }); // committed in November 2023 (the helpers' clock)
    expect(runCli(['git', '--since', '2023-01-01'], { cwd: repo.dir }).code).toBe(1);
    expect(runCli(['git', '--since', '2030-01-01'], { cwd: repo.dir }).code).toBe(0);
    const bad = runCli(['git', '--since', 'yesterdy'], { cwd: repo.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('sk-scan: error: --since yesterdy: no such commit here: pass a commit, branch or tag, or a date such as 2024-01-01\n');
  });
});

describe('places people can act on', () => {
  it('names a blob staged once and never committed as a dangling blob, in every format, with advice that fits', () => {
    const repo = makeRepo();
    repo.commit('init', { 'a.txt': 'a\n' });
    repo.write({ 'oops.env': `K=${fakeKey('live')}\n` });
    repo.git('add', 'oops.env');
    repo.git('rm', '-q', '--cached', 'oops.env');
    repo.remove('oops.env');
    const blob = repo.git('fsck', '--lost-found', '--no-reflogs').match(/dangling blob ([0-9a-f]{40})/)?.[1] as string;
    expect(blob).toBeDefined();
    const text = runCli(['git'], { cwd: repo.dir }).stdout;
    expect(text).toContain(`dangling blob ${blob.slice(0, 12)}, line 1:3`);
    expect(text).toMatch(/never committed/);
    expect(text).not.toMatch(/\(stdin\)|Revoke now|still in HEAD/);
    const sarif = JSON.parse(runCli(['git', '--format', 'sarif'], { cwd: repo.dir }).stdout);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(`.git/objects/${blob.slice(0, 2)}/${blob.slice(2)}`);
    expect(runCli(['git', '--format', 'junit'], { cwd: repo.dir }).stdout).toContain(`dangling blob ${blob.slice(0, 12)}`);
    const json = JSON.parse(runCli(['git', '--format', 'json'], { cwd: repo.dir }).stdout);
    expect(json.findings[0].severity).toBe('high');
    expect(json.findings[0].remediation.join(' ')).toMatch(/never committed/);
  });

  it('an allow comment at HEAD also accepts the same key at that path in older commits', () => {
    const repo = makeRepo();
    const key = fakeKey('live');
    repo.commit('fixture', { 'test/fixture.env': `K=${key}\n` });
    expect(runCli(['git'], { cwd: repo.dir }).code).toBe(1);
    repo.commit('allow it', { 'test/fixture.env': `K=${key} # sk-scan:allow -- a fake for tests\n` });
    const r = runCli(['git', '--format', 'json', '--include-suppressed'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.map((f: { suppressed: { reason: string } }) => f.suppressed.reason).sort()).toEqual([
      'sk-scan:allow -- a fake for tests',
      'sk-scan:allow -- a fake for tests (at HEAD)',
    ]);
    // The same key elsewhere is still found.
    repo.commit('copy', { 'src/app.env': `K=${key}\n` });
    expect(runCli(['git'], { cwd: repo.dir }).code).toBe(1);
  });

  it('.sk-scanignore takes fingerprints too, and refuses a gitleaks fingerprint by name', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n`, 'b.env': `K=${fakeKey('live')}\n` });
    const first = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout);
    const fp = first.findings[0].fingerprint as string;
    writeTree(dir, { '.sk-scanignore': `# accepted\n${fp}\n` });
    const r = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout);
    expect(r.findings.map((f: { path: string }) => f.path)).toEqual(['b.env']);
    writeTree(dir, { '.sk-scanignore': `${fp}\n${'a'.repeat(40)}:b.env:generic-api-key:1\n` });
    const bad = runCli(['dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^sk-scan: error: .*\.sk-scanignore:2: .* looks like a gitleaks fingerprint/);
  });
});

describe('the text report, for people', () => {
  /** Six keys in six places, four of them only in history: the report a team meets on its first `sk-scan git`. */
  function sixKeys() {
    const repo = makeRepo();
    const places = ['src/payments.js:1', 'config/.env.production:1', 'config/webhook.env:1', 'legacy.py:1', 'billing.py:1', 'test/fixtures.env:1'];
    repo.commit('payments', { 'src/payments.js': `const key = '${fakeKey('live')}';\n`, 'config/.env.production': `CHATBOT_API_KEY=${fakeKey('live', 'prod')}\n` });
    repo.commit('webhook', { 'config/webhook.env': `WEBHOOK_SECRET=${fakeHex(48)}\n`, 'test/fixtures.env': `KEY=${fakeKey('test')}\n` });
    repo.commit('legacy', { 'legacy.py': `old = '${fakeKey('live')}'\n`, 'billing.py': `billing = '${fakeKey('live')}'\n` });
    repo.git('rm', '-q', 'legacy.py', 'billing.py', 'config/webhook.env', 'test/fixtures.env');
    repo.commit('cleanup');
    return { repo, places };
  }

  it('fits a 6-key report in 40 lines of 80 columns, every place visible, the summary last', () => {
    const { repo, places } = sixKeys();
    const r = runCli(['git'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    for (const place of places) expect(r.stdout).toContain(place);
    expect(lines.at(-1)).toBe('6 keys: 4 live (critical), 1 webhook secret, 1 test key; 2 still in HEAD');
    // Each step once: revoking is said one time for the four live keys.
    expect(r.stdout.match(/Revoke now/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/• 1-4: Revoke now/);
    // Numbers read the same everywhere: seconds, not milliseconds.
    expect(lines[0]).toMatch(/^sk-scan: 6 keys in 6 places {2}\(scanned \d+ objects, [\d.]+ (B|KiB) in \d+\.\d\d s\)$/);
    // The full advice per key, and every commit, behind --explain.
    const explained = runCli(['git', '--explain'], { cwd: repo.dir }).stdout;
    expect(explained.match(/Revoke it now/g)).toHaveLength(4);
  });

  it('wraps to the terminal it is shown on', () => {
    const { repo } = sixKeys();
    const r = spawnSync('script', ['-qec', `stty cols 120 rows 40; "${process.execPath}" "${CLI}" git --no-color`, '/dev/null'], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    const lines = r.stdout.replace(/\r/g, '').split('\n');
    expect(Math.max(...lines.map((l) => [...l].length))).toBeGreaterThan(80);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(120);
  });

  it('never says "No secrets found" when the baseline accepted keys; --no-baseline shows them', () => {
    const { repo } = sixKeys();
    runCli(['git', '--update-baseline'], { cwd: repo.dir });
    const r = runCli(['git'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No new keys; 6 accepted by the baseline \(--no-baseline to see them\)\. \(scanned /);
    expect(r.stdout).not.toMatch(/No secrets found/);
    const all = runCli(['git', '--no-baseline'], { cwd: repo.dir });
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^sk-scan: 6 keys in 6 places/);
  });

  it('with --output, says on stderr where the report went, and file errors read as sentences', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n` });
    const out = join(tempDir(), 'r.json');
    const r = runCli(['dir', dir, '--format', 'json', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`sk-scan: 1 key in 1 place; report written to ${out}\n`);
    const bad = runCli(['dir', dir, '--output', '/nonexistent/dir/o.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('sk-scan: error: cannot write /nonexistent/dir/o.json: the folder does not exist\n');
  });
});

describe('many targets', () => {
  it('scans every repository it can, reports the one it cannot, and exits 2 at the end', () => {
    const a = makeRepo();
    const key = fakeKey('live');
    a.commit('k', { 'a.env': `K=${key}\n` });
    const b = makeRepo();
    b.commit('k', { 'b.env': `K=${key}\n` });
    const notRepo = tempDir();
    const r = runCli(['git', a.dir, notRepo, b.dir, '--format', 'json']);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.errors).toEqual([{ target: notRepo, message: `not a git repository: ${notRepo}` }]);
    expect(report.findings.map((f: { target: string; path: string }) => `${f.target}:${f.path}`).sort()).toEqual([`${a.dir}:a.env`, `${b.dir}:b.env`].sort());
    expect(r.stderr).toContain(`sk-scan: error: 1 target could not be scanned: ${notRepo}`);
    const text = runCli(['git', a.dir, notRepo, b.dir]).stdout;
    expect(text).toContain(`${a.dir}: a.env:1:3`);
    expect(text).toContain(`${b.dir}: b.env:1:3`);
    expect(text).toMatch(/Not scanned \(1\):\n• .*: not a git repository/);
  });
});

describe('--verify failures', () => {
  it('say why, once, not once per key', () => {
    const dir = writeTree(tempDir(), { 'a.env': `K=${fakeKey('live')}\n`, 'b.env': `K=${fakeKey('live')}\n`, 'c.env': `K=${fakeKey('live')}\n` });
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const r = runCli(['dir', dir, '--verify', '--verify-url', 'http://127.0.0.1:9', '--verify-deadline', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.includes('unverified'))).toEqual(['sk-scan: warning: unverified: could not connect to 127.0.0.1:9 (ECONNREFUSED): 3 keys']);
    expect(r.stdout.match(/unverified/g)).toHaveLength(3);
  });
});
