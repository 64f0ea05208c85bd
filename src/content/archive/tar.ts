/**
 * A tar reader that is fed bytes as they come (a layer streamed out of gunzip)
 * or all at once (a member already in memory). It understands ustar's name
 * prefix, GNU long names (`L`) and pax headers (`x`, `g`: `path`, `size`),
 * which is what docker, buildkit, npm pack and GNU tar write. Entries larger
 * than the caller's limit are passed over without being kept in memory.
 */

export interface TarEntry {
  /** The entry's path, without a leading `./`. */
  name: string;
  /** `file` for a regular file; `other` for folders, links, devices. */
  type: 'file' | 'other';
  size: number;
  /** Where the content starts in the stream read (an image's layers are read again from there). */
  offset: number;
  /** For a link: its target (docker save links each layer to its blob). */
  link?: string;
}

export interface TarHandler {
  /** A regular file's content, or null when it is over the limit (passed over, not kept). */
  entry(entry: TarEntry, content: Buffer | null): void;
}

import { tarChecksumOk } from './kind.js';

const BLOCK = 512;

export class TarError extends Error {}

export class TarReader {
  private head = Buffer.alloc(BLOCK);
  private headFill = 0;
  /** The entry whose content is being read, with what is left of it (then its padding). */
  private body: { entry: TarEntry; kind: 'file' | 'longname' | 'pax' | 'skip'; chunks: Buffer[] | null; left: number; pad: number } | null = null;
  private longName: string | null = null;
  private pax: Map<string, string> = new Map();
  private globalPax: Map<string, string> = new Map();
  private ended = false;
  private sawHeader = false;
  /** Bytes consumed so far. */
  private position = 0;

  constructor(
    private readonly handler: TarHandler,
    private readonly maxEntry: number,
  ) {}

  /** Feeds the next bytes; throws TarError on a damaged header. */
  push(chunk: Buffer): void {
    const base = this.position;
    this.position += chunk.length;
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.body) {
        const b = this.body;
        if (b.left > 0) {
          const n = Math.min(b.left, chunk.length - at);
          if (b.chunks) b.chunks.push(chunk.subarray(at, at + n));
          b.left -= n;
          at += n;
          if (b.left === 0) this.finishBody();
          continue;
        }
        const n = Math.min(b.pad, chunk.length - at);
        b.pad -= n;
        at += n;
        if (b.pad === 0) this.body = null;
        continue;
      }
      const n = Math.min(BLOCK - this.headFill, chunk.length - at);
      chunk.copy(this.head, this.headFill, at, at + n);
      this.headFill += n;
      at += n;
      if (this.headFill === BLOCK) {
        this.headFill = 0;
        this.header(this.head, base + at);
      }
    }
  }

  /** Says the input is over: a cut-off entry is an error. */
  end(): void {
    if (this.body && this.body.left > 0) throw new TarError(`cut off inside ${this.body.entry.name}`);
    if (!this.sawHeader) throw new TarError('not a tar archive');
  }

  /** `next`: where the bytes after this header start in the stream. */
  private header(block: Buffer, next: number): void {
    if (block.every((b) => b === 0)) {
      // Two zero blocks end the archive; one is enough to stop reading.
      this.ended = this.sawHeader;
      if (!this.sawHeader) throw new TarError('not a tar archive');
      return;
    }
    if (!tarChecksumOk(block)) throw new TarError(this.sawHeader ? 'damaged header' : 'not a tar archive');
    this.sawHeader = true;
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = parseSize(block.subarray(124, 136));
    const ustar = block.toString('latin1', 257, 262) === 'ustar';
    let name = cString(block, 0, 100);
    if (ustar) {
      const prefix = cString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === 'L') return this.startBody({ name, type: 'other', size, offset: next }, 'longname', size, pad);
    if (flag === 'x' || flag === 'g') {
      const entry = { name: flag, type: 'other' as const, size, offset: next };
      return this.startBody(entry, 'pax', size, pad);
    }
    const paxPath = this.pax.get('path') ?? this.globalPax.get('path');
    const paxSize = this.pax.get('size');
    const entry: TarEntry = {
      name: stripDot(this.longName ?? paxPath ?? name),
      type: flag === '0' || flag === '\0' || flag === '7' ? 'file' : 'other',
      size: paxSize !== undefined ? Number(paxSize) : size,
      offset: next,
    };
    if (flag === '1' || flag === '2') entry.link = this.pax.get('linkpath') ?? cString(block, 157, 100);
    this.longName = null;
    this.pax = new Map();
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new TarError(`bad size for ${entry.name}`);
    const entryPad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (entry.type !== 'file') {
      this.handler.entry(entry, null);
      return this.startBody(entry, 'skip', entry.size, entryPad);
    }
    this.startBody(entry, entry.size <= this.maxEntry ? 'file' : 'skip', entry.size, entryPad);
    if (entry.size > this.maxEntry) this.handler.entry(entry, null);
  }

  private startBody(entry: TarEntry, kind: 'file' | 'longname' | 'pax' | 'skip', size: number, pad: number): void {
    this.body = { entry, kind, chunks: kind === 'skip' ? null : [], left: size, pad: size === 0 ? 0 : pad };
    if (size === 0) this.finishBody();
  }

  private finishBody(): void {
    const b = this.body;
    if (!b) return;
    const content = b.chunks ? Buffer.concat(b.chunks) : null;
    if (b.pad === 0) this.body = null;
    if (b.kind === 'file') this.handler.entry(b.entry, content);
    else if (b.kind === 'longname') this.longName = cString(content as Buffer, 0, (content as Buffer).length);
    else if (b.kind === 'pax') {
      const fields = parsePax(content as Buffer);
      if (b.entry.name === 'g') for (const [k, v] of fields) this.globalPax.set(k, v);
      else this.pax = fields;
    }
  }
}

/** Reads a whole tar held in memory. */
export function readTar(bytes: Buffer, maxEntry: number, entry: TarHandler['entry']): void {
  const reader = new TarReader({ entry }, maxEntry);
  reader.push(bytes);
  reader.end();
}

/** Octal, or GNU's base-256 for sizes of 8 GiB and more. */
function parseSize(field: Buffer): number {
  if (((field[0] as number) & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] as number);
    return n;
  }
  const text = cString(field, 0, field.length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(buf: Buffer, at: number, length: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end === -1 || end > at + length ? at + length : end);
}

function stripDot(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** pax records: `<length> <key>=<value>\n`. */
function parsePax(content: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    if (space === -1) break;
    const length = parseInt(content.toString('latin1', at, space), 10);
    if (!(length > 0)) break;
    const record = content.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return out;
}
