/**
 * Decoders: a key written encoded (base64 in a Kubernetes Secret, hex, a URL's
 * %5F, a JSON string's \u005f) hides from the plain search. Each decoder
 * knows the forms the rules' keywords take in its encoding, hands their
 * anchors to the prefilter (so they are found in the same one pass as the
 * keywords), and where one is found decodes the run around it; the engine
 * then searches the decoded bytes with every rule, as gitleaks reruns every
 * rule on decoded text. A buffer without any form costs nothing here.
 *
 * Nothing in a decoder knows a vendor: the forms are derived from whatever
 * keywords the rules in force list, built-in or the user's.
 */

import type { PrefilterPlan } from '../prefilter.js';

/** An encoded run, decoded. */
export interface Run {
  /** Where the encoded run starts in the searched buffer: a key found in it is reported there. */
  start: number;
  end: number;
  /** The run decoded. */
  bytes: Buffer;
  /** The encoding chain when it is not the decoder's name alone (`base64/gzip`, `base64/zlib`). */
  name?: string;
  /** The run may go on past its end (it stopped at its size limit, or at a line break before more of its encoding): a key at its end may be cut short. */
  cut?: boolean;
}

export interface Decoder {
  /** The encoding's name, as a finding's `secret.encoding` says it: `base64`, `hex`, `percent`, `json-escape`. */
  readonly name: string;
  /** Literal anchors for the prefilter: where one starts, a run of this encoding may hold a keyword. */
  readonly anchors: readonly Buffer[];
  /** Whether decoded bytes are searched for encoded keys once more (base64 inside base64), to the engine's depth limit. */
  readonly nests: boolean;
  /** Whether the decoder is asked where long base64 runs are, too (the prefilter finds them in its one pass). */
  readonly base64Runs?: boolean;
  /** The prefilters the decoder keeps of its own (base64's forms of forms), with their plans: the build works them out once (../bucket-cache.ts). */
  inner?(): { anchors: Buffer[]; plan: PrefilterPlan }[];
  /**
   * The runs around the places the anchors start, each run once. `places(i)`:
   * where anchors[i] starts in `buf`; `places(anchors.length)`, for a decoder
   * that asks, places in long base64 runs. `depth`: 0 for the scanned item
   * itself, 1 inside a decoded run. `notRead`: a payload found and not
   * searched (over a budget), where it starts and why.
   */
  runs(buf: Buffer, places: (anchor: number) => readonly number[], depth: number, notRead?: (at: number, message: string) => void): Run[];
}

/** A byte table: which bytes may belong to a run. */
export function byteSet(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The keywords a decoder derives its forms from: distinct, as bytes. */
export function keywordBytes(rules: readonly { keywords: readonly string[] }[]): Buffer[] {
  return [...new Set(rules.flatMap((r) => r.keywords))].map((k) => Buffer.from(k, 'utf8'));
}
