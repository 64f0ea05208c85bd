/**
 * The GitHub Action's entry script, run as the runner runs it: in a real
 * checkout, with the environment and event payload files GitHub documents
 * (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
 * RUNNER_TEMP), for each kind of event.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { gitEnv, makeRepo, repoAt, type TestRepo } from '../helpers/git.js';
import { fakeHex, fakeKey } from '../helpers/keys.js';
import { ROOT, tempDir } from '../helpers/run.js';

const ENTRY = join(ROOT, 'dist', 'action', 'main.js');
const ZERO = '0'.repeat(40);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
}

function runAction(workspace: string, eventName: string, event: object, inputs: Record<string, string> = {}): Run {
  const dir = tempDir('sk-scan-runner-');
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(event));
  const summary = join(dir, 'summary.md');
  const output = join(dir, 'output');
  writeFileSync(summary, '');
  writeFileSync(output, '');
  const env: NodeJS.ProcessEnv = { ...gitEnv(), GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: eventPath, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, RUNNER_TEMP: dir, GITHUB_WORKSPACE: workspace };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase().replace(/-/g, '_')}`] = v;
  const r = spawnSync(process.execPath, [ENTRY], { cwd: workspace, env, encoding: 'utf8' });
  const outputs = Object.fromEntries(
    readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, summary: readFileSync(summary, 'utf8'), outputs };
}

/** A hosted repository (bare) with an old key on main, and a developer's clone to push from. */
function hosted(): { origin: TestRepo; dev: TestRepo; oldKey: string } {
  const origin = makeRepo({ bare: true });
  const dev = repoAt(tempDir('sk-scan-git-'));
  execFileSync('git', ['clone', '-q', origin.dir, dev.dir], { env: gitEnv(), stdio: 'ignore' });
  dev.git('checkout', '-q', '-b', 'main');
  const oldKey = fakeKey('live');
  dev.commit('old config', { 'legacy.env': `K=${oldKey}\n`, 'README.md': 'app\n' });
  dev.git('push', '-q', 'origin', 'main');
  return { origin, dev, oldKey };
}

/** What actions/checkout with fetch-depth: 0 leaves: a full clone, with origin's branches. */
function checkout(origin: TestRepo, ref: string, depth?: number): string {
  const dir = tempDir('sk-scan-git-');
  execFileSync('git', ['clone', '-q', ...(depth ? ['--depth', String(depth)] : []), '--no-single-branch', `file://${origin.dir}`, dir], { env: gitEnv(), stdio: 'ignore' });
  execFileSync('git', ['checkout', '-q', ref], { cwd: dir, env: gitEnv(), stdio: 'ignore' });
  return dir;
}

const paths = (sarifFile: string) => (JSON.parse(readFileSync(sarifFile, 'utf8')) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] }).runs[0]?.results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri).sort();

describe('the GitHub Action', () => {
  it('pull_request: judges what the pull request adds, with annotations, SARIF, a summary and outputs', () => {
    const { origin, dev } = hosted();
    const base = dev.git('rev-parse', 'HEAD').trim();
    dev.git('checkout', '-q', '-b', 'feature');
    dev.commit('payments', { 'src/payments.js': `const key = '${fakeKey('live')}';\n` });
    dev.commit('webhook', { 'config/webhook.env': `WEBHOOK_SECRET=${fakeHex(48)}\n` });
    dev.git('push', '-q', 'origin', 'feature');
    const head = dev.git('rev-parse', 'HEAD').trim();
    const r = runAction(checkout(origin, head), 'pull_request', { number: 7, pull_request: { number: 7, base: { sha: base }, head: { sha: head } }, repository: { default_branch: 'main' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=src\/payments\.js,line=1,col=14,title=chatbot-live-key/m);
    expect(r.stdout).toMatch(/^::error file=config\/webhook\.env,line=1,col=16,title=chatbot-webhook-secret/m);
    expect(r.stdout).not.toContain('legacy.env');
    expect(r.summary).toMatch(/^## sk-scan: 2 keys in 2 places\n/);
    expect(r.summary).toContain('| 1 | `sk_live_');
    expect(r.summary).toMatch(/_Scanned what pull request #7 adds \([0-9a-f]{7}\.\.[0-9a-f]{7}\)\._/);
    expect(r.outputs['findings']).toBe('2');
    expect(paths(r.outputs['sarif'] as string)).toEqual(['config/webhook.env', 'src/payments.js']);
  });

  it('push: judges what the push adds, not what was there before', () => {
    const { origin, dev } = hosted();
    const before = dev.git('rev-parse', 'HEAD').trim();
    dev.commit('leak', { 'app.env': `K=${fakeKey('live')}\n` });
    dev.git('push', '-q', 'origin', 'main');
    const after = dev.git('rev-parse', 'HEAD').trim();
    const r = runAction(checkout(origin, after), 'push', { ref: 'refs/heads/main', before, after, repository: { default_branch: 'main' } });
    expect(r.code).toBe(1);
    expect(paths(r.outputs['sarif'] as string)).toEqual(['app.env']);
    expect(r.summary).toMatch(/_Scanned what the push adds/);
    // A clean push passes.
    const clean = runAction(checkout(origin, after), 'push', { ref: 'refs/heads/main', before: after, after, repository: { default_branch: 'main' } });
    expect(clean.code).toBe(0);
    expect(clean.outputs['findings']).toBe('0');
    expect(clean.summary).toMatch(/^## sk-scan: no keys found/);
  });

  it('a new branch: the commits the default branch lacks; a deleted branch: nothing', () => {
    const { origin, dev } = hosted();
    dev.git('checkout', '-q', '-b', 'topic');
    dev.commit('topic', { 'topic.env': `K=${fakeKey('live')}\n` });
    dev.git('push', '-q', 'origin', 'topic');
    const after = dev.git('rev-parse', 'HEAD').trim();
    const r = runAction(checkout(origin, after), 'push', { ref: 'refs/heads/topic', before: ZERO, after, created: true, repository: { default_branch: 'main' } });
    expect(r.code).toBe(1);
    expect(paths(r.outputs['sarif'] as string)).toEqual(['topic.env']);
    const gone = runAction(checkout(origin, 'main'), 'push', { ref: 'refs/heads/topic', before: after, after: ZERO, deleted: true });
    expect(gone.code).toBe(0);
    expect(gone.summary).toMatch(/nothing to scan/);
  });

  it('a force push whose old tip is gone: what the branch adds over the default branch', () => {
    const { origin, dev } = hosted();
    dev.git('checkout', '-q', '-b', 'rewritten');
    dev.commit('first try', { 'a.txt': 'a\n' });
    dev.git('push', '-q', 'origin', 'rewritten');
    const before = dev.git('rev-parse', 'HEAD').trim();
    dev.git('reset', '-q', '--hard', 'HEAD~1');
    dev.commit('second try', { 'b.env': `K=${fakeKey('live')}\n` });
    dev.git('push', '-q', '--force', 'origin', 'rewritten');
    const after = dev.git('rev-parse', 'HEAD').trim();
    // The runner's fresh clone never had the old tip.
    const workspace = checkout(origin, after);
    expect(spawnSync('git', ['cat-file', '-e', before], { cwd: workspace }).status).not.toBe(0);
    const r = runAction(workspace, 'push', { ref: 'refs/heads/rewritten', before, after, forced: true, repository: { default_branch: 'main' } });
    expect(r.code).toBe(1);
    expect(paths(r.outputs['sarif'] as string)).toEqual(['b.env']);
  });

  it('schedule: audits the whole history', () => {
    const { origin, dev } = hosted();
    dev.commit('more', { 'x.env': `K=${fakeKey('live')}\n` });
    dev.git('push', '-q', 'origin', 'main');
    const r = runAction(checkout(origin, 'main'), 'schedule', { schedule: '0 3 * * 1' });
    expect(r.code).toBe(1);
    expect(paths(r.outputs['sarif'] as string)).toEqual(['legacy.env', 'x.env']);
    expect(r.summary).toMatch(/_Scanned the whole history/);
  });

  it('a shallow checkout: one line saying what to set, exit 2', () => {
    const { origin, dev } = hosted();
    const base = dev.git('rev-parse', 'HEAD').trim();
    dev.commit('one', { 'a.txt': '1\n' });
    dev.commit('two', { 'b.txt': '2\n' });
    dev.git('push', '-q', 'origin', 'main');
    const head = dev.git('rev-parse', 'HEAD').trim();
    const r = runAction(checkout(origin, head, 1), 'pull_request', { number: 1, pull_request: { base: { sha: base }, head: { sha: head } } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not in this shallow clone: .*fetch-depth: 0/);
    expect(r.summary).toMatch(/## sk-scan: the scan did not run\n\n.*fetch-depth: 0/);
  });
});

describe('action.yml', () => {
  it('declares the inputs the entry reads and the outputs it writes, and runs the built entry', () => {
    const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default: string }>;
      outputs: Record<string, { value: string }>;
      runs: { using: string; steps: { id?: string; run: string; env?: Record<string, string> }[] };
    };
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'baseline', 'config', 'fail-on', 'verify', 'verify-url']);
    expect(action.inputs['verify']?.default).toBe('false');
    expect(Object.keys(action.outputs).sort()).toEqual(['findings', 'sarif']);
    expect(action.runs.using).toBe('composite');
    const scan = action.runs.steps.find((s) => s.id === 'scan');
    expect(scan?.run).toBe('node "$GITHUB_ACTION_PATH/dist/action/main.js"');
    // Each input reaches the entry as INPUT_<NAME> (upper case, `-` as `_`).
    for (const name of Object.keys(action.inputs)) expect(scan?.env?.[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`]).toBe(`\${{ inputs.${name} }}`);
  });
});
