/**
 * Base64. A keyword in base64 has three forms, one for each place its first
 * byte can take in a 3-byte group; each form is the characters the keyword's
 * bytes alone decide (`sk_` is `c2tf` from a group's start, `NrX` from its
 * third character, `za1` from its fourth). Forms are found by their first
 * three characters; the run around a form is decoded from the group boundary
 * that keeps the form aligned.
 *
 * Base64 inside base64 (a Kubernetes dockerconfigjson Secret holds base64 of
 * JSON whose `auth` is base64; a Helm value or CI variable may be encoded
 * twice) is looked for inside long base64 runs, which the prefilter finds in
 * its one pass: there the forms' own base64 forms are searched, and the outer
 * run decoded; the engine finds the inner one in it. The forms of forms are
 * many, and only long runs (47 characters or more) can hold a key encoded
 * twice, so they are not anchors of the whole text.
 */
import { pushTo } from '../../common/group.js';
import type { Decoder, Run } from './decoder.js';
import { byteSet } from './decoder.js';
import { Prefilter, commonness, type PrefilterPlan } from '../prefilter.js';
import { knownPlan } from '../bucket-cache.js';
import { countAtMost } from '../../common/sorted.js';
import { continuesOnNextLine, wrappedBlock, type Joined } from './wrapped.js';

/** A base64 run shorter than this holds no key; one longer than this is not decoded. */
const MIN_RUN = 24;
const MAX_RUN = 1 << 20;
/** The length of a form's anchor, and the shortest form worth looking for. */
const ANCHOR = 3;

const BASE64 = byteSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_');

interface Form {
  needle: Buffer;
  /** For a form found by a later anchor: where in it that anchor starts. */
  tailAt?: number;
  /** Where the form's first character sits in its 4-character group. */
  groupOffset: number;
}

/** Forms that share their first three characters, found by them. */
interface FormGroup {
  anchor: Buffer;
  forms: Form[];
}

/** The forms `bytes` takes in base64: for each alignment, the characters its bits alone decide (none shorter than an anchor). */
export function base64Forms(bytes: Buffer): Form[] {
  const forms: Form[] = [];
  for (let align = 0; align < 3; align++) {
    const encoded = Buffer.concat([Buffer.alloc(align), bytes]).toString('base64');
    // Character i holds bits [6i, 6i + 6); the bytes hold bits [8 align, 8 (align + length)).
    const first = Math.ceil((8 * align) / 6);
    const end = Math.floor((8 * (align + bytes.length)) / 6);
    if (end - first >= ANCHOR) forms.push({ needle: Buffer.from(encoded.slice(first, end), 'latin1'), groupOffset: first % 4 });
  }
  return forms;
}

/**
 * Where a form's second anchor starts: the three characters clear of its first
 * three (a line break there leaves these whole) whose bytes are rarest in text,
 * so the prefilter lets the fewest other places through.
 */
function rarestTrigram(needle: Buffer): number {
  let best = ANCHOR;
  let bestScore = Infinity;
  for (let p = ANCHOR; p + ANCHOR <= needle.length; p++) {
    const score = commonness(needle[p] as number) + commonness(needle[p + 1] as number) + commonness(needle[p + 2] as number);
    if (score < bestScore) [best, bestScore] = [p, score];
  }
  return best;
}

/** Forms grouped by their first three characters, each form once. */
function grouped(forms: Form[]): FormGroup[] {
  return groupedBy(forms, (f) => f.needle.toString('latin1', 0, ANCHOR));
}

/** Forms grouped by the anchor that finds them, each form once. */
function groupedBy(forms: Form[], anchorOf: (f: Form) => string): FormGroup[] {
  const groups = new Map<string, Form[]>();
  const seen = new Set<string>();
  for (const f of forms) {
    const id = `${f.groupOffset}:${f.needle.toString('latin1')}`;
    if (seen.has(id)) continue;
    seen.add(id);
    pushTo(groups, anchorOf(f), f);
  }
  return [...groups].map(([anchor, list]) => ({ anchor: Buffer.from(anchor, 'latin1'), forms: list }));
}

/**
 * The base64 run around a form found at `hit`, from the first group boundary
 * that keeps the form aligned (`=` only ends a run, so `KEY=c2tf…` starts after
 * it) to its padding; null when too short or too long to be worth decoding.
 * `cut`: the run stopped at a line break before more base64 that could not be
 * joined to it, so it may go on there.
 */
function base64Run(buf: Buffer, hit: number, groupOffset: number, [first, chars]: [number, number] = spanAt(buf, hit)): { start: number; end: number; cut: boolean } | null {
  // The span stopped at its limit, not at the run's edge: a run that long is not decoded.
  if ((first > 0 && BASE64[buf[first - 1] as number]) || (chars < buf.length && BASE64[buf[chars] as number])) return null;
  const groupStart = hit - groupOffset;
  if (groupStart < first) return null;
  const start = first + ((((groupStart - first) % 4) + 4) % 4);
  let end = chars;
  while (end < buf.length && buf[end] === 0x3d && end - start < MAX_RUN) end++;
  if (end - start < MIN_RUN || end - start >= MAX_RUN) return null;
  return { start, end, cut: continuesOnNextLine(buf, end, BASE64) };
}

/** The shortest run base64 inside base64 can be: base64 of a run of MIN_RUN characters. */
const NESTED_MIN = Math.ceil(MIN_RUN / 3) * 4;

/** Where the runs are copied to be searched in one pass: kept from one buffer to the next, grown as needed. */
let runBytes = Buffer.alloc(0);

/**
 * The long base64 runs worth searching for base64 inside base64, from the
 * prefilter's start and end pairs (ascending), copied into one buffer, each
 * followed by a space (no form spans two), with where each starts in it.
 */
function joinRuns(buf: Buffer, pairs: readonly number[]): { spans: [number, number][]; joined: Buffer; starts: number[] } {
  const spans: [number, number][] = [];
  let size = 0;
  for (let k = 0; k + 1 < pairs.length; k += 2) {
    const first = pairs[k] as number;
    const end = pairs[k + 1] as number;
    // A run longer than any decoded one is not searched, nor one too short to be base64 of a run.
    if (end - first >= MAX_RUN || end - first < NESTED_MIN) continue;
    spans.push([first, end]);
    size += end - first + 1;
  }
  if (runBytes.length < size) runBytes = Buffer.allocUnsafe(Math.max(size, 2 * runBytes.length));
  const starts: number[] = [];
  let at = 0;
  for (const [first, end] of spans) {
    starts.push(at);
    at += buf.copy(runBytes, at, first, end);
    runBytes[at++] = 0x20;
  }
  return { spans, joined: runBytes.subarray(0, at), starts };
}

/**
 * The base64 runs of one buffer, each walked once however many hits fall in
 * it (a megabyte of base64, a wasm module kept as a string, holds hundreds of
 * three-character forms by chance). Asked in the buffer's order, each run
 * found is the last one so far, and goes at the end.
 */
class Spans {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  constructor(private readonly buf: Buffer) {}

  /** `[first, end)`: the whole base64 run around `at` (empty where there is none). Asked in the buffer's order. */
  at(at: number): [number, number] {
    const { starts, ends, buf } = this;
    const lo = countAtMost(starts, at);
    if (lo > 0 && at < (ends[lo - 1] as number)) return [starts[lo - 1] as number, ends[lo - 1] as number];
    let first = at;
    while (first > 0 && BASE64[buf[first - 1] as number]) first--;
    let end = at;
    while (end < buf.length && BASE64[buf[end] as number]) end++;
    if (end > first) {
      starts.splice(lo, 0, first);
      ends.splice(lo, 0, end);
    }
    return [first, end];
  }
}

/** `[first, end)`: the base64 characters around `hit` on its line. */
function spanAt(buf: Buffer, hit: number): [number, number] {
  let first = hit;
  while (first > 0 && hit - first < MAX_RUN && BASE64[buf[first - 1] as number]) first--;
  let end = hit;
  while (end < buf.length && end - first < MAX_RUN && BASE64[buf[end] as number]) end++;
  return [first, end];
}

/**
 * The run holding the form at `hit` (where its first characters are, or with
 * `byTail` its last), decoded. A run whose line is part of wrapped base64 is
 * decoded from the whole block, joined: the form itself may straddle a line
 * break. Blocks are looked for only where a line break is near: most hits are
 * on a line of their own, and cost what they did before. Null when the form
 * is not there or the run is no run.
 */
function runAt(buf: Buffer, hit: number, form: Form, blocks: Joined[], spans: Spans, byTail = false, knownSpan?: [number, number]): Run | null {
  const { needle, groupOffset } = form;
  // A form plus a CRLF: how far a line break inside the form can be from its anchor.
  const reach = needle.length + 2;
  if (byTail) return breakWithin(buf, hit - reach, hit) ? blockRun(buf, hit, form, blocks, spans, form.tailAt ?? 0) : null;
  if (hit + needle.length <= buf.length && buf.compare(needle, 0, needle.length, hit, hit + needle.length) === 0) {
    // The run's characters, scanned once for the three questions asked of them.
    const span = knownSpan ?? spans.at(hit);
    if (touchesBreak(buf, span[0], span[1])) {
      const joined = blockRun(buf, hit, form, blocks, spans, 0, span);
      if (joined !== null) return joined;
    }
    const run = base64Run(buf, hit, groupOffset, span);
    return run === null ? null : { ...run, bytes: decode(buf, run.start, run.end) };
  }
  return breakWithin(buf, hit, hit + reach) ? blockRun(buf, hit, form, blocks, spans, 0) : null;
}

/** The run from the wrapped block around `hit`, the form starting `back` characters before it; null without a block. */
function blockRun(buf: Buffer, hit: number, { needle, groupOffset }: Form, blocks: Joined[], spans: Spans, back: number, span = spans.at(hit)): Run | null {
  const block = blockAt(buf, hit, blocks, span);
  if (block === null) return null;
  const j = block.indexOf(hit) - back;
  if (j < 0 || block.bytes.compare(needle, 0, needle.length, j, j + needle.length) !== 0) return null;
  const run = base64Run(block.bytes, j, groupOffset);
  if (run === null) return null;
  return { start: block.at(run.start), end: block.at(run.end - 1) + 1, bytes: decode(block.bytes, run.start, run.end), cut: run.cut };
}

/** Whether a line break sits in [from, to). */
function breakWithin(buf: Buffer, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < Math.min(to, buf.length); i++) if (buf[i] === 0x0a) return true;
  return false;
}

/** Whether a run [first, end) reaches its line's end, or only indentation comes before it on its line. */
function touchesBreak(buf: Buffer, first: number, end: number): boolean {
  let e = end;
  while (buf[e] === 0x3d && e < end + 2) e++;
  if (e >= buf.length || buf[e] === 0x0a || buf[e] === 0x0d) return true;
  let s = first;
  while (s > 0 && (buf[s - 1] === 0x20 || buf[s - 1] === 0x09)) s--;
  return s === 0 || buf[s - 1] === 0x0a;
}

/** The wrapped block `hit` is in, if any: one already joined for another hit, or joined now (and kept). */
function blockAt(buf: Buffer, hit: number, blocks: Joined[], span: [number, number]): Joined | null {
  const known = blocks.find((b) => hit >= b.from && hit < b.to);
  if (known) return known;
  const [first, end] = span;
  const block = wrappedBlock(buf, first, end, BASE64);
  if (block) blocks.push(block);
  return block;
}

function decode(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.from(buf.toString('latin1', start, end), 'base64');
}

/** The base64 decoder for these keywords; null when none is long enough to have a form. */
export function base64Decoder(keywords: Buffer[]): Decoder | null {
  const plain = grouped(keywords.flatMap(base64Forms));
  if (plain.length === 0) return null;
  // Each form by three later characters too, clear of its first three: in wrapped base64 a line break may fall
  // inside those, and the prefilter sees neither side of a break as an anchor.
  const tails = groupedBy(
    plain.flatMap((g) => g.forms).filter((f) => f.needle.length >= 2 * ANCHOR).map((f) => ({ ...f, tailAt: rarestTrigram(f.needle) })),
    (f) => f.needle.toString('latin1', f.tailAt ?? 0, (f.tailAt ?? 0) + ANCHOR),
  );
  // The nested forms are many (three of each form): made when first needed (the pre-commit hook's start pays
  // nothing for them), and found in one pass of a prefilter of their own.
  let made: { groups: FormGroup[]; finder: Prefilter; anchors: Buffer[] } | null = null;
  const nested = () => {
    if (made === null) {
      const groups = grouped(plain.flatMap((g) => g.forms.flatMap((f) => base64Forms(f.needle))));
      const anchors = groups.map((g) => g.anchor);
      made = { groups, anchors, finder: new Prefilter(anchors, { plan: knownPlan(anchors) }) };
    }
    return made;
  };
  const tailsAt = plain.length;
  const longRunsAt = plain.length + tails.length;
  return {
    name: 'base64',
    anchors: [...plain.map((g) => g.anchor), ...tails.map((g) => g.anchor)],
    nests: true,
    base64Runs: true,
    inner(): { anchors: Buffer[]; plan: PrefilterPlan }[] {
      const { anchors, finder } = nested();
      return [{ anchors, plan: finder.plan }];
    },
    runs(buf, places, depth) {
      const out: Run[] = [];
      const seen = new Set<number>();
      const blocks: Joined[] = [];
      const spans = new Spans(buf);
      const tryForms = (hit: number, forms: Form[], byTail = false, span?: [number, number]) => {
        for (const form of forms) {
          const run = runAt(buf, hit, form, blocks, spans, byTail, span);
          if (run === null || seen.has(run.start)) continue;
          seen.add(run.start);
          out.push(run);
        }
      };
      // The forms' places (their first characters, or their later ones), in the buffer's order: each base64 run
      // they fall in is walked once (Spans).
      const todo: [number, number][] = [];
      plain.forEach((_, i) => places(i).forEach((hit) => todo.push([hit, i])));
      tails.forEach((_, i) => places(tailsAt + i).forEach((hit) => todo.push([hit, tailsAt + i])));
      todo.sort((x, y) => x[0] - y[0]);
      for (const [hit, what] of todo) {
        if (what < tailsAt) tryForms(hit, (plain[what] as FormGroup).forms);
        else tryForms(hit, (tails[what - tailsAt] as FormGroup).forms, true);
      }
      // Base64 inside base64, in the long runs the prefilter found: the forms' own base64 forms are many, and only
      // long runs can hold them. The runs are copied into one buffer and searched in one pass.
      if (depth === 0) {
        const longRuns = places(longRunsAt);
        if (longRuns.length > 0) {
          const { spans, joined, starts } = joinRuns(buf, longRuns);
          if (spans.length > 0) {
            const { groups, finder } = nested();
            finder.find(joined)?.forEach((hits, i) =>
              hits?.forEach((at) => {
                const k = countAtMost(starts, at) - 1;
                const span = spans[k] as [number, number];
                tryForms(span[0] + at - (starts[k] as number), (groups[i] as FormGroup).forms, false, span);
              }),
            );
          }
        }
      }
      return out;
    },
  };
}
