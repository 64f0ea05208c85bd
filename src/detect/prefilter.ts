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
import { COMMON_TRIGRAMS } from './trigrams.js';

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

/** The loop looks at FINGERPRINT bytes of an anchor; the rest is compared here. */
const FINGERPRINT = 3;

/** Each common trigram's rank (0 the most common), read from the table when first needed. */
let trigramRanks: Map<number, number> | null = null;

/**
 * Where an anchor's fingerprint starts in it: at the three bytes least common
 * in source text (npm run trigrams measured the 8,192 most common); among
 * those the table does not list, the three of the rarest bytes. An anchor of
 * three bytes or fewer is its own fingerprint.
 */
export function fingerprintAt(anchor: Uint8Array): number {
  if (anchor.length <= FINGERPRINT) return 0;
  if (trigramRanks === null) {
    const table = Buffer.from(COMMON_TRIGRAMS, 'base64');
    trigramRanks = new Map();
    for (let r = 0; r * 3 < table.length; r++) trigramRanks.set(table.readUIntLE(r * 3, 3), r);
  }
  const ranks = trigramRanks;
  let best = 0;
  let bestRank = -1;
  let bestShare = Infinity;
  for (let i = 0; i + FINGERPRINT <= anchor.length; i++) {
    const a = anchor[i] as number;
    const b = anchor[i + 1] as number;
    const c = anchor[i + 2] as number;
    const rank = ranks.get(a | (b << 8) | (c << 16)) ?? ranks.size;
    const share = (SHARE[a] as number) * (SHARE[b] as number) * (SHARE[c] as number);
    if (rank > bestRank || (rank === bestRank && share < bestShare)) [best, bestRank, bestShare] = [i, rank, share];
  }
  return best;
}

/** How the prefilter looks for its anchors: each one's bucket, and where its fingerprint starts in it. */
export interface PrefilterPlan {
  buckets: number[][];
  fingerprints: number[];
}
const BUCKETS = 8;

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

/** Whether `plan` puts each anchor in exactly one of at most BUCKETS buckets, its fingerprint inside it. */
function fits(plan: PrefilterPlan, anchors: readonly Uint8Array[]): boolean {
  const count = anchors.length;
  if (plan.buckets.length > BUCKETS || plan.fingerprints.length !== count) return false;
  if (!plan.fingerprints.every((at, i) => Number.isInteger(at) && at >= 0 && at + Math.min(FINGERPRINT, anchors[i]?.length ?? 0) <= (anchors[i]?.length ?? 0))) return false;
  const seen = new Uint8Array(count);
  let placed = 0;
  for (const bucket of plan.buckets) {
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
