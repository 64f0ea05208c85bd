/**
 * The keyword prefilter: where each of a set of short literal anchors starts in
 * a buffer, found in one pass over it. Most buffers hold none, and then this
 * pass is all that detection costs them.
 *
 * The pass is a small WebAssembly SIMD loop (prefilter.wat) that looks at 16
 * bytes at a time and names the places where three bytes of some anchor might
 * be (its fingerprint: the three rarest in text, `teD` of `FlateDecode`); each
 * is then compared here. One Buffer#indexOf pass per
 * anchor (what this replaces) passes over every byte once per anchor; the SIMD
 * pass finds the same places in one (docs/speed.md, “Design measurements”). Where WebAssembly SIMD is missing, the
 * anchors are searched one by one with indexOf, with the same answers.
 */
import { PREFILTER_WASM } from './prefilter-wasm.js';
import { wasm } from '../common/wasm.js';

export { commonness, fingerprintAt, type PrefilterPlan } from './prefilter-plan.js';
import { buckets, FINGERPRINT, fingerprintAt, fits, type PrefilterPlan } from './prefilter-plan.js';

/**
 * For each anchor, the places it starts (ascending, overlapping hits
 * included), or undefined if none; null when no anchor starts anywhere.
 * With `base64Runs`, one list more after the anchors': the long base64 runs
 * (all that hold 47 characters of base64 in a row, each whole, URL-safe
 * base64's `-` and `_` in it too), as start and end pairs, ascending.
 */
export type Hits = (number[] | undefined)[] | null;

const byteTable = (chars: string) => {
  const t = new Uint8Array(256);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
};
/** What a block of base64 is made of (not URL-safe base64's - and _, which long snake_case names are full of). */
const BASE64_BYTE = byteTable('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
/** What a run is walked by, once found: URL-safe base64 too. */
const RUN_BYTE = byteTable('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_');


// Memory laid out for the loop: its tables and scratch (0-111), the table runs are walked by (128-383), then
// candidates, then the bytes searched (after 16 zero bytes and room for the 16 bytes before them: 32-byte
// aligned, as the loop counts even blocks from there).
const TABLES = 0;
const RUN_TABLE = 128;
const OUT = RUN_TABLE + 256;
/** Candidates per call, at most: a buffer dense with them takes several calls. */
const OUT_MAX = 4096;
const OUT_BITS = OUT + OUT_MAX * 4;
const LEAD = 16;
const DATA = OUT_BITS + OUT_MAX + 2 * LEAD;
/** Bytes searched per call: a larger buffer is searched a piece at a time, so memory stays this size. */
const CHUNK = 256 * 1024;
/** Bytes after a piece the loop may read: a run's next block, an anchor's fingerprint. */
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
  runSkip: { value: number };
  runEnd: { value: number };
  scan(from: number, end: number, out: number, outBits: number, max: number, exact: number, runs: number, table: number): number;
}

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

export class Prefilter {
  /** The anchors in each bucket (a bucket is a bit of the loop's answer). */
  private readonly buckets: number[][];
  /** Where each anchor's fingerprint starts in it. */
  private readonly shifts: number[];
  /** Each anchor's fingerprint: the bytes the loop looks for. */
  private readonly prints: Uint8Array[];
  private readonly loop: Loop | null;
  private readonly memory: Uint8Array | null = null;
  private readonly places: Uint32Array | null = null;
  /** Where long base64 runs are is asked too: their list follows the anchors'. */
  private readonly runs: boolean;

  /**
   * `simd: false` searches with indexOf alone (the tests compare the two).
   * `plan`: the anchors' buckets and fingerprints as worked out before (the
   * build does it for the built-in rules, see ./bucket-cache.ts), used when it
   * places every anchor once; otherwise they are worked out here.
   */
  constructor(
    private readonly anchors: readonly Uint8Array[],
    opts: { simd?: boolean; plan?: PrefilterPlan; base64Runs?: boolean } = {},
  ) {
    this.runs = opts.base64Runs === true;
    if (anchors.some((a) => a.length === 0)) throw new Error('an empty anchor would be found everywhere');
    const known = opts.plan && fits(opts.plan, anchors) ? opts.plan : null;
    this.shifts = known ? known.fingerprints : anchors.map(fingerprintAt);
    this.prints = anchors.map((a, i) => a.subarray(this.shifts[i], (this.shifts[i] as number) + FINGERPRINT));
    this.buckets = known ? known.buckets : buckets(this.prints);
    this.loop = opts.simd === false ? null : instance();
    if (this.loop) {
      const { memory } = this.loop;
      this.memory = new Uint8Array(memory.buffer);
      this.places = new Uint32Array(memory.buffer, OUT, OUT_MAX);
      this.memory.set(this.tables(), TABLES);
      this.memory.set(RUN_BYTE, RUN_TABLE);
      // Fresh memory is zeroed: the table is marked where it lies.
      markExact(this.memory.subarray(EXACT, EXACT + EXACT_BYTES), this.prints);
    }
  }

  /** The anchors' buckets and fingerprints, to be kept for a later start (the build's cache). */
  get plan(): PrefilterPlan {
    return { buckets: this.buckets.map((b) => [...b]), fingerprints: [...this.shifts] };
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
        const anchor = this.prints[i] as Uint8Array;
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
      loop.runSkip.value = -1;
      loop.runEnd.value = 0;
      // A piece is copied with the 16 bytes before it and after it (a run's neighbouring blocks, an anchor's
      // fingerprint across two pieces), and zeroes where the buffer has none: no base64 there.
      // (A buffer that is one piece is copied whole, without making a view of it: most are.)
      const from = Math.max(0, start - LEAD);
      const to = Math.min(buf.length, end + LEAD);
      memory.set(start === 0 && end === buf.length ? buf : buf.subarray(from, to), DATA - (start - from));
      if (start === 0) memory.fill(0, DATA - LEAD, DATA);
      const stop = DATA + (end - start);
      // Zeroes after what was copied: the end of a run's walk, and no base64 in a last block past the data.
      memory.fill(0, stop + (to - end), stop + SLACK);
      const at = (address: number) => start + address - DATA;
      for (let next = DATA; next < stop; next = loop.resume.value) {
        const n = loop.scan(next, stop, OUT, OUT_BITS, OUT_MAX, EXACT, this.runs ? 1 : 0, RUN_TABLE);
        for (let k = 0; k < n; k++) {
          const bits = memory[OUT_BITS + k] as number;
          if (bits !== 0) hits = this.confirm(buf, at(places[k] as number), bits, hits);
          else hits = runFound(buf, hits, this.width, at(places[k] as number), at(places[++k] as number));
        }
      }
    }
    return hits;
  }

  /** The anchors of the buckets in `bits` whose fingerprint is at `place` and that are whole around it, added to `hits`. */
  private confirm(buf: Uint8Array, place: number, bits: number, hits: Hits): Hits {
    for (let bucket = 0; bits !== 0; bucket++, bits >>= 1) {
      if ((bits & 1) === 0) continue;
      for (const i of this.buckets[bucket] as number[]) {
        const anchor = this.anchors[i] as Uint8Array;
        const at = place - (this.shifts[i] as number);
        if (at < 0) continue;
        let j = 0;
        while (j < anchor.length && buf[at + j] === anchor[j]) j++;
        if (j < anchor.length) continue;
        hits = found(hits, this.width, i, at);
      }
    }
    return hits;
  }

  private findByIndexOf(buf: Uint8Array): Hits {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    let hits: Hits = null;
    this.anchors.forEach((anchor, i) => {
      for (let at = b.indexOf(anchor); at !== -1; at = b.indexOf(anchor, at + 1)) hits = found(hits, this.width, i, at);
    });
    if (!this.runs) return hits;
    // As the loop finds them (prefilter.wat): even blocks of base64 with a neighbour of base64, past the last run.
    const all = (k: number) => {
      if (k < 0 || 16 * k + 16 > buf.length) return false;
      for (let j = 16 * k; j < 16 * k + 16; j++) if (BASE64_BYTE[buf[j] as number] !== 1) return false;
      return true;
    };
    for (let k = 0; 16 * k < buf.length; k += 2) {
      const runs = hits?.[this.width - 1];
      if ((runs && 16 * k < (runs[runs.length - 1] as number)) || !all(k)) continue;
      const before = all(k - 1);
      if (before || all(k + 1)) hits = runFound(buf, hits, this.width, 16 * (before ? k - 1 : k), 16 * k + 16);
    }
    return hits;
  }

  /** How many lists a find returns: one per anchor, and one for base64 runs when asked. */
  private get width(): number {
    return this.anchors.length + (this.runs ? 1 : 0);
  }
}

/**
 * `hits` with the long base64 run around [start, end) (as the loop walked it,
 * stopped where the bytes it had did: on from there), after the anchors'
 * lists; not again when one found before holds it.
 */
function runFound(buf: Uint8Array, hits: Hits, width: number, start: number, end: number): Hits {
  const runs = hits?.[width - 1];
  if (runs && start < (runs[runs.length - 1] as number)) return hits;
  let first = start;
  while (first > 0 && RUN_BYTE[buf[first - 1] as number] === 1) first--;
  let last = end;
  while (last < buf.length && RUN_BYTE[buf[last] as number] === 1) last++;
  return found(found(hits, width, width - 1, first), width, width - 1, last);
}

/** `hits` with anchor `i` found at `at` (the lists made as anchors are first found: most buffers have a few anchors or none). */
function found(hits: Hits, width: number, i: number, at: number): Hits {
  const out = hits ?? new Array<number[] | undefined>(width);
  const places = out[i];
  if (places) places.push(at);
  else out[i] = [at];
  return out;
}
