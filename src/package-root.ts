/**
 * Files that ship with sk-scan (package.json, rules/, the built code), found
 * from the package's root rather than from each module's place: the same code
 * runs from src/ (tests), from dist/ as tsc wrote it, and bundled in dist/bin/.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The nearest folder above this module whose package.json is sk-scan's. */
function packageRoot(): string {
  if (root !== null) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'sk-scan') return (root = dir);
    } catch {
      // no package.json here, or not JSON: look further up
    }
    if (dirname(dir) === dir) throw new Error(`sk-scan's package.json was not found above ${fileURLToPath(import.meta.url)}`);
  }
}

/** A path inside the installed package, e.g. `packageFile('rules')`. */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/** Running from the TypeScript source (the tests), not from a build. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');
