/**
 * Escapes. A URL writes a keyword's punctuation as `%5F`, a JSON string as
 * `\u005f`, a C, Python or shell string as `\x5f`, and each splits the keyword
 * for the plain search. For each
 * punctuation byte in the rules' keywords, each escape is found by all but
 * its last hex digit (`%5`, `\u005`), that digit compared in either case; the
 * token around it is unescaped and searched.
 */
import type { Decoder, Run } from './decoder.js';
import { ALNUM, byteSet } from './decoder.js';

/** How far either side of an escape a token is taken. */
const MAX_ESCAPED = 512;

interface Escape {
  name: string;
  /** The escape of a byte: `%5F`. */
  of(byte: number): string;
  /** Bytes that may be part of an escaped token. */
  token: Uint8Array;
  decode(raw: string): string;
}

const ESCAPES: Escape[] = [
  {
    name: 'percent',
    of: (byte) => `%${hex2(byte)}`,
    token: byteSet(`${ALNUM}%._~-`),
    decode: (raw) => raw.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
  },
  {
    name: 'json-escape',
    of: (byte) => `\\u00${hex2(byte)}`,
    token: byteSet(`${ALNUM}_\\`),
    decode: (raw) => raw.replace(/\\u([0-9A-Fa-f]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
  },
  {
    // C, Python and shell ($'…') strings: `\x5f`.
    name: 'x-escape',
    of: (byte) => `\\x${hex2(byte)}`,
    token: byteSet(`${ALNUM}_\\`),
    decode: (raw) => raw.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
  },
];

const hex2 = (byte: number) => byte.toString(16).toUpperCase().padStart(2, '0');

/** The punctuation in the keywords (what an encoder escapes); letters and digits stay as they are. */
function punctuation(keywords: Buffer[]): number[] {
  const found = new Set<number>();
  for (const kw of keywords) for (const byte of kw) if (byte > 0x20 && byte < 0x7f && !ALNUM.includes(String.fromCharCode(byte))) found.add(byte);
  return [...found].sort((a, b) => a - b);
}

/** One escape decoder per kind of escape, for the keywords' punctuation; none when the keywords have none. */
export function escapeDecoders(keywords: Buffer[]): Decoder[] {
  const bytes = punctuation(keywords);
  if (bytes.length === 0) return [];
  return ESCAPES.map((escape) => {
    // Each byte's escape without its last digit, which is compared in either case.
    const written = bytes.map((byte) => escape.of(byte));
    const anchors = [...new Set(written.map((w) => w.slice(0, -1)))];
    const lastDigits = anchors.map((a) => new Set(written.filter((w) => w.startsWith(a)).flatMap((w) => [w.charCodeAt(w.length - 1), w.toLowerCase().charCodeAt(w.length - 1)])));
    return {
      name: escape.name,
      anchors: anchors.map((a) => Buffer.from(a, 'latin1')),
      nests: false,
      runs(buf, places, depth) {
        if (depth > 0) return [];
        const out: Run[] = [];
        const seen = new Set<number>();
        anchors.forEach((anchor, i) => {
          for (const hit of places(i)) {
            if (!lastDigits[i]?.has(buf[hit + anchor.length] ?? -1)) continue;
            const run = tokenAround(buf, hit, escape.token);
            if (seen.has(run.start)) continue;
            seen.add(run.start);
            out.push({ ...run, bytes: Buffer.from(escape.decode(buf.toString('latin1', run.start, run.end)), 'utf8') });
          }
        });
        return out;
      },
    };
  });
}

/** The token around an escape at `hit`. */
function tokenAround(buf: Buffer, hit: number, token: Uint8Array): { start: number; end: number } {
  let start = hit;
  while (start > 0 && hit - start < MAX_ESCAPED && token[buf[start - 1] as number]) start--;
  let end = hit;
  while (end < buf.length && end - hit < MAX_ESCAPED && token[buf[end] as number]) end++;
  return { start, end };
}

