/**
 * Quoted-printable (mail, `.eml`, MIME parts): lines are cut at 76 columns
 * with a soft break (`=` at a line's end) and bytes are written `=XX`, so a
 * key may be split in two, or its `=` written `=3D`. Decoded only in a part
 * that declares it (`Content-Transfer-Encoding: quoted-printable`): each
 * logical line (physical lines joined at their soft breaks) that holds a soft
 * break or an escape is decoded and searched, and a key found there is
 * reported at the logical line's first physical line.
 */
import { byteSet, type Decoder, type Run } from './decoder.js';

/** How much of a part is decoded: mail bodies are small; a larger one is read as far as this. */
const MAX_PART = 1 << 20;
/** How far after the declaration its part's headers may go on. */
const MAX_HEADERS = 16 * 1024;
const NL = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;

const DECLARED = ['quoted-printable', 'Quoted-Printable', 'QUOTED-PRINTABLE'].map((s) => Buffer.from(s, 'latin1'));

export function quotedPrintableDecoder(): Decoder {
  return {
    name: 'quoted-printable',
    anchors: DECLARED,
    nests: true,
    runs(buf, places, depth) {
      if (depth > 0) return [];
      const out: Run[] = [];
      // Each byte is read once, however many declarations there are: a body starts no earlier than the last one ended.
      const hits = DECLARED.flatMap((_, i) => [...places(i)]).sort((a, b) => a - b);
      let readTo = 0;
      for (const hit of hits) {
        const body = bodyAfter(buf, Math.max(hit, readTo));
        if (body === null) break;
        const part = logicalLines(buf, Math.max(body, readTo));
        out.push(...part.runs);
        readTo = part.end;
      }
      return out;
    },
  };
}

/** Where the part's body starts: after the blank line that ends its headers (within a header block's reach); null if there is none. */
function bodyAfter(buf: Buffer, hit: number): number | null {
  const headers = buf.subarray(0, Math.min(buf.length, hit + MAX_HEADERS));
  const lf = headers.indexOf('\n\n', hit);
  const crlf = headers.indexOf('\r\n\r\n', hit);
  if (lf === -1 && crlf === -1) return null;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + 4;
  return lf + 2;
}

/** The body's logical lines that quoted-printable changes, decoded, and where the body ends: at a MIME boundary (`--` at a line's start). */
function logicalLines(buf: Buffer, body: number): { runs: Run[]; end: number } {
  const out: Run[] = [];
  const limit = Math.min(buf.length, body + MAX_PART);
  let start = body;
  let at = body;
  let changed = false;
  while (at < limit) {
    if (buf[at] === EQ && (buf[at + 1] === NL || (buf[at + 1] === CR && buf[at + 2] === NL))) {
      changed = true;
      at += buf[at + 1] === CR ? 3 : 2;
      continue;
    }
    if (buf[at] === EQ && isHex(buf[at + 1]) && isHex(buf[at + 2])) changed = true;
    if (buf[at] === NL) {
      if (changed) out.push({ start, end: at, bytes: decode(buf.subarray(start, at)) });
      changed = false;
      start = at + 1;
      if (buf[start] === 0x2d && buf[start + 1] === 0x2d) break;
    }
    at++;
  }
  if (changed && start < at) out.push({ start, end: at, bytes: decode(buf.subarray(start, at)) });
  return { runs: out, end: Math.max(at, body + 1) };
}

const HEX = byteSet('0123456789ABCDEFabcdef');

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && HEX[byte] === 1;
}

/** Soft breaks removed, `=XX` turned into its byte. */
function decode(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b === EQ && raw[i + 1] === NL) i += 1;
    else if (b === EQ && raw[i + 1] === CR && raw[i + 2] === NL) i += 2;
    else if (b === EQ && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      out[n++] = parseInt(raw.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}
