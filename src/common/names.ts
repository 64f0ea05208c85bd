/**
 * File names are bytes. Most are UTF-8, but a name may hold any byte but `/`
 * and NUL: a newline, a carriage return, or bytes that are not UTF-8 at all.
 * Such names must be scanned like any other and reported so that they can be
 * found again.
 *
 * A name becomes a string the way Python's `surrogateescape` does it: valid
 * UTF-8 is decoded, and each byte that is not part of a valid sequence becomes
 * the lone surrogate U+DC80 + (byte − 0x80)…U+DCFF. The string turns back into
 * the same bytes (`nameBytes`), JSON carries it as `\udcff`-style escapes, and
 * the text report shows such bytes as `\xff`.
 */
import { isUtf8 } from 'node:buffer';

const LONE = /[\udc80-\udcff]/;

/** The bytes of a name as a string that round-trips (see above). */
export function decodeName(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + (bytes[i] as number));
      i++;
    } else {
      out += Buffer.from(bytes.buffer, bytes.byteOffset + i, n).toString('utf8');
      i += n;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence at `i`, or 0 if there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  return isUtf8(b.subarray(i, i + n)) ? n : 0;
}

/** The bytes a name string stands for. */
export function nameBytes(name: string): Buffer {
  if (!LONE.test(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0xdc80 || code > 0xdcff) continue;
    // A lone surrogate (one not after a high surrogate) stands for one byte.
    if (i > 0 && name.charCodeAt(i - 1) >= 0xd800 && name.charCodeAt(i - 1) <= 0xdbff) continue;
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.of(code - 0xdc00));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** What fs calls take for a path string: the string itself, or its bytes when it stands for bytes that are not UTF-8. */
export function fsPath(path: string): string | Buffer {
  return LONE.test(path) ? nameBytes(path) : path;
}
