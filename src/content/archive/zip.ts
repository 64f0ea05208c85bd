/**
 * A zip reader over bytes in memory: the central directory (zip64 too) lists
 * the entries, each local header says where its data starts. Stored and
 * deflated entries are read; others (encrypted, bzip2, lzma, zstd) are named
 * as not read. The caller inflates, so that it can bound what that costs.
 */

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; anything else cannot be read here. */
  method: number;
  encrypted: boolean;
  /** As the directory states them: claims, which the reader checks against what the bytes hold. */
  compressedSize: number;
  size: number;
  /** Where the entry's data starts in the archive. */
  start: number;
  /**
   * The bytes the entry's data may be in: a stored entry's as the directory
   * states its size; a deflated one's up to the next entry's header (inflate
   * finds where its stream ends, whatever size the directory states). Or why
   * they could not be found.
   */
  data: Buffer | string;
}

export class ZipError extends Error {}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The entries the directory lists, and, if it is damaged part-way, why the
 * rest are missing. Its counts and offsets are claims too: an end record that
 * says 0xFFFF entries (or an offset of 0xFFFFFFFF) with no zip64 record after
 * it is read as unzip reads it, the directory walked for as long as it holds
 * entries, from where its stated size puts it.
 */
export function zipEntries(buf: Buffer): { entries: ZipEntry[]; damaged: string | null } {
  const end = findEocd(buf);
  if (end === -1) throw new ZipError('no central directory: the file is cut off, or not a zip');
  let count = buf.readUInt16LE(end + 10);
  const dirSize = buf.readUInt32LE(end + 12);
  let dirAt = buf.readUInt32LE(end + 16);
  /** The count is a claim to check (no zip64 record stands behind 0xFFFF): walk while there are entries. */
  let counted = true;
  if (count === 0xffff || dirAt === 0xffffffff) {
    const locator = end - 20;
    if (locator >= 0 && buf.readUInt32LE(locator) === EOCD64_LOCATOR) {
      const at = Number(buf.readBigUInt64LE(locator + 8));
      if (at + 56 > buf.length || buf.readUInt32LE(at) !== EOCD64) throw new ZipError('zip64 directory damaged');
      count = Number(buf.readBigUInt64LE(at + 32));
      dirAt = Number(buf.readBigUInt64LE(at + 48));
    } else counted = false;
  }
  // Where the directory's stated size puts it, when its stated offset does not hold one (data prepended, or a lie).
  if (!isAt(buf, dirAt, CENTRAL) && isAt(buf, end - dirSize, CENTRAL)) dirAt = end - dirSize;
  const entries: (ZipEntry & { local: number })[] = [];
  let damaged: string | null = null;
  let at = dirAt;
  for (let i = 0; !counted || i < count; i++) {
    if (!isAt(buf, at, CENTRAL) || at + 46 > buf.length) {
      if (counted) damaged = `central directory damaged after entry ${i} of ${count}`;
      break;
    }
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    let compressedSize = buf.readUInt32LE(at + 20);
    let size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    let local = buf.readUInt32LE(at + 42);
    const name = buf.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    // zip64: the sizes and offset that overflow 32 bits are in extra field 0x0001, in this order.
    const extra = buf.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const length = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        const next = (): number => {
          const v = f + 8 <= e + 4 + length && f + 8 <= extra.length ? Number(extra.readBigUInt64LE(f)) : 0;
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + length;
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    entries.push({ name, method, encrypted: (flags & 1) !== 0, compressedSize, size, local, start: -1, data: '' });
  }
  // Each entry's data may run up to the next entry's header (or the directory): a deflate stream says itself where it ends.
  const starts = [...new Set(entries.map((e) => e.local))].sort((x, y) => x - y);
  for (const e of entries) {
    const next = starts.find((s) => s > e.local) ?? Math.min(dirAt, buf.length);
    e.start = dataStart(buf, e.local);
    e.data = dataOf(buf, e, Math.max(next, e.start));
  }
  return { entries: entries.map(({ local: _local, ...e }) => e), damaged };
}

function isAt(buf: Buffer, at: number, signature: number): boolean {
  return at >= 0 && at + 4 <= buf.length && buf.readUInt32LE(at) === signature;
}

/** Where an entry's data starts, after its local header; -1 when there is no local header there. */
function dataStart(buf: Buffer, local: number): number {
  if (!isAt(buf, local, LOCAL) || local + 30 > buf.length) return -1;
  return local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
}

function dataOf(buf: Buffer, e: { start: number; method: number; compressedSize: number }, bound: number): Buffer | string {
  if (e.start === -1) return 'local header missing';
  if (e.start > buf.length) return 'data cut off';
  if (e.method === 8) return buf.subarray(e.start, Math.min(buf.length, Math.max(bound, e.start + e.compressedSize)));
  if (e.start + e.compressedSize > buf.length) return 'data cut off';
  return buf.subarray(e.start, e.start + e.compressedSize);
}

/** The end-of-central-directory record: within the last 64 KiB + 22 bytes (its comment may be up to 64 KiB). */
function findEocd(buf: Buffer): number {
  const last = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= last; i--) {
    if (buf[i] === 0x50 && buf.readUInt32LE(i) === EOCD) return i;
  }
  return -1;
}

export const METHOD_NAMES: Record<number, string> = { 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 98: 'ppmd', 99: 'aes' };
