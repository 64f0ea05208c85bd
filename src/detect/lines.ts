/** Line and column of byte offsets, computed only for matches. */

export interface LineInfo {
  line: number;
  /** 1-based, in characters (code points) from the start of the line. */
  column: number;
  /** Byte offset where the line starts. */
  lineStart: number;
  /** Byte offset of the line's LF (or of the end of the buffer); a CR before it stays in the line. */
  lineEnd: number;
}

const LF = 0x0a;

/**
 * Walks a buffer forward, for offsets asked in increasing order: each newline
 * is counted once, each line's end found once, and a column is counted from
 * the previous offset on the same line. Ten thousand matches on one line cost
 * one pass over it, not ten thousand.
 */
export class LineCursor {
  private line = 1;
  private lineStart = 0;
  private lineEnd = -1;
  private lastOffset = 0;
  private lastColumn = 1;
  /** Bytes looked at so far (for the detector's `work`). */
  walked = 0;

  constructor(private readonly buf: Buffer) {}

  at(offset: number): LineInfo {
    const { buf } = this;
    if (this.lineEnd === -1 || offset > this.lineEnd) {
      for (let nl = buf.indexOf(LF, this.lineStart); nl !== -1 && nl < offset; nl = buf.indexOf(LF, nl + 1)) {
        this.line++;
        this.lineStart = nl + 1;
      }
      const nl = buf.indexOf(LF, this.lineStart);
      this.walked += (nl === -1 ? buf.length : nl) - Math.max(this.lineEnd, this.lineStart);
      this.lineEnd = nl === -1 ? buf.length : nl;
      this.lastOffset = this.lineStart;
      this.lastColumn = 1;
    }
    // Characters are counted as the bytes that start one: all but UTF-8 continuation bytes.
    let column = this.lastColumn;
    for (let i = this.lastOffset; i < offset; i++) if (((buf[i] as number) & 0xc0) !== 0x80) column++;
    this.walked += offset - this.lastOffset;
    this.lastOffset = offset;
    this.lastColumn = column;
    return { line: this.line, column, lineStart: this.lineStart, lineEnd: this.lineEnd };
  }
}
