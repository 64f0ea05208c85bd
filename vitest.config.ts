import { defineConfig } from 'vitest/config';

/**
 * Test files that need more than node and git: a pseudo-terminal (`script`),
 * the pre-commit framework, chromium, umoci and skopeo, openssl, python3, the
 * SARIF validator. `npm test` runs every file; `npm run test:unit` (the inner
 * loop) leaves these out. (`setpriv`, which a few unit tests use when run as
 * root, is util-linux's, on every Debian and Ubuntu.)
 */
const NEEDS_TOOLS = [
  'cli/cli',
  'cli/progress',
  'detect/binary',
  'report/html',
  'report/junit',
  'report/sarif',
  'scenarios/adopt',
  'scenarios/dayone',
  'scenarios/hostile',
  'scenarios/install',
  'scenarios/untrusted',
  'sources/image',
  'sources/staged',
  'verify/verify',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: process.env['SK_SCAN_TESTS'] === 'unit' ? NEEDS_TOOLS.map((name) => `test/${name}.test.ts`) : [],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most tests wait on git and CLI processes, not this process: two files at a time keep both cores busy.
    maxWorkers: 2,
  },
});
