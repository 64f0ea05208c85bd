/**
 * The detect stage: every item a source yields, read and run through the
 * detector (on worker threads when there is enough work). What comes out is a
 * list of detections: the item's origin, carried along unread, and each match
 * with the hash that identifies its key.
 *
 * Names are content too: a key in a file or folder name is as public as one
 * inside the file. Each batch's paths are scanned here, on this thread, and a
 * key found in a name is a detection whose place is that name.
 */
import { originLabel } from '../sources/origin.js';
import { ItemObserver, type Origin, type ReadItem, type Source, type SourceEvents, type SourceItem } from '../sources/types.js';
import { sha256 } from './engine.js';
import type { ReadLimits } from './item.js';
import { detectAll, localDetector } from './pool.js';
import type { Detection } from '../pipeline/handoff.js';
import type { RuleSpec } from './rule.js';

export interface DetectOptions extends ReadLimits {
  rules: RuleSpec[];
  /** false: nothing decoded (see PipelineOptions.decode). */
  decode?: boolean;
  /** Worker threads; 1 keeps everything on the calling thread. */
  threads?: number;
  /** Where the source reports what it skipped and what the user should know; items skipped here are reported there too. */
  events: SourceEvents;
  /** Each item scanned, with its size in bytes. */
  onScanned(bytes: number): void;
}

/** The observer of a source that has none: every hook its default. */
const NOBODY = new ItemObserver();

export async function detectStage(source: Source, opts: DetectOptions): Promise<Detection[]> {
  const found: Detection[] = [];
  const names = new NameScanner(opts.rules, found);
  const observer = source.observer ?? NOBODY;
  await detectAll(
    probedAside(names.tap(source.items(opts.events)), (item) => {
      // Read by the source and holding no anchor: clean, without a trip through detection.
      opts.onScanned(item.probed);
      observer.result(item.origin, true);
    }),
    { rules: opts.rules, decode: opts.decode, maxFileSize: opts.maxFileSize, maxArchiveBytes: opts.maxArchiveBytes },
    (r) => {
      // Binary content is counted as skipped (not read as text), yet searched for keys: it may have matches too.
      if (r.skip) opts.events.skip(r.skip.reason, originLabel(r.origin), r.skip.message);
      else opts.onScanned(r.size);
      // Clean: read whole (binary content is searched whole too) and nothing in it.
      observer.result(r.origin, r.matches.length === 0 && (!r.skip || r.skip.reason === 'binary'));
      if (r.matches.length > 0) observer.found(r.origin);
      const lines = r.origin.onlyLines ? new Set(r.origin.onlyLines) : null;
      for (const match of r.matches) {
        if (!lines || lines.has(match.line)) found.push({ origin: r.origin, match, sha256: sha256(match.secret) });
      }
    },
    opts.threads,
  );
  if (source.history) names.scan(await source.history.names());
  observer.finished();
  return found;
}

/** The items detection reads; those the source found clean (ProbedItem) go to `clean` instead. */
async function* probedAside(batches: AsyncIterable<SourceItem[]>, clean: (item: SourceItem & { probed: number }) => void): AsyncIterable<ReadItem[]> {
  for await (const batch of batches) {
    const read: ReadItem[] = [];
    for (const item of batch) {
      if ('probed' in item) clean(item);
      else read.push(item);
    }
    if (read.length > 0) yield read;
  }
}

/**
 * Keys in the names of places that attribution found (a path in history where
 * a key's blob was introduced): every path a report prints is scanned, and a
 * key in one is a finding of its own, as the working-tree walk makes it.
 * `found` is added to; names it already holds are not found twice.
 */
export function keysInPlacedNames(rules: RuleSpec[], found: Detection[]): void {
  const scanner = new NameScanner(rules, found);
  for (const d of found) if (d.origin.inName) scanner.saw(d.origin.path ?? '', d.match.secret);
  scanner.scan(found.filter((d) => !d.origin.inName && d.origin.path !== null).map((d) => d.origin));
}

/**
 * Keys in the names of what a source yields. A batch's paths are joined one
 * per line and scanned at once; a match names the file, or the folder, whose
 * name holds it, once however many files lie below that folder.
 */
class NameScanner {
  private readonly seen = new Set<string>();

  constructor(
    private readonly rules: RuleSpec[],
    private readonly found: Detection[],
  ) {}

  async *tap(batches: AsyncIterable<SourceItem[]>): AsyncIterable<SourceItem[]> {
    for await (const batch of batches) {
      this.scan(batch.map((item) => item.origin));
      yield batch;
    }
  }

  /** A name already reported (by another scan of names): not found again. */
  saw(place: string, secret: string): void {
    this.seen.add(`${place}\0${secret}`);
  }

  scan(origins: Origin[]): void {
    const named = origins.filter((origin) => origin.path !== null);
    if (named.length === 0) return;
    const paths = named.map((origin) => origin.path as string);
    const { detector } = localDetector(this.rules);
    // One name per line: a newline inside a name (names may hold one) is scanned as a NUL, which no key crosses.
    for (const match of detector.scan(Buffer.from(paths.map((p) => p.replace(/\n/g, '\0')).join('\n')))) {
      const origin = named[match.line - 1] as Origin;
      const path = paths[match.line - 1] as string;
      // The place is the name that holds the key: the file's own, or a folder's above it.
      const at = path.indexOf(match.secret);
      const end = path.indexOf('/', at + match.secret.length);
      const place = end === -1 ? path : path.slice(0, end);
      if (this.seen.has(`${place}\0${match.secret}`)) continue;
      this.seen.add(`${place}\0${match.secret}`);
      this.found.push({ origin: { ...origin, path: place, inName: true, onlyLines: undefined, member: undefined }, match: { ...match, line: 1, allow: undefined }, sha256: sha256(match.secret) });
    }
  }
}
