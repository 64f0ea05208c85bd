/**
 * Base64 wrapped into lines: MIME bodies and `.eml` attachments (76 columns,
 * CRLF), `base64` without `-w0` (76), PEM-style bundles (64), YAML block
 * scalars (indented). A key whose encoding straddles a line break is cut in
 * two if each line is decoded alone: a wrong key (the first part, with the
 * wrong hash and last four), or none. So the lines of a block are joined
 * before decoding: every line of one constant width, after the same
 * indentation, the last one no longer.
 */

/** A line's base64 part: [start, end) in the buffer, after its indentation, up to its line break. */
type Segment = [number, number];

/** A block narrower than this is not taken for wrapped base64 (a word per line is not). */
const MIN_WIDTH = 16;
/** At most this many lines are joined, either way from the hit's line (1 MiB of 76-column base64 is about 14,000). */
const MAX_LINES = 16384;

const NL = 0x0a;
const CR = 0x0d;

/** The bytes joined, and where each joined byte came from. */
export interface Joined {
  /** Where the block starts and ends in the buffer. */
  from: number;
  to: number;
  bytes: Buffer;
  /** Where joined byte `j` sits in the buffer. */
  at(j: number): number;
  /** Where the buffer's byte `i` (inside one of the lines) sits in `bytes`. */
  indexOf(i: number): number;
}

/**
 * The wrapped block around `[first, end)` (the base64 run on one line), or
 * null when that line is not part of one: it does not reach the line's end or
 * start, or no neighbouring line of the same width continues it.
 */
export function wrappedBlock(buf: Buffer, first: number, end: number, base64: Uint8Array): Joined | null {
  const here = segmentAround(buf, first, end, base64);
  if (here === null) return null;
  const width = (s: Segment) => s[1] - s[0];
  const previous = previousSegment(buf, here, base64);
  const next = nextSegment(buf, here, base64);
  // The block's width: the hit's line's when a line follows it, else (it is the last, perhaps shorter) the line before's.
  const w = next !== null ? width(here) : previous !== null ? width(previous) : 0;
  if (w < MIN_WIDTH || width(here) > w || (next !== null && width(next) > w)) return null;
  // Lines are walked only while they are of the block's width: a line that is not ends the walk at once.
  const before: Segment[] = [];
  for (let s = previous; s !== null && width(s) === w && before.length < MAX_LINES; s = previousSegment(buf, s, base64)) before.unshift(s);
  const after: Segment[] = [];
  if (width(here) === w) {
    // Lines of width w continue it; a shorter line ends it, and is its last.
    for (let s = next; s !== null && width(s) <= w && after.length < MAX_LINES; s = nextSegment(buf, s, base64)) {
      after.push(s);
      if (width(s) < w) break;
    }
  }
  const kept = [...before, here, ...after];
  if (kept.length === 1) return null;
  const bytes = Buffer.concat(kept.map(([s, e]) => buf.subarray(s, e)));
  return {
    from: (kept[0] as Segment)[0],
    to: (kept[kept.length - 1] as Segment)[1],
    bytes,
    at(j) {
      const line = kept[Math.min(kept.length - 1, Math.floor(j / w))] as Segment;
      return line[0] + (j - Math.floor(j / w) * w);
    },
    indexOf(i) {
      const k = kept.findIndex(([s, e]) => i >= s && i < e);
      return k === -1 ? -1 : k * w + (i - (kept[k] as Segment)[0]);
    },
  };
}

/** The run as a whole line's base64 part: it reaches its line's end, and only indentation precedes it. */
function segmentAround(buf: Buffer, first: number, end: number, base64: Uint8Array): Segment | null {
  // The last line may end with its padding.
  for (let pad = 0; pad < 2 && buf[end] === 0x3d; pad++) end++;
  if (!endsLineOrBuffer(buf, end)) return null;
  // Only indentation before it (looked at backwards from the run, never the whole of a long line).
  let lineStart = first;
  while (lineStart > 0 && (buf[lineStart - 1] === 0x20 || buf[lineStart - 1] === 0x09)) lineStart--;
  if (lineStart > 0 && buf[lineStart - 1] !== NL) return null;
  for (let i = first; i < end; i++) if (!base64[buf[i] as number] && buf[i] !== 0x3d) return null;
  return [first, end];
}

function endsLine(buf: Buffer, at: number): boolean {
  return at < buf.length && (buf[at] === NL || (buf[at] === CR && buf[at + 1] === NL));
}

function startOfLine(buf: Buffer, at: number): number {
  while (at > 0 && buf[at - 1] !== NL) at--;
  return at;
}

/** The indentation before a segment: the same on every line of a block. */
function indentOf(buf: Buffer, s: Segment): number {
  return s[0] - startOfLine(buf, s[0]);
}

/** The next line's base64 part, when the whole line is one (after the same indentation). */
function nextSegment(buf: Buffer, s: Segment, base64: Uint8Array): Segment | null {
  let i = s[1] + (buf[s[1]] === CR ? 2 : 1);
  const indent = indentOf(buf, s);
  for (let k = 0; k < indent; k++, i++) if (buf[i] !== buf[s[0] - indent + k]) return null;
  const start = i;
  while (i < buf.length && base64[buf[i] as number]) i++;
  // The last line may end with its padding.
  for (let pad = 0; pad < 2 && buf[i] === 0x3d; pad++) i++;
  return i > start && endsLineOrBuffer(buf, i) ? [start, i] : null;
}

/**
 * Whether the line after `end` (a line break) is all base64 after its
 * indentation, and at least a block's width: base64 that may continue a run
 * that ends at `end`, though the lines could not be joined.
 */
export function continuesOnNextLine(buf: Buffer, end: number, base64: Uint8Array): boolean {
  if (!endsLine(buf, end)) return false;
  let i = end + (buf[end] === CR ? 2 : 1);
  while (buf[i] === 0x20 || buf[i] === 0x09) i++;
  const start = i;
  while (i < buf.length && base64[buf[i] as number]) i++;
  return i - start >= MIN_WIDTH && endsLineOrBuffer(buf, i);
}

/** The previous line's base64 part, when the whole line is one (after the same indentation). */
function previousSegment(buf: Buffer, s: Segment, base64: Uint8Array): Segment | null {
  const lineStart = startOfLine(buf, s[0]);
  if (lineStart === 0) return null;
  const end = buf[lineStart - 2] === CR ? lineStart - 2 : lineStart - 1;
  let start = end;
  while (start > 0 && base64[buf[start - 1] as number]) start--;
  if (start === end) return null;
  const segment: Segment = [start, end];
  if (indentOf(buf, segment) !== indentOf(buf, s)) return null;
  const prevStart = startOfLine(buf, start);
  for (let i = prevStart; i < start; i++) if (buf[i] !== buf[startOfLine(buf, s[0]) + (i - prevStart)]) return null;
  return segment;
}

function endsLineOrBuffer(buf: Buffer, at: number): boolean {
  return at === buf.length || endsLine(buf, at);
}
