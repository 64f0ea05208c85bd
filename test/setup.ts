/** Each test file removes the temporary folders and repositories it made, whether its tests passed or not. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers/run.js';

afterAll(removeTempDirs);
