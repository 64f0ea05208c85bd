/**
 * Compressed, then base64: Kubernetes annotations, CI variables and Helm
 * release secrets keep gzip or zlib data as base64 text (`H4sI…`, `eJ…`), in
 * which no keyword has a form to find. The run that starts with a gzip or
 * zlib header's base64 (or, for Helm, with that base64's own base64) is
 * decoded and inflated, within a budget, and the result searched by every
 * rule; the finding's encoding names the chain (`base64/gzip`).
 */
import type { Decoder, Run } from './decoder.js';
import { byteSet } from './decoder.js';
import { InflateBudget, type NotRead } from './inflate.js';
import { formatBytes } from '../../common/text.js';

/** A run longer than this is not decoded. */
const MAX_RUN = 8 << 20;
const MIN_RUN = 24;

const BASE64 = byteSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_');

/** The headers' base64: gzip (1f 8b 08), zlib at its default level (78 9c), and gzip's base64 once more (Helm's releases). */
const ANCHORS = ['H4sI', 'eJw', 'eJx', 'eJy', 'eJz', 'SDRzSU'].map((a) => Buffer.from(a, 'latin1'));

export function compressedDecoder(): Decoder {
  return {
    // Each run names its own chain (base64/gzip, base64/zlib, base64/base64/gzip).
    name: 'base64/compressed',
    anchors: ANCHORS,
    nests: true,
    runs(buf, places, _depth, notRead = () => {}) {
      const out: Run[] = [];
      const seen = new Set<number>();
      // Inflated in all from one buffer, at most: many small payloads cannot add up to more.
      const budget = new InflateBudget();
      ANCHORS.forEach((_, i) => {
        for (const hit of places(i)) {
          // The header starts the data: the run starts at the anchor.
          if (hit > 0 && BASE64[buf[hit - 1] as number]) continue;
          if (seen.has(hit)) continue;
          seen.add(hit);
          const run = inflated(buf, hit, budget, notRead);
          if (run !== null) out.push(run);
        }
      });
      return out;
    },
  };
}

function runEnd(buf: Buffer, start: number): number {
  let end = start;
  while (end < buf.length && end - start < MAX_RUN && BASE64[buf[end] as number]) end++;
  while (end < buf.length && buf[end] === 0x3d && end - start < MAX_RUN) end++;
  return end;
}

/** The run at `start` decoded and inflated, with the chain it took; null when it is not compressed data after all, or not searched (`notRead` says why). */
function inflated(buf: Buffer, start: number, budget: InflateBudget, notRead: NotRead): Run | null {
  const end = runEnd(buf, start);
  if (end - start < MIN_RUN) return null;
  if (end - start >= MAX_RUN) {
    notRead(start, `base64 of more than ${formatBytes(MAX_RUN)} that starts as compressed data does: not decoded`);
    return null;
  }
  let data = Buffer.from(buf.toString('latin1', start, end), 'base64');
  let chain = 'base64';
  if (data.subarray(0, 4).toString('latin1') === 'H4sI') {
    data = Buffer.from(data.toString('latin1'), 'base64');
    chain = 'base64/base64';
  }
  const gzip = data[0] === 0x1f && data[1] === 0x8b;
  const zlib = data[0] === 0x78 && (data[1] === 0x9c || data[1] === 0x01 || data[1] === 0x5e || data[1] === 0xda);
  if (!gzip && !zlib) return null;
  const name = `${chain}/${gzip ? 'gzip' : 'zlib'}`;
  const bytes = budget.inflate(data, gzip ? 'gunzip' : 'inflate', `a ${name} payload`, start, notRead);
  return bytes === null ? null : { start, end, bytes, name };
}
