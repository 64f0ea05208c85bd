/**
 * Packages that only some commands need (the YAML parser, ignore-pattern
 * matching, the HTTP client for verification) are required by the modules
 * that use them, not imported. The CLI is one bundle (scripts/bundle.mjs), in
 * which a module loaded lazily still runs only when first used, but an
 * `import` of a package anywhere would be hoisted to the bundle's start and
 * load that package on every run, the pre-commit hook's included.
 */
import { createRequire } from 'node:module';

export const requirePackage = createRequire(import.meta.url);
