/**
 * Base64. A keyword in base64 has three forms, one for each place its first
 * byte can take in a 3-byte group; each form is the characters the keyword's
 * bytes alone decide (`sk_` is `c2tf` from a group's start, `NrX` from its
 * third character, `za1` from its fourth). Forms are found by their first
 * three characters; the run around a form is decoded from the group boundary
 * that keeps the form aligned.
 *
 * Base64 inside base64 (a Kubernetes dockerconfigjson Secret holds base64 of
 * JSON whose `auth` is base64) is looked for only where it is kept, in a
 * manifest that says `Secret`: there the forms' own base64 forms are searched,
 * and the outer run decoded; the engine finds the inner one in it.
 */
import { pushTo } from '../../common/group.js';
import type { Decoder, Run } from './decoder.js';
import { byteSet } from './decoder.js';
import { Prefilter, commonness } from '../prefilter.js';
import { continuesOnNextLine, wrappedBlock, type Joined } from './wrapped.js';

/** A base64 run shorter than this holds no key; one longer than this is not decoded. */
const MIN_RUN = 24;
const MAX_RUN = 1 << 20;
/** The length of a form's anchor, and the shortest form worth looking for. */
const ANCHOR = 3;
/** Where nested base64 is looked for: a Kubernetes Secret manifest. */
const SECRET_KIND = Buffer.from('Secret');

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
function runAt(buf: Buffer, hit: number, form: Form, blocks: Joined[], byTail = false): Run | null {
  const { needle, groupOffset } = form;
  // A form plus a CRLF: how far a line break inside the form can be from its anchor.
  const reach = needle.length + 2;
  if (byTail) return breakWithin(buf, hit - reach, hit) ? blockRun(buf, hit, form, blocks, form.tailAt ?? 0) : null;
  if (hit + needle.length <= buf.length && buf.compare(needle, 0, needle.length, hit, hit + needle.length) === 0) {
    // The run's characters, scanned once for the three questions asked of them.
    const span = spanAt(buf, hit);
    if (touchesBreak(buf, span[0], span[1])) {
      const joined = blockRun(buf, hit, form, blocks, 0, span);
      if (joined !== null) return joined;
    }
    const run = base64Run(buf, hit, groupOffset, span);
    return run === null ? null : { ...run, bytes: decode(buf, run.start, run.end) };
  }
  return breakWithin(buf, hit, hit + reach) ? blockRun(buf, hit, form, blocks, 0) : null;
}

/** The run from the wrapped block around `hit`, the form starting `back` characters before it; null without a block. */
function blockRun(buf: Buffer, hit: number, { needle, groupOffset }: Form, blocks: Joined[], back: number, span?: [number, number]): Run | null {
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
function blockAt(buf: Buffer, hit: number, blocks: Joined[], span = spanAt(buf, hit)): Joined | null {
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
  // The nested forms are many (three of each form): made when first needed (most scans never meet a Secret, the
  // pre-commit hook's start pays nothing for them), and found in one pass of a prefilter of their own.
  let nested: { groups: FormGroup[]; finder: Prefilter } | null = null;
  const secretAt = plain.length;
  const tailsAt = plain.length + 1;
  return {
    name: 'base64',
    anchors: [...plain.map((g) => g.anchor), SECRET_KIND, ...tails.map((g) => g.anchor)],
    nests: true,
    runs(buf, places, depth) {
      const out: Run[] = [];
      const seen = new Set<number>();
      const blocks: Joined[] = [];
      const tryForms = (hit: number, forms: Form[], byTail = false) => {
        for (const form of forms) {
          const run = runAt(buf, hit, form, blocks, byTail);
          if (run === null || seen.has(run.start)) continue;
          seen.add(run.start);
          out.push(run);
        }
      };
      plain.forEach(({ forms }, i) => places(i).forEach((hit) => tryForms(hit, forms)));
      tails.forEach(({ forms }, i) => places(tailsAt + i).forEach((hit) => tryForms(hit, forms, true)));
      // Searched in a Secret manifest alone, not in every file: the nested forms are many.
      if (depth === 0 && places(secretAt).length > 0) {
        if (nested === null) {
          const groups = grouped(plain.flatMap((g) => g.forms.flatMap((f) => base64Forms(f.needle))));
          nested = { groups, finder: new Prefilter(groups.map((g) => g.anchor)) };
        }
        const { groups, finder } = nested;
        finder.find(buf)?.forEach((hits, i) => hits?.forEach((hit) => tryForms(hit, (groups[i] as FormGroup).forms)));
      }
      return out;
    },
  };
}
