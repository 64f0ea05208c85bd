/** Running the built CLI as a child process, and temporary folders. */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = process.env['SK_SCAN_TEST_CLI'] ?? join(ROOT, 'dist', 'bin', 'sk-scan.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process (a test's timeout sends SIGTERM), else null. */
  signal?: NodeJS.Signals | null;
}

/**
 * Root reads every file whatever its mode. To test unreadable files as root, run
 * the CLI without the capabilities that let root bypass permissions.
 */
export const WITHOUT_ROOT_OVERRIDE =
  process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'] : [];

export function runCli(
  args: string[],
  opts: SpawnSyncOptions & { input?: string | Buffer; wrap?: string[] } = {},
): CliResult {
  const env = { ...process.env, NO_COLOR: '', CI: '', ...(opts.env ?? {}) };
  const [cmd, ...pre] = [...(opts.wrap ?? []), process.execPath];
  const r = spawnSync(cmd, [...pre, CLI, ...args], { encoding: 'utf8', ...opts, env, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), signal: r.signal };
}

const made: string[] = [];

/** A fresh temporary folder, removed after the test file by `removeTempDirs` (test/setup.ts). */
export function tempDir(prefix = 'sk-scan-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Write a tree of files: `{ 'a/b.txt': 'text' }`. */
export function writeTree(root: string, files: Record<string, string | Buffer>): string {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}

/**
 * The CLI as a child process without blocking this process's event loop: for
 * tests whose fake servers live in this process and must answer the child.
 */
export function runCliAsync(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '', CI: '', ...(opts.env ?? {}) },
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr, signal }));
    child.stdin.end(opts.input ?? '');
  });
}
