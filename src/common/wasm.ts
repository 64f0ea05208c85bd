/** What the project uses of the WebAssembly global (its type libraries do not declare it): compiling and starting a module. */
export interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** The WebAssembly global, or undefined where there is none. */
export const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;

/** A module's exported memory, as much of it as the project uses. */
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
