/**
 * How sk-scan loads a package: with `requirePackage`, in the module that uses
 * it, never with a static `import` (types excepted). Most packages only some
 * commands need (the YAML parser, ignore-pattern matching, the HTTP client,
 * RE2, simple-git). The CLI is one bundle (scripts/bundle.mjs), in which a
 * module loaded lazily still runs only when first used, but an `import` of a
 * package anywhere would be hoisted to the bundle's start and load that
 * package on every run, the pre-commit hook's included.
 *
 * The one exception is ora (the progress spinner), which is published as ES
 * modules only: Node 20 before 20.19 cannot `require` it, so cli/progress.ts
 * loads it with `await import('ora')`, which the bundle leaves lazy too.
 */
import { createRequire } from 'node:module';

export const requirePackage = createRequire(import.meta.url);
