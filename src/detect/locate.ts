/**
 * Where matches are, worked out last and only for matches that passed every
 * filter: line and column, and whether the line carries `sk-scan:allow`.
 */
import { LineCursor } from './lines.js';

const ALLOW_MARK = Buffer.from('sk-scan:allow');

/** What locating fills in. */
interface Locatable {
  offset: number;
  line: number;
  column: number;
  allow?: { reason: string | null };
}

/** Fill in line, column and allow comments for matches sorted by offset, walking the buffer once; the bytes walked. */
export function locate(buf: Buffer, matches: Locatable[]): number {
  const lines = new LineCursor(buf);
  let allowLine = -1;
  let allow: Locatable['allow'];
  for (const m of matches) {
    const { line, column, lineStart, lineEnd } = lines.at(m.offset);
    m.line = line;
    m.column = column;
    // Each line is searched for the allow mark once, however many matches it holds.
    if (line !== allowLine) {
      allowLine = line;
      allow = allowOn(buf, lineStart, lineEnd);
    }
    if (allow) m.allow = allow;
  }
  return lines.walked;
}

function allowOn(buf: Buffer, lineStart: number, lineEnd: number): Locatable['allow'] {
  // Searched in the line only: a search to the end of the buffer would cost the whole rest of it per line.
  const mark = buf.subarray(lineStart, lineEnd).indexOf(ALLOW_MARK);
  if (mark === -1) return undefined;
  const after = buf.toString('utf8', lineStart + mark + ALLOW_MARK.length, lineEnd);
  const reason = /^\s*--\s*(.*?)\s*(?:\*\/|-->)?\s*$/.exec(after)?.[1];
  return { reason: reason ? reason : null };
}
