/**
 * PDF streams: most PDFs keep their pages' text in `/FlateDecode` streams
 * (zlib), where a key is not bytes anyone can search. Each stream whose
 * dictionary names that filter is inflated, within a budget, and searched by
 * every rule; a key found there is reported at the stream's start, encoding
 * `pdf-flate`. Other filters (images, fonts) are left alone.
 */
import { constants, inflateSync } from 'node:zlib';
import type { Decoder, Run } from './decoder.js';

/** The most inflated from one stream. */
const MAX_INFLATED = 16 << 20;
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
    runs(buf, places, depth) {
      if (depth > 0) return [];
      const out: Run[] = [];
      const seen = new Set<number>();
      for (const hit of places(0)) {
        const run = streamAfter(buf, hit);
        if (run === null || seen.has(run.start)) continue;
        seen.add(run.start);
        out.push(run);
      }
      return out;
    },
  };
}

/** The stream whose dictionary names the filter at `hit`, inflated; null when there is none or it does not inflate. */
function streamAfter(buf: Buffer, hit: number): Run | null {
  const keyword = buf.indexOf(STREAM, hit + FLATE.length);
  if (keyword === -1 || keyword - hit > MAX_DICTIONARY) return null;
  // The filter belongs to this object's dictionary only if the object has not ended before the stream.
  const objectEnd = buf.indexOf(END_OBJ, hit);
  if (objectEnd !== -1 && objectEnd < keyword) return null;
  let start = keyword + STREAM.length;
  if (buf[start] === 0x0d) start++;
  if (buf[start] !== 0x0a) return null;
  start++;
  const end = buf.indexOf(END_STREAM, start);
  if (end === -1) return null;
  try {
    const bytes = inflateSync(buf.subarray(start, end), { maxOutputLength: MAX_INFLATED, finishFlush: constants.Z_SYNC_FLUSH });
    return { start, end, bytes };
  } catch {
    // Not zlib data after all (a filter chain, an encrypted document), or more than the budget.
    return null;
  }
}
