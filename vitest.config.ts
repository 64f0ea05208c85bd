import { defineConfig } from 'vitest/config';

/**
 * Test files that need more than node and git: a pseudo-terminal (`script`),
 * the pre-commit framework, chromium, umoci and skopeo, openssl, setpriv, the
 * SARIF validator. `npm test` runs every file; `npm run test:unit` (the inner
 * loop, no tool beyond node and git) leaves these out.
 */
const NEEDS_TOOLS = ['adopt', 'cli', 'dayone', 'hostile', 'html', 'image', 'install', 'reports', 'staged', 'untrusted', 'verify'];

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
