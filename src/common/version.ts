import { packageVersion } from './package-root.js';

/** The package's version, read once from its package.json. */
export const VERSION: string = packageVersion();
