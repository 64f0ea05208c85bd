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
import { Prefilter } from '../prefilter.js';

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

/** Forms grouped by their first three characters, each form once. */
function grouped(forms: Form[]): FormGroup[] {
  const groups = new Map<string, Form[]>();
  const seen = new Set<string>();
  for (const f of forms) {
    const id = `${f.groupOffset}:${f.needle.toString('latin1')}`;
    if (seen.has(id)) continue;
    seen.add(id);
    pushTo(groups, f.needle.toString('latin1', 0, ANCHOR), f);
  }
  return [...groups].map(([anchor, list]) => ({ anchor: Buffer.from(anchor, 'latin1'), forms: list }));
}

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

/** The base64 decoder for these keywords; null when none is long enough to have a form. */
export function base64Decoder(keywords: Buffer[]): Decoder | null {
  const plain = grouped(keywords.flatMap(base64Forms));
  if (plain.length === 0) return null;
  const nested = grouped(plain.flatMap((g) => g.forms.flatMap((f) => base64Forms(f.needle))));
  // The nested forms are many (three of each form): found in one pass of a prefilter of their own, made when first needed.
  let nestedFinder: Prefilter | null = null;
  const secretAt = plain.length;
  return {
    name: 'base64',
    anchors: [...plain.map((g) => g.anchor), SECRET_KIND],
    nests: true,
    runs(buf, places, depth) {
      const out: Run[] = [];
      const seen = new Set<number>();
      const tryForms = (hit: number, forms: Form[]) => {
        for (const { needle, groupOffset } of forms) {
          if (hit + needle.length > buf.length || buf.compare(needle, 0, needle.length, hit, hit + needle.length) !== 0) continue;
          const run = base64Run(buf, hit, groupOffset);
          if (run === null || seen.has(run.start)) continue;
          seen.add(run.start);
          out.push({ ...run, bytes: Buffer.from(buf.toString('latin1', run.start, run.end), 'base64') });
        }
      };
      plain.forEach(({ forms }, i) => places(i).forEach((hit) => tryForms(hit, forms)));
      // Searched in a Secret manifest alone, not in every file: the nested forms are many.
      if (depth === 0 && places(secretAt).length > 0) {
        nestedFinder ??= new Prefilter(nested.map((g) => g.anchor));
        nestedFinder.find(buf)?.forEach((hits, i) => hits?.forEach((hit) => tryForms(hit, (nested[i] as FormGroup).forms)));
      }
      return out;
    },
  };
}
