/**
 * Where the blobs with findings were introduced, kept beside the scan cache
 * (`<cache file>.places`). An audit reads such blobs again every time (the
 * cache never holds a key), and placing them took a `git log --raw` walk over
 * every commit: on a repository whose findings are accepted in a baseline,
 * that walk was most of every repeated audit (docs/speed.md, “Design measurements”).
 *
 * A placement holds for as long as the object store holds the same commits:
 * the walk goes over every commit in the store, reachable or not, so the set
 * of them (its ids, sorted and hashed) is what is checked, not the refs. One
 * commit more or fewer, and the history is walked again. It holds paths,
 * commit ids, times and authors: nothing a key could be rebuilt from.
 *
 * The file is JSON: `{ format, key, commits, blobs: { <blob>: [[path,
 * commit, time, parents, author, date], …] } }`. One that is damaged or not
 * ours is ignored with a warning and rewritten; it is written to a temporary
 * file and renamed, as the scan cache is.
 */
import { createHash } from 'node:crypto';
import { describeIoError } from '../../common/errors.js';
import { readRegularFile } from '../../common/files.js';
import { writeAtomically } from './cache.js';
import type { CommitInfo, Introductions } from './log.js';

const FORMAT = 'sk-scan placements 1';
/** The largest placements file read. */
const MAX_PLACES = 256 << 20;

type Row = [path: string, commit: string, time: number, parents: string[], author: string, date: string];

interface PlacesFile {
  format: typeof FORMAT;
  key: string;
  commits: string;
  blobs: Record<string, Row[]>;
}

/** The hash that names a set of commits, whatever order they were listed in. */
export function commitSet(commits: readonly string[]): string {
  return createHash('sha256').update([...commits].sort().join('\n')).digest('hex');
}

export class PlacesCache {
  private constructor(
    private readonly file: string,
    private readonly key: string,
    private data: PlacesFile,
  ) {}

  /** The placements at `file` for `key`; none if it is missing, of another key, or damaged (with a warning). */
  static open(file: string, key: string, warn: (message: string) => void): PlacesCache {
    const empty: PlacesFile = { format: FORMAT, key, commits: '', blobs: {} };
    const read = readRegularFile(file, MAX_PLACES);
    if (read === null) return new PlacesCache(file, key, empty);
    if (!('bytes' in read)) {
      warn(`scan cache ${file}: ${'refused' in read ? read.refused : `cannot read it (${read.failed})`}; findings are placed by walking the history, and it is rewritten`);
      return new PlacesCache(file, key, empty);
    }
    const data = parsed(read.bytes.toString('utf8'));
    if (data === null) {
      warn(`scan cache ${file}: damaged or not an sk-scan placements file; ignored, findings are placed by walking the history, and it is rewritten`);
      return new PlacesCache(file, key, empty);
    }
    return new PlacesCache(file, key, data.key === key ? data : empty);
  }

  /** Whether an earlier audit placed `blob` (so the walk need not start early for it). */
  has(blob: string): boolean {
    return Object.hasOwn(this.data.blobs, blob);
  }

  /** Where each of `blobs` was introduced, if an earlier audit placed them all in a store of these `commits`. */
  get(commits: string, blobs: ReadonlySet<string>): Introductions | null {
    if (this.data.commits !== commits || ![...blobs].every((b) => this.has(b))) return null;
    const out: Introductions = new Map();
    for (const blob of blobs) {
      const rows = this.data.blobs[blob] ?? [];
      if (rows.length === 0) continue; // placed nowhere: a blob no commit holds
      out.set(blob, new Map(rows.map(([path, commit, time, parents, author, date]) => [path, { commit, time, parents, author, date } satisfies CommitInfo])));
    }
    return out;
  }

  /** Keeps what the walk found for `blobs` in a store of `commits` (replacing what was kept for another store), and writes it. */
  save(commits: string, blobs: ReadonlySet<string>, found: Introductions, warn: (message: string) => void): void {
    const kept = this.data.commits === commits ? this.data.blobs : {};
    for (const blob of blobs) {
      kept[blob] = [...(found.get(blob) ?? new Map<string, CommitInfo>())].map(([path, c]) => [path, c.commit, c.time, c.parents, c.author, c.date]);
    }
    this.data = { format: FORMAT, key: this.key, commits, blobs: kept };
    try {
      writeAtomically(this.file, [JSON.stringify(this.data)]);
    } catch (err) {
      warn(`scan cache ${this.file}: cannot write it (${describeIoError(err, { writing: true })}); the next audit walks the history to place its findings`);
    }
  }
}

const HEX = /^[0-9a-f]{40,64}$/;

/** The file's content if it is whole and ours, else null: nothing is trusted in part. */
function parsed(text: string): PlacesFile | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const d = data as Partial<PlacesFile> | null;
  if (typeof d !== 'object' || d === null || d.format !== FORMAT || typeof d.key !== 'string' || typeof d.commits !== 'string') return null;
  if (typeof d.blobs !== 'object' || d.blobs === null) return null;
  for (const [blob, rows] of Object.entries(d.blobs)) {
    if (!HEX.test(blob) || !Array.isArray(rows) || !rows.every(isRow)) return null;
  }
  return d as PlacesFile;
}

function isRow(r: unknown): r is Row {
  if (!Array.isArray(r) || r.length !== 6) return false;
  const [path, commit, time, parents, author, date] = r as unknown[];
  return (
    typeof path === 'string' &&
    typeof commit === 'string' &&
    HEX.test(commit) &&
    typeof time === 'number' &&
    Array.isArray(parents) &&
    parents.every((p) => typeof p === 'string') &&
    typeof author === 'string' &&
    typeof date === 'string'
  );
}
