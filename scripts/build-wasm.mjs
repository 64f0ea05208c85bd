// npm run wasm: assembles each WebAssembly text module into a TypeScript file holding its
// bytes as base64, so that neither the build nor an install needs an assembler. Tests
// assemble each .wat again and check it gives the same bytes.
import { readFileSync, writeFileSync } from 'node:fs';
import { assemble } from './wasm.mjs';

const MODULES = [
  ['src/detect/prefilter.wat', 'src/detect/prefilter-wasm.ts', 'PREFILTER_WASM'],
  ['src/sources/git/store/delta.wat', 'src/sources/git/store/delta-wasm.ts', 'DELTA_WASM'],
];

for (const [wat, ts, name] of MODULES) {
  const bytes = await assemble(readFileSync(new URL(`../${wat}`, import.meta.url), 'utf8'));
  const file = wat.split('/').pop();
  writeFileSync(new URL(`../${ts}`, import.meta.url), `// Generated from ${file} by \`npm run wasm\`: do not edit.\nexport const ${name} = '${Buffer.from(bytes).toString('base64')}';\n`);
  console.log(`${file}: ${bytes.length} bytes of WebAssembly`);
}
