/**
 * `sk-scan git`: every object in a repository's object database, read once.
 *
 * Whole history: `cat-file --batch-all-objects` lists every blob and commit,
 * whatever reaches it (branches, tags, remote refs, the stash, the index, and
 * objects no ref reaches any more), and `cat-file --batch` reads them while the
 * listing is still being written. Each blob is scanned once however many
 * commits hold it; each commit's message is scanned too. Paths and commits are
 * worked out only when there is something to place: the first finding in a
 * blob starts one `git log --raw` walk (no patches) over every commit, which
 * runs alongside the rest of the read, and only the walk's records that
 * mention a blob with a finding are parsed.
 *
 * A range (`--since REV`, `--range A..B`): `git log --raw` over the range says
 * which blobs its commits introduced, at which paths; only those are read.
 */
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readObjects, type ObjectProblem, type WantedObject } from './catfile.js';
import { GitToFile, gitText, privateTempDir, signal } from './exec.js';
import { parseFor, logArgs, logIntroduced, type CommitInfo } from './log.js';
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
  /** The commit graph, read once the first finding shows it is needed. */
  graph: Promise<CommitGraph> | null;
  /** Whole history: the `git log --raw` walk, started at the first finding in a blob (see onFinding). */
  walk: Walk | null;
  /** Settles when every commit id is in `commits`. */
  listed: Promise<void>;
}

interface Walk {
  logs: GitToFile[];
  tmp: string;
  /** Settles when every commit has a log (after the listing). */
  started: Promise<void>;
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
        const scan: RepoScan = { repo, commits: [], introductions: null, head: null, graph: null, walk: null, listed: Promise.resolve() };
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
    onFinding(found) {
      const scan = scans.get(found.target ?? '');
      if (!scan) return;
      scan.graph ??= commitGraph(scan.repo.dir);
      if (found.git?.blob !== undefined) startWalk(scan);
    },
    async close() {
      for (const scan of scans.values()) endWalk(scan);
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

/**
 * `--batch-check` output (`<oid> <type> <size>` lines, in chunks of any size)
 * into the objects to read: commits (also passed to `onCommit`) and blobs
 * within the size limit. An object git lists but cannot read, and an oversized
 * blob, are counted instead.
 */
class Listing {
  private rest = '';

  constructor(
    private readonly opts: GitOptions,
    private readonly events: SourceEvents,
    private readonly onCommit?: (oid: string) => void,
  ) {}

  push(text: string): WantedObject[] {
    const data = this.rest + text;
    const wanted: WantedObject[] = [];
    let at = 0;
    for (let nl = data.indexOf('\n'); nl !== -1; at = nl + 1, nl = data.indexOf('\n', at)) {
      const sp = data.indexOf(' ', at);
      if (sp === -1 || sp > nl) continue;
      // Trees, the bulk of any listing, are passed over on their first letter.
      const kind = data.charCodeAt(sp + 1);
      if (kind === 116 /* t: tree, tag */) continue;
      let sp2 = data.indexOf(' ', sp + 1);
      if (sp2 === -1 || sp2 > nl) sp2 = nl;
      const oid = data.slice(at, sp);
      const type = data.slice(sp + 1, sp2);
      const size = sp2 < nl ? Number(data.slice(sp2 + 1, nl)) : 0;
      if (type === 'commit') {
        this.onCommit?.(oid);
        wanted.push({ oid, size });
      } else if (type === 'blob') {
        if (size > this.opts.maxFileSize) this.events.skip('tooLarge', `blob ${oid}`, `${size} bytes`);
        else wanted.push({ oid, size });
      } else if (type === 'missing') {
        this.events.skip('unreadable', `object ${oid}`, 'missing or corrupt: git cannot read it');
      }
    }
    this.rest = data.slice(at);
    return wanted;
  }

  end(): WantedObject[] {
    return this.rest === '' ? [] : this.push('\n');
  }
}

/**
 * Every blob and commit in the object database, as git lists them (pack
 * order), batch by batch. git lists into a temporary file, so it never waits
 * for this process, which takes whatever has been listed at each turn.
 */
async function* listAll(scan: RepoScan, opts: GitOptions, events: SourceEvents): AsyncIterable<WantedObject[]> {
  const tmp = privateTempDir();
  const out = new GitToFile(scan.repo.dir, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype) %(objectsize)', '--unordered'], '', tmp);
  try {
    const listing = new Listing(opts, events, (commit) => scan.commits.push(commit));
    for await (const chunk of out.follow()) yield listing.push(chunk.toString('latin1'));
    yield listing.end();
    if (out.code !== 0) throw out.failure('listing the objects (git cat-file)');
  } finally {
    out.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function origin(scan: RepoScan, fields: Partial<Origin>): Origin {
  return { path: null, commit: null, target: scan.repo.given, ...fields };
}

async function* allItems(scan: RepoScan, opts: GitOptions, events: SourceEvents): AsyncIterable<SourceItem[]> {
  const limits = describeLimits(scan, events);
  // Objects are read while git is still listing them; the commit list is complete when the listing is.
  const listed = signal();
  scan.listed = listed.promise;
  async function* listing() {
    yield* listAll(scan, opts, events);
    listed.fire();
  }
  yield* objectItems(scan, listing(), events);
  await limits;
}

async function* rangeItems(scan: RepoScan, revs: string[], opts: GitOptions, events: SourceEvents): AsyncIterable<SourceItem[]> {
  const introductions: Introductions = new Map();
  scan.introductions = introductions;
  await describeLimits(scan, events);
  if (revs.length === 0) return; // nothing selected (a push that only deletes)
  const commits: WantedObject[] = [];
  await logIntroduced(
    scan.repo.dir,
    revs,
    (e) => recordEarliest(introductions, e.blob, e.path, e.commit),
    (c) => commits.push({ oid: c.commit, size: 0 }),
  );
  // Sizes first, so that an oversized blob is counted rather than read.
  const blobs = [...introductions.keys()];
  const sizes = blobs.length > 0 ? await gitText(scan.repo.dir, ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], blobs.join('\n') + '\n') : '';
  const listing = new Listing(opts, events);
  yield* objectItems(scan, [commits, listing.push(sizes), listing.end()], events);
}

async function* objectItems(scan: RepoScan, wanted: Iterable<WantedObject[]> | AsyncIterable<WantedObject[]>, events: SourceEvents): AsyncIterable<SourceItem[]> {
  const onProblem = (p: ObjectProblem) => events.skip('unreadable', `object ${p.oid}`, `${p.reason}: ${p.message}`);
  // One core stays with this process, which scans as fast as one git inflates; the others inflate.
  for await (const batch of readObjects(scan.repo.dir, wanted, onProblem, Math.max(1, availableParallelism() - 1))) {
    yield batch.map((obj): SourceItem => {
      if (obj.type !== 'commit') return { origin: origin(scan, { git: { blob: obj.oid } }), bytes: obj.bytes, transient: true };
      // Only the message is scanned; author and date are looked up for the few commits with findings.
      return { origin: origin(scan, { commit: obj.oid, git: { in: 'message' } }), bytes: messageOf(obj.bytes), transient: true };
    });
  }
}

/** A commit object's message: what follows its header. */
function messageOf(commit: Buffer): Buffer {
  const end = commit.indexOf('\n\n');
  return end === -1 ? Buffer.alloc(0) : commit.subarray(end + 2);
}

/** Author (`Name <email>`) and author date (ISO 8601) of each commit. */
async function authors(dir: string, commits: string[]): Promise<Map<string, { author: string; date: string }>> {
  const out = new Map<string, { author: string; date: string }>();
  if (commits.length === 0) return out;
  const text = await gitText(dir, ['log', '--no-walk=unsorted', '--stdin', '--format=%H%x02%an <%ae>%x02%aI'], commits.join('\n') + '\n');
  for (const line of text.split('\n')) {
    const [commit = '', author = '', date = ''] = line.split('\u0002');
    if (commit) out.set(commit, { author, date });
  }
  return out;
}

function recordEarliest(map: Introductions, blob: string, path: string, commit: CommitInfo): void {
  let paths = map.get(blob);
  if (!paths) map.set(blob, (paths = new Map()));
  const seen = paths.get(path);
  // Earliest by commit time; on a tie (a rebase stamps many commits with one time) a parent comes first.
  if (!seen || commit.time < seen.time || (commit.time === seen.time && seen.parents.includes(commit.commit))) paths.set(path, commit);
}

/**
 * Whole history: every commit in the object store (reachable or not) diffed
 * against its parents (`git log --raw`, into temporary files). It starts at the
 * first finding in a blob, over the commits listed by then, and goes on over
 * the rest once the listing is complete, so it runs while the history is still
 * being read, and a clean history never pays for it; the output is parsed
 * afterwards, when every blob with a finding is known.
 */
function startWalk(scan: RepoScan): void {
  if (scan.walk || scan.introductions !== null) return;
  const walk: Walk = { logs: [], tmp: privateTempDir(), started: Promise.resolve() };
  scan.walk = walk;
  const log = (commits: string[]) => {
    if (scan.walk === walk && commits.length > 0) {
      walk.logs.push(new GitToFile(scan.repo.dir, logArgs(['--no-walk=unsorted'], true), commits.join('\n') + '\n', walk.tmp));
    }
  };
  // The commits listed so far now, the rest when the listing is complete.
  const now = scan.commits.length;
  log(scan.commits.slice(0, now));
  walk.started = scan.listed.then(() => log(scan.commits.slice(now)));
}

function endWalk(scan: RepoScan): void {
  if (!scan.walk) return;
  for (const log of scan.walk.logs) log.close();
  rmSync(scan.walk.tmp, { recursive: true, force: true });
  scan.walk = null;
}

/** Where the walk saw each of `wanted` introduced. */
async function walked(scan: RepoScan, wanted: Set<string>): Promise<Introductions> {
  const found: Introductions = new Map();
  if (wanted.size === 0) return found;
  startWalk(scan);
  try {
    await scan.walk?.started;
    const logs = scan.walk?.logs ?? [];
    await Promise.all(logs.map((l) => l.exited));
    for (const log of logs) {
      if (log.code !== 0) throw log.failure('git log');
      await parseFor(log.follow(), wanted, (e) => recordEarliest(found, e.blob, e.path, e.commit));
    }
  } finally {
    endWalk(scan);
  }
  return found;
}

async function attributeInRepo(scan: RepoScan, hits: Hit[]): Promise<Origin[][]> {
  const dir = scan.repo.dir;
  const graph = (scan.graph ??= commitGraph(dir));
  const introductions =
    scan.introductions ?? (await walked(scan, new Set(hits.map((h) => h.origin.git?.blob).filter((b): b is string => b !== undefined))));
  const inMessages = hits.filter((h) => h.origin.git?.in === 'message').map((h) => h.origin.commit ?? '');
  const [{ reachable, refsContaining }, byCommit] = await Promise.all([graph, authors(dir, [...new Set(inMessages)].filter(Boolean))]);

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
        const by = byCommit.get(commit);
        return [{ ...hit.origin, author: by?.author ?? null, date: by?.date ?? null, git: { ...place, refs: refsOf(commit), atHead: here, unreachable: !reachable.has(commit) } }];
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
interface CommitGraph {
  reachable: Set<string>;
  refsContaining(commit: string): string[];
}

async function commitGraph(dir: string): Promise<CommitGraph> {
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
