/**
 * `sk-scan git`: every object in a repository's object database, read once.
 *
 * Whole history: `cat-file --batch-all-objects` lists every blob and commit,
 * whatever reaches it (branches, tags, remote refs, the stash, the index, and
 * objects no ref reaches any more), and `cat-file --batch` streams them. Each
 * blob is scanned once however many commits hold it; each commit's message is
 * scanned too. Paths and commits are worked out afterwards, and only for the
 * blobs with findings (one `git log --raw` walk, no patches).
 *
 * A range (`--since REV`, `--range A..B`): `git log --raw` over the range says
 * which blobs its commits introduced, at which paths; only those are read.
 */
import { readObjects, type ObjectProblem } from './catfile.js';
import { git, gitText, isoDate } from './exec.js';
import { logIntroduced, type CommitInfo } from './log.js';
import { headTree, openRepo, type HeadTree, type Repo } from './repo.js';
import type { Hit, Origin, Source, SourceEvents, SourceItem } from '../types.js';

export interface GitOptions {
  /**
   * Scan only what the commits these `git log` revision arguments select
   * introduced (`['A..B']`, `['REV..HEAD']`); the whole object database when absent.
   */
  revs?: string[];
  maxFileSize: number;
}

const REFS_CAP = 10;

/** Earliest commit that introduced each blob at each path. */
type Introductions = Map<string, Map<string, CommitInfo>>;

interface RepoScan {
  repo: Repo;
  /** Every commit id in the object database (whole-history mode). */
  commits: string[];
  /** Range mode: what the range introduced, known before reading. */
  introductions: Introductions | null;
  head: HeadTree | null;
}

export function gitSource(repos: string[], opts: GitOptions): Source {
  const scans = new Map<string, RepoScan>();
  const revs = opts.revs ?? null;
  return {
    kind: 'git',
    root: repos.length === 1 ? (repos[0] ?? '.') : '.',
    async *items(events) {
      for (const given of repos) {
        const repo = await openRepo(given);
        const scan: RepoScan = { repo, commits: [], introductions: null, head: null };
        scans.set(given, scan);
        await describeLimits(scan, events);
        yield* revs ? rangeItems(scan, revs, opts, events) : allItems(scan, opts, events);
      }
    },
    async attribute(hits) {
      const out: Origin[][] = [];
      const byTarget = new Map<string, number[]>();
      hits.forEach((h, i) => byTarget.set(h.origin.target ?? '', [...(byTarget.get(h.origin.target ?? '') ?? []), i]));
      for (const [target, indexes] of byTarget) {
        const scan = scans.get(target);
        if (!scan) continue;
        const resolved = await attributeInRepo(
          scan,
          indexes.map((i) => hits[i] as Hit),
        );
        indexes.forEach((hitIndex, k) => (out[hitIndex] = resolved[k] ?? []));
      }
      return out;
    },
    async close() {
      for (const { repo } of scans.values()) repo.close();
    },
  };
}

/** Say what this scan cannot see: history cut by a shallow clone, submodules. */
async function describeLimits(scan: RepoScan, events: SourceEvents): Promise<void> {
  const { repo } = scan;
  if (repo.shallow) events.warn(`${repo.given}: shallow clone, history before the shallow boundary is not scanned`);
  scan.head = await headTree(repo.dir);
  for (const sm of scan.head.submodules) {
    events.warn(`${repo.given}: submodule ${sm.path} (commit ${sm.commit.slice(0, 12)}) is a separate repository and was not scanned; scan it with sk-scan git on its own`);
  }
}

function origin(scan: RepoScan, fields: Partial<Origin>): Origin {
  return { path: null, commit: null, target: scan.repo.given, ...fields };
}

async function* allItems(scan: RepoScan, opts: GitOptions, events: SourceEvents): AsyncIterable<SourceItem> {
  const listing = await gitText(scan.repo.dir, [
    'cat-file',
    '--batch-all-objects',
    '--batch-check=%(objectname) %(objecttype) %(objectsize)',
    '--unordered',
  ]);
  const wanted: string[] = [];
  for (const line of listing.split('\n')) {
    const [oid = '', type, size] = line.split(' ');
    if (type === 'missing') {
      // Listed by the pack or loose-object index, but its header cannot be read: corrupt.
      events.skip('unreadable', `object ${oid}`, 'corrupt: git cannot read it');
    } else if (type === 'commit') {
      scan.commits.push(oid);
      wanted.push(oid);
    } else if (type === 'blob') {
      if (Number(size) > opts.maxFileSize) events.skip('tooLarge', `blob ${oid}`, `${size} bytes`);
      else wanted.push(oid);
    }
  }
  yield* objectItems(scan, wanted, events);
}

async function* rangeItems(scan: RepoScan, revs: string[], opts: GitOptions, events: SourceEvents): AsyncIterable<SourceItem> {
  const introductions: Introductions = new Map();
  scan.introductions = introductions;
  if (revs.length === 0) return; // nothing selected (a push that only deletes)
  const commits: string[] = [];
  await logIntroduced(
    scan.repo.dir,
    revs,
    (e) => recordEarliest(introductions, e.blob, e.path, e.commit),
    [],
    (c) => commits.push(c.commit),
  );
  // Sizes first, so that an oversized blob is counted rather than read.
  const blobs = [...introductions.keys()];
  const sizes = blobs.length > 0 ? await gitText(scan.repo.dir, ['cat-file', '--batch-check=%(objectname) %(objectsize)'], blobs.join('\n') + '\n') : '';
  const wanted: string[] = [...commits];
  for (const line of sizes.split('\n')) {
    const [oid = '', size] = line.split(' ');
    if (oid === '' || size === 'missing') continue;
    if (Number(size) > opts.maxFileSize) events.skip('tooLarge', `blob ${oid}`, `${size} bytes`);
    else wanted.push(oid);
  }
  yield* objectItems(scan, wanted, events);
}

async function* objectItems(scan: RepoScan, oids: string[], events: SourceEvents): AsyncIterable<SourceItem> {
  const onProblem = (p: ObjectProblem) => events.skip('unreadable', `object ${p.oid}`, `${p.reason}: ${p.message}`);
  for await (const obj of readObjects(scan.repo.dir, oids, onProblem)) {
    if (obj.type === 'blob') {
      yield { origin: origin(scan, { git: { blob: obj.oid } }), bytes: obj.bytes };
    } else if (obj.type === 'commit') {
      const c = parseCommit(obj.bytes);
      yield { origin: origin(scan, { commit: obj.oid, author: c.author, date: c.date, git: { in: 'message' } }), bytes: c.message };
    }
  }
}

/** A commit object's author, author date and message. */
export function parseCommit(bytes: Buffer): { author: string | null; date: string | null; message: Buffer } {
  const end = bytes.indexOf('\n\n');
  const header = bytes.toString('utf8', 0, end === -1 ? bytes.length : end);
  const m = /^author (.*) (\d+) ([+-]\d{4})$/m.exec(header);
  return {
    author: m?.[1] ?? null,
    date: m ? isoDate(Number(m[2]), m[3] ?? '+0000') : null,
    message: end === -1 ? Buffer.alloc(0) : bytes.subarray(end + 2),
  };
}

function recordEarliest(map: Introductions, blob: string, path: string, commit: CommitInfo): void {
  let paths = map.get(blob);
  if (!paths) map.set(blob, (paths = new Map()));
  const seen = paths.get(path);
  // git log lists newest first: on equal times the later-listed commit is the older one.
  if (!seen || commit.time <= seen.time) paths.set(path, commit);
}

async function attributeInRepo(scan: RepoScan, hits: Hit[]): Promise<Origin[][]> {
  const dir = scan.repo.dir;
  const reachable = new Set((await gitText(dir, ['rev-list', '--all'])).split('\n').filter(Boolean));

  let introductions = scan.introductions;
  if (introductions === null) {
    // Whole history: one walk over every ref and every commit no ref reaches,
    // recording only the blobs that have findings.
    const wanted = new Set(hits.map((h) => h.origin.git?.blob).filter((b): b is string => b !== undefined));
    introductions = new Map();
    const found = introductions;
    if (wanted.size > 0) {
      const dropped = scan.commits.filter((c) => !reachable.has(c));
      await logIntroduced(dir, ['--all'], (e) => wanted.has(e.blob) && recordEarliest(found, e.blob, e.path, e.commit), dropped);
    }
  }

  const headBlobs = scan.head?.blobs ?? new Set<string>();
  const atHead = new Set(hits.filter((h) => h.origin.git?.blob && headBlobs.has(h.origin.git.blob)).map((h) => h.secret));
  const refsCache = new Map<string, Promise<string[]>>();
  const refsOf = (commit: string) => {
    let r = refsCache.get(commit);
    if (!r) refsCache.set(commit, (r = refsContaining(dir, commit)));
    return r;
  };

  return Promise.all(
    hits.map(async (hit) => {
      const place = hit.origin.git ?? {};
      const here = atHead.has(hit.secret);
      if (place.in === 'message' && hit.origin.commit) {
        const commit = hit.origin.commit;
        return [{ ...hit.origin, git: { ...place, refs: await refsOf(commit), atHead: here, unreachable: !reachable.has(commit) } }];
      }
      const paths = place.blob ? introductions.get(place.blob) : undefined;
      if (!paths || paths.size === 0) {
        // Held by no commit we can find: a dangling blob, or one only in the index.
        return [{ ...hit.origin, git: { ...place, refs: [], atHead: here, unreachable: true } }];
      }
      return Promise.all(
        [...paths].map(async ([path, c]) => ({
          ...hit.origin,
          path,
          commit: c.commit,
          author: c.author,
          date: c.date,
          git: { ...place, refs: await refsOf(c.commit), atHead: here, unreachable: !reachable.has(c.commit) },
        })),
      );
    }),
  );
}

async function refsContaining(dir: string, commit: string): Promise<string[]> {
  try {
    const out = await git(dir, ['for-each-ref', `--count=${REFS_CAP}`, '--contains', commit, '--format=%(refname)']);
    return out.toString('utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
