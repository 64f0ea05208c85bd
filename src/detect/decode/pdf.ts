/**
 * PDF streams: most PDFs keep their pages' text in `/FlateDecode` streams
 * (zlib), where a key is not bytes anyone can search. Each stream whose
 * dictionary names that filter is inflated, within a budget, and searched by
 * every rule; a key found there is reported at the stream's start, encoding
 * `pdf-flate`. Other filters (images, fonts) are left alone.
 */
import type { Decoder, Run } from './decoder.js';
import { InflateBudget, type NotRead } from './inflate.js';

/** How far after the filter's name the stream may start: a dictionary is short. */
const MAX_DICTIONARY = 4096;

const FLATE = Buffer.from('FlateDecode', 'latin1');
const STREAM = Buffer.from('stream', 'latin1');
const END_STREAM = Buffer.from('endstream', 'latin1');
const END_OBJ = Buffer.from('endobj', 'latin1');

export function pdfDecoder(): Decoder {
  return {
    name: 'pdf-flate',
    anchors: [FLATE],
    nests: true,
    runs(buf, places, depth, notRead = () => {}) {
      if (depth > 0) return [];
      const out: Run[] = [];
      const seen = new Set<number>();
      // Inflated in all from one buffer, at most: many small streams cannot add up to more.
      const budget = new InflateBudget();
      for (const hit of places(0)) {
        const run = streamAfter(buf, hit, budget, notRead);
        if (run === null || seen.has(run.start)) continue;
        seen.add(run.start);
        out.push(run);
      }
      return out;
    },
  };
}

/** The stream whose dictionary names the filter at `hit`, inflated; null when there is none or it does not inflate. */
function streamAfter(buf: Buffer, hit: number, budget: InflateBudget, notRead: NotRead): Run | null {
  // Searched within the dictionary's reach only: many names without a stream cost no more than the bytes.
  const dictionary = buf.subarray(0, Math.min(buf.length, hit + MAX_DICTIONARY));
  const keyword = dictionary.indexOf(STREAM, hit + FLATE.length);
  if (keyword === -1) return null;
  // The filter belongs to this object's dictionary only if the object has not ended before the stream.
  const objectEnd = buf.subarray(0, keyword).indexOf(END_OBJ, hit);
  if (objectEnd !== -1) return null;
  let start = keyword + STREAM.length;
  if (buf[start] === 0x0d) start++;
  if (buf[start] !== 0x0a) return null;
  start++;
  const end = buf.indexOf(END_STREAM, start);
  if (end === -1) return null;
  // Not zlib data after all (a filter chain, an encrypted document): null.
  const bytes = budget.inflate(buf.subarray(start, end), 'inflate', 'a /FlateDecode stream', start, notRead);
  return bytes === null ? null : { start, end, bytes };
}
