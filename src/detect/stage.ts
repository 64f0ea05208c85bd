/**
 * The detect stage: every item a source yields, read and run through the
 * detector (on worker threads when there is enough work). What comes out is a
 * list of detections: the item's origin, carried along unread, and each match
 * with the hash that identifies its key.
 */
import { originLabel } from '../sources/read.js';
import type { Origin, Source, SourceEvents } from '../sources/types.js';
import { sha256, type Match } from './engine.js';
import { detectAll } from './pool.js';
import type { RuleSpec } from './rule.js';

/** A key found in one item: the hand-off from detect to the stages after it. */
export interface Detection {
  origin: Origin;
  match: Match;
  /** SHA-256 of the secret: its identity everywhere after this stage. */
  sha256: string;
}

export interface DetectOptions {
  rules: RuleSpec[];
  maxFileSize: number;
  /** Worker threads; 1 keeps everything on the calling thread. */
  threads?: number;
  /** Where the source reports what it skipped and what the user should know; items skipped here are reported there too. */
  events: SourceEvents;
  /** Each item scanned, with its size in bytes. */
  onScanned(bytes: number): void;
}

export async function detectStage(source: Source, opts: DetectOptions): Promise<Detection[]> {
  const found: Detection[] = [];
  await detectAll(
    source.items(opts.events),
    { rules: opts.rules, maxFileSize: opts.maxFileSize },
    (r) => {
      if (r.skip) return opts.events.skip(r.skip.reason, originLabel(r.origin), r.skip.message);
      opts.onScanned(r.size);
      if (r.matches.length > 0) source.onFinding?.(r.origin);
      const lines = r.origin.onlyLines ? new Set(r.origin.onlyLines) : null;
      for (const match of r.matches) {
        if (!lines || lines.has(match.line)) found.push({ origin: r.origin, match, sha256: sha256(match.secret) });
      }
    },
    opts.threads,
  );
  return found;
}
