/** Items through read → detect: the unit of work a worker thread does. */
import type { ArchiveLimits } from '../content/archive/index.js';
import { load, OwnedBytes, type Loaded, type Scratch } from '../content/read.js';
import type { Origin, SkipReason, ReadItem } from '../sources/types.js';
import type { Detector, Match } from './engine.js';

export interface ItemResult {
  origin: Origin;
  /** Bytes scanned (0 when skipped). */
  size: number;
  skip?: { reason: SkipReason; message: string };
  matches: Match[];
}

/** What an item may cost to read: its size, and what an archive may decompress. */
export type ReadLimits = ArchiveLimits;

type Archives = typeof import('../content/archive/index.js');
/** The archive readers, loaded when the first archive is met: a scan without one (a commit hook) never loads them. */
let archives: Archives | null = null;

/**
 * Each item's results: one, or for an archive one per member (each origin
 * naming its member), so that a key inside `pkg.tgz` is found at
 * `pkg.tgz!package/.env` with its own line and column. Items are read one
 * after another: bytes read into `scratch` are used before the next read.
 */
export async function processItems(detector: Detector, items: ReadItem[], limits: ReadLimits, scratch?: Scratch): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  for (const item of items) {
    const loaded = load(item, limits.maxFileSize, scratch);
    if ('archive' in loaded) {
      archives ??= await import('../content/archive/index.js');
      scanArchive(archives, detector, item.origin, loaded.archive, limits, results);
    } else results.push(...withUnread(detector, () => resultOf(detector, item.origin, loaded)));
  }
  return results;
}

/**
 * The item's result, and one for each part of it the scan did not search (a
 * compressed payload over the inflating budget), named by its line as an
 * archive's member is by its path: not read, the item cannot pass a scan that
 * found nothing, unless the user accepts it (the file's path accepts it).
 */
function withUnread(detector: Detector, scan: () => ItemResult): ItemResult[] {
  detector.unread = [];
  const result = scan();
  if (detector.unread.length === 0) return [result];
  const parts = detector.unread.map(({ line, message }) => skipped({ ...result.origin, member: `${result.origin.member ? `${result.origin.member}!` : ''}line ${line}`, onlyLines: undefined }, 'corrupt', message));
  return [result, ...parts];
}

function scanArchive(reader: Archives, detector: Detector, outer: Origin, bytes: Buffer, limits: ReadLimits, results: ItemResult[]): void {
  const name = outer.path ?? outer.git?.blob ?? 'stdin';
  for (const part of reader.openArchive(bytes, name, limits)) {
    // A member is judged whole: the lines a change adds are lines of the archive, not of its members.
    const origin: Origin = { ...outer, member: part.member || undefined, onlyLines: undefined };
    if (!('skip' in part)) results.push(...withUnread(detector, () => resultOf(detector, origin, load({ bytes: new OwnedBytes(part.bytes) }, limits.maxFileSize))));
    // Not opened (nested too deep), but its bytes are searched for plain keys all the same.
    else if (part.bytes) results.push(...withUnread(detector, () => ({ ...inBinary(detector, origin, part.bytes as Buffer), skip: { reason: part.skip, message: part.message } })));
    else results.push(skipped(origin, part.skip, part.message));
  }
}

/** Loaded content's result. */
function resultOf(detector: Detector, origin: Origin, loaded: Loaded): ItemResult {
  if ('skip' in loaded) return skipped(origin, loaded.skip, loaded.message);
  if ('bytes' in loaded) return { origin, size: loaded.bytes.length, matches: detector.scan(loaded.bytes) };
  return inBinary(detector, origin, 'binary' in loaded ? loaded.binary : loaded.archive);
}

/**
 * Binary content is not read as text (it is counted as a binary file), but a
 * key in a compiled config, a SQLite file or an archive nested too deep sits
 * in it as plain ASCII: it is searched for keys, and each is reported with
 * `encoding: binary`.
 */
function inBinary(detector: Detector, origin: Origin, bytes: Buffer): ItemResult {
  const matches = detector.scan(bytes, { binary: true }).map((m) => ({ ...m, encoding: m.encoding ? `binary/${m.encoding}` : 'binary' }));
  return { origin, size: 0, skip: { reason: 'binary', message: 'binary content' }, matches };
}

function skipped(origin: Origin, reason: SkipReason, message: string): ItemResult {
  return { origin, size: 0, skip: { reason, message }, matches: [] };
}
