/**
 * Files that ship with sk-scan (package.json, rules/, the built code), found
 * from the package's root rather than from each module's place: the same code
 * runs from src/ (tests), from dist/ as tsc wrote it, and bundled in dist/bin/.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  name?: unknown;
  version?: unknown;
}

let found: { root: string; manifest: Manifest } | null = null;

/** The nearest folder above this module whose package.json is sk-scan's, and that package.json. */
function packageRoot(): { root: string; manifest: Manifest } {
  if (found !== null) return found;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
      if (manifest.name === 'sk-scan') return (found = { root: dir, manifest });
    } catch {
      // no package.json here, or not JSON: look further up
    }
    if (dirname(dir) === dir) throw new Error(`sk-scan's package.json was not found above ${fileURLToPath(import.meta.url)}`);
  }
}

/** A path inside the installed package, e.g. `packageFile('rules')`. */
export function packageFile(...parts: string[]): string {
  return join(packageRoot().root, ...parts);
}

/** The installed package's version, from the package.json found above. */
export function packageVersion(): string {
  return String(packageRoot().manifest.version);
}

/** Running from the TypeScript source (the tests), not from a build. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');
