/**
 * The refs and the commit graph of everything they reach, read once (three git
 * processes) for the questions attribution asks: is a commit reachable at all,
 * and which refs reach it. The second is a walk over children in this process,
 * rather than one `for-each-ref --contains` process per commit.
 *
 * A damaged repository is still read: a ref that names an object the store
 * does not hold is a warning, and the rest of the graph is built without it.
 */
import type { Git } from '../../git/run.js';
import { pushTo } from '../../group.js';

/** Refs that reach a commit, listed at most. */
const REFS_CAP = 10;

export interface CommitGraph {
  reachable: Set<string>;
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
  const tips = new Map<string, string[]>(); // commit -> refs pointing at it (tags peeled)
  for (const [ref, commit] of peeled) pushTo(tips, commit, ref.name);
  const { reachable, children } = await walk(git, [...new Set(peeled.values())]);
  const named = new Map<string, string[]>();
  for (const ref of refs) pushTo(named, ref.oid, ref.name);
  return {
    reachable,
    refsContaining: (commit) => refsContaining(commit, tips, children),
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

async function walk(git: Git, tips: string[]): Promise<{ reachable: Set<string>; children: Map<string, string[]> }> {
  const reachable = new Set<string>();
  const children = new Map<string, string[]>();
  if (tips.length === 0) return { reachable, children };
  const text = await git.text(['rev-list', '--parents', '--stdin'], { input: tips.join('\n') + '\n' });
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [commit = '', ...parents] = line.split(' ');
    reachable.add(commit);
    for (const p of parents) pushTo(children, p, commit);
  }
  return { reachable, children };
}

function refsContaining(commit: string, tips: Map<string, string[]>, children: Map<string, string[]>): string[] {
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
}
