/**
 * What commits introduced: `git log --raw -c -z` parsed into (commit, path,
 * blob) records. It never asks for patches (`-p`): git only compares trees, so
 * a history of thousands of commits lists in about a second.
 *
 * Merges are listed with `-c`: a path shows up only where the merge's result
 * differs from every parent, which is exactly what a conflict resolution adds.
 */
import { BULK_READ, gitOutput } from '../../git/output.js';
import type { Git } from '../../git/run.js';

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

const FORMAT = '%x01%H%x02%ct%x02%P%x02%an <%ae>%x02%aI';
const ZERO = /^0+$/;

/**
 * `git log` arguments that list each commit and the blobs it introduced (the
 * revisions go after them). A root commit's files count as introduced
 * (log.showRoot is pinned for every git call). No ordering is asked for:
 * callers pick the earliest commit themselves.
 */
export const LOG_ARGS = [...BULK_READ, 'log', '-z', '--raw', '-c', '--no-abbrev', '--no-renames', '--no-ext-diff', '--no-textconv', '--no-show-signature', `--format=${FORMAT}`];

/** `git log` for `revs`, read as git writes it: `onEntry` for each blob a commit added or changed. */
export async function logIntroduced(git: Git, revs: string[], onEntry: (e: Introduced) => void, onCommit?: (c: CommitInfo) => void): Promise<void> {
  const parser = new LogParser(onEntry, onCommit);
  for await (const chunk of gitOutput(git, LOG_ARGS, { revs, what: 'git log' })) parser.push(chunk);
  parser.end();
}

/** `logArgs` output, fed in chunks of any size. */
export class LogParser {
  private rest = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly onEntry: (e: Introduced) => void,
    private readonly onCommit?: (c: CommitInfo) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.rest += this.decoder.decode(chunk, { stream: true });
    const records = this.rest.split('\u0001');
    this.rest = records.pop() ?? '';
    for (const r of records) if (r !== '') parseRecord(r, this.onEntry, this.onCommit);
  }

  end(): void {
    this.rest += this.decoder.decode();
    if (this.rest !== '') parseRecord(this.rest, this.onEntry, this.onCommit);
    this.rest = '';
  }
}

/** Above this many blobs, a walk's output is parsed whole rather than searched blob by blob. */
const SEARCH_MAX = 64;
const RS = 0x01;

/**
 * `logArgs` output, in chunks, for a few blobs: only the records that mention
 * one of them are parsed. A walk over a whole history prints every commit; the
 * blobs with findings are usually a handful, and a native search for each is
 * far cheaper than decoding and splitting every record.
 */
export async function parseFor(chunks: AsyncIterable<Buffer>, blobs: ReadonlySet<string>, onEntry: (e: Introduced) => void): Promise<void> {
  const onWanted = (e: Introduced) => blobs.has(e.blob) && onEntry(e);
  if (blobs.size > SEARCH_MAX) {
    const parser = new LogParser(onWanted);
    for await (const chunk of chunks) parser.push(chunk);
    parser.end();
    return;
  }
  const needles = [...blobs].map((b) => Buffer.from(b, 'latin1'));
  const search = (data: Buffer) => {
    const starts = new Set<number>();
    for (const needle of needles) {
      for (let hit = data.indexOf(needle); hit !== -1; hit = data.indexOf(needle, hit + needle.length)) {
        starts.add(data.lastIndexOf(RS, hit));
      }
    }
    for (const start of [...starts].sort((x, y) => x - y)) {
      const end = data.indexOf(RS, start + 1);
      parseRecord(data.toString('utf8', start + 1, end === -1 ? data.length : end), onWanted);
    }
  };
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
    const last = data.lastIndexOf(RS);
    if (last <= 0) {
      carry = data;
      continue;
    }
    search(data.subarray(0, last));
    carry = data.subarray(last);
  }
  if (carry.length > 0) search(carry);
}

function parseRecord(record: string, onEntry: (e: Introduced) => void, onCommit?: (c: CommitInfo) => void): void {
  // record: header \0 \n :meta \0 path \0 :meta \0 path \0 ...
  const fields = record.split('\0');
  const head = (fields[0] ?? '').split('\u0002');
  const current: CommitInfo = {
    commit: head[0] ?? '',
    time: Number(head[1]),
    parents: (head[2] ?? '').split(' ').filter(Boolean),
    author: head[3] ?? '',
    date: head[4] ?? '',
  };
  onCommit?.(current);
  // Entries are `:meta`, then the path; merges put an empty field before their first one.
  for (let i = 1; i + 1 < fields.length; i++) {
    const meta = (fields[i] ?? '').replace(/^\n/, '');
    if (!meta.startsWith(':')) continue;
    const path = fields[++i] ?? '';
    // With N parents: N+1 modes, N+1 ids, then the status (":m1 m2 s1 s2 M", "::m1 m2 m3 s1 s2 s3 MM").
    // The last mode and the last id are the result's.
    const parts = meta.replace(/^:+/, '').split(' ');
    const n = (parts.length - 3) / 2;
    const mode = parts[n] ?? '';
    const blob = parts[parts.length - 2] ?? '';
    if (ZERO.test(blob)) continue; // a deletion
    if (mode.startsWith('160000')) continue; // a submodule's commit, not a blob
    onEntry({ commit: current, path, blob });
  }
}
