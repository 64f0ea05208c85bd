/**
 * One repository's history scan, the part both strategies share: reading
 * objects into items (objectItems), and placing what was found (attribute).
 * They differ in which objects they read and in how they learn where each blob
 * was introduced (`introduced`).
 */
import { availableParallelism } from 'node:os';
import { early } from '../../common/async.js';
import { shellQuote } from '../../common/text.js';
import { ItemObserver, type Bytes, type BytesItem, type Hit, type Origin, type SourceEvents, type SourceItem } from '../types.js';
import { commitGraph, type CommitGraph } from './graph.js';
import type { Introductions } from './log.js';
import { readObjects, type ObjectProblem, type WantedObject } from './objects.js';
import { messageStart } from './message.js';
import { placeHits, tagFields } from './place.js';
import { headTree, type HeadTree, type Repo } from './repo.js';
import { hasModule, moduleNames, moduleRepos } from './submodules.js';

/** One repository's scan: what to read, and where what was found lies; the observer of its own items' results. */
export abstract class HistoryScan extends ItemObserver {
  private graph: Promise<CommitGraph> | null = null;
  /** HEAD's tree and the ref names: started by `describeLimits`, which every scan calls first, to run alongside the read. */
  protected head: Promise<HeadTree> | null = null;
  private refs: Promise<string> | null = null;

  constructor(
    readonly repo: Repo,
    protected readonly events: SourceEvents,
  ) {
    super();
  }

  abstract items(): AsyncIterable<SourceItem[]>;

  /** Where each of `blobs` was introduced, by which commits and at which paths. */
  protected abstract introduced(blobs: Set<string>): Promise<Introductions>;

  /** Detection found something while the scan is still reading: the commit graph that placing it needs is read now, alongside; see WholeHistory. */
  override found(_origin: Origin): void {
    void this.graphOnce();
  }

  async attribute(hits: Hit[]): Promise<Origin[][]> {
    const blobs = new Set(hits.map((h) => h.origin.git?.blob).filter((b): b is string => b !== undefined));
    const [graph, head, introductions] = await Promise.all([this.graphOnce(), this.head ?? headTree(this.repo.git), this.introduced(blobs)]);
    return placeHits({ git: this.repo.git, graph, head, introductions }, hits);
  }

  close(): void {}

  /** Objects not read because the cache knew them clean. */
  get cached(): number | undefined {
    return undefined;
  }

  /**
   * Names a key could be in, each as the place it would have: the
   * repository's ref names (a branch named after a key is pushed with it), and
   * the paths of the files this scan covers (see pathNames).
   */
  async names(): Promise<Origin[]> {
    // A push's own ref names, not the repository's others (a branch named after a key is pushed with it).
    const text = this.repo.receiving ? this.repo.receiving.refs.join('\n') : await (this.refs ?? this.repo.git.text(['for-each-ref', '--format=%(refname)']));
    const refs = text
      .split('\n')
      .filter(Boolean)
      .map((name) => ({ path: name, commit: null, target: this.repo.given, git: { in: 'ref' as const } }));
    return [...refs, ...(await this.pathNames())];
  }

  /** The paths whose names this scan covers: HEAD's tree (a whole history; older paths are scanned where a finding places a key). */
  protected async pathNames(): Promise<Origin[]> {
    const head = await (this.head ?? headTree(this.repo.git));
    return head.paths.map((path) => ({ path, commit: head.commit, target: this.repo.given, git: { in: 'name' as const, atHead: true } }));
  }

  /** A warning about this repository, named by it (several may be scanned at once). */
  protected readonly warn = (message: string): void => this.events.warn(`${this.repo.given}: ${message}`);

  /** The commit graph, read once, from the first time it is asked for. */
  protected graphOnce(): Promise<CommitGraph> {
    return (this.graph ??= early(commitGraph(this.repo.git, this.warn)));
  }

  /** Say what this scan cannot see (history cut by a shallow clone, submodules), and read HEAD's tree. */
  protected async describeLimits(): Promise<void> {
    const { repo, events } = this;
    if (repo.shallow) events.warn(`${repo.given}: shallow clone, history before the shallow boundary is not scanned`);
    for (const note of repo.notes) events.warn(`${repo.given}: ${note}`);
    // A server's hook answers while the pusher waits: HEAD's tree is read only if a key needs placing.
    if (repo.receiving) return;
    this.refs = early(repo.git.text(['for-each-ref', '--format=%(refname)']));
    const head = (this.head = early(headTree(repo.git)));
    const { submodules } = await head;
    if (submodules.length === 0) return;
    const names = await moduleNames(repo.git);
    const found = moduleRepos(repo.commonDir);
    for (const sm of submodules) {
      const at = `submodule ${sm.path} (commit ${sm.commit.slice(0, 12)})`;
      // One whose repository is here is a target of its own (index.ts opens it); one whose is not cannot be read.
      if (repo.skipSubmodules) events.warn(`${repo.given}: ${at} is a separate repository, not scanned (${repo.skipSubmodules})`);
      else if (!hasModule(found, sm.path, names)) {
        // Named by its path, so that .sk-scanignore (or `exclude`) can accept it, as any unread item.
        events.skip('unreadable', sm.path, `the submodule of ${repo.given} at commit ${sm.commit.slice(0, 12)}: its repository is not in this clone (git -C ${shellQuote(repo.given)} submodule update --init --recursive brings it; --no-submodules, or its path in .sk-scanignore, accepts it unread)`);
      }
    }
  }

  /** The objects as items to scan: a blob whole, a commit's or tag's message. */
  protected async *objectItems(wanted: Iterable<WantedObject[]> | AsyncIterable<WantedObject[]>): AsyncIterable<SourceItem[]> {
    const onProblem = (p: ObjectProblem) => this.events.skip('unreadable', `object ${p.oid}`, `${p.reason}: ${p.message}`);
    // A git per core inflates, although this process scans on one of them too: it scans faster than
    // a git inflates, and waits on git's writes (docs/speed.md, “Design measurements”).
    for await (const batch of readObjects(this.repo.git, wanted, onProblem, availableParallelism())) {
      yield batch.map((obj) => this.itemOf(obj.oid, obj.type, obj.bytes));
    }
  }

  /** Only these lines of a blob count (a range judges the lines it added); undefined: the whole blob. */
  protected linesOf(_blob: string): number[] | undefined {
    return undefined;
  }

  /** The item an object is scanned as: a blob whole, a commit's or tag's message. */
  protected itemOf(oid: string, type: string, bytes: Bytes): BytesItem {
    const at = (fields: Partial<Origin>): Origin => ({ path: null, commit: null, target: this.repo.given, ...fields });
    if (type === 'blob') {
      const lines = this.linesOf(oid);
      return { origin: at({ git: { blob: oid }, ...(lines ? { onlyLines: lines } : {}) }), bytes };
    }
    // Only a message is scanned; a commit's author and date are looked up for the few with findings.
    const view = bytes.view();
    const message = bytes.subarray(messageStart(view));
    if (type === 'tag') return { origin: at(tagFields(view, oid)), bytes: message };
    return { origin: at({ commit: oid, git: { in: 'message' } }), bytes: message };
  }
}

