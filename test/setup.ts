/**
 * Each test file removes the temporary folders and repositories it made, whether its tests passed or not.
 * Its scans keep their caches in a folder of its own (XDG_CACHE_HOME, which the CLI processes it starts
 * inherit), never in the user's ~/.cache.
 */
import { afterAll } from 'vitest';
import { removeTempDirs, tempDir } from './helpers/run.js';

process.env['XDG_CACHE_HOME'] = tempDir('sk-scan-cache-home-');
afterAll(removeTempDirs);
