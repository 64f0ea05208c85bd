/** The CLI as a user runs it: a child process, its exit code, its output. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/git.js';
import { fakeHex, fakeKey } from '../helpers/keys.js';
import { CLI, ROOT, runCli, tempDir, writeTree } from '../helpers/run.js';

const live = fakeKey('live', 'prod');
const test = fakeKey('test');
const hook = fakeHex(48);
const ESC = String.fromCharCode(27);

function project(): string {
  return writeTree(tempDir(), {
    'config/app.env': `# app\nCHATBOT_API_KEY=${live}\nWEBHOOK_SECRET=${hook}\n`,
    'src/client.ts': `export const key = "${test}";\n`,
    'README.md': 'Set CHATBOT_API_KEY=sk_live_abc123xyz... in your environment.\n',
  });
}

describe('exit codes', () => {
  it('0 without findings, 1 with findings', () => {
    expect(runCli(['dir', writeTree(tempDir(), { 'a.txt': 'sk_live_abc123xyz...\n' })]).code).toBe(0);
    expect(runCli(['dir', project()]).code).toBe(1);
  });

  it.each([
    [['dir', '--bogus'], /unknown option '--bogus' for sk-scan dir \(sk-scan help dir\)/],
    [['git', '--frmat', 'json'], /unknown option '--frmat' for sk-scan git; did you mean --format\?/],
    [['git', '--no-ignore'], /--no-ignore applies to sk-scan dir, not sk-scan git \(sk-scan help git\)/],
    [['gti'], /unknown command 'gti'; did you mean 'git'\?/],
    [['help', 'foo'], /unknown command 'foo'/],
    [['dir', '--format'], /--format needs a value: --format FORMAT/],
    [['scan'], /sk-scan has no scan: sk-scan dir PATH scans a tree, sk-scan git REPO a history/],
    [['dir', '/definitely/not/here'], /no such file or directory: \/definitely\/not\/here/],
    [['dir', '.', '--format', 'xml'], /unknown format 'xml'/],
    [['dir', '.', '--threads', 'many'], /--threads takes a whole number/],
    [['stdin', 'extra'], /sk-scan stdin takes no arguments, not 'extra'/],
    // What people type from other scanners, answered with what sk-scan does instead.
    [['detect'], /sk-scan has no detect: sk-scan git \. scans a whole history, sk-scan dir \. a working tree/],
    [['protect', '--staged'], /sk-scan has no protect: sk-scan staged scans what the next commit holds/],
    [['dir', '.', '--redact'], /unknown option '--redact' for sk-scan dir: keys are redacted by default \(--show-secrets shows them\)/],
    [['dir', '.', '--report-path', 'r.json'], /--report-path' for sk-scan dir: sk-scan writes the report with --output FILE/],
    [['dir', '.', '--report-format', 'json'], /sk-scan picks the format with --format FORMAT/],
    [['dir', '.', '--exit-code', '1'], /exit codes are fixed/],
    [['git', '.', '-v'], /unknown option '-v' for sk-scan git: sk-scan has no verbose mode: --explain/],
    [['git', '.', '--verbose'], /sk-scan has no verbose mode/],
    [['--verison'], /unknown option '--verison'; did you mean --version\?/],
    [['git', '.', '--jobs', '-1'], /--jobs takes a whole number from 1 to 64, not '-1'/],
  ])('2 with one clear line for %j', (args, message) => {
    const r = runCli(args, { cwd: ROOT });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^sk-scan: error: /);
  });

  it("prints help, each command's own help, and the version, within 80 columns", () => {
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    // It opens with the four uses: the hook, the CI step, the server, the audit.
    expect(help.stdout.split('\n').slice(2, 6).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['sk-scan install-hook', 'sk-scan git --since origin/main', 'sk-scan pre-receive', 'sk-scan git --audit REPO|URL']);
    for (const flag of ['dir', 'stdin', '--format', '--output', '--config', '--show-secrets', 'sk-scan help COMMAND']) {
      expect(help.stdout).toContain(flag);
    }
    const dirHelp = runCli(['help', 'dir']);
    expect(dirHelp.code).toBe(0);
    expect(dirHelp.stdout).toMatch(/^Usage: sk-scan dir \[PATH\.\.\.\] \[options\]\n/);
    expect(dirHelp.stdout).toContain('--no-ignore');
    expect(runCli(['stdin', '--help']).stdout).toMatch(/--path NAME/);
    expect(runCli(['git', '-h']).stdout).toMatch(/--since REV\|DATE/);
    for (const args of [['--help'], ['help', 'git'], ['help', 'install-hook']]) {
      for (const line of runCli(args).stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    }
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(runCli(['--version']).stdout.trim()).toBe(version);
  });
});

describe('JSON report', () => {
  it('carries every contract field', () => {
    const dir = project();
    const r = runCli(['dir', dir, '--format', 'json']);
    const report = JSON.parse(r.stdout);
    expect(report.version).toBe(1);
    expect(report.tool).toEqual({ name: 'sk-scan', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(report.target).toEqual({ kind: 'dir', root: dir });
    expect(report.stats).toMatchObject({ files: 3, skipped: { binary: 0, tooLarge: 0, unreadable: 0 } });
    expect(report.stats.bytes).toBeGreaterThan(100);
    expect(typeof report.stats.durationMs).toBe('number');
    expect(report.findings).toHaveLength(3);
    const [envKey, envHook, clientKey] = report.findings;
    expect(envKey).toEqual({
      ruleId: 'chatbot-live-key',
      severity: 'critical',
      path: 'config/app.env',
      line: 2,
      column: 17,
      commit: null,
      secret: {
        redacted: `sk_live_prod_…${live.slice(-4)}`,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        kind: 'live',
        environment: 'prod',
      },
      remediation: expect.arrayContaining([expect.stringMatching(/team settings → API Keys.*Delete/)]),
      verification: { status: 'unchecked', reason: 'not-verified' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(envHook).toMatchObject({ ruleId: 'chatbot-webhook-secret', severity: 'high', line: 3, column: 16, secret: { kind: 'webhook', redacted: `…${hook.slice(-4)}` } });
    expect(clientKey).toMatchObject({ ruleId: 'chatbot-test-key', path: 'src/client.ts', line: 1, column: 21, secret: { kind: 'test', environment: null } });
    expect(envKey.remediation.length).toBeGreaterThan(2);
  });

  it('gives the same key the same sha256, one finding per occurrence', () => {
    const k = fakeKey('live');
    const dir = writeTree(tempDir(), Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.env`, `K=${k}\n`])));
    const report = JSON.parse(runCli(['dir', dir, '--format', 'json']).stdout);
    expect(report.findings).toHaveLength(30);
    expect(new Set(report.findings.map((f: { secret: { sha256: string } }) => f.secret.sha256)).size).toBe(1);
    expect(report.findings[0].secret.sha256).toBe(execFileSync('sha256sum', { input: k }).toString().split(' ')[0]);
  });
});

describe('redaction', () => {
  it('no full key appears in any output by default', () => {
    const dir = project();
    const out = join(tempDir(), 'report.json');
    const runs = [
      runCli(['dir', dir]),
      runCli(['dir', dir, '--format', 'json']),
      runCli(['dir', dir, '--format', 'json', '--output', out]),
      runCli(['stdin', '--path', 'x.env'], { input: readFileSync(join(dir, 'config/app.env')) }),
    ];
    const everything = runs.map((r) => r.stdout + r.stderr).join('\n') + readFileSync(out, 'utf8');
    for (const secret of [live, test, hook]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(-12));
    }
    expect(everything).toContain(`…${live.slice(-4)}`);
  });

  it('--show-secrets prints them in full', () => {
    const dir = project();
    const text = runCli(['dir', dir, '--show-secrets']).stdout;
    expect(text).toContain(live);
    const json = JSON.parse(runCli(['dir', dir, '--show-secrets', '--format', 'json']).stdout);
    expect(json.findings[0].secret.value).toBe(live);
  });
});

describe('output', () => {
  it('--output writes the report to a file and nothing to stdout', () => {
    const out = join(tempDir(), 'r.json');
    const r = runCli(['dir', project(), '--format', 'json', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).findings).toHaveLength(3);
  });

  it('text shows each key with severity, rule and its places (path:line:col), then the advice', () => {
    const r = runCli(['dir', project()]);
    expect(r.stdout).toMatch(/^sk-scan: 3 keys in 3 places {2}\(scanned \d+ files, .* in \d+\.\d\d s\)\n/);
    expect(r.stdout).toMatch(new RegExp(` 1\\. sk_live_prod_…${live.slice(-4)} {2}CRITICAL {2}live key, prod\\n {4}config/app\\.env:2:17\\n`));
    expect(r.stdout).toMatch(/What to do:\n• 1: Revoke now: dashboard → team settings → API Keys → Delete/);
    // The summary is the last line.
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^3 keys: 1 live \(critical\), 1 webhook secret, 1 test key$/);
    expect(r.stdout).not.toContain(ESC);
    // Fits an 80-column terminal, but for the accept command: on a line of its own, whole, as it is pasted.
    const lines = r.stdout.split('\n');
    const command = lines.findIndex((l) => l.endsWith('--update-baseline'));
    expect(lines[command - 1]).toMatch(/with:$/);
    for (const line of lines.filter((_, i) => i !== command)) expect([...line].length, line).toBeLessThanOrEqual(80);
  });

  it('uses colour on a terminal, and never with NO_COLOR', () => {
    const dir = project();
    const viaTty = (env: Record<string, string>) =>
      execFileSync('script', ['-qec', `${process.execPath} ${CLI} dir ${dir}`, '/dev/null'], { env: { ...process.env, ...env } }).toString();
    let tty = '';
    try {
      viaTty({ NO_COLOR: '' });
    } catch (err) {
      tty = String((err as { stdout: Buffer }).stdout);
    }
    expect(tty).toMatch(new RegExp(`${ESC}\\[1m${ESC}\\[31mCRITICAL`));
    let plain = '';
    try {
      viaTty({ NO_COLOR: '1' });
    } catch (err) {
      plain = String((err as { stdout: Buffer }).stdout);
    }
    expect(plain).toContain('CRITICAL');
    expect(plain).not.toContain(ESC);
    // --no-color wins over a terminal, --color over a pipe.
    let flagged = '';
    try {
      execFileSync('script', ['-qec', `${process.execPath} ${CLI} dir ${dir} --no-color`, '/dev/null'], { env: { ...process.env, NO_COLOR: '' } });
    } catch (err) {
      flagged = String((err as { stdout: Buffer }).stdout);
    }
    expect(flagged).toContain('CRITICAL');
    expect(flagged).not.toContain(ESC);
    expect(runCli(['dir', dir, '--color']).stdout).toContain(`${ESC}[1m${ESC}[31mCRITICAL`);
    expect(runCli(['dir', dir], { env: { FORCE_COLOR: '1' } }).stdout).toContain(ESC);
  });
});

describe('stdin', () => {
  it('scans standard input and reports --path', () => {
    const r = runCli(['stdin', '--path', 'pasted/config.env', '--format', 'json'], { input: `\n\nK=${live}\n` });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.target).toEqual({ kind: 'stdin', root: '-' });
    expect(report.findings[0]).toMatchObject({ path: 'pasted/config.env', line: 3, column: 3 });
  });

  it('reports a null path without --path, and exits 0 on clean input', () => {
    const r = runCli(['stdin', '--format', 'json'], { input: `K=${test}` });
    expect(JSON.parse(r.stdout).findings[0].path).toBeNull();
    expect(runCli(['stdin'], { input: 'nothing to see' }).code).toBe(0);
  });
});

describe('the text report at 80 columns', () => {
  it('wraps every line between words, the summary and the scanned note included, and says what binary files got', () => {
    const repo = makeRepo();
    repo.commit('many', {
      'a.env': `A=${fakeKey('live')}\nB=${fakeKey('live', 'staging')}\n`,
      'b.env': `T=${fakeKey('test')}\nU=${fakeKey('test')}\nWEBHOOK_SECRET=Kq83mZpL0vYt2RbX9sWc4NdE7uFa\n`,
      'c.env': `C=${fakeKey('live')} # sk-scan:allow -- a demo\n`,
      'logo.bin': Buffer.from([0, 1, 2, 3, 0, 9, 8]),
    });
    repo.remove('a.env');
    repo.commit('gone');
    const text = runCli(['git', repo.dir]).stdout;
    const lines = text.trimEnd().split('\n');
    // A long path or command is never broken, so only a line of one word, or the accept command's own line, may run past 80.
    for (const line of lines) expect({ line, fits: line.length <= 80 || !line.trim().includes(' ') || line.endsWith(' --update-baseline') }).toEqual({ line, fits: true });
    const summary = lines.slice(lines.lastIndexOf('') + 1);
    expect(summary.length).toBeGreaterThan(1);
    expect(summary.join(' ').replace(/\s+/g, ' ')).toBe('5 keys: 2 live (critical), 1 webhook secret, 2 test keys; 3 still in HEAD; 1 accepted');
    expect(text).toMatch(/Binary: 1 file not read as text \(those up to 1 MiB searched for keys/);
    expect(text).not.toMatch(/Skipped: 1 binary/);
  });

  it('never starts a line with a unit: a size or a duration stays whole', () => {
    // Eleven files of 10 KiB and an exclude make the clean line end at column 80 with '0.0N s)'.
    const files: Record<string, string> = { '.sk-scan.yaml': 'exclude: ["x/**"]\n', 'x/y': 'hi\n' };
    for (let i = 1; i <= 11; i++) files[`f${i}.txt`] = 'a'.repeat(10_240);
    const dir = writeTree(tempDir(), files);
    const out = runCli(['dir', dir]).stdout;
    expect(out).toMatch(/^No secrets found with the settings below\. \(scanned 11 files, 110\.0 KiB in\n\d+\.\d+ s\)$/m);
    for (const line of out.split('\n')) expect(line.trim()).not.toMatch(/^(ms|s|min|h|B|KiB|MiB)\b/);
  });
});
