/**
 * The refs and the commit graph of everything they reach, read once (three git
 * processes) for the questions attribution asks: is a commit reachable at all,
 * and which refs reach it. The second is a walk over children in this process,
 * rather than one `for-each-ref --contains` process per commit.
 *
 * The graph is held as numbers: the commits as sorted 20-byte ids (ObjectIds),
 * each one's children as a run of indexes in one array: about 34 bytes a
 * commit and edge, where each commit's string in a Set, and again in a Map of
 * child arrays, took several hundred.
 *
 * A damaged repository is still read: a ref that names an object the store
 * does not hold is a warning, and the rest of the graph is built without it.
 */
import { gitOutput } from '../../gitexec/output.js';
import type { Git } from '../../gitexec/run.js';
import { pushTo } from '../../common/group.js';
import { IdRecords, ObjectIds } from './ids.js';

/** Refs that reach a commit, listed at most. */
const REFS_CAP = 10;

export interface CommitGraph {
  /** Whether some ref's history holds `commit`. */
  isReachable(commit: string): boolean;
  /** Refs (tags peeled) whose history holds `commit`, sorted, at most REFS_CAP. */
  refsContaining(commit: string): string[];
  /** Refs that name this object itself (an annotated tag's refs). */
  refsNaming(oid: string): string[];
}

interface Ref {
  name: string;
  oid: string;
}

export async function commitGraph(git: Git, warn: (message: string) => void): Promise<CommitGraph> {
  const refs = await listRefs(git);
  const peeled = await peel(git, refs, warn);
  const graph = await walk(git, [...new Set(peeled.values())]);
  const tips = new Map<number, string[]>(); // commit -> refs pointing at it (tags peeled)
  for (const [ref, commit] of peeled) pushTo(tips, graph.ids.indexOf(commit), ref.name);
  const named = new Map<string, string[]>();
  for (const ref of refs) pushTo(named, ref.oid, ref.name);
  return {
    isReachable: (commit) => graph.ids.indexOf(commit) !== -1,
    refsContaining: (commit) => refsContaining(graph, graph.ids.indexOf(commit), tips),
    refsNaming: (oid) => [...(named.get(oid) ?? [])].sort(),
  };
}

/** Every ref and the object it names, without reading the object (a broken ref is listed too). */
async function listRefs(git: Git): Promise<Ref[]> {
  const text = await git.text(['for-each-ref', '--format=%(objectname) %(refname)']);
  const refs: Ref[] = [];
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs.push({ oid: line.slice(0, sp), name: line.slice(sp + 1) });
  }
  return refs;
}

/**
 * Each ref's commit (an annotated tag peeled to what it tags), and HEAD's
 * when it is detached. Refs to objects the store lacks are warned about;
 * refs to trees and blobs reach no commit.
 */
async function peel(git: Git, refs: Ref[], warn: (message: string) => void): Promise<Map<Ref, string>> {
  const head: Ref = { name: 'HEAD', oid: 'HEAD' };
  const all = [...refs, head];
  const text = await git.text(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: all.map((r) => `${r.oid}^{}\n`).join('') });
  const out = new Map<Ref, string>();
  text
    .split('\n')
    .slice(0, all.length)
    .forEach((line, i) => {
      const ref = all[i] as Ref;
      const [oid = '', type] = line.split(' ');
      if (type === 'commit') {
        if (ref !== head) out.set(ref, oid);
        else if (!refs.some((r) => out.get(r) === oid)) out.set(ref, oid); // a detached HEAD
      } else if (type === 'missing' && ref !== head) {
        warn(`${ref.name} names ${ref.oid.slice(0, 12)}, which is not in the object store: the repository is damaged (git fsck says more); the ref is ignored`);
      }
    });
  return out;
}

/** The commits the tips reach, and each one's children: commit i's are `children[start[i]…start[i + 1])`. */
interface Graph {
  ids: ObjectIds;
  start: Uint32Array;
  children: Uint32Array;
}

/** `rev-list --parents` read as it streams, into ids and numbers (no string per commit is kept). */
async function walk(git: Git, tips: string[]): Promise<Graph> {
  const commits = new IdRecords();
  const parents = new IdRecords();
  /** How many parents each commit listed, in rev-list order. */
  const parentCounts: number[] = [];
  if (tips.length > 0) {
    let rest = '';
    for await (const chunk of gitOutput(git, ['rev-list', '--parents', '--stdin'], { input: tips.join('\n') + '\n', what: 'reading the commit graph (git rev-list)' })) {
      const text = rest + chunk.toString('latin1');
      let at = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; at = nl + 1, nl = text.indexOf('\n', at)) {
        const line = text.slice(at, nl);
        if (line === '') continue;
        const [commit = '', ...ps] = line.split(' ');
        commits.add(commit);
        for (const p of ps) parents.add(p);
        parentCounts.push(ps.length);
      }
      rest = text.slice(at);
    }
  }
  const width = commits.width;
  const ids = ObjectIds.sort(commits.bytes(), width);
  // Each parent's children, counted, then laid out in one array.
  const parentBytes = parents.bytes();
  const parentIndex = new Int32Array(parentBytes.length / width).map((_, k) => ids.indexOfRecord(parentBytes, k * width));
  const start = new Uint32Array(ids.size + 1);
  for (const p of parentIndex) if (p !== -1) start[p + 1] = (start[p + 1] as number) + 1;
  for (let i = 0; i < ids.size; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  const children = new Uint32Array(start[ids.size] as number);
  const filled = start.slice(0, ids.size);
  const commitBytes = commits.bytes();
  let k = 0;
  parentCounts.forEach((count, c) => {
    const child = ids.indexOfRecord(commitBytes, c * width);
    for (const end = k + count; k < end; k++) {
      const p = parentIndex[k] as number;
      if (p !== -1) children[(filled[p] as number)++] = child;
    }
  });
  return { ids, start, children };
}

function refsContaining(graph: Graph, commit: number, tips: Map<number, string[]>): string[] {
  if (commit === -1) return [];
  const refs: string[] = [];
  const seen = new Uint8Array(graph.ids.size);
  seen[commit] = 1;
  for (const todo = [commit]; todo.length > 0; ) {
    const c = todo.pop() as number;
    refs.push(...(tips.get(c) ?? []));
    for (let i = graph.start[c] as number; i < (graph.start[c + 1] as number); i++) {
      const child = graph.children[i] as number;
      if (!seen[child]) {
        seen[child] = 1;
        todo.push(child);
      }
    }
  }
  return refs.sort().slice(0, REFS_CAP);
}
