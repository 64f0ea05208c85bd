/**
 * The keyword prefilter: where each of a set of short literal anchors starts in
 * a buffer, found in one pass over it. Most buffers hold none, and then this
 * pass is all that detection costs them.
 *
 * The pass is a small WebAssembly SIMD loop (prefilter.wat) that looks at 16
 * bytes at a time and names the places where the first three bytes of some
 * anchor might start; each is then compared here. One Buffer#indexOf pass per
 * anchor (what this replaces) passes over every byte once per anchor; the SIMD
 * pass finds the same places in one (docs/speed.md, “Design measurements”). Where WebAssembly SIMD is missing, the
 * anchors are searched one by one with indexOf, with the same answers.
 */
import { PREFILTER_WASM } from './prefilter-wasm.js';

/** For each anchor, the places it starts (ascending, overlapping hits included), or undefined if none; null when no anchor starts anywhere. */
export type Hits = (number[] | undefined)[] | null;

/**
 * Bytes of source text from most to least common (measured over a large tree of
 * JavaScript, TypeScript, JSON and Markdown). Anchors start at a keyword's rarest
 * byte, and anchors are put together in a bucket where that lets the fewest
 * places through.
 */
const COMMON_FIRST = ' etnroiasl\ncdpumf\t_h.g()y,"/*=;b:v-TxS{}EkAw\'C0PNID12ROF`LM|[]&jB>?36U4z!5\\W8+@qV9$7GHKJ<Y#QX^Z%~';

/** How common a byte is in source text: higher is more common; -1 for a byte outside the table. */
export function commonness(byte: number): number {
  const i = COMMON_FIRST.indexOf(String.fromCharCode(byte));
  return i === -1 ? -1 : COMMON_FIRST.length - i;
}

/** A rough share of source text for each byte value (Zipf over the table's order), for choosing buckets. */
const SHARE = (() => {
  const share = new Float64Array(256).fill(1e-5);
  for (let r = 0; r < COMMON_FIRST.length; r++) share[COMMON_FIRST.charCodeAt(r)] = 0.2 / (r + 1);
  return share;
})();

/** The loop looks at the first FINGERPRINT bytes of an anchor; the rest is compared here. */
const FINGERPRINT = 3;
const BUCKETS = 8;

// Memory laid out for the loop: its tables and scratch (0-111), then candidates, then the bytes searched.
const TABLES = 0;
const OUT = 128;
/** Candidates per call, at most: a buffer dense with them takes several calls. */
const OUT_MAX = 4096;
const OUT_BITS = OUT + OUT_MAX * 4;
const DATA = OUT_BITS + OUT_MAX;
/** Bytes searched per call: a larger buffer is searched a piece at a time, so memory stays this size. */
const CHUNK = 256 * 1024;
/** Bytes after a piece the loop may read. */
const SLACK = 32;
/**
 * A bit for each 19-bit hash of three bytes (in memory order, the first byte
 * lowest): set when some anchor starts with bytes of that hash. The loop
 * passes on only the candidates whose bytes hash to a set bit, nearly all of
 * them anchors' starts. 64 KiB: a table of a bit per three bytes (2 MiB) cost
 * every start 3 ms of fresh pages, the pre-commit hook's included.
 */
const EXACT = DATA + CHUNK + SLACK;
const EXACT_BITS = 19;
const EXACT_BYTES = 1 << (EXACT_BITS - 3);

/** The hash the loop takes of three bytes (prefilter.wat: multiply, keep the top 19 bits). */
function exactHash(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> (32 - EXACT_BITS);
}

/** The loop's exports. */
interface Loop {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  resume: { value: number };
  scan(from: number, end: number, out: number, outBits: number, max: number, exact: number): number;
}

/** What this file uses of the WebAssembly global (the project's type libraries do not declare it). */
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;
let compiled: object | null | undefined;

/** The loop's module, compiled once per thread; null where WebAssembly SIMD is missing. */
function loopModule(): object | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(PREFILTER_WASM, 'base64');
    compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  return compiled;
}

/** A loop of its own (each has its memory), or null: no WebAssembly SIMD here, or no room for its memory (a low `ulimit -v`). */
function instance(): Loop | null {
  const module = loopModule();
  if (!module || !wasm) return null;
  try {
    const loop = new wasm.Instance(module).exports as Loop;
    loop.memory.grow(Math.ceil((EXACT + EXACT_BYTES) / 65536) - loop.memory.buffer.byteLength / 65536);
    return loop;
  } catch {
    return null;
  }
}

/**
 * What a bucket accepts at each fingerprint position: the low nibbles and the
 * high nibbles, each a 16-bit set; null where every byte is (an anchor
 * shorter than the fingerprint). Bit sets, not Sets: the buckets are chosen
 * at every start, the pre-commit hook's included.
 */
type Accepts = ({ lo: number; hi: number } | null)[];

/** The anchor's byte at `pos` as a bucket accepts it, or every byte when the anchor is shorter. */
function acceptedAt(anchor: Uint8Array, pos: number): { lo: number; hi: number } | null {
  const byte = anchor[pos];
  return byte === undefined ? null : { lo: 1 << (byte & 15), hi: 1 << (byte >> 4) };
}

/** The share of positions a bucket lets through (each fingerprint position accepts the cross product of its nibble sets). */
function letThrough(accepts: Accepts): number {
  let share = 1;
  for (const a of accepts) {
    if (a === null) continue;
    let s = 0;
    for (let hi = 0; hi < 16; hi++) {
      if ((a.hi & (1 << hi)) === 0) continue;
      for (let lo = 0; lo < 16; lo++) if (a.lo & (1 << lo)) s += SHARE[(hi << 4) | lo] as number;
    }
    share *= s;
  }
  return share;
}

function merged(accepts: Accepts, anchor: Uint8Array): Accepts {
  return accepts.map((a, pos) => {
    const b = acceptedAt(anchor, pos);
    return a === null || b === null ? null : { lo: a.lo | b.lo, hi: a.hi | b.hi };
  });
}

/**
 * Anchors into buckets: the most common anchors first, each into the bucket it
 * adds the fewest candidates to (with up to eight anchors, each has its own).
 */
function buckets(anchors: Uint8Array[]): number[][] {
  const own = (a: Uint8Array): Accepts => Array.from({ length: FINGERPRINT }, (_, p) => acceptedAt(a, p));
  const alone = anchors.map((a) => letThrough(own(a)));
  const order = anchors.map((_, i) => i).sort((a, b) => (alone[b] as number) - (alone[a] as number));
  const out: { members: number[]; accepts: Accepts }[] = [];
  for (const i of order) {
    const anchor = anchors[i] as Uint8Array;
    if (out.length < BUCKETS) {
      out.push({ members: [i], accepts: own(anchor) });
      continue;
    }
    let best = out[0] as (typeof out)[number];
    let bestCost = Infinity;
    for (const b of out) {
      const cost = letThrough(merged(b.accepts, anchor)) - letThrough(b.accepts);
      if (cost < bestCost) [best, bestCost] = [b, cost];
    }
    best.members.push(i);
    best.accepts = merged(best.accepts, anchor);
  }
  refine(out, anchors, own);
  return out.map((b) => b.members);
}

/**
 * The greedy placement, improved: an anchor moves to another bucket while that
 * lowers the share of positions all buckets let through together. With many
 * anchors (every rule's keywords and their encoded forms), the first placement
 * can leave a bucket whose nibbles let much of any text through.
 */
function refine(out: { members: number[]; accepts: Accepts }[], anchors: Uint8Array[], own: (a: Uint8Array) => Accepts): void {
  const acceptsOf = (members: number[]): Accepts => members.slice(1).reduce((acc, m) => merged(acc, anchors[m] as Uint8Array), own(anchors[members[0] as number] as Uint8Array));
  for (let round = 0; round < 8; round++) {
    let moved = false;
    for (const from of out) {
      for (const i of [...from.members]) {
        if (from.members.length === 1) break;
        const rest = from.members.filter((m) => m !== i);
        const restAccepts = acceptsOf(rest);
        const saved = letThrough(from.accepts) - letThrough(restAccepts);
        let best: (typeof out)[number] | null = null;
        let bestGain = 0;
        for (const to of out) {
          if (to === from) continue;
          const gain = saved - (letThrough(merged(to.accepts, anchors[i] as Uint8Array)) - letThrough(to.accepts));
          if (gain > bestGain * 1.000001 && gain > 0) [best, bestGain] = [to, gain];
        }
        if (best === null) continue;
        from.members = rest;
        from.accepts = restAccepts;
        best.members.push(i);
        best.accepts = merged(best.accepts, anchors[i] as Uint8Array);
        moved = true;
      }
    }
    if (!moved) break;
  }
}

/** The table, written into `table` (zeroed): each anchor's first three bytes; an anchor shorter than three, with every byte after it. */
function markExact(table: Uint8Array, anchors: readonly Uint8Array[]): void {
  const mark = (key: number) => {
    const bit = exactHash(key);
    table[bit >> 3] = (table[bit >> 3] as number) | (1 << (bit & 7));
  };
  for (const a of anchors) {
    const known = Math.min(3, a.length);
    let base = 0;
    for (let k = 0; k < known; k++) base |= (a[k] as number) << (8 * k);
    const free = 3 - known;
    for (let rest = 0; rest < 1 << (8 * free); rest++) mark(base | (rest << (8 * known)));
  }
}

/** Whether `plan` puts each of `count` anchors in exactly one of at most BUCKETS buckets. */
function placesEach(plan: number[][], count: number): boolean {
  if (plan.length > BUCKETS) return false;
  const seen = new Uint8Array(count);
  let placed = 0;
  for (const bucket of plan) {
    for (const i of bucket) {
      if (!Number.isInteger(i) || i < 0 || i >= count || seen[i]) return false;
      seen[i] = 1;
      placed++;
    }
  }
  return placed === count;
}

export class Prefilter {
  /** The anchors in each bucket (a bucket is a bit of the loop's answer). */
  private readonly buckets: number[][];
  private readonly loop: Loop | null;
  private readonly memory: Uint8Array | null = null;
  private readonly places: Uint32Array | null = null;

  /**
   * `simd: false` searches with indexOf alone (the tests compare the two).
   * `buckets`: the anchors' buckets as worked out before (the build does it
   * for the built-in rules, see ./bucket-cache.ts), used when they place every
   * anchor once; otherwise they are worked out here.
   */
  constructor(
    private readonly anchors: readonly Uint8Array[],
    opts: { simd?: boolean; buckets?: number[][] } = {},
  ) {
    if (anchors.some((a) => a.length === 0)) throw new Error('an empty anchor would be found everywhere');
    this.buckets = opts.buckets && placesEach(opts.buckets, anchors.length) ? opts.buckets : buckets([...anchors]);
    this.loop = opts.simd === false ? null : instance();
    if (this.loop) {
      const { memory } = this.loop;
      this.memory = new Uint8Array(memory.buffer);
      this.places = new Uint32Array(memory.buffer, OUT, OUT_MAX);
      this.memory.set(this.tables(), TABLES);
      // Fresh memory is zeroed: the table is marked where it lies.
      markExact(this.memory.subarray(EXACT, EXACT + EXACT_BYTES), anchors);
    }
  }

  /** The anchors' buckets, to be kept for a later start (the build's cache). */
  get plan(): number[][] {
    return this.buckets.map((b) => [...b]);
  }

  /** Whether the one-pass loop runs here (else: a search per anchor). */
  get simd(): boolean {
    return this.loop !== null;
  }

  /** Where each anchor starts in `buf`. */
  find(buf: Uint8Array): Hits {
    return this.loop ? this.findBySimd(buf) : this.findByIndexOf(buf);
  }

  /** The six nibble tables: for fingerprint position p, byte p*32 + nibble of the low table and p*32 + 16 + nibble of the high. */
  private tables(): Uint8Array {
    const t = new Uint8Array(FINGERPRINT * 32);
    this.buckets.forEach((members, bucket) => {
      for (const i of members) {
        const anchor = this.anchors[i] as Uint8Array;
        for (let p = 0; p < FINGERPRINT; p++) {
          const byte = anchor[p];
          for (let nibble = 0; nibble < 16; nibble++) {
            // A position past the anchor's end accepts anything.
            if (byte === undefined || nibble === (byte & 15)) t[p * 32 + nibble] = (t[p * 32 + nibble] as number) | (1 << bucket);
            if (byte === undefined || nibble === byte >> 4) t[p * 32 + 16 + nibble] = (t[p * 32 + 16 + nibble] as number) | (1 << bucket);
          }
        }
      }
    });
    return t;
  }

  private findBySimd(buf: Uint8Array): Hits {
    const loop = this.loop as Loop;
    const memory = this.memory as Uint8Array;
    const places = this.places as Uint32Array;
    let hits: Hits = null;
    for (let start = 0; start < buf.length; start += CHUNK) {
      const end = Math.min(buf.length, start + CHUNK);
      // A piece is copied with the fingerprint's reach beyond it, so an anchor across two pieces is seen.
      // (A buffer that is one piece is copied whole, without making a view of it: most are.)
      memory.set(end === buf.length && start === 0 ? buf : buf.subarray(start, Math.min(buf.length, end + FINGERPRINT - 1)), DATA);
      const stop = DATA + (end - start);
      for (let from = DATA; from < stop; from = loop.resume.value) {
        const n = loop.scan(from, stop, OUT, OUT_BITS, OUT_MAX, EXACT);
        for (let k = 0; k < n; k++) hits = this.confirm(buf, start + (places[k] as number) - DATA, memory[OUT_BITS + k] as number, hits);
      }
    }
    return hits;
  }

  /** The anchors of the buckets in `bits` that do start at `at`, added to `hits`. */
  private confirm(buf: Uint8Array, at: number, bits: number, hits: Hits): Hits {
    for (let bucket = 0; bits !== 0; bucket++, bits >>= 1) {
      if ((bits & 1) === 0) continue;
      for (const i of this.buckets[bucket] as number[]) {
        const anchor = this.anchors[i] as Uint8Array;
        let j = 0;
        while (j < anchor.length && buf[at + j] === anchor[j]) j++;
        if (j < anchor.length) continue;
        hits = found(hits, this.anchors.length, i, at);
      }
    }
    return hits;
  }

  private findByIndexOf(buf: Uint8Array): Hits {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    let hits: Hits = null;
    this.anchors.forEach((anchor, i) => {
      for (let at = b.indexOf(anchor); at !== -1; at = b.indexOf(anchor, at + 1)) hits = found(hits, this.anchors.length, i, at);
    });
    return hits;
  }
}

/** `hits` with anchor `i` found at `at` (the lists made as anchors are first found: most buffers have a few anchors or none). */
function found(hits: Hits, anchors: number, i: number, at: number): Hits {
  const out = hits ?? new Array<number[] | undefined>(anchors);
  const places = out[i];
  if (places) places.push(at);
  else out[i] = [at];
  return out;
}
