/**
 * Once per test run: the CLI tests run the built CLI (dist/), so build it if
 * any source is newer than the last build. A fresh `npm ci` has just built it,
 * so CI builds once; after an edit, `npm test` rebuilds before testing.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/run.js';

/** The build writes dist/rules.json last: its time is the build's. */
const STAMP = join(ROOT, 'dist', 'rules.json');
const INPUTS = ['src', 'rules', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function builtAt(): number {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -1;
  }
}

export default function setup(): void {
  if (Math.max(...INPUTS.map((p) => newest(join(ROOT, p)))) <= builtAt()) return;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}
