/** The progress display: on a terminal only, never in CI or with --quiet. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeRepo } from '../helpers/git.js';
import { CLI, runCli } from '../helpers/run.js';

function withoutCI(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['CI'];
  return env;
}

describe('progress', () => {
  const onTty = (args: string, env: Record<string, string> = {}) =>
    spawnSync('script', ['-qec', `stty cols 100; ${process.execPath} ${CLI} ${args}`, '/dev/null'], {
      env: { ...withoutCI(), ...env },
      encoding: 'utf8',
      timeout: 60_000,
    }).stdout;

  it('shows phase and counts on a terminal, and nothing with CI set, with --quiet, or off a terminal', () => {
    const repo = makeRepo();
    for (let i = 0; i < 20; i++) repo.commit(`c${i}`, { [`f${i}.txt`]: 'x\n'.repeat(50_000) });
    const shown = onTty(`git ${repo.dir} --format json --output /dev/null`);
    expect(shown).toMatch(/scanning: [\d,]+ objects?, [\d.]+ \w+ \([\d.]+ \w+\/s\)/);
    expect(onTty(`git ${repo.dir} --format json --output /dev/null`, { CI: 'true' })).not.toMatch(/scanning:/);
    expect(onTty(`git ${repo.dir} --quiet --format json --output /dev/null`)).not.toMatch(/scanning:/);
    expect(runCli(['git', repo.dir]).stderr).not.toMatch(/scanning:/);
  });
});
