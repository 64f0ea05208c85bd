/**
 * Placing findings in history: for each hit (a key found in an object), the
 * places a reader can act on. One function per kind of place:
 *
 * - a commit message: the commit, its author, the refs that reach it;
 * - an annotated tag's message: the tag, its tagger, the refs that name it;
 * - a committed blob: every path it was introduced at, by the earliest commit;
 * - a blob no commit holds: staged in the index (named by its index path), or dangling;
 * - a ref's name: the ref itself.
 */
import type { Git } from '../../gitexec/run.js';
import { pushTo } from '../../common/group.js';
import { decodeName } from '../../common/names.js';
import type { GitPlace, Hit, Origin } from '../types.js';
import { exposureWindows, type KeyPlaces } from './exposure.js';
import type { CommitGraph } from './graph.js';
import type { Introductions } from './log.js';
import type { HeadTree } from './repo.js';

/** What placing needs, read once per repository. */
export interface History {
  git: Git;
  graph: CommitGraph;
  head: HeadTree;
  /** Where each blob with a hit was introduced. */
  introductions: Introductions;
}

export async function placeHits(history: History, hits: Hit[]): Promise<Origin[][]> {
  const inMessages = hits.filter((h) => h.origin.git?.in === 'message').map((h) => h.origin.commit ?? '');
  const byCommit = await authors(history.git, [...new Set(inMessages)].filter(Boolean));
  // A key is still at HEAD when any blob holding it is in HEAD's tree.
  const atHead = new Set(hits.filter((h) => (h.origin.git?.blob !== undefined && history.head.blobs.has(h.origin.git.blob)) || (h.origin.git?.in === 'name' && h.origin.git.atHead === true)).map((h) => h.sha256));
  let index: Promise<Map<string, string[]>> | null = null;
  const uncommittedPaths = () => (index ??= readIndex(history.git));
  const windows = exposureWindows(history.git, keyPlaces(hits, history.introductions, atHead));
  const placed = await Promise.all(
    hits.map(async (hit) => {
      const place: GitPlace = { ...hit.origin.git, atHead: atHead.has(hit.sha256) };
      if (place.blob !== undefined && history.head.blobs.has(place.blob)) place.blobAtHead = true;
      if (place.in === 'message') return inCommitMessage(hit.origin, place, history.graph, byCommit);
      if (place.in === 'tag') return inTagMessage(hit.origin, place, history.graph);
      if (place.in === 'ref') return [{ ...hit.origin, git: { ...place, refs: [hit.origin.path ?? ''] } }];
      // A name: placed already (HEAD's tree, or the commit of a range that added it); the refs that reach its commit.
      if (place.in === 'name') return [{ ...hit.origin, git: { ...place, refs: hit.origin.commit ? history.graph.refsContaining(hit.origin.commit) : [] } }];
      const paths = place.blob !== undefined ? history.introductions.get(place.blob) : undefined;
      if (paths && paths.size > 0) return inCommittedBlob(hit.origin, place, paths, history.graph);
      return uncommittedBlob(hit.origin, place, uncommittedPaths);
    }),
  );
  // When each key that left HEAD left it: on every place of that key.
  const left = await windows;
  return placed.map((origins, i) => {
    const window = left.get(hits[i]?.sha256 ?? '');
    return window ? origins.map((o) => ({ ...o, git: { ...o.git, lastSeen: window.lastSeen, removedIn: window.removedIn } })) : origins;
  });
}

/** The keys no longer in HEAD, each with the blobs that hold it and the paths those were introduced at. */
function keyPlaces(hits: Hit[], introductions: Introductions, atHead: Set<string>): KeyPlaces {
  const out: KeyPlaces = new Map();
  for (const hit of hits) {
    const blob = hit.origin.git?.blob;
    const paths = blob !== undefined ? introductions.get(blob) : undefined;
    if (atHead.has(hit.sha256) || blob === undefined || !paths) continue;
    let k = out.get(hit.sha256);
    if (!k) out.set(hit.sha256, (k = { blobs: new Set(), paths: new Set() }));
    k.blobs.add(blob);
    for (const p of paths.keys()) k.paths.add(p);
  }
  return out;
}

function inCommitMessage(origin: Origin, place: GitPlace, graph: CommitGraph, byCommit: Map<string, Author>): Origin[] {
  const commit = origin.commit ?? '';
  const by = byCommit.get(commit);
  return [{ ...origin, author: by?.author ?? null, date: by?.date ?? null, git: { ...place, refs: graph.refsContaining(commit), unreachable: !graph.isReachable(commit) } }];
}

function inTagMessage(origin: Origin, place: GitPlace, graph: CommitGraph): Origin[] {
  const refs = place.tag ? graph.refsNaming(place.tag.id) : [];
  return [{ ...origin, git: { ...place, refs, unreachable: refs.length === 0 } }];
}

function inCommittedBlob(origin: Origin, place: GitPlace, paths: Map<string, { commit: string; author: string; date: string }>, graph: CommitGraph): Origin[] {
  return [...paths].map(([path, c]) => ({
    ...origin,
    path,
    commit: c.commit,
    author: c.author,
    date: c.date,
    git: { ...place, refs: graph.refsContaining(c.commit), unreachable: !graph.isReachable(c.commit) },
  }));
}

/** Held by no commit: staged and never committed (named by its index path), or dangling. */
async function uncommittedBlob(origin: Origin, place: GitPlace, indexPaths: () => Promise<Map<string, string[]>>): Promise<Origin[]> {
  const staged = place.blob !== undefined ? (await indexPaths()).get(place.blob) : undefined;
  if (staged) return staged.map((path) => ({ ...origin, path, git: { ...place, refs: [], in: 'index' as const } }));
  return [{ ...origin, git: { ...place, refs: [], unreachable: true, in: 'dangling' as const } }];
}

interface Author {
  author: string;
  date: string;
}

/** Author (`Name <email>`) and author date (ISO 8601) of each commit. */
async function authors(git: Git, commits: string[]): Promise<Map<string, Author>> {
  const out = new Map<string, Author>();
  if (commits.length === 0) return out;
  const text = await git.text(['log', '--no-walk=unsorted', '--stdin', '--format=%H%x02%an <%ae>%x02%aI'], { input: commits.join('\n') + '\n' });
  for (const line of text.split('\n')) {
    const [commit = '', author = '', date = ''] = line.split('\u0002');
    if (commit) out.set(commit, { author, date });
  }
  return out;
}

/** Blob id → paths in the index (what `git add` staged); empty for a bare repository. */
async function readIndex(git: Git): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  let listing: Buffer;
  try {
    listing = await git.run(['ls-files', '--stage', '-z']);
  } catch {
    return out;
  }
  for (let at = 0; at < listing.length; ) {
    // "<mode> <oid> <stage>\t<path>\0"
    const nul = listing.indexOf(0, at);
    const end = nul === -1 ? listing.length : nul;
    const tab = listing.indexOf(0x09, at);
    if (tab !== -1 && tab < end) pushTo(out, listing.toString('latin1', at, tab).split(' ')[1] ?? '', decodeName(listing.subarray(tab + 1, end)));
    at = end + 1;
  }
  return out;
}

/**
 * An annotated tag object's header, for the place of a key in its message:
 * the tag's name, what it tags, and its tagger and date.
 */
export function tagFields(bytes: Buffer, id: string): Partial<Origin> {
  const end = bytes.indexOf('\n\n');
  const header = bytes.toString('utf8', 0, end === -1 ? bytes.length : end).split('\n');
  const field = (name: string) => header.find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) ?? null;
  const tagger = /^(.*) (\d+) ([+-])(\d\d)(\d\d)$/.exec(field('tagger') ?? '');
  return {
    commit: field('type') === 'commit' ? field('object') : null,
    author: tagger?.[1] ?? null,
    date: tagger ? isoDate(Number(tagger[2]), `${tagger[3]}${tagger[4]}:${tagger[5]}`) : null,
    git: { in: 'tag', tag: { name: field('tag') ?? id.slice(0, 12), id } },
  };
}

/** Seconds since the epoch at a `+hh:mm` offset, as git's `%aI` writes it. */
function isoDate(seconds: number, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date((seconds + minutes * 60) * 1000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}
