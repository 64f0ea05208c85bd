/**
 * Archives opened in memory: zip (and the formats that are zips: jar, war,
 * whl, nupkg, apk, ipa), tar, and gzip (`.tgz`, `.tar.gz`, `.gz`), nested up to
 * six deep. Each file inside comes out as a member named by its path, with
 * `!` between the levels: `inner.tgz!package/.env`.
 *
 * Bounded: all that one archive decompresses, nested ones included, counts
 * against one budget (`maxArchiveBytes`); a member that expands more than
 * RATIO times its compressed size is cut off at once, so a zip bomb costs
 * milliseconds and a warning. Nothing is written to disk.
 *
 * node:zlib does the inflating (native, and its `maxOutputLength` stops a
 * bomb without allocating its output). This module is loaded the first time
 * an archive is met (./kind.ts tells), so a scan without one never pays for it.
 */
import * as zlib from 'node:zlib';
import { formatBytes, formatNumber } from '../../common/text.js';
import { archiveKind } from './kind.js';
import { readTar, TarError } from './tar.js';
import { METHOD_NAMES, zipEntries, ZipError } from './zip.js';

export interface ArchiveLimits {
  /** What one archive may decompress in all, nested archives included. */
  maxArchiveBytes: number;
  /** The largest member read. */
  maxFileSize: number;
}

export type ArchivePart =
  | { member: string; bytes: Buffer }
  /**
   * Not read, and why: `tooLarge` over maxFileSize (a limit the user sets);
   * `corrupt` for everything else an archive can hold back (damaged,
   * encrypted, an unknown compression, a bomb, past the budget, nested too
   * deep, bytes another entry already holds), which a scan cannot vouch for.
   * `member` is '' when the problem is the archive itself. `bytes`, when
   * present, are there to be searched as binary all the same (an archive
   * nested too deep to open).
   */
  | { member: string; skip: 'tooLarge' | 'corrupt'; message: string; bytes?: Buffer };

/** A member may expand at most this many times its compressed size (deflate's own limit is 1,032)… */
export const RATIO = 200;
/** …once it is past this size: small members of any ratio are harmless. */
const RATIO_FREE = 1024 * 1024;
/** Compressed bytes inflated first, to catch a bomb before the whole member is. */
const PROBE = 4096;
/** Entries of one zip named for lying in bytes already read, before the rest are counted in one warning. */
const OVERLAPS_NAMED = 3;
/** Archives inside archives are opened this many levels deep (a gzip inside a gzip is a level). */
export const MAX_DEPTH = 6;

/** What inflating gave: the bytes, how many input bytes the stream took, and whether it was cut off before its end. */
interface Inflated {
  out: Buffer;
  consumed: number;
  cut: boolean;
}

/**
 * Every member of the archive in `bytes` (itself named `name`, for a `.gz`
 * that holds one file), nested archives opened, or why a member was not read.
 */
export function* openArchive(bytes: Buffer, name: string, limits: ArchiveLimits): Generator<ArchivePart> {
  yield* new Opener(limits).open(bytes, name, '', 1);
}

class Opener {
  private left: number;

  constructor(private readonly limits: ArchiveLimits) {
    this.left = limits.maxArchiveBytes;
  }

  *open(bytes: Buffer, name: string, prefix: string, depth: number): Generator<ArchivePart> {
    const kind = archiveKind(bytes);
    const whole = prefix.slice(0, -1);
    try {
      if (kind === 'zip') yield* this.zip(bytes, prefix, depth);
      else if (kind === 'tar') yield* this.tar(bytes, prefix, depth);
      else if (kind === 'gzip') {
        const out = this.inflate(bytes, 'gunzip');
        if (!('out' in out)) {
          yield { member: whole, ...out };
          return;
        }
        // A gzip is one stream: a tar inside is read as the same level (`pkg.tgz!package/.env`).
        if (archiveKind(out.out) === 'tar') yield* this.tar(out.out, prefix, depth);
        else yield* this.member(out.out, `${prefix}${baseName(name).replace(/\.(gz|gzip|tgz)$/i, (m) => (m.toLowerCase() === '.tgz' ? '.tar' : '')) || 'content'}`, depth);
        // What a cut-off stream held was read as far as it goes; the rest cannot be.
        if (out.cut) yield { member: whole, skip: 'corrupt', message: 'damaged gzip: cut off before its end (read as far as it goes)' };
      }
    } catch (err) {
      if (err instanceof ZipError || err instanceof TarError || isZlibError(err)) {
        yield { member: whole, skip: 'corrupt', message: `damaged ${kind ?? 'archive'}: ${(err as Error).message}` };
      } else throw err;
    }
  }

  /**
   * A zip's entries, in the order their data lies in the archive. Each byte
   * range is read once: an entry whose data starts inside bytes an earlier
   * entry already took (a forged directory can list one member thousands of
   * times, to spend the budget before the member that matters) is named, not
   * read again. Sizes the directory states are claims: a member is inflated
   * within the limits whatever it says, and judged by what it holds.
   */
  private *zip(bytes: Buffer, prefix: string, depth: number): Generator<ArchivePart> {
    const { entries, damaged } = zipEntries(bytes);
    let readTo = -1;
    let readBy = '';
    /** Entries whose data lies in bytes already read: the first few named, the rest counted in one part. */
    let overlaps = 0;
    for (const entry of [...entries].sort((x, y) => x.start - y.start)) {
      const member = prefix + entry.name;
      if (typeof entry.data === 'string') {
        yield { member, skip: 'corrupt', message: entry.data };
        continue;
      }
      if (entry.start < readTo) {
        if (++overlaps <= OVERLAPS_NAMED) yield { member, skip: 'corrupt', message: `its data lies in bytes ${prefix + readBy} already holds (a directory that lists bytes twice): not read again` };
        continue;
      }
      if (entry.encrypted) yield { member, skip: 'corrupt', message: 'encrypted: cannot be read' };
      else if (entry.method === 0) {
        readTo = entry.start + entry.data.length;
        readBy = entry.name;
        if (entry.data.length > this.limits.maxFileSize) yield { member, skip: 'tooLarge', message: overLimit(entry.data.length, this.limits.maxFileSize) };
        else if ((this.left -= entry.data.length) < 0) yield { member, skip: 'corrupt', message: this.budgetMessage() };
        else yield* this.member(entry.data, member, depth);
      } else if (entry.method === 8) {
        const out = this.inflate(entry.data, 'inflateRaw');
        readTo = entry.start + ('out' in out ? out.consumed : Math.min(entry.data.length, Math.max(1, entry.compressedSize)));
        readBy = entry.name;
        if (!('out' in out)) {
          yield { member, ...out };
          continue;
        }
        yield* this.member(out.out, member, depth);
        if (out.cut) yield { member, skip: 'corrupt', message: 'damaged zip data: cut off before its end (read as far as it goes)' };
      } else {
        readTo = entry.start + Math.min(entry.data.length, entry.compressedSize);
        readBy = entry.name;
        yield { member, skip: 'corrupt', message: `compressed with ${METHOD_NAMES[entry.method] ?? `method ${entry.method}`}, which sk-scan does not read` };
      }
    }
    if (overlaps > OVERLAPS_NAMED) {
      yield { member: prefix.slice(0, -1), skip: 'corrupt', message: `${formatNumber(overlaps - OVERLAPS_NAMED)} more entries lie in bytes other entries hold (a directory that lists bytes twice): not read again` };
    }
    if (damaged) throw new ZipError(damaged);
  }

  /** A tar's members; those before any damage (a cut-off end included) are read, and the damage is thrown after them. */
  private *tar(bytes: Buffer, prefix: string, depth: number): Generator<ArchivePart> {
    const found: ArchivePart[] = [];
    let damaged: Error | null = null;
    try {
      readTar(bytes, this.limits.maxFileSize, (entry, content) => {
        if (entry.type !== 'file') return;
        if (content === null) found.push({ member: prefix + entry.name, skip: 'tooLarge', message: overLimit(entry.size, this.limits.maxFileSize) });
        else found.push({ member: prefix + entry.name, bytes: content });
      });
    } catch (err) {
      damaged = err as Error; // the entries before the damage are still scanned
    }
    for (const part of found) {
      if ('bytes' in part && !('skip' in part)) yield* this.member(part.bytes, part.member, depth);
      else yield part;
    }
    if (damaged) throw damaged;
  }

  /** A member: opened if it is itself an archive (and the nesting allows), else handed out. */
  private *member(bytes: Buffer, member: string, depth: number): Generator<ArchivePart> {
    if (archiveKind(bytes) === null) yield { member, bytes };
    else if (depth < MAX_DEPTH) yield* this.open(bytes, member, `${member}!`, depth + 1);
    else yield { member, skip: 'corrupt', message: `an archive nested more than ${MAX_DEPTH} deep: not opened (searched as binary only)`, bytes };
  }

  /**
   * Decompressed bytes, or why they were not: over the ratio, over what is
   * left of the budget, over maxFileSize, or damaged. A stream cut off before
   * its end gives what it holds up to there (`cut`).
   */
  private inflate(data: Buffer, how: 'gunzip' | 'inflateRaw'): Inflated | { skip: 'tooLarge' | 'corrupt'; message: string } {
    const notRead = (message: string) => ({ skip: 'corrupt' as const, message });
    if (this.left <= 0) return notRead(this.budgetMessage());
    const ratioCap = Math.max(RATIO_FREE, data.length * RATIO);
    const cap = Math.min(this.left, ratioCap, this.limits.maxFileSize + 1);
    const run = (input: Buffer, options: zlib.ZlibOptions & { info: true }) =>
      (how === 'gunzip' ? zlib.gunzipSync(input, options) : zlib.inflateRawSync(input, options)) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      // A bomb shows itself in its first bytes: a short prefix that expands past the ratio is judged for a few hundred KiB of work, not `cap`.
      if (data.length > PROBE * 2) {
        try {
          this.left -= run(data.subarray(0, PROBE), { maxOutputLength: PROBE * RATIO, finishFlush: zlib.constants.Z_SYNC_FLUSH, info: true }).buffer.length;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
          this.left -= PROBE * RATIO;
          return notRead(bombMessage(data.length));
        }
      }
      let cut = false;
      let result;
      try {
        result = run(data, { maxOutputLength: cap, info: true });
      } catch (err) {
        // Cut off before the stream's end: what it holds up to there is still read.
        if ((err as NodeJS.ErrnoException).code !== 'Z_BUF_ERROR') throw err;
        cut = true;
        result = run(data, { maxOutputLength: cap, finishFlush: zlib.constants.Z_SYNC_FLUSH, info: true });
      }
      this.left -= result.buffer.length;
      if (result.buffer.length > this.limits.maxFileSize) return { skip: 'tooLarge', message: `over the ${formatBytes(this.limits.maxFileSize)} limit (maxFileSize) once decompressed` };
      return { out: result.buffer, consumed: result.engine.bytesWritten, cut };
    } catch (err) {
      if (isZlibError(err)) return notRead(`damaged ${how === 'gunzip' ? 'gzip' : 'zip'} data: ${(err as Error).message}`);
      if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
      // The work done counts against the budget: a pile of bombs (42.zip) stops once the budget is spent.
      this.left -= cap;
      if (cap === ratioCap) return notRead(bombMessage(data.length));
      if (cap === this.limits.maxFileSize + 1) return { skip: 'tooLarge', message: `over the ${formatBytes(this.limits.maxFileSize)} limit (maxFileSize) once decompressed` };
      return notRead(this.budgetMessage());
    }
  }

  private budgetMessage(): string {
    return `not read: the archive's ${formatBytes(this.limits.maxArchiveBytes)} decompression budget (maxArchiveBytes) is used up`;
  }
}

function overLimit(size: number, max: number): string {
  return `${formatBytes(size)}, over the ${formatBytes(max)} limit (maxFileSize)`;
}

function bombMessage(compressed: number): string {
  return `expands more than ${RATIO} times its compressed size (${formatBytes(compressed)}), as a zip bomb does; not read`;
}

function isZlibError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** The last name in a path or a member's path (`a.tgz!pkg/x.gz` → `x.gz`). */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('!')) + 1);
}
