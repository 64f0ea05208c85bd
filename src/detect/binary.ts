/**
 * Keys in binary content (a file with NUL bytes, an archive member, an image
 * layer's file): records store fields with no separator, so a key may be
 * glued to its neighbours. On the left, a length byte or the previous column
 * sits against the key's prefix (`chatbot_api_keysk_live_…`; a `.pyc`'s length
 * byte 48-57, 65-90 or 97-122 is itself a letter or digit), and a rule's
 * left-boundary test would reject it; on the right, the next field's letters
 * would be taken for the key's (`…zvyj2025`): a wrong key.
 *
 * So in binary content the keyword is freed from what precedes it, a length
 * the format records just before a string (Python's marshal) decides where
 * the key ends, and a key whose end nothing confirms is marked as possibly not
 * whole (`partial`): never verified, its severity never lowered.
 */
import { byteSet } from './decode/decoder.js';

const WORD = /[A-Za-z0-9_]/;

/**
 * `text` with the byte before each keyword replaced by NUL where it is a
 * letter, digit or underscore: what a binary record glues to a key's prefix
 * is not part of it. Offsets are unchanged (one byte for one).
 */
export function unglued(text: string, keywords: readonly string[]): string {
  let out: string[] | null = null;
  for (const kw of keywords) {
    for (let at = text.indexOf(kw, 1); at !== -1; at = text.indexOf(kw, at + 1)) {
      if (!WORD.test(text[at - 1] as string)) continue;
      out ??= [...text];
      out[at - 1] = '\0';
    }
  }
  return out === null ? text : out.join('');
}

/** Python marshal's string types: short ASCII (a length byte), ASCII and Unicode (four), each with or without FLAG_REF (0x80). */
const SHORT = new Set([0x7a, 0x5a, 0xfa, 0xda]);
const LONG = new Set([0x61, 0x41, 0xe1, 0xc1, 0x75, 0xf5]);

/** The length a format records for the string at `offset`, if one does: Python's marshal (a `.pyc`), a SQLite record. */
export function recordedLength(buf: Buffer, offset: number): number | null {
  // Each format only in its own files: in other binary content, text before a key often reads as a length
  // (a 'z' two bytes before it, or a run of letters that adds up as a SQLite header), and would cut the key.
  if (isPyc(buf)) {
    if (offset >= 2 && SHORT.has(buf[offset - 2] as number)) return buf[offset - 1] as number;
    if (offset >= 5 && LONG.has(buf[offset - 5] as number)) return buf.readUInt32LE(offset - 4);
    return null;
  }
  return buf.toString('latin1', 0, SQLITE_MAGIC.length) === SQLITE_MAGIC ? sqliteLength(buf, offset) : null;
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** Python bytecode: a magic number whose last two bytes are CR LF, then flags (zero, or 1 to 3 for hash-based files). */
function isPyc(buf: Buffer): boolean {
  return buf.length >= 16 && buf[2] === 0x0d && buf[3] === 0x0a && buf.readUInt32LE(4) <= 3;
}

/** How far back a SQLite record's header may start before one of its values. */
const SQLITE_REACH = 1024;

/**
 * The length of the text value at `offset` in a SQLite record, if a record
 * whose header lays its values out puts one exactly there: a header (its size,
 * then a serial type per column) from which the columns' sizes add up to
 * `offset`. A text column's serial type is 2n + 13 for n bytes.
 */
function sqliteLength(buf: Buffer, offset: number): number | null {
  for (let h = offset - 2; h >= Math.max(0, offset - SQLITE_REACH); h--) {
    const size = varint(buf, h);
    if (size === null || size.value < 2 || size.value > 256 || h + size.value > offset) continue;
    let at = h + size.length;
    let column = h + size.value;
    while (at < h + size.value && column <= offset) {
      const type = varint(buf, at);
      if (type === null || type.value === 10 || type.value === 11) break;
      at += type.length;
      const bytes = serialSize(type.value);
      if (column === offset) return type.value >= 13 && type.value % 2 === 1 ? bytes : null;
      column += bytes;
    }
  }
  return null;
}

/** The bytes a value of a serial type takes. */
function serialSize(type: number): number {
  if (type >= 12) return Math.floor((type - 12) / 2);
  return [0, 1, 2, 3, 4, 6, 8, 8, 0, 0][type] ?? 0;
}

/** A SQLite varint (big-endian, 7 bits a byte, at most 9 bytes) at `at`. */
function varint(buf: Buffer, at: number): { value: number; length: number } | null {
  let value = 0;
  for (let i = 0; i < 9 && at + i < buf.length; i++) {
    const b = buf[at + i] as number;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return { value, length: i + 1 };
  }
  return null;
}

/** What may follow a key that visibly ends: NUL, a quote, whitespace, or the punctuation text puts after a value. */
const ENDS = byteSet('\0"\'` \t\n\r,;}])>&');

/** Whether a key ending at `end` visibly ends there: the content ends, or one of ENDS follows. */
export function endsCleanly(buf: Buffer, end: number): boolean {
  return end >= buf.length || ENDS[buf[end] as number] === 1;
}
