/**
 * The detection engine. It sees bytes and nothing else: no paths, no commits.
 *
 * 1. Keyword prefilter: one pass over the whole buffer finds every anchor (./prefilter.ts).
 * 2. Around each keyword hit, a bounded window (stretched so it never cuts a token in
 *    two) is decoded as latin1 (one byte, one character) and the rule's regex runs there.
 *    The window bounds the cost of any regex, however badly written.
 * 3. Each match passes the placeholder and entropy filters.
 * 4. Only then are line and column worked out, and the line checked for `sk-scan:allow`.
 */
import { createHash } from 'node:crypto';
import { placeholderReason, shannonEntropy } from './filters.js';
import { LineCursor } from './lines.js';
import { commonness, Prefilter, type Hits } from './prefilter.js';
import type { Rule } from './rule.js';
import { compareText, pushTo } from '../common/group.js';

export interface Match {
  ruleId: string;
  /** The full secret. It never leaves the pipeline unmasked unless --show-secrets asks. */
  secret: string;
  /** How many leading characters of `secret` a report may show: the rule's `public` group (`sk_live_prod_`), else 0. */
  prefixLength: number;
  /** The environment tag captured by the rule's `env` group, if any. */
  environment: string | null;
  /** Byte offset of the secret in the scanned buffer. */
  offset: number;
  /** 1-based line, counting LF line ends (CRLF files count the same). */
  line: number;
  /** 1-based column, in characters (code points) of that line. */
  column: number;
  /** Present when the line carries `sk-scan:allow`; `reason` is the text after `--`, if any. */
  allow?: { reason: string | null };
  /** The key was found by decoding: `base64`, or `base64/base64` for base64 inside base64. `offset` is then the encoded run's. */
  encoding?: string;
}

/** A key's identity after detection: the hex SHA-256 of the full secret, the same wherever the key is found. */
export function sha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const NONE: readonly number[] = [];

/** Bytes of context kept on each side of a keyword hit. */
const WINDOW = 256;
/** How far a window may be stretched to avoid cutting a token. */
const MAX_STRETCH = 4096;
const ALLOW_MARK = Buffer.from('sk-scan:allow');

/** Bytes that can sit inside a token: a window edge never falls between two of them. */
const TOKEN = new Uint8Array(256);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.%\\') {
  TOKEN[ch.charCodeAt(0)] = 1;
}

const PREFIX = /^(?:[a-z]{2,}_)+/;

/**
 * Each keyword is looked for by an anchor that starts at its rarest byte
 * (`sk_live_` as `k_`): the prefilter's fingerprint is an anchor's first three
 * bytes, and rare ones let the fewest places through.
 */
const ANCHOR_MAX = 6;
/** Keywords that read the same for this many bytes from their rarest one share one anchor. */
const ANCHOR_MIN = 2;

/** Where a keyword's anchor starts: at its rarest byte, leaving room for ANCHOR_MIN bytes. */
function anchorStart(keyword: Buffer): number {
  let at = 0;
  for (let i = 1; i + ANCHOR_MIN <= keyword.length; i++) {
    if (commonness(keyword[i] ?? 0) < commonness(keyword[at] ?? 0)) at = i;
  }
  return at;
}

/**
 * Keywords under as few anchors as will do: the prefilter has eight buckets,
 * and anchors that share one let more places through. Keywords that read the
 * same from their rarest byte share one anchor, their common part (`sk_live_`
 * and `sk_test_` are one anchor, `k_`; `webhook` and `web_hook` one, `web`);
 * a keyword alone has up to ANCHOR_MAX bytes.
 */
function anchorGroups(keywords: { bytes: Buffer; rules: number[] }[]): { needle: Buffer; keywords: Keyword[] }[] {
  const byStart = new Map<string, { bytes: Buffer; rules: number[]; at: number }[]>();
  for (const kw of keywords) {
    const at = anchorStart(kw.bytes);
    pushTo(byStart, kw.bytes.toString('latin1', at, at + ANCHOR_MIN), { ...kw, at });
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

interface Keyword {
  /** The whole keyword. */
  bytes: Buffer;
  /** Where its anchor starts inside it. */
  at: number;
  /** The keyword's bytes outside its anchor, as (offset in the keyword, byte) pairs: what is left to compare after the anchor is found. */
  rest: number[];
  /** Indexes of the rules that list it. */
  rules: number[];
}

/**
 * The windows one keyword's hits call for, merged as the hits are found (in
 * increasing order, since the buffer is searched from start to end): flat
 * [start, end, start, end, …] pairs, not yet stretched.
 */
type KeywordWindows = number[];

export class Detector {
  readonly rules: readonly Rule[];
  /**
   * Bytes the last scan walked beyond the keyword search: window stretches,
   * regex windows, and the text counted for lines and columns. Tests check it
   * grows with the input's size, never with the number of keywords or matches
   * in it (the difference between linear and quadratic time, without a clock).
   */
  work = 0;
  /** Keywords grouped by anchor. */
  private readonly anchors: { needle: Buffer; keywords: Keyword[] }[];
  /** Every anchor found in one pass: the rules' (in `anchors` order), then the decoders' (FIXED_ANCHORS, after them). */
  private readonly prefilter: Prefilter;

  constructor(rules: readonly Rule[]) {
    this.rules = rules;
    const byKeyword = new Map<string, number[]>();
    rules.forEach((rule, i) => {
      for (const kw of new Set(rule.keywords)) {
        const list = byKeyword.get(kw) ?? [];
        list.push(i);
        byKeyword.set(kw, list);
      }
    });
    this.anchors = anchorGroups([...byKeyword].map(([kw, rules]) => ({ bytes: Buffer.from(kw, 'utf8'), rules })));
    this.prefilter = new Prefilter([...this.anchors.map((a) => a.needle), ...FIXED_ANCHORS]);
  }

  /** The places of a decoder's anchor (its index in FIXED_ANCHORS). */
  private fixed(hits: Hits, i: number): readonly number[] {
    return hits?.[this.anchors.length + i] ?? NONE;
  }

  scan(input: Uint8Array): Match[] {
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.work = 0;
    const hits = this.prefilter.find(buf);
    if (hits === null) return [];
    // Keys found by decoding sit at their encoded run: all are located once, in this buffer.
    const all = [...this.plain(buf, hits), ...this.decoded(buf, 0, hits)];
    if (all.length === 0) return all;
    all.sort((a, b) => a.offset - b.offset || compareText(a.ruleId, b.ruleId));
    this.work += locate(buf, all);
    return all;
  }

  /**
   * Keys encoded: in base64 runs, hex runs and escaped text. A run is decoded
   * only where the prefilter found the anchor of one of the forms `sk_` takes
   * in base64 (one per byte alignment), in hex, or an escaped `_`: a buffer
   * without them costs nothing here. Nested base64 is decoded once more
   * (depth 2).
   */
  private decoded(buf: Buffer, depth: number, hits: Hits): Match[] {
    if (depth >= MAX_DEPTH || hits === null) return [];
    const out: Match[] = [];
    const seen = new Set<number>();
    // Each form by a 3-byte anchor that starts at its rarest byte, then compared whole.
    const tryForms = (found: number, forms: Base64Form[]) => {
      for (const { needle, groupOffset, at } of forms) this.decodeAt(buf, found - at, needle, groupOffset, depth, seen, out);
    };
    PLAIN_ANCHORS.forEach(({ forms }, i) => this.fixed(hits, i).forEach((found) => tryForms(found, forms)));
    // Base64 inside base64 is looked for where it is kept: a Kubernetes Secret (its dockerconfigjson holds
    // base64 of JSON whose `auth` is base64). Its nine forms are searched there alone, not in every file.
    if (depth === 0 && this.fixed(hits, SECRET_AT).length > 0) {
      for (const { anchor, forms } of NESTED_ANCHORS) {
        for (let found = buf.indexOf(anchor); found !== -1; found = buf.indexOf(anchor, found + 1)) tryForms(found, forms);
      }
    }
    // Hex: `sk_` is 736b5f (or 736B5F), which plain text almost never holds.
    for (const hit of this.fixed(hits, HEX_AT)) {
      if (isHexTail(buf, hit + HEX_SK.length)) this.decodeHexAt(buf, hit, depth, seen, out);
    }
    // Escapes: `_` written %5F in a URL, or \u005f in a JSON string, splits a key for the plain search.
    if (depth === 0) {
      // One anchor per escape, its common part (`%5`, `\u005`); the last digit, either case, is compared after.
      ESCAPES.forEach((escape, e) => {
        const last = escape.needle.length;
        for (const hit of this.fixed(hits, ESCAPES_AT + e)) {
          if (buf[hit + last] === 0x46 || buf[hit + last] === 0x66) this.unescapeAt(buf, hit, escape, seen, out);
        }
      });
    }
    return out;
  }

  /** The token around an escaped `_` at `hit`, unescaped and scanned (once per token); keys written plainly in it are the plain search's. */
  private unescapeAt(buf: Buffer, hit: number, escape: Escape, seen: Set<number>, out: Match[]): void {
    let start = hit;
    while (start > 0 && hit - start < MAX_ESCAPED && escape.token[buf[start - 1] as number]) start--;
    let end = hit;
    while (end < buf.length && end - hit < MAX_ESCAPED && escape.token[buf[end] as number]) end++;
    if (seen.has(start)) return;
    seen.add(start);
    const raw = buf.toString('latin1', start, end);
    const inner = Buffer.from(escape.decode(raw), 'utf8');
    this.work += end - start;
    for (const m of this.plain(inner, this.prefilter.find(inner))) {
      if (raw.includes(m.secret)) continue;
      out.push({ ...m, offset: start, line: 0, column: 0, allow: undefined, encoding: escape.name });
    }
  }

  /** The hex run around `hit`, decoded from the byte boundary that keeps `hit` on one, and scanned (once per run). */
  private decodeHexAt(buf: Buffer, hit: number, depth: number, seen: Set<number>, out: Match[]): void {
    let first = hit;
    while (first > 0 && hit - first < MAX_RUN && HEX[buf[first - 1] as number]) first--;
    const start = first + ((hit - first) % 2);
    let end = hit;
    while (end < buf.length && end - start < MAX_RUN && HEX[buf[end] as number]) end++;
    if (end - start < MIN_HEX_RUN || seen.has(start)) return;
    seen.add(start);
    const inner = Buffer.from(buf.toString('latin1', start, end - ((end - start) % 2)), 'hex');
    this.work += end - start;
    for (const m of this.inside(inner, depth)) {
      out.push({ ...m, offset: start, line: 0, column: 0, allow: undefined, encoding: m.encoding ? `hex/${m.encoding}` : 'hex' });
    }
  }

  /** The run of the form `needle` found at `hit`, decoded and scanned (once per run). */
  private decodeAt(buf: Buffer, hit: number, needle: Buffer, groupOffset: number, depth: number, seen: Set<number>, out: Match[]): void {
    if (hit < 0 || buf.compare(needle, 0, needle.length, hit, hit + needle.length) !== 0) return;
    const run = base64Run(buf, hit, groupOffset);
    if (run === null || seen.has(run.start)) return;
    seen.add(run.start);
    const inner = Buffer.from(buf.toString('latin1', run.start, run.end), 'base64');
    this.work += run.end - run.start;
    for (const m of this.inside(inner, depth)) {
      out.push({ ...m, offset: run.start, line: 0, column: 0, allow: undefined, encoding: m.encoding ? `base64/${m.encoding}` : 'base64' });
    }
  }

  /** Keys in decoded bytes found at `depth`: written plainly there, or encoded once more. */
  private inside(inner: Buffer, depth: number): Match[] {
    const hits = this.prefilter.find(inner);
    return [...this.plain(inner, hits), ...this.decoded(inner, depth + 1, hits)];
  }

  /** Keys as they are written (not yet located). */
  private plain(buf: Buffer, hits: Hits): Match[] {
    if (hits === null) return [];
    // Allocated on the first keyword hit: most buffers have none.
    let perRule: KeywordWindows[][] | null = null;
    for (const [a, { keywords }] of this.anchors.entries()) {
      const places = hits[a];
      if (places === undefined) continue;
      const found = keywordWindows(buf, places, keywords);
      if (found === null) continue;
      perRule ??= this.rules.map(() => []);
      found.forEach((list, k) => {
        if (list.length > 0) for (const r of (keywords[k] as Keyword).rules) perRule?.[r]?.push(list);
      });
    }
    if (perRule === null) return [];

    const matches: Match[] = [];
    for (const [i, rule] of this.rules.entries()) {
      const lists = perRule[i];
      if (!lists || lists.length === 0) continue;
      const stretch = { steps: 0 };
      const spans = windows(buf, lists, stretch);
      this.work += stretch.steps;
      for (const [start, end] of spans) this.work += end - start;
      this.scanWindows(buf, rule, spans, matches);
    }
    return matches;
  }

  private scanWindows(buf: Buffer, rule: Rule, spans: [number, number][], out: Match[]): void {
    for (const [start, end] of spans) {
      const text = buf.toString('latin1', start, end);
      for (let m = rule.pattern.next(text, 0); m !== null; m = m.end <= text.length ? rule.pattern.next(text, m.end) : null) {
        const span = m.secret;
        if (!span) continue;
        const offset = start + span[0];
        const secret = buf.toString('utf8', offset, start + span[1]);
        const environment = m.env ? text.slice(m.env[0], m.env[1]) : null;
        // What a report may show: only what the rule's `public` group marks, starting where the secret starts.
        const prefixLength = m.public && m.public[0] === span[0] ? m.public[1] - m.public[0] : 0;
        // What the filters judge: the body after the environment tag, or after a prefix of lower-case words.
        const bodyStart = m.env ? m.env[1] - span[0] + 1 : (PREFIX.exec(secret)?.[0].length ?? 0);
        const body = secret.slice(Math.max(0, Math.min(bodyStart, secret.length - 8)));
        if (placeholderReason(body) !== null) continue;
        if (shannonEntropy(body) < rule.minEntropy) continue;
        out.push({ ruleId: rule.id, secret, prefixLength, environment, offset, line: 0, column: 0 });
      }
    }
  }
}

/** Base64 inside base64 is decoded; deeper is not. */
const MAX_DEPTH = 2;
/** A base64 run shorter than this holds no key; one longer than this is not decoded. */
const MIN_RUN = 24;
const MAX_RUN = 1 << 20;

/**
 * `sk_` in base64, one form per byte alignment: the characters fixed whatever
 * surrounds it, and where they sit in their 4-character group. (`c2tf` at a
 * group's start; `NrX2`/`NrX3` from its third character, `_l`/`_t` telling
 * which follows; `za19` from its fourth.)
 */
const BASE64_FORMS = [
  ['c2tf', 0],
  ['NrX2', 2],
  ['NrX3', 2],
  ['za19', 3],
].map(([needle, groupOffset]) => form(needle as string, groupOffset as number));

interface Base64Form {
  needle: Buffer;
  groupOffset: number;
  /** Where its anchor starts inside it. */
  at: number;
  anchor: string;
}

/** A base64 form with its search anchor: three bytes from its rarest one. */
function form(needle: string, groupOffset: number): Base64Form {
  const bytes = Buffer.from(needle);
  let at = 0;
  for (let i = 1; i + 3 <= bytes.length; i++) if (commonness(bytes[i] ?? 0) < commonness(bytes[at] ?? 0)) at = i;
  return { needle: bytes, groupOffset, at, anchor: needle.slice(at, at + 3) };
}

/** Forms grouped by anchor: one anchor for forms that share their rarest three bytes (`NrX2` and `NrX3` share `NrX`). */
function byAnchor(forms: Base64Form[]): { anchor: Buffer; forms: Base64Form[] }[] {
  const groups = new Map<string, Base64Form[]>();
  for (const f of forms) pushTo(groups, f.anchor, f);
  return [...groups].map(([anchor, list]) => ({ anchor: Buffer.from(anchor, 'latin1'), forms: list }));
}

/**
 * The same forms in base64 once more, for base64 inside base64 (a Kubernetes
 * dockerconfigjson Secret holds base64 of JSON whose `auth` is base64): each
 * found form's run is decoded, and the decoded text searched for the forms above.
 */
const NESTED_FORMS = [
  ['YzJ0Z', 0],
  ['MydG', 2],
  ['jMnRm', 3],
  ['TnJYM', 0],
  ['5yWD', 2],
  ['Oclg', 3],
  ['emExO', 0],
  ['phMT', 2],
  ['6YTE5', 3],
].map(([needle, groupOffset]) => form(needle as string, groupOffset as number));

const PLAIN_ANCHORS = byAnchor(BASE64_FORMS);
const NESTED_ANCHORS = byAnchor(NESTED_FORMS);
/** Where nested base64 is looked for: a Kubernetes Secret manifest. */
const SECRET_KIND = Buffer.from('Secret');

/** How far either side of an escaped `_` a token is taken. */
const MAX_ESCAPED = 512;

interface Escape {
  name: string;
  /** The escape of `_` without its last hex digit, F or f. */
  needle: Buffer;
  /** Bytes that may be part of the escaped token. */
  token: Uint8Array;
  decode(raw: string): string;
}

function tokenBytes(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const ESCAPES: Escape[] = [
  {
    name: 'percent',
    needle: Buffer.from('%5'),
    token: tokenBytes(`${ALNUM}%._~-`),
    decode: (raw) => raw.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
  },
  {
    name: 'json-escape',
    needle: Buffer.from('\\u005'),
    token: tokenBytes(`${ALNUM}_\\`),
    decode: (raw) => raw.replace(/\\u([0-9A-Fa-f]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
  },
];

/** `sk_` in hex is 736b5f, either case: one search for `736`, then the rest compared. A key in hex is at least 48 digits long. */
const HEX_SK = Buffer.from('736');

/** The decoders' anchors, found in the same pass as the rules': base64 forms of `sk_`, a Secret manifest, hex, escapes. */
const FIXED_ANCHORS = [...PLAIN_ANCHORS.map((a) => a.anchor), SECRET_KIND, HEX_SK, ...ESCAPES.map((e) => e.needle)];
const SECRET_AT = PLAIN_ANCHORS.length;
const HEX_AT = SECRET_AT + 1;
const ESCAPES_AT = HEX_AT + 1;

function isHexTail(buf: Buffer, at: number): boolean {
  return (buf[at] === 0x62 || buf[at] === 0x42) && buf[at + 1] === 0x35 && (buf[at + 2] === 0x66 || buf[at + 2] === 0x46);
}

const MIN_HEX_RUN = 48;
const HEX = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF') HEX[ch.charCodeAt(0)] = 1;

const BASE64 = new Uint8Array(256);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_') BASE64[ch.charCodeAt(0)] = 1;

/**
 * The base64 run around a form found at `hit`, from the first group boundary
 * that keeps the form aligned (`=` only ends a run, so `KEY=c2tf…` starts after
 * it) to its padding; null when too short or too long to be worth decoding.
 */
function base64Run(buf: Buffer, hit: number, groupOffset: number): { start: number; end: number } | null {
  let first = hit;
  while (first > 0 && hit - first < MAX_RUN && BASE64[buf[first - 1] as number]) first--;
  const groupStart = hit - groupOffset;
  if (groupStart < first) return null;
  const start = first + ((((groupStart - first) % 4) + 4) % 4);
  let end = hit;
  while (end < buf.length && end - start < MAX_RUN && BASE64[buf[end] as number]) end++;
  while (end < buf.length && buf[end] === 0x3d && end - start < MAX_RUN) end++;
  return end - start >= MIN_RUN && end - start < MAX_RUN ? { start, end } : null;
}

/** Whether the whole keyword is at `start` (its anchor is known to be there). */
function keywordAt(buf: Buffer, kw: Keyword, start: number): boolean {
  if (start < 0 || start + kw.bytes.length > buf.length) return false;
  const { rest } = kw;
  for (let i = 0; i < rest.length; i += 2) if (buf[start + (rest[i] as number)] !== rest[i + 1]) return false;
  return true;
}

/** For each keyword of one anchor, the windows the anchor's places (`hits`) call for; null when there is none. */
function keywordWindows(buf: Buffer, hits: number[], keywords: Keyword[]): KeywordWindows[] | null {
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

/**
 * Sorted, disjoint [start, end) windows for one rule. Each merged window is
 * stretched once (so that it never cuts a token in two), never back past the
 * window before it: input made of nothing but keywords costs time in
 * proportion to its size, not to its size times the stretch.
 */
function windows(buf: Buffer, lists: KeywordWindows[], stretch: { steps: number }): [number, number][] {
  const raw: [number, number][] = [];
  for (const list of lists) for (let i = 0; i < list.length; i += 2) raw.push([list[i] as number, list[i + 1] as number]);
  // Several keywords' windows interleave; one keyword's are already in order and apart.
  if (lists.length > 1) raw.sort((a, b) => a[0] - b[0]);
  const forward = (at: number) => {
    const to = stretchForward(buf, at);
    stretch.steps += to - at;
    return to;
  };
  const out: [number, number][] = [];
  for (const [start, end] of raw) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) {
      last[1] = Math.max(last[1], forward(Math.max(end, last[1])));
      continue;
    }
    const from = stretchBack(buf, start, last ? last[1] : 0);
    stretch.steps += start - from;
    if (last && from <= last[1]) last[1] = Math.max(last[1], forward(end));
    else out.push([from, forward(end)]);
  }
  return out;
}

function stretchBack(buf: Buffer, at: number, floor: number): number {
  const limit = Math.max(floor, at - MAX_STRETCH);
  while (at > limit && TOKEN[buf[at - 1] ?? 0]) at--;
  return at;
}

function stretchForward(buf: Buffer, at: number): number {
  const ceil = Math.min(buf.length, at + MAX_STRETCH);
  while (at < ceil && TOKEN[buf[at] ?? 0]) at++;
  return at;
}

/** Fill in line, column and allow comments for matches sorted by offset, walking the buffer once; the bytes walked. */
function locate(buf: Buffer, matches: Match[]): number {
  const lines = new LineCursor(buf);
  let allowLine = -1;
  let allow: Match['allow'];
  for (const m of matches) {
    const { line, column, lineStart, lineEnd } = lines.at(m.offset);
    m.line = line;
    m.column = column;
    // Each line is searched for the allow mark once, however many matches it holds.
    if (line !== allowLine) {
      allowLine = line;
      allow = allowOn(buf, lineStart, lineEnd);
    }
    if (allow) m.allow = allow;
  }
  return lines.walked;
}

function allowOn(buf: Buffer, lineStart: number, lineEnd: number): Match['allow'] {
  // Searched in the line only: a search to the end of the buffer would cost the whole rest of it per line.
  const mark = buf.subarray(lineStart, lineEnd).indexOf(ALLOW_MARK);
  if (mark === -1) return undefined;
  const after = buf.toString('utf8', lineStart + mark + ALLOW_MARK.length, lineEnd);
  const reason = /^\s*--\s*(.*?)\s*(?:\*\/|-->)?\s*$/.exec(after)?.[1];
  return { reason: reason ? reason : null };
}
