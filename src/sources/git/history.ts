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
import { readObjectsParallel, type ObjectProblem } from './catfile.js';
import { availableParallelism } from 'node:os';
import { gitText, isoDate } from './exec.js';
import { logIntroduced, type CommitInfo } from './log.js';
import { headTree, openRepo, type HeadTree, type Repo } from './repo.js';
import type { Hit, Origin, Source, SourceEvents, SourceItem } from '../types.js';
import { groupBy, pushTo } from '../../group.js';

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

/** Open each repository (cloning URLs); on failure, what was already cloned is removed. */
export async function openRepos(targets: string[]): Promise<Repo[]> {
  const repos: Repo[] = [];
  try {
    for (const t of targets) repos.push(await openRepo(t));
  } catch (err) {
    for (const r of repos) r.close();
    throw err;
  }
  return repos;
}

export function gitSource(repos: Repo[], opts: GitOptions): Source {
  const scans = new Map<string, RepoScan>();
  const revs = opts.revs ?? null;
  return {
    kind: 'git',
    root: repos.length === 1 ? (repos[0]?.given ?? '.') : '.',
    async *items(events) {
      for (const repo of repos) {
        const scan: RepoScan = { repo, commits: [], introductions: null, head: null };
        scans.set(repo.given, scan);
        yield* revs ? rangeItems(scan, revs, opts, events) : allItems(scan, opts, events);
      }
    },
    async attribute(hits) {
      const out: Origin[][] = [];
      const byTarget = groupBy(hits.keys(), (i) => hits[i]?.origin.target ?? '');
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
      for (const repo of repos) repo.close();
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

/** `<oid> <type> <size>` lines, parsed without splitting every line into a new array. */
function* records(listing: string): Iterable<[string, string, string]> {
  for (let at = 0; at < listing.length; ) {
    let nl = listing.indexOf('\n', at);
    if (nl === -1) nl = listing.length;
    const sp1 = listing.indexOf(' ', at);
    if (sp1 !== -1 && sp1 < nl) {
      const sp2 = listing.indexOf(' ', sp1 + 1);
      const typeEnd = sp2 !== -1 && sp2 < nl ? sp2 : nl;
      yield [listing.slice(at, sp1), listing.slice(sp1 + 1, typeEnd), typeEnd < nl ? listing.slice(typeEnd + 1, nl) : ''];
    }
    at = nl + 1;
  }
}

/**
 * From a `--batch-check` listing, the objects to read: commits (passed to
 * `onCommit` too) and blobs within the size limit. An object git lists but
 * cannot read, and an oversized blob, are counted instead.
 */
function readable(listing: string, opts: GitOptions, events: SourceEvents, onCommit?: (oid: string) => void): string[] {
  const wanted: string[] = [];
  for (const [oid, type, size] of records(listing)) {
    if (type === 'missing') {
      events.skip('unreadable', `object ${oid}`, 'missing or corrupt: git cannot read it');
    } else if (type === 'commit') {
      onCommit?.(oid);
      wanted.push(oid);
    } else if (type === 'blob') {
      if (Number(size) > opts.maxFileSize) events.skip('tooLarge', `blob ${oid}`, `${size} bytes`);
      else wanted.push(oid);
    }
  }
  return wanted;
}

function origin(scan: RepoScan, fields: Partial<Origin>): Origin {
  return { path: null, commit: null, target: scan.repo.given, ...fields };
}

async function* allItems(scan: RepoScan, opts: GitOptions, events: SourceEvents): AsyncIterable<SourceItem[]> {
  const [listing] = await Promise.all([
    gitText(scan.repo.dir, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype) %(objectsize)', '--unordered']),
    describeLimits(scan, events),
  ]);
  const wanted = readable(listing, opts, events, (commit) => scan.commits.push(commit));
  yield* objectItems(scan, wanted, events);
}

async function* rangeItems(scan: RepoScan, revs: string[], opts: GitOptions, events: SourceEvents): AsyncIterable<SourceItem[]> {
  const introductions: Introductions = new Map();
  scan.introductions = introductions;
  await describeLimits(scan, events);
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
  const sizes = blobs.length > 0 ? await gitText(scan.repo.dir, ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], blobs.join('\n') + '\n') : '';
  yield* objectItems(scan, [...commits, ...readable(sizes, opts, events)], events);
}

async function* objectItems(scan: RepoScan, oids: string[], events: SourceEvents): AsyncIterable<SourceItem[]> {
  const onProblem = (p: ObjectProblem) => events.skip('unreadable', `object ${p.oid}`, `${p.reason}: ${p.message}`);
  for await (const batch of readObjectsParallel(scan.repo.dir, oids, availableParallelism(), onProblem)) {
    yield batch.map((obj): SourceItem => {
      if (obj.type !== 'commit') return { origin: origin(scan, { git: { blob: obj.oid } }), bytes: obj.bytes };
      const c = parseCommit(obj.bytes);
      return { origin: origin(scan, { commit: obj.oid, author: c.author, date: c.date, git: { in: 'message' } }), bytes: c.message };
    });
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
  // Earliest by commit time; on a tie (a rebase stamps many commits with one time) a parent comes first.
  if (!seen || commit.time < seen.time || (commit.time === seen.time && seen.parents.includes(commit.commit))) paths.set(path, commit);
}

async function attributeInRepo(scan: RepoScan, hits: Hit[]): Promise<Origin[][]> {
  const dir = scan.repo.dir;
  const graph = commitGraph(dir);

  let introductions = scan.introductions;
  if (introductions === null) {
    // Whole history: every commit in the object store (reachable or not) is
    // diffed against its parents, in one git process per core, recording only
    // the blobs that have findings.
    const wanted = new Set(hits.map((h) => h.origin.git?.blob).filter((b): b is string => b !== undefined));
    const found: Introductions = new Map();
    introductions = found;
    if (wanted.size > 0) {
      const parts = Math.max(1, Math.min(availableParallelism(), Math.ceil(scan.commits.length / 500)));
      const size = Math.ceil(scan.commits.length / parts);
      await Promise.all(
        Array.from({ length: parts }, (_, i) =>
          logIntroduced(
            dir,
            ['--no-walk=unsorted'],
            (e) => wanted.has(e.blob) && recordEarliest(found, e.blob, e.path, e.commit),
            scan.commits.slice(i * size, (i + 1) * size),
          ),
        ),
      );
    }
  }
  const { reachable, refsContaining } = await graph;

  let index: Promise<Map<string, string[]>> | null = null;
  const indexPaths = () => (index ??= readIndex(dir));
  const headBlobs = scan.head?.blobs ?? new Set<string>();
  const atHead = new Set(hits.filter((h) => h.origin.git?.blob && headBlobs.has(h.origin.git.blob)).map((h) => h.secret));
  const refsCache = new Map<string, string[]>();
  const refsOf = (commit: string) => {
    let r = refsCache.get(commit);
    if (!r) refsCache.set(commit, (r = refsContaining(commit)));
    return r;
  };

  return Promise.all(
    hits.map(async (hit) => {
      const place = hit.origin.git ?? {};
      const here = atHead.has(hit.secret);
      if (place.in === 'message' && hit.origin.commit) {
        const commit = hit.origin.commit;
        return [{ ...hit.origin, git: { ...place, refs: refsOf(commit), atHead: here, unreachable: !reachable.has(commit) } }];
      }
      const paths = place.blob ? introductions.get(place.blob) : undefined;
      if (!paths || paths.size === 0) {
        // Held by no commit: staged and never committed (named by its index path), or dangling.
        const staged = place.blob ? (await indexPaths()).get(place.blob) : undefined;
        if (staged) return staged.map((path) => ({ ...hit.origin, path, git: { ...place, refs: [], atHead: here, in: 'index' as const } }));
        return [{ ...hit.origin, git: { ...place, refs: [], atHead: here, unreachable: true } }];
      }
      return Promise.all(
        [...paths].map(async ([path, c]) => ({
          ...hit.origin,
          path,
          commit: c.commit,
          author: c.author,
          date: c.date,
          git: { ...place, refs: refsOf(c.commit), atHead: here, unreachable: !reachable.has(c.commit) },
        })),
      );
    }),
  );
}

/** Blob id → paths in the index (what `git add` staged); empty for a bare repository. */
async function readIndex(dir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let listing: string;
  try {
    listing = await gitText(dir, ['ls-files', '--stage', '-z']);
  } catch {
    return out;
  }
  for (const entry of listing.split('\0')) {
    // "<mode> <oid> <stage>\t<path>"
    const tab = entry.indexOf('\t');
    if (tab === -1) continue;
    const oid = entry.split(' ')[1] ?? '';
    pushTo(out, oid, entry.slice(tab + 1));
  }
  return out;
}

/**
 * The commit graph of everything refs reach, read once (two git processes), for
 * two questions: is a commit reachable at all, and which refs reach it. The
 * second is a walk over children from the commit, in this process, rather than
 * one `for-each-ref --contains` process per commit.
 */
async function commitGraph(dir: string): Promise<{ reachable: Set<string>; refsContaining(commit: string): string[] }> {
  const [revList, refList] = await Promise.all([
    gitText(dir, ['rev-list', '--all', '--parents']),
    gitText(dir, ['for-each-ref', '--format=%(objectname) %(*objectname) %(refname)']),
  ]);
  const children = new Map<string, string[]>();
  const reachable = new Set<string>();
  for (const line of revList.split('\n')) {
    if (line === '') continue;
    const [commit = '', ...parents] = line.split(' ');
    reachable.add(commit);
    for (const p of parents) pushTo(children, p, commit);
  }
  const tips = new Map<string, string[]>(); // commit -> refs pointing at it (tags peeled)
  for (const line of refList.split('\n')) {
    const [oid = '', peeled = '', name = ''] = line.split(' ');
    const tip = peeled || oid;
    if (name) pushTo(tips, tip, name);
  }
  return {
    reachable,
    refsContaining(commit) {
      const refs: string[] = [];
      const seen = new Set([commit]);
      for (const todo = [commit]; todo.length > 0; ) {
        const c = todo.pop() as string;
        refs.push(...(tips.get(c) ?? []));
        for (const child of children.get(c) ?? []) {
          if (!seen.has(child)) {
            seen.add(child);
            todo.push(child);
          }
        }
      }
      return refs.sort().slice(0, REFS_CAP);
    },
  };
}
