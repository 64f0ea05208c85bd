/** Line and column of a byte offset, computed only for matches. */

export interface LineInfo {
  line: number;
  /** 1-based, in code points from the start of the line. */
  column: number;
  /** Byte offset where the line starts. */
  lineStart: number;
  /** Byte offset of the line's LF (or of the end of the buffer); a CR before it stays in the line. */
  lineEnd: number;
}

const LF = 0x0a;

/**
 * `from` is a known earlier position (a line start and its number), so that
 * locating many matches in one file counts each newline once.
 */
export function lineInfo(buf: Buffer, offset: number, from = { offset: 0, line: 1 }): LineInfo {
  let line = from.line;
  let lineStart = from.offset;
  for (let nl = buf.indexOf(LF, lineStart); nl !== -1 && nl < offset; nl = buf.indexOf(LF, nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  const nl = buf.indexOf(LF, offset);
  const lineEnd = nl === -1 ? buf.length : nl;
  const before = buf.toString('utf8', lineStart, offset);
  let column = 1;
  for (let i = 0; i < before.length; i++) {
    const unit = before.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) column++; // a low surrogate ends a character already counted
  }
  return { line, column, lineStart, lineEnd };
}
