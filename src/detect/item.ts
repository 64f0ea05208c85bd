/** One item through read → detect: the unit of work a worker thread does. */
import { openArchive, type ArchiveLimits } from '../sources/archive/index.js';
import { load, OwnedBytes, type Scratch } from '../sources/read.js';
import type { Origin, SkipReason, SourceItem } from '../sources/types.js';
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

/**
 * The item's results: one, or for an archive one per member (each origin
 * naming its member), so that a key inside `pkg.tgz` is found at
 * `pkg.tgz!package/.env` with its own line and column.
 */
export function processItem(detector: Detector, item: SourceItem, limits: ReadLimits, scratch?: Scratch): ItemResult[] {
  const loaded = load(item, limits.maxFileSize, scratch);
  if ('skip' in loaded) return [skipped(item.origin, loaded.skip, loaded.message)];
  if ('bytes' in loaded) return [{ origin: item.origin, size: loaded.bytes.length, matches: detector.scan(loaded.bytes) }];
  if ('binary' in loaded) return [inBinary(detector, item.origin, loaded.binary)];
  const name = item.origin.path ?? item.origin.git?.blob ?? 'stdin';
  const results: ItemResult[] = [];
  for (const part of openArchive(loaded.archive, name, limits)) {
    // A member is judged whole: the lines a change adds are lines of the archive, not of its members.
    const origin: Origin = { ...item.origin, member: part.member || undefined, onlyLines: undefined };
    if ('skip' in part) {
      results.push(skipped(origin, part.skip, part.message));
      continue;
    }
    const member = load({ origin, bytes: new OwnedBytes(part.bytes) }, limits.maxFileSize);
    if ('bytes' in member) results.push({ origin, size: member.bytes.length, matches: detector.scan(member.bytes) });
    else if ('skip' in member) results.push(skipped(origin, member.skip, member.message));
    else results.push(inBinary(detector, origin, 'binary' in member ? member.binary : member.archive));
  }
  return results;
}

/**
 * Binary content is not read as text (it is counted as a binary file), but a
 * key in a compiled config, a SQLite file or an archive nested too deep sits
 * in it as plain ASCII: it is searched for keys, and each is reported with
 * `encoding: binary`.
 */
function inBinary(detector: Detector, origin: Origin, bytes: Buffer): ItemResult {
  const matches = detector.scan(bytes).map((m) => ({ ...m, encoding: m.encoding ? `binary/${m.encoding}` : 'binary' }));
  return { origin, size: 0, skip: { reason: 'binary', message: 'binary content' }, matches };
}

function skipped(origin: Origin, reason: SkipReason, message: string): ItemResult {
  return { origin, size: 0, skip: { reason, message }, matches: [] };
}
