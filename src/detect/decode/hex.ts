/**
 * Hex. A keyword in hex is its bytes' digits, in either case (`sk_` is
 * `736b5f` or `736B5F`), which plain text almost never holds. Found by its
 * first three digits in each case, then compared whole; the run around it is
 * decoded from the byte boundary that keeps the keyword on one.
 */
import { pushTo } from '../../common/group.js';
import type { Decoder, Run } from './decoder.js';
import { byteSet } from './decoder.js';

/** A key in hex is at least this many digits long. */
const MIN_HEX_RUN = 48;
const MAX_RUN = 1 << 20;
const ANCHOR = 3;
/** The shortest keyword looked for in hex: fewer bytes would match digits in ordinary numbers. */
const MIN_KEYWORD = 3;

const HEX = byteSet('0123456789abcdefABCDEF');

/** Lower case for a hex digit (a digit's byte already has the 0x20 bit). */
const lower = (byte: number) => byte | 0x20;

/** The hex decoder for these keywords; null when none is long enough. */
export function hexDecoder(keywords: Buffer[]): Decoder | null {
  const byAnchor = new Map<string, Buffer[]>();
  for (const kw of keywords) {
    if (kw.length < MIN_KEYWORD) continue;
    const digits = kw.toString('hex');
    const needle = Buffer.from(digits, 'latin1');
    for (const anchor of new Set([digits.slice(0, ANCHOR), digits.slice(0, ANCHOR).toUpperCase()])) {
      const list = byAnchor.get(anchor);
      if (!list?.some((n) => n.equals(needle))) pushTo(byAnchor, anchor, needle);
    }
  }
  if (byAnchor.size === 0) return null;
  const groups = [...byAnchor];
  return {
    name: 'hex',
    anchors: groups.map(([anchor]) => Buffer.from(anchor, 'latin1')),
    nests: true,
    runs(buf, places) {
      const out: Run[] = [];
      const seen = new Set<number>();
      groups.forEach(([, needles], i) => {
        for (const hit of places(i)) {
          if (!needles.some((needle) => digitsAt(buf, hit, needle))) continue;
          const run = hexRun(buf, hit);
          if (run === null || seen.has(run.start)) continue;
          seen.add(run.start);
          out.push({ ...run, bytes: Buffer.from(buf.toString('latin1', run.start, run.end - ((run.end - run.start) % 2)), 'hex') });
        }
      });
      return out;
    },
  };
}

/** Whether the digits of `needle` (lower case) are at `at`, in either case. */
function digitsAt(buf: Buffer, at: number, needle: Buffer): boolean {
  if (at + needle.length > buf.length) return false;
  for (let i = ANCHOR; i < needle.length; i++) if (lower(buf[at + i] as number) !== needle[i]) return false;
  return true;
}

/** The hex run around `hit`, from the byte boundary that keeps `hit` on one; null when too short to hold a key. */
function hexRun(buf: Buffer, hit: number): { start: number; end: number } | null {
  let first = hit;
  while (first > 0 && hit - first < MAX_RUN && HEX[buf[first - 1] as number]) first--;
  const start = first + ((hit - first) % 2);
  let end = hit;
  while (end < buf.length && end - start < MAX_RUN && HEX[buf[end] as number]) end++;
  return end - start >= MIN_HEX_RUN ? { start, end } : null;
}
