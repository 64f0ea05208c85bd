/** One item through read → detect: the unit of work a worker thread does. */
import { load, type Scratch } from '../sources/read.js';
import type { Origin, SkipReason, SourceItem } from '../sources/types.js';
import type { Detector, Match } from './engine.js';

export interface ItemResult {
  origin: Origin;
  /** Bytes scanned (0 when skipped). */
  size: number;
  skip?: { reason: SkipReason; message: string };
  matches: Match[];
}

export function processItem(detector: Detector, item: SourceItem, maxFileSize: number, scratch?: Scratch): ItemResult {
  const loaded = load(item, maxFileSize, scratch);
  if ('skip' in loaded) return { origin: item.origin, size: 0, skip: { reason: loaded.skip, message: loaded.message }, matches: [] };
  return { origin: item.origin, size: loaded.bytes.length, matches: detector.scan(loaded.bytes) };
}
