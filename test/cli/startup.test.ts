/**
 * What a hook run pays for before it reads anything: the packages it loads. A
 * package that only some commands need (the YAML parser, ignore patterns, the
 * HTTP client, RE2, simple-git) must load only when used; one hoisted into
 * the bundle's start costs every commit its load time (yaml alone: 25 ms).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/git.js';
import { runCli, tempDir } from '../helpers/run.js';

/** A preload that names, on stderr, every package the process requires. */
function tracer(): string {
  const file = join(tempDir(), 'trace.cjs');
  writeFileSync(
    file,
    `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (!request.startsWith('node:') && !request.startsWith('.') && !request.startsWith('/')) process.stderr.write('loaded ' + request + '\\n');
  return load.call(this, request, ...rest);
};
`,
  );
  return file;
}

const loaded = (stderr: string) => [...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]);

describe('start-up', () => {
  it('loads no package for --version, nor for a pre-commit hook run in a repository without settings', () => {
    const trace = tracer();
    const version = runCli(['--version'], { env: { ...process.env, NODE_OPTIONS: `--require ${trace}` } });
    expect(version.code).toBe(0);
    expect(loaded(version.stderr)).toEqual([]);

    const repo = makeRepo();
    repo.commit('init', { 'README.md': 'hello\n' });
    writeFileSync(join(repo.dir, 'app.js'), 'console.log(1);\n');
    repo.git('add', 'app.js');
    const hook = runCli(['staged'], { cwd: repo.dir, env: { ...process.env, NODE_OPTIONS: `--require ${trace}` } });
    expect(hook.code).toBe(0);
    expect(loaded(hook.stderr)).toEqual([]);
  });

  it('loads the YAML parser once there is a .sk-scan.yaml to read (the tracer sees a package when one loads)', () => {
    const trace = tracer();
    const repo = makeRepo();
    repo.commit('init', { '.sk-scan.yaml': 'exclude: [vendor/]\n' });
    const r = runCli(['dir', '.'], { cwd: repo.dir, env: { ...process.env, NODE_OPTIONS: `--require ${trace}` } });
    expect(r.code).toBe(0);
    expect(loaded(r.stderr)).toContain('yaml');
  });
});
