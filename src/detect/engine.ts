/**
 * The detection engine. It sees bytes and nothing else: no paths, no commits.
 *
 * 1. Prefilter: one pass over the whole buffer finds every anchor (./prefilter.ts):
 *    the rules' keywords (./anchors.ts), and the forms those keywords take in
 *    base64, hex and escapes (./decode/).
 * 2. Around each keyword hit, a bounded window (stretched so it never cuts a token in
 *    two, ./windows.ts) is decoded as latin1 (one byte, one character) and the rule's
 *    regex runs there. The window bounds the cost of any regex, however badly written.
 * 3. Each match passes the placeholder and entropy filters.
 * 4. Where an encoded form was found, the run around it is decoded and searched the
 *    same way, by every rule (base64 inside base64 once more).
 * 5. Only then are line and column worked out, and the line checked for
 *    `sk-scan:allow` (./locate.ts).
 */
import { createHash } from 'node:crypto';
import { compareText } from '../common/group.js';
import { anchorGroups, keywordWindows, WINDOW, type AnchorGroup, type Keyword, type KeywordWindows } from './anchors.js';
import { base64Decoder } from './decode/base64.js';
import { keywordBytes, type Decoder } from './decode/decoder.js';
import { escapeDecoders } from './decode/escape.js';
import { hexDecoder } from './decode/hex.js';
import { quotedPrintableDecoder } from './decode/quoted.js';
import { compressedDecoder } from './decode/compressed.js';
import { pdfDecoder } from './decode/pdf.js';
import { placeholderReason, shannonEntropy } from './filters.js';
import { locate } from './locate.js';
import { anchorsKey, knownPlan } from './bucket-cache.js';
import { Prefilter, type Hits, type PrefilterPlan } from './prefilter.js';
import type { Rule } from './rule.js';
import { windows } from './windows.js';
import { endsCleanly, recordedLength, unglued } from './binary.js';

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
  /** sk-scan is not sure it has the whole key: it ends where what was searched was cut (wrapped lines that could not be joined), or in binary content where nothing shows its end. Never verified, never made less severe. */
  partial?: true;
  /** The key was found by decoding: the chain of encodings (`base64`, `base64/base64`, `base64/gzip`, `hex`, `percent`, `quoted-printable`, `pdf-flate`, …). `offset` is then the encoded run's. */
  encoding?: string;
}

/** A key's identity after detection: the hex SHA-256 of the full secret, the same wherever the key is found. */
export function sha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const NONE: readonly number[] = [];

/** What the plain search skips of a secret's start before judging its body: a prefix of lower-case words (`sk_live_`). */
const PREFIX = /^(?:[a-z]{2,}_)+/;

/** Base64 inside base64 is decoded; deeper is not. */
const MAX_DEPTH = 2;

/** The encodings the engine decodes for a set of rules, each with its anchors, derived from the rules' keywords. */
export function decodersFor(rules: readonly { keywords: readonly string[] }[]): Decoder[] {
  const keywords = keywordBytes(rules);
  return [base64Decoder(keywords), hexDecoder(keywords), ...escapeDecoders(keywords), quotedPrintableDecoder(), compressedDecoder(), pdfDecoder()].filter((d): d is Decoder => d !== null);
}

export class Detector {
  readonly rules: readonly Rule[];
  /**
   * Bytes the last scan walked beyond the keyword search: window stretches,
   * regex windows, decoded runs, and the text counted for lines and columns.
   * Tests check it grows with the input's size, never with the number of
   * keywords or matches in it (the difference between linear and quadratic
   * time, without a clock).
   */
  work = 0;
  /**
   * What the last scan found and did not search: compressed payloads over
   * the inflating budgets (decode/inflate.ts), at the line their encoded run
   * starts. The item is then not wholly read.
   */
  unread: { line: number; message: string }[] = [];
  /** Keywords grouped by anchor. */
  private readonly anchors: AnchorGroup[];
  /** The decoders, and where each one's anchors start among the prefilter's (after the keywords'). */
  private readonly decoders: { decoder: Decoder; first: number }[];
  /** Every anchor found in one pass: the keywords' (in `anchors` order), then each decoder's. */
  private readonly prefilter: Prefilter;
  private readonly prefilterAnchors: Buffer[];
  /** Where the prefilter's list of long base64 runs is among its hits (after every anchor's). */
  private readonly runsAt: number;

  /** `decode: false`: keys are searched for only as written (for measuring what decoding costs: a scan without it misses encoded keys). */
  constructor(rules: readonly Rule[], opts: { decode?: boolean } = {}) {
    this.rules = rules;
    this.anchors = anchorGroups(rules);
    let next = this.anchors.length;
    this.decoders = (opts.decode === false ? [] : decodersFor(rules)).map((decoder) => {
      const at = { decoder, first: next };
      next += decoder.anchors.length;
      return at;
    });
    const anchors = [...this.anchors.map((a) => a.needle), ...this.decoders.flatMap(({ decoder }) => decoder.anchors)];
    this.runsAt = anchors.length;
    this.prefilter = new Prefilter(anchors, { plan: knownPlan(anchors), base64Runs: this.decoders.some(({ decoder }) => decoder.base64Runs) });
    this.prefilterAnchors = anchors;
  }

  /** The prefilters' anchors and plans (this one's, and the decoders' own), for the build to keep (./bucket-cache.ts). */
  get prefilterPlans(): ({ anchors: string } & PrefilterPlan)[] {
    const inner = this.decoders.flatMap(({ decoder }) => decoder.inner?.() ?? []);
    return [{ anchors: this.prefilterAnchors, plan: this.prefilter.plan }, ...inner].map(({ anchors, plan }) => ({ anchors: anchorsKey(anchors), ...plan }));
  }

  /**
   * How far from a range a match's evidence can start: a keyword, an encoded
   * form (which may cross a line break and the indentation after it), with
   * room to spare. The window a keyword's regex searches is larger, but it
   * is searched only where the keyword is.
   */
  get reach(): number {
    return Math.max(0, ...this.prefilterAnchors.map((a) => a.length), ...this.rules.flatMap((r) => r.keywords.map((k) => Buffer.byteLength(k)))) + WINDOW;
  }

  /**
   * Whether `scan` could find anything in `buf`: a rule's whole keyword, any
   * of a decoder's anchors (an encoded form of a keyword, a payload's start:
   * not checked further, since whether one decodes can depend on lines far
   * from it, as in wrapped base64), or a long base64 run holding an encoded
   * form (checked: a run's content is the run's own). False means `scan`
   * finds nothing, and says nothing unread. Cheaper than `scan`: no regex, no
   * search of decoded bytes.
   */
  mayFind(buf: Buffer): boolean {
    const hits = this.prefilter.find(buf);
    if (hits === null) return false;
    for (const [a, { keywords }] of this.anchors.entries()) {
      const places = hits[a];
      if (places !== undefined && keywordWindows(buf, places, keywords) !== null) return true;
    }
    for (const { decoder, first } of this.decoders) {
      if (anyHit(hits, first, decoder.anchors.length)) return true;
    }
    // Only long runs are left: a run holds evidence when base64 of a keyword's form is in it.
    for (const { decoder, first } of this.decoders) {
      const places = this.placesFor(hits, decoder, first);
      if (places !== null && decoder.runs(buf, places, 0).length > 0) return true;
    }
    return false;
  }

  /** `binary`: the bytes are binary content (./binary.ts): keys may be glued to the fields around them. */
  scan(input: Uint8Array, opts: { binary?: boolean } = {}): Match[] {
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.work = 0;
    this.unread = [];
    const hits = this.prefilter.find(buf);
    if (hits === null) return [];
    // Keys found by decoding sit at their encoded run: all are located once, in this buffer.
    const plain = this.plain(buf, hits, opts.binary === true);
    const notRead: { offset: number; message: string }[] = [];
    const all = [...plain, ...this.decoded(buf, 0, hits, plain, (at, message) => notRead.push({ offset: at, message }))];
    if (notRead.length > 0) {
      const places = notRead.map((n) => ({ ...n, line: 0, column: 0 })).sort((a, b) => a.offset - b.offset);
      locate(buf, places);
      this.unread = places.map(({ line, message }) => ({ line, message }));
    }
    if (all.length === 0) return all;
    all.sort((a, b) => a.offset - b.offset || compareText(a.ruleId, b.ruleId));
    this.work += locate(buf, all);
    return all;
  }

  /**
   * Keys encoded: each decoder's runs (found where the prefilter met one of its
   * anchors) decoded and searched by every rule; base64 and hex once more
   * inside (depth 2). A key the plain search of `buf` already found inside a
   * run (`plain`) is the plain search's.
   */
  private decoded(buf: Buffer, depth: number, hits: Hits, plain: Match[], notRead: (at: number, message: string) => void): Match[] {
    if (depth >= MAX_DEPTH || hits === null) return [];
    const out: Match[] = [];
    for (const { decoder, first } of this.decoders) {
      // Most buffers hold none of a decoder's anchors: it is not asked.
      const places = this.placesFor(hits, decoder, first);
      if (places === null) continue;
      for (const run of decoder.runs(buf, places, depth, notRead)) {
        this.work += run.end - run.start;
        const inner = this.prefilter.find(run.bytes);
        const innerPlain = this.plain(run.bytes, inner);
        // What is not read inside a run is reported where the run starts.
        const found = decoder.nests ? [...innerPlain, ...this.decoded(run.bytes, depth + 1, inner, innerPlain, (_, message) => notRead(run.start, message))] : innerPlain;
        for (const m of found) {
          if (plain.some((p) => p.secret === m.secret && p.offset >= run.start && p.offset < run.end)) continue;
          // A key that ends where a run that may go on was cut could be longer than what was decoded.
          const partial = m.partial || (run.cut === true && m.offset + Buffer.byteLength(m.secret) >= run.bytes.length - 2);
          out.push({ ...m, offset: run.start, line: 0, column: 0, allow: undefined, encoding: m.encoding ? `${run.name ?? decoder.name}/${m.encoding}` : (run.name ?? decoder.name), ...(partial ? { partial: true as const } : {}) });
        }
      }
    }
    return out;
  }

  /** Where a decoder's anchors are (Decoder.runs's `places`), or null when none of them is, nor a long base64 run it asks for. */
  private placesFor(hits: NonNullable<Hits>, decoder: Decoder, first: number): ((anchor: number) => readonly number[]) | null {
    const runs = decoder.base64Runs === true && hits[this.runsAt] !== undefined;
    if (!runs && !anyHit(hits, first, decoder.anchors.length)) return null;
    return (i: number) => (i === decoder.anchors.length ? (runs ? hits[this.runsAt] : undefined) : hits[first + i]) ?? NONE;
  }

  /** Keys as they are written (not yet located). */
  private plain(buf: Buffer, hits: Hits, binary = false): Match[] {
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
      scanWindows(buf, rule, spans, matches, binary);
    }
    return matches;
  }
}

/** Whether any of `count` anchors from `first` on was found. */
function anyHit(hits: NonNullable<Hits>, first: number, count: number): boolean {
  for (let i = first; i < first + count; i++) if (hits[i] !== undefined) return true;
  return false;
}

/** The rule's regex over each window, and the filters over each match. */
function scanWindows(buf: Buffer, rule: Rule, spans: [number, number][], out: Match[], binary: boolean): void {
  for (const [start, end] of spans) {
    const read = buf.toString('latin1', start, end);
    const text = binary ? unglued(read, rule.keywords) : read;
    for (let m = rule.pattern.next(text, 0); m !== null; m = m.end <= text.length ? rule.pattern.next(text, m.end) : null) {
      const span = m.secret;
      if (!span) continue;
      const offset = start + span[0];
      let secretEnd = start + span[1];
      let partial = false;
      if (binary) {
        // A length the format recorded decides where the key ends; else it is whole where a length byte before it
        // (protobuf, many records) agrees, or where its end shows.
        const length = recordedLength(buf, offset);
        if (length !== null && length >= 16 && length < secretEnd - offset) secretEnd = offset + length;
        else if (length !== secretEnd - offset && buf[offset - 1] !== secretEnd - offset && !endsCleanly(buf, secretEnd)) partial = true;
      }
      const secret = buf.toString('utf8', offset, secretEnd);
      const environment = m.env ? text.slice(m.env[0], m.env[1]) : null;
      // What a report may show: only what the rule's `public` group marks, starting where the secret starts.
      const prefixLength = m.public && m.public[0] === span[0] ? m.public[1] - m.public[0] : 0;
      // What the filters judge: the body after the environment tag, or after a prefix of lower-case words.
      const bodyStart = m.env ? m.env[1] - span[0] + 1 : (PREFIX.exec(secret)?.[0].length ?? 0);
      const body = secret.slice(Math.max(0, Math.min(bodyStart, secret.length - 8)));
      if (placeholderReason(body) !== null) continue;
      if (shannonEntropy(body) < rule.minEntropy) continue;
      out.push({ ruleId: rule.id, secret, prefixLength, environment, offset, line: 0, column: 0, ...(partial ? { partial: true as const } : {}) });
    }
  }
}
