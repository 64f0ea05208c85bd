/** WebAssembly text to bytes (scripts/wasm.mjs). */
export function assemble(text: string): Promise<Uint8Array>;
