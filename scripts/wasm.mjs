// WebAssembly text to bytes, with wabt (a devDependency: only `npm run wasm` and the test suite use it).
import wabtInit from 'wabt';

/** @param {string} text */
export async function assemble(text) {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('module.wat', text, { simd: true, bulk_memory: true });
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}
