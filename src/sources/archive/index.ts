/**
 * Archives opened in memory: zip (and the formats that are zips: jar, war,
 * whl, nupkg, apk, ipa), tar, and gzip (`.tgz`, `.tar.gz`, `.gz`), nested up to
 * three deep. Each file inside comes out as a member named by its path, with
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
import { formatBytes } from '../../report/format.js';
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
  /** `member` is '' when the problem is the archive itself (not a zip after all, cut off before its first member). */
  | { member: string; skip: 'tooLarge' | 'corrupt'; message: string };


/** A member may expand at most this many times its compressed size (deflate's own limit is 1,032)… */
export const RATIO = 200;
/** …once it is past this size: small members of any ratio are harmless. */
const RATIO_FREE = 1024 * 1024;
/** Compressed bytes inflated first, to catch a bomb before the whole member is. */
const PROBE = 4096;
/** Archives inside archives are opened this many levels deep. */
export const MAX_DEPTH = 3;

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
        if (!Buffer.isBuffer(out)) {
          yield { member: whole, ...out };
          return;
        }
        // A gzip is one stream: a tar inside is read as the same level (`pkg.tgz!package/.env`).
        if (archiveKind(out) === 'tar') yield* this.tar(out, prefix, depth);
        else yield* this.member(out, `${prefix}${baseName(name).replace(/\.(gz|gzip|tgz)$/i, (m) => (m.toLowerCase() === '.tgz' ? '.tar' : '')) || 'content'}`, depth);
      }
    } catch (err) {
      if (err instanceof ZipError || err instanceof TarError || isZlibError(err)) {
        yield { member: whole, skip: 'corrupt', message: `damaged ${kind ?? 'archive'}: ${(err as Error).message}` };
      } else throw err;
    }
  }

  private *zip(bytes: Buffer, prefix: string, depth: number): Generator<ArchivePart> {
    const { entries, damaged } = zipEntries(bytes);
    for (const entry of entries) {
      const member = prefix + entry.name;
      if (typeof entry.data === 'string') yield { member, skip: 'corrupt', message: entry.data };
      else if (entry.encrypted) yield { member, skip: 'corrupt', message: 'encrypted: cannot be read' };
      else if (entry.size > this.limits.maxFileSize) yield { member, skip: 'tooLarge', message: `${formatBytes(entry.size)}, over the ${formatBytes(this.limits.maxFileSize)} limit (maxFileSize)` };
      else if (entry.method === 0) {
        this.left -= entry.data.length;
        if (this.left < 0) yield { member, skip: 'tooLarge', message: this.budgetMessage() };
        else yield* this.member(entry.data, member, depth);
      } else if (entry.method === 8) {
        const out = this.inflate(entry.data, 'inflateRaw');
        if (!Buffer.isBuffer(out)) yield { member, ...out };
        else yield* this.member(out, member, depth);
      } else yield { member, skip: 'corrupt', message: `compressed with ${METHOD_NAMES[entry.method] ?? `method ${entry.method}`}, which sk-scan does not read` };
    }
    if (damaged) throw new ZipError(damaged);
  }

  private *tar(bytes: Buffer, prefix: string, depth: number): Generator<ArchivePart> {
    const found: ArchivePart[] = [];
    let damaged: Error | null = null;
    try {
      readTar(bytes, this.limits.maxFileSize, (entry, content) => {
        if (entry.type !== 'file') return;
        if (content === null) found.push({ member: prefix + entry.name, skip: 'tooLarge', message: `${formatBytes(entry.size)}, over the ${formatBytes(this.limits.maxFileSize)} limit (maxFileSize)` });
        else found.push({ member: prefix + entry.name, bytes: content });
      });
    } catch (err) {
      damaged = err as Error; // the entries before the damage are still scanned
    }
    for (const part of found) {
      if ('bytes' in part) yield* this.member(part.bytes, part.member, depth);
      else yield part;
    }
    if (damaged) throw damaged;
  }

  /** A member: opened if it is itself an archive (and the nesting allows), else handed out. */
  private *member(bytes: Buffer, member: string, depth: number): Generator<ArchivePart> {
    if (depth < MAX_DEPTH && archiveKind(bytes) !== null) yield* this.open(bytes, member, `${member}!`, depth + 1);
    else yield { member, bytes };
  }

  /** Decompressed bytes, or why they were not: over the ratio, over what is left of the budget, or damaged. */
  private inflate(data: Buffer, how: 'gunzip' | 'inflateRaw'): Buffer | { skip: 'tooLarge' | 'corrupt'; message: string } {
    const tooLarge = (message: string) => ({ skip: 'tooLarge' as const, message });
    if (this.left <= 0) return tooLarge(this.budgetMessage());
    const ratioCap = Math.max(RATIO_FREE, data.length * RATIO);
    const cap = Math.min(this.left, ratioCap, this.limits.maxFileSize + 1);
    try {
      // A bomb shows itself in its first bytes: a short prefix that expands past the ratio is judged for a few hundred KiB of work, not `cap`.
      if (data.length > PROBE * 2) {
        const head = data.subarray(0, PROBE);
        const probe = { maxOutputLength: PROBE * RATIO, finishFlush: zlib.constants.Z_SYNC_FLUSH };
        try {
          this.left -= (how === 'gunzip' ? zlib.gunzipSync(head, probe) : zlib.inflateRawSync(head, probe)).length;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
          this.left -= PROBE * RATIO;
          return tooLarge(bombMessage(data.length));
        }
      }
      const out = how === 'gunzip' ? zlib.gunzipSync(data, { maxOutputLength: cap }) : zlib.inflateRawSync(data, { maxOutputLength: cap });
      this.left -= out.length;
      return out;
    } catch (err) {
      if (isZlibError(err)) return { skip: 'corrupt', message: `damaged ${how === 'gunzip' ? 'gzip' : 'zip'} data: ${(err as Error).message}` };
      if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
      // The work done counts against the budget: a pile of bombs (42.zip) stops once the budget is spent.
      this.left -= cap;
      if (cap === ratioCap) return tooLarge(bombMessage(data.length));
      if (this.left <= 0) return tooLarge(this.budgetMessage());
      return tooLarge(`over the ${formatBytes(this.limits.maxFileSize)} limit (maxFileSize) once decompressed`);
    }
  }

  private budgetMessage(): string {
    return `not read: the archive's ${formatBytes(this.limits.maxArchiveBytes)} decompression budget (maxArchiveBytes) is used up`;
  }
}

function bombMessage(compressed: number): string {
  return `expands more than ${RATIO} times its compressed size (${formatBytes(compressed)}), as a zip bomb does; not read`;
}

function isZlibError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
