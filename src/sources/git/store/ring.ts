/**
 * Where rebuilt objects are written and their deltas applied: one block of
 * WebAssembly memory used round and round (delta.wat applies a delta there,
 * a memory.copy per instruction), not a fresh allocation and a JavaScript
 * copy call per instruction. Express's 18,000 blob versions are 212 MB made
 * by 2.6 million instructions: in JavaScript, allocating and copying them
 * cost more than inflating them.
 *
 * A buffer from here is lent: valid until the ring comes round to it again,
 * which `intact` tells from its stamp. A delta too large for the ring, or a
 * result, is applied in JavaScript instead (delta.ts), into memory of its own.
 */
import { applyDelta, DeltaError } from './delta.js';
import { DELTA_WASM } from './delta-wasm.js';
import { wasm, type WasmMemory } from '../../../common/wasm.js';

/** A rebuilt object's bytes, and where the ring handed them out (-1: memory of their own). */
export interface Stamped {
  bytes: Buffer;
  stamp: number;
}

interface DeltaModule {
  memory: WasmMemory;
  apply(base: number, baseLen: number, delta: number, deltaEnd: number, out: number, outLen: number, fresh: number, freshMax: number): number;
}

const RING_BYTES = 64 << 20;
/** Room for a delta's instructions, and for the ranges it makes new (pairs of u32). */
const DELTA_BYTES = 8 << 20;
const FRESH_PAIRS = 1 << 16;
const PAGE = 65536;

let compiled: object | null | undefined;

/** The module with its memory grown to the ring's size, or null: no WebAssembly here, or no room for the memory (a low `ulimit -v`). */
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

export class BuildRing {
  private readonly wasm: DeltaModule | null;
  private readonly memory: Uint8Array;
  private readonly freshAt: number;
  private readonly freshPairs: Uint32Array;
  private at = 0;
  /** Bytes handed out so far, counting the room skipped at each turn: a buffer's stamp is this when it was handed out. */
  private head = 0;

  /** `size`: the ring's bytes (tests make it small, to come round often). */
  constructor(private readonly size = RING_BYTES) {
    this.freshAt = size + DELTA_BYTES;
    this.wasm = instance(size + DELTA_BYTES + FRESH_PAIRS * 8);
    // The memory never grows again: views of it stay valid.
    const memory = this.wasm?.memory.buffer ?? new ArrayBuffer(0);
    this.memory = new Uint8Array(memory);
    this.freshPairs = new Uint32Array(memory, this.wasm ? this.freshAt : 0, this.wasm ? FRESH_PAIRS * 2 : 0);
  }

  /**
   * `delta` applied to `base`; with `fresh`, the ranges it makes new added to
   * it (delta.ts). Throws DeltaError for a delta that does not fit its base.
   */
  apply(base: Stamped, delta: Buffer, fresh?: number[]): Stamped {
    const head = deltaHeader(delta);
    if (head.base !== base.bytes.length) throw new DeltaError(`delta is for a base of ${head.base} bytes, not ${base.bytes.length}`);
    const instructions = delta.length - head.length;
    const module = this.wasm;
    if (!module || head.result > this.size / 8 || base.bytes.length > this.size / 8 || instructions > DELTA_BYTES) {
      return { bytes: applyDelta(base.bytes, delta, fresh), stamp: -1 };
    }
    // The base in the ring, and still there once the result is taken (a base from elsewhere is copied in).
    const inRing = base.bytes.buffer === this.memory.buffer && this.intact(base.stamp) && this.survives(base.stamp, head.result);
    const from = inRing ? base.bytes.byteOffset : this.adopt(base, head.result);
    this.memory.set(delta.subarray(head.length), this.size);
    const out = this.take(head.result);
    const pairs = module.apply(from, base.bytes.length, this.size, this.size + instructions, out.bytes.byteOffset, head.result, this.freshAt, FRESH_PAIRS);
    if (pairs === -5) return { bytes: applyDelta(base.bytes, delta, fresh), stamp: -1 };
    if (pairs < 0) throw new DeltaError(FAILURES[-pairs] ?? 'delta does not apply');
    if (fresh) for (let i = 0; i < pairs * 2; i++) fresh.push(this.freshPairs[i] as number);
    return out;
  }

  /** Whether the buffer handed out with `stamp` still holds what was written to it. */
  intact(stamp: number): boolean {
    return stamp === -1 || this.head - stamp <= this.size;
  }

  /** A buffer of `n` bytes (at most an eighth of the ring) and its stamp. */
  private take(n: number): Stamped {
    if (this.at + n > this.size) {
      this.head += this.size - this.at;
      this.at = 0;
    }
    const bytes = Buffer.from(this.memory.buffer, this.at, n);
    const stamp = this.head;
    const step = (n + 7) & ~7;
    this.at += step;
    this.head += step;
    return { bytes, stamp };
  }

  /** Whether the buffer handed out with `stamp` will still be intact once `n` more bytes are taken. */
  private survives(stamp: number, n: number): boolean {
    const skipped = this.at + n > this.size ? this.size - this.at : 0;
    return this.head + skipped + ((n + 7) & ~7) - stamp <= this.size;
  }

  /** `base` copied into the ring, where it stays for the objects built on it next (the caller's cache keeps the copy). */
  private adopt(base: Stamped, next: number): number {
    const copy = this.take(base.bytes.length);
    copy.bytes.set(base.bytes);
    base.bytes = copy.bytes;
    base.stamp = copy.stamp;
    // Both are at most an eighth of the ring: taking `next` after it cannot come round to it.
    void next;
    return copy.bytes.byteOffset;
  }
}

const FAILURES: Record<number, string> = {
  1: 'delta copies past its base or its result',
  2: 'delta inserts past its end or its result',
  3: 'delta holds the reserved instruction 0',
  4: 'delta does not build the size it names',
};

/** A delta's two sizes (its base's, its result's) and how many bytes they take. */
function deltaHeader(delta: Buffer): { base: number; result: number; length: number } {
  let at = 0;
  const size = (): number => {
    let n = 0;
    let shift = 0;
    let byte: number;
    do {
      if (at >= delta.length) throw new DeltaError('delta ends inside its header');
      byte = delta[at++] as number;
      n += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return n;
  };
  const base = size();
  const result = size();
  return { base, result, length: at };
}
