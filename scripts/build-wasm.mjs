// npm run wasm: assembles src/detect/prefilter.wat into src/detect/prefilter-wasm.ts
// (the module's bytes as base64), so that neither the build nor an install needs an
// assembler. A test assembles the .wat again and checks it gives the same bytes.
import { readFileSync, writeFileSync } from 'node:fs';
import { assemble } from './wasm.mjs';

const source = new URL('../src/detect/prefilter.wat', import.meta.url);
const bytes = await assemble(readFileSync(source, 'utf8'));
writeFileSync(
  new URL('../src/detect/prefilter-wasm.ts', import.meta.url),
  `// Generated from prefilter.wat by \`npm run wasm\`: do not edit.\nexport const PREFILTER_WASM = '${Buffer.from(bytes).toString('base64')}';\n`,
);
console.log(`prefilter.wat: ${bytes.length} bytes of WebAssembly`);
