// Build step: the CLI and its detection worker bundled into dist/bin/ (after tsc has written dist/).
// A scan otherwise starts by resolving, reading and compiling some 75 modules one by one.
// One file each, not split into chunks: esbuild splits by which entry points reach a
// module, so the lazily imported parts (report formats, archives, images, set-up commands)
// made 17 files for `--version`. Inlined, a lazily imported module still runs only when
// first imported; packages stay outside the bundle (and are required, not imported, by
// modules that load lazily: an import would be hoisted to the bundle's start).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
for (const [name, entry] of [['sk-scan', 'cli/main.js'], ['worker', 'detect/worker.js']]) {
  await build({
    entryPoints: { [name]: dist + entry },
    outdir: `${dist}bin`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
