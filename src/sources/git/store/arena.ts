/**
 * Where versions are rebuilt: a stack in WebAssembly memory (delta.wat
 * applies a delta there, one memory.copy per instruction). A delta family is
 * walked depth first (walk.ts): a version is pushed while the versions built
 * on it are, and popped after, so the memory held is the versions along one
 * chain, and nothing is allocated per version. In JavaScript, express's
 * 18,000 blob versions (212 MB from 2.6 million instructions) cost more to
 * allocate and copy than to inflate.
 *
 * A version that does not fit what is left (a chain of very large files), or
 * where there is no WebAssembly, is built in JavaScript (delta.ts) into memory
 * of its own.
 */
import { applyDelta, deltaHeader, DeltaError } from './delta.js';
import { DELTA_WASM } from './delta-wasm.js';
import { wasm, type WasmMemory } from '../../../common/wasm.js';

interface DeltaModule {
  memory: WasmMemory;
  apply(base: number, baseLen: number, delta: number, deltaEnd: number, out: number, outLen: number, fresh: number, freshMax: number): number;
}

const STACK_BYTES = 96 << 20;
/** Room for a delta's instructions, and for the ranges it makes new (pairs of u32). */
const DELTA_BYTES = 8 << 20;
const FRESH_PAIRS = 1 << 16;
const PAGE = 65536;

let compiled: object | null | undefined;

/** The module with its memory grown to `bytes`, or null: no WebAssembly here, or no room for the memory (a low `ulimit -v`). */
function instance(bytes: number): DeltaModule | null {
  if (compiled === undefined) {
    const module = Buffer.from(DELTA_WASM, 'base64');
    compiled = wasm?.validate(module) ? new wasm.Module(module) : null;
  }
  if (!compiled || !wasm) return null;
  try {
    const made = new wasm.Instance(compiled).exports as DeltaModule;
    made.memory.grow(Math.ceil(bytes / PAGE) - made.memory.buffer.byteLength / PAGE);
    return made;
  } catch {
    return null;
  }
}

export class Arena {
  private readonly wasm: DeltaModule | null;
  private readonly memory: Uint8Array;
  private readonly deltaAt: number;
  private readonly freshAt: number;
  private readonly freshPairs: Uint32Array;
  /** The stack's top: where the next version is written. */
  private top = 0;

  /** `size`: the stack's bytes (tests make it small, to fill it). */
  constructor(private readonly size = STACK_BYTES) {
    this.deltaAt = size;
    this.freshAt = size + DELTA_BYTES;
    this.wasm = instance(size + DELTA_BYTES + FRESH_PAIRS * 8);
    // The memory never grows again: views of it stay valid.
    const memory = this.wasm?.memory.buffer ?? new ArrayBuffer(0);
    this.memory = new Uint8Array(memory);
    this.freshPairs = new Uint32Array(memory, this.wasm ? this.freshAt : 0, this.wasm ? FRESH_PAIRS * 2 : 0);
  }

  /** Where the stack's top is: `release(mark)` pops everything pushed since. */
  get mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /**
   * `delta` applied to `base`, pushed on the stack (or in memory of its own);
   * with `fresh`, the ranges it makes new added to it (delta.ts). Throws
   * DeltaError for a delta that does not fit its base.
   */
  apply(base: Buffer, delta: Buffer, fresh?: number[]): Buffer {
    const head = deltaHeader(delta);
    if (head.base !== base.length) throw new DeltaError(`delta is for a base of ${head.base} bytes, not ${base.length}`);
    const instructions = delta.length - head.length;
    const module = this.wasm;
    const inMemory = base.buffer === this.memory.buffer;
    const room = this.size - this.top - (inMemory ? 0 : base.length);
    if (!module || head.result > room || instructions > DELTA_BYTES) return applyDelta(base, delta, fresh);
    // A base from elsewhere (a whole object, as inflated) is copied in first, above the stack's top.
    let from = base.byteOffset;
    if (!inMemory) {
      from = this.top;
      this.memory.set(base, from);
    }
    const out = inMemory ? this.top : this.top + ((base.length + 7) & ~7);
    this.memory.set(delta.subarray(head.length), this.deltaAt);
    const pairs = module.apply(from, base.length, this.deltaAt, this.deltaAt + instructions, out, head.result, this.freshAt, FRESH_PAIRS);
    if (pairs === -5) return applyDelta(base, delta, fresh);
    if (pairs < 0) throw new DeltaError(FAILURES[-pairs] ?? 'delta does not apply');
    if (fresh) for (let i = 0; i < pairs * 2; i++) fresh.push(this.freshPairs[i] as number);
    // A base copied in is not kept: the result moves down over it.
    if (!inMemory) this.memory.copyWithin(this.top, out, out + head.result);
    const at = this.top;
    this.top = at + ((head.result + 7) & ~7);
    return Buffer.from(this.memory.buffer, at, head.result);
  }

  /** `bytes` pushed on the stack (a base from elsewhere that several versions are built on); as they are where there is no room. */
  push(bytes: Buffer): Buffer {
    if (!this.wasm || bytes.length > this.size - this.top) return bytes;
    const at = this.top;
    this.memory.set(bytes, at);
    this.top = at + ((bytes.length + 7) & ~7);
    return Buffer.from(this.memory.buffer, at, bytes.length);
  }
}

const FAILURES: Record<number, string> = {
  1: 'delta copies past its base or its result',
  2: 'delta inserts past its end or its result',
  3: 'delta holds the reserved instruction 0',
  4: 'delta does not build the size it names',
};
