/**
 * What commits introduced: `git log --raw -c -z` parsed into (commit, path,
 * blob) records. It never asks for patches (`-p`): git only compares trees, so
 * a history of thousands of commits lists in about a second.
 *
 * Merges are listed with `-c`: a path shows up only where the merge's result
 * differs from every parent, which is exactly what a conflict resolution adds.
 *
 * Each commit's record starts with a marker made for this one walk (a random
 * nonce): a path may hold any byte but NUL, so a fixed marker could be forged
 * by a file name; this one cannot be guessed. Paths are read as bytes
 * (names.ts), so a name that is not UTF-8 is reported as it is.
 */
import { randomBytes } from 'node:crypto';
import { BULK_READ, gitOutput, Leftover } from '../../gitexec/output.js';
import { isZeroId, type Git } from '../../gitexec/run.js';
import { decodeName } from '../../common/names.js';

export interface CommitInfo {
  commit: string;
  parents: string[];
  /** Committer time, seconds since the epoch: orders "earliest". */
  time: number;
  author: string;
  /** Author date, ISO 8601. */
  date: string;
}

export interface Introduced {
  commit: CommitInfo;
  path: string;
  blob: string;
  /** The blob at that path in each parent (all zeros where the path was not there). */
  before: string[];
}

/** Blob → path → the earliest commit that introduced the blob at that path. */
export type Introductions = Map<string, Map<string, CommitInfo>>;

/** Keep `commit` for (blob, path) if it is earlier than the one recorded. */
export function recordEarliest(map: Introductions, e: Introduced): void {
  let paths = map.get(e.blob);
  if (!paths) map.set(e.blob, (paths = new Map<string, CommitInfo>()));
  const seen = paths.get(e.path);
  // Earliest by commit time; on a tie (a rebase stamps many commits with one time) a parent comes first.
  if (!seen || e.commit.time < seen.time || (e.commit.time === seen.time && seen.parents.includes(e.commit.commit))) paths.set(e.path, e.commit);
}

/** One walk's output format: its record marker and the arguments that make git print it. */
export class LogFormat {
  /** Starts every commit's record: 0x01, then this walk's nonce, then 0x02. */
  readonly marker: Buffer;
  /** `git log` arguments that list each commit and the blobs it introduced (the revisions go after them). */
  readonly args: string[];

  constructor() {
    const nonce = randomBytes(8).toString('hex');
    this.marker = Buffer.from(`\x01${nonce}\x02`, 'latin1');
    // A root commit's files count as introduced (log.showRoot is pinned for every git call). No ordering is
    // asked for: callers pick the earliest commit themselves.
    this.args = [...BULK_READ, 'log', '-z', '--raw', '-c', '--no-abbrev', '--no-renames', '--no-ext-diff', '--no-textconv', '--no-show-signature', `--format=%x01${nonce}%x02%H%x02%ct%x02%P%x02%an <%ae>%x02%aI`];
  }
}


/** `git log` for `revs`, read as git writes it: `onEntry` for each blob a commit added or changed. */
export async function logIntroduced(git: Git, revs: string[], onEntry: (e: Introduced) => void, onCommit?: (c: CommitInfo) => void, limits: string[] = []): Promise<void> {
  const format = new LogFormat();
  const parser = new LogParser(format, onEntry, onCommit);
  for await (const chunk of gitOutput(git, [...format.args, ...limits], { revs, what: 'git log' })) parser.push(chunk);
  parser.end();
}

/** A walk's output, fed in chunks of any size: each record parsed as soon as it is whole. */
export class LogParser {
  private readonly rest = new Leftover();

  constructor(
    private readonly format: LogFormat,
    private readonly onEntry: (e: Introduced) => void,
    private readonly onCommit?: (c: CommitInfo) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const data = this.rest.join(chunk);
    const { marker } = this.format;
    let start = data.indexOf(marker);
    if (start === -1) {
      this.rest.keep(data, 0);
      return;
    }
    for (let next = data.indexOf(marker, start + 1); next !== -1; start = next, next = data.indexOf(marker, start + 1)) {
      parseRecord(data.subarray(start + marker.length, next), this.onEntry, this.onCommit);
    }
    this.rest.keep(data, start);
  }

  end(): void {
    const rest = this.rest.kept;
    if (rest.length > 0 && rest.indexOf(this.format.marker) === 0) {
      parseRecord(rest.subarray(this.format.marker.length), this.onEntry, this.onCommit);
    }
    this.rest.clear();
  }
}

/** Above this many blobs, a walk's output is parsed whole rather than searched blob by blob. */
const SEARCH_MAX = 64;

/**
 * A walk's output, in chunks, for a few blobs: only the records that mention
 * one of them are parsed. A walk over a whole history prints every commit; the
 * blobs with findings are usually a handful, and a native search for each is
 * far cheaper than decoding and splitting every record.
 */
export async function parseFor(format: LogFormat, chunks: AsyncIterable<Buffer>, blobs: ReadonlySet<string>, onEntry: (e: Introduced) => void): Promise<void> {
  const onWanted = (e: Introduced) => blobs.has(e.blob) && onEntry(e);
  if (blobs.size > SEARCH_MAX) {
    const parser = new LogParser(format, onWanted);
    for await (const chunk of chunks) parser.push(chunk);
    parser.end();
    return;
  }
  const { marker } = format;
  const needles = [...blobs].map((b) => Buffer.from(b, 'latin1'));
  const search = (data: Buffer) => {
    const starts = new Set<number>();
    for (const needle of needles) {
      for (let hit = data.indexOf(needle); hit !== -1; hit = data.indexOf(needle, hit + needle.length)) {
        starts.add(data.lastIndexOf(marker, hit));
      }
    }
    for (const start of [...starts].sort((x, y) => x - y)) {
      if (start === -1) continue;
      const end = data.indexOf(marker, start + 1);
      parseRecord(data.subarray(start + marker.length, end === -1 ? data.length : end), onWanted);
    }
  };
  const carry = new Leftover();
  for await (const chunk of chunks) {
    const data = carry.join(chunk);
    const last = data.lastIndexOf(marker);
    if (last <= 0) {
      carry.keep(data, 0);
      continue;
    }
    search(data.subarray(0, last));
    carry.keep(data, last);
  }
  if (carry.kept.length > 0) search(carry.kept);
}

/** One commit's record (after its marker): `commit 0x02 time 0x02 parents 0x02 author 0x02 date NUL`, then `:meta NUL path NUL` per blob. */
function parseRecord(record: Buffer, onEntry: (e: Introduced) => void, onCommit?: (c: CommitInfo) => void): void {
  const headEnd = record.indexOf(0);
  const head = record.toString('utf8', 0, headEnd === -1 ? record.length : headEnd).split('\u0002');
  const current: CommitInfo = {
    commit: head[0] ?? '',
    time: Number(head[1]),
    parents: (head[2] ?? '').split(' ').filter(Boolean),
    author: head[3] ?? '',
    date: head[4] ?? '',
  };
  onCommit?.(current);
  // Entries are `:meta` then the path, in that order, so a path is never read as a meta (whatever it holds).
  for (let at = headEnd + 1; headEnd !== -1 && at < record.length; ) {
    const metaEnd = record.indexOf(0, at);
    if (metaEnd === -1) break;
    const meta = record.toString('latin1', at, metaEnd).replace(/^\n/, '');
    at = metaEnd + 1;
    if (!meta.startsWith(':')) continue; // merges put an empty field before their first entry
    const pathEnd = record.indexOf(0, at);
    const path = decodeName(record.subarray(at, pathEnd === -1 ? record.length : pathEnd));
    at = pathEnd === -1 ? record.length : pathEnd + 1;
    // With N parents: N+1 modes, N+1 ids, then the status (":m1 m2 s1 s2 M", "::m1 m2 m3 s1 s2 s3 MM").
    // The last mode and the last id are the result's.
    const parts = meta.replace(/^:+/, '').split(' ');
    const n = (parts.length - 3) / 2;
    const mode = parts[n] ?? '';
    const blob = parts[parts.length - 2] ?? '';
    if (isZeroId(blob)) continue; // a deletion
    if (mode.startsWith('160000')) continue; // a submodule's commit, not a blob
    onEntry({ commit: current, path, blob, before: parts.slice(n + 1, parts.length - 2) });
  }
}
