/**
 * The prefilter's plan: which anchors share a bucket (a bit of the SIMD
 * loop's answer), and which three bytes of each the loop looks for (its
 * fingerprint). Worked out here, or by the build for the built-in rules
 * (./bucket-cache.ts).
 */
import { COMMON_TRIGRAMS } from './trigrams.js';

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
export const FINGERPRINT = 3;

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
export const BUCKETS = 8;

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
export function buckets(anchors: Uint8Array[]): number[][] {
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


/** Whether `plan` puts each anchor in exactly one of at most BUCKETS buckets, its fingerprint inside it. */
export function fits(plan: PrefilterPlan, anchors: readonly Uint8Array[]): boolean {
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
