/**
 * Keyword anchors: each rule keyword is looked for by a short anchor, the
 * prefilter finds every anchor in one pass (./prefilter.ts), and here each
 * place an anchor starts is checked for the whole keyword and turned into the
 * window around it that the rule's regex will search (./windows.ts).
 */
import { pushTo } from '../common/group.js';
import { commonness } from './prefilter.js';

/** Bytes of context kept on each side of a keyword hit. */
export const WINDOW = 256;

/**
 * Each keyword is looked for by an anchor that starts at its rarest byte
 * (`sk_live_` as `k_`): the prefilter's fingerprint is an anchor's first three
 * bytes, and rare ones let the fewest places through.
 */
const ANCHOR_MAX = 6;
/** Keywords that read the same for this many bytes from their rarest one share one anchor. */
const ANCHOR_MIN = 2;

export interface Keyword {
  /** The whole keyword. */
  bytes: Buffer;
  /** Where its anchor starts inside it. */
  at: number;
  /** The keyword's bytes outside its anchor, as (offset in the keyword, byte) pairs: what is left to compare after the anchor is found. */
  rest: number[];
  /** Indexes of the rules that list it. */
  rules: number[];
}

/** One anchor, and the keywords that start with it at their rarest byte. */
export interface AnchorGroup {
  needle: Buffer;
  keywords: Keyword[];
}

/**
 * The windows one keyword's hits call for, merged as the hits are found (in
 * increasing order, since the buffer is searched from start to end): flat
 * [start, end, start, end, …] pairs, not yet stretched.
 */
export type KeywordWindows = number[];

/** Where a keyword's anchor starts: at its rarest byte, leaving room for ANCHOR_MIN bytes. */
function anchorStart(keyword: Buffer): number {
  let at = 0;
  for (let i = 1; i + ANCHOR_MIN <= keyword.length; i++) {
    if (commonness(keyword[i] ?? 0) < commonness(keyword[at] ?? 0)) at = i;
  }
  return at;
}

/**
 * Every rule's keywords under as few anchors as will do: the prefilter has
 * eight buckets, and anchors that share one let more places through. Keywords
 * that read the same from their rarest byte share one anchor, their common
 * part (`sk_live_` and `sk_test_` are one anchor, `k_`; `webhook` and
 * `web_hook` one, `web`); a keyword alone has up to ANCHOR_MAX bytes.
 */
export function anchorGroups(rules: readonly { keywords: readonly string[] }[]): AnchorGroup[] {
  const byKeyword = new Map<string, number[]>();
  rules.forEach((rule, i) => {
    for (const kw of new Set(rule.keywords)) pushTo(byKeyword, kw, i);
  });
  const byStart = new Map<string, { bytes: Buffer; rules: number[]; at: number }[]>();
  for (const [kw, ruleIndexes] of byKeyword) {
    const bytes = Buffer.from(kw, 'utf8');
    const at = anchorStart(bytes);
    pushTo(byStart, bytes.toString('latin1', at, at + ANCHOR_MIN), { bytes, rules: ruleIndexes, at });
  }
  return [...byStart.values()].map((group) => {
    const tails = group.map((kw) => kw.bytes.subarray(kw.at));
    let length = Math.min(ANCHOR_MAX, ...tails.map((t) => t.length));
    for (const t of tails) while (length > ANCHOR_MIN && t.compare(tails[0] as Buffer, 0, length, 0, length) !== 0) length--;
    const needle = Buffer.from((tails[0] as Buffer).subarray(0, length));
    return {
      needle,
      keywords: group.map(({ bytes, rules, at }) => {
        const rest: number[] = [];
        bytes.forEach((byte, i) => (i < at || i >= at + length) && rest.push(i, byte));
        return { bytes, at, rest, rules };
      }),
    };
  });
}

/** Whether the whole keyword is at `start` (its anchor is known to be there). */
function keywordAt(buf: Buffer, kw: Keyword, start: number): boolean {
  if (start < 0 || start + kw.bytes.length > buf.length) return false;
  const { rest } = kw;
  for (let i = 0; i < rest.length; i += 2) if (buf[start + (rest[i] as number)] !== rest[i + 1]) return false;
  return true;
}

/** For each keyword of one anchor, the windows the anchor's places (`hits`) call for; null when there is none. */
export function keywordWindows(buf: Buffer, hits: readonly number[], keywords: Keyword[]): KeywordWindows[] | null {
  let found: KeywordWindows[] | null = null;
  for (const hit of hits) {
    for (let k = 0; k < keywords.length; k++) {
      const kw = keywords[k] as Keyword;
      const start = hit - kw.at;
      if (!keywordAt(buf, kw, start)) continue;
      found ??= keywords.map(() => []);
      addWindow(found[k] as KeywordWindows, start - WINDOW, start + kw.bytes.length + WINDOW, buf.length);
    }
  }
  return found;
}

/** A window merged into the one before it when they touch. */
function addWindow(list: KeywordWindows, start: number, end: number, length: number): void {
  const s = Math.max(0, start);
  const e = Math.min(length, end);
  const last = list.length - 1;
  if (last > 0 && s <= (list[last] as number)) list[last] = Math.max(list[last] as number, e);
  else list.push(s, e);
}
