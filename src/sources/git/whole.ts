/**
 * The whole history: `cat-file --batch-all-objects` lists every blob, commit
 * and annotated tag, whatever reaches it (branches, tags, remote refs, the
 * stash, the index, and objects no ref reaches any more), and `cat-file
 * --batch` reads them while the listing is still being written. Each blob is
 * scanned once however many commits hold it; commit and tag messages are
 * scanned too.
 *
 * Paths and commits are worked out only when there is something to place: the
 * first finding in a blob starts one `git log --raw` walk (no patches) over
 * every commit, which runs alongside the rest of the read, and only the walk's
 * records that mention a blob with a finding are parsed.
 */
import { early, signal } from '../../common/async.js';
import { GitToFile, TempDir, gitOutput } from '../../gitexec/output.js';
import type { Git } from '../../gitexec/run.js';
import { createHash, type Hash } from 'node:crypto';
import type { AnchorProbe, Bytes, Origin, SourceEvents, SourceItem } from '../types.js';
import { cacheFileIn, CleanCache, defaultCacheDir } from './cache.js';
import { commitSet, PlacesCache } from './places-cache.js';
import { count } from '../../common/text.js';
import { LISTING_FORMAT, Listing } from './listing.js';
import { LogFormat, parseFor, recordEarliest, type Introductions } from './log.js';
import { missingObjects } from './missing.js';
import type { WantedObject } from './objects.js';
import { missingAdvice, packedObjects, type Repo } from './repo.js';
import { HistoryScan } from './repo-scan.js';
import { outcomeItems, storeOutcomes, type StoreOutcome } from './store-items.js';
import { openStore, storeFingerprint, type ObjectStore, type StoreOpening } from './store/store.js';

/** The scan cache: its key (everything that decides a finding, hashed), and `--cache DIR` or null for the user's cache folder. */
export interface CacheSettings {
  key: string;
  dir: string | null;
}

/** Objects handed on at a time from a walk on this thread, or fewer when they add up to TURN_BYTES: between batches the event loop turns (a signal, git processes read alongside). */
const BATCH = 256;
const TURN_BYTES = 8 << 20;

export class WholeHistory extends HistoryScan {
  /** Every commit id in the object store, in listing order; complete once `listed` has fired. */
  private readonly commits: string[] = [];
  private readonly listed = signal();
  /** The whole listing of the store, hashed: the same store lists the same (see CleanCache.checked). */
  private readonly store = signal<string>();
  private walk: Walk | null = null;
  private closed = false;

  constructor(
    repo: Repo,
    events: SourceEvents,
    private readonly maxFileSize: number,
    /** The scan cache to use, if any. */
    private readonly caching: CacheSettings | null = null,
    /** With a probe (detection's, given from above), the object store is read directly where it can be (store-items.ts); without, through git. */
    private readonly probe: AnchorProbe | null = null,
  ) {
    super(repo, events);
  }

  private cache: CleanCache | null = null;
  /** Where earlier audits placed blobs with findings, with the scan cache (the same file, `.places`). */
  private places: PlacesCache | null = null;

  /** Objects the cache said were clean, not read. */
  override get cached(): number | undefined {
    return this.cache?.reused;
  }

  override result(origin: Origin, clean: boolean): void {
    const oid = origin.git?.blob ?? origin.git?.tag?.id ?? origin.commit;
    if (!this.cache || !oid) return;
    if (clean) this.cache.clean(oid);
    else this.cache.spoil(oid);
  }

  override finished(): void {
    this.cache?.save(this.warn);
  }

  /**
   * The repository's cache file: in --cache DIR, else in the user's cache
   * folder (cache.ts), named by where the repository is; never inside it. A
   * temporary clone has one only with --cache DIR.
   */
  private cacheFile(settings: CacheSettings): string | null {
    const { repo } = this;
    const dir = settings.dir ?? (repo.temporary ? null : defaultCacheDir());
    return dir === null ? null : cacheFileIn(dir, repo.temporary ? repo.given : repo.gitDir);
  }

  async *items(): AsyncIterable<SourceItem[]> {
    const file = this.caching && this.cacheFile(this.caching);
    if (this.caching && file) {
      this.cache = CleanCache.open(file, this.caching.key, this.warn);
      this.places = PlacesCache.open(`${file}.places`, this.caching.key, this.warn);
    }
    const limits = early(this.describeLimits());
    this.sizeHint();
    // Objects the history names but the store lacks are looked for alongside the read (not again while
    // the refs, and the store as its listing shows it, are those a cached scan found whole).
    const checked = this.cache?.checked ?? null;
    const missing = early(missingObjects(this.repo.git, async (refs) => checked !== null && checked.refs === refs && checked.store === (await this.store.promise)));
    // Objects the store lacks are named by where the history has them: the walk that finds that starts as
    // soon as they are known, alongside the rest of the read (not once the scan has ended, failed or was
    // stopped: nothing would close that walk).
    void missing
      .then(({ missing: lacking }) => {
        if (lacking.length > 0 && !this.closed) this.startWalk();
      })
      .catch(() => {});
    const opened = this.openStore();
    if ('store' in opened) yield* this.storeRead(opened.store);
    // Objects are read while git is still listing them.
    else yield* this.objectItems(this.listing());
    const { missing: lacking, refs } = await missing;
    const store = await this.store.promise;
    if (this.cache) this.cache.checked = lacking.length === 0 && store !== '' ? { refs, store } : null;
    await this.missingItems(lacking);
    await limits;
  }

  /**
   * The object store to read directly, or (said in a warning) why git reads
   * it: a store read through git is read all the same. A repeated audit, whose
   * cache knows most objects, lists them through git: git lists a store faster
   * than its headers are read here (express: 0.26 s against 0.31).
   */
  private openStore(): StoreOpening {
    const { store } = this.repo;
    if (this.probe === null) return { unread: 'not asked to' };
    if (this.cache !== null && this.cache.size > 0) return { unread: 'the scan cache knows what it holds' };
    const opened = 'objects' in store ? openStore(store.objects, store.idLength) : store;
    if ('unread' in opened) this.warn(`objects read through git, more slowly: ${opened.unread}`);
    return opened;
  }

  /** Every commit, tag and blob, from the store itself. */
  private async *storeRead(store: ObjectStore): AsyncIterable<SourceItem[]> {
    const totals = { listed: 0, bytes: 0 };
    const options = { events: this.events, onCommit: (commit: string) => this.commits.push(commit), item: (oid: string, type: string, bytes: Bytes) => this.itemOf(oid, type, bytes) };
    try {
      let batch: StoreOutcome[] = [];
      let bytes = 0;
      for (const outcome of storeOutcomes(store, this.probe as AnchorProbe, this.maxFileSize)) {
        batch.push(outcome);
        bytes += outcome.kind === 'read' ? outcome.bytes.length : outcome.kind === 'probed' ? outcome.size : 0;
        if (batch.length < BATCH && bytes < TURN_BYTES) continue;
        yield outcomeItems(batch, options, totals);
        [batch, bytes] = [[], 0];
        await new Promise((resolve) => setImmediate(resolve));
      }
      yield outcomeItems(batch, options, totals);
      this.events.total(totals.listed, totals.bytes);
      this.store.fire(store.fingerprint);
    } finally {
      store.close();
      this.listed.fire();
      this.store.fire('');
    }
  }

  /** Roughly how many objects the store holds, told before the read. */
  private sizeHint(): void {
    this.events.expect(packedObjects(this.repo.objects));
  }

  /**
   * Objects the history names but the store lacks, each named by where the
   * history has it, and counted as unread. They are never fetched: a partial
   * clone's promisor remote, and how git reaches it, are the repository's to
   * say, and the repository is not trusted (sealed.ts).
   */
  private async missingItems(oids: string[]): Promise<void> {
    if (oids.length === 0) return;
    const where = await this.introduced(new Set(oids));
    const { why, remedy } = missingAdvice(this.repo);
    for (const oid of oids) {
      const [path, commit] = [...(where.get(oid) ?? [])][0] ?? [];
      this.events.skip('unreadable', `object ${oid}${path !== undefined && commit ? ` (${path} in commit ${commit.commit.slice(0, 12)})` : ''}`, why);
    }
    this.warn(`${count(oids.length, 'object')} ${oids.length === 1 ? 'is' : 'are'} ${why}: ${remedy}`);
  }

  /** A finding in a blob starts the walk now, alongside the rest of the read (unless an earlier audit placed that blob). */
  override found(origin: Origin): void {
    super.found(origin);
    const blob = origin.git?.blob;
    if (blob !== undefined && !this.places?.has(blob)) this.startWalk();
  }

  private startWalk(): Walk {
    return (this.walk ??= new Walk(this.repo.git, this.commits, this.listed.promise));
  }

  protected async introduced(blobs: Set<string>): Promise<Introductions> {
    if (blobs.size === 0) return new Map();
    // Every commit is listed by now (this runs after the read); the placements hold for this set of them only.
    await this.listed.promise;
    const commits = this.places ? commitSet(this.commits) : '';
    try {
      const known = this.places?.get(commits, blobs);
      if (known) return known;
      const found = await this.startWalk().introductions(blobs);
      this.places?.save(commits, blobs, found, this.warn);
      return found;
    } finally {
      this.close();
    }
  }

  override close(): void {
    this.closed = true;
    this.walk?.close();
    this.walk = null;
  }

  /**
   * Every blob, commit and tag in the object store, as git lists them (pack
   * order), batch by batch. git lists into a temporary file, so it never waits
   * for this process, which takes whatever has been listed at each turn.
   */
  private async *listing(): AsyncIterable<WantedObject[]> {
    const cache = this.cache;
    const listing = new Listing(this.maxFileSize, this.events, (commit) => this.commits.push(commit), cache ? (oid) => cache.has(oid) : undefined);
    const args = ['cat-file', '--batch-all-objects', LISTING_FORMAT, '--unordered'];
    // A store that could be read directly is named as the store reader names it: a first audit reads it
    // directly, a repeated one through git, and the cache compares what each saw. Any other is named by its listing.
    const { store } = this.repo;
    const direct = 'objects' in store ? store.objects : null;
    const hash = direct === null ? createHash('sha256') : null;
    try {
      for await (const chunk of gitOutput(this.repo.git, args, { what: 'listing the objects (git cat-file)' })) {
        hash?.update(chunk);
        yield listing.push(chunk);
      }
      yield listing.end();
      this.store.fire(direct !== null ? storeFingerprint(direct) : (hash as Hash).digest('hex'));
    } finally {
      this.listed.fire();
      this.store.fire('');
    }
  }
}

/**
 * Every commit in the object store (reachable or not) diffed against its
 * parents (`git log --raw`, into temporary files): the commits listed so far
 * at once, the rest when the listing is complete. The output is parsed
 * afterwards, when every blob with a finding is known.
 */
class Walk {
  private readonly logs: GitToFile[] = [];
  private readonly tmp = new TempDir();
  private readonly format = new LogFormat();
  private readonly started: Promise<void>;
  private closed = false;

  constructor(
    private readonly git: Git,
    commits: string[],
    listed: Promise<void>,
  ) {
    const now = commits.length;
    this.log(commits.slice(0, now));
    this.started = early(listed.then(() => this.log(commits.slice(now))));
  }

  /** Where the walk saw each of `wanted` introduced. */
  async introductions(wanted: Set<string>): Promise<Introductions> {
    const found: Introductions = new Map();
    await this.started;
    await Promise.all(this.logs.map((l) => l.exited));
    for (const log of this.logs) {
      if (log.code !== 0) throw log.failure('git log');
      await parseFor(this.format, log.follow(), wanted, (e) => recordEarliest(found, e));
    }
    return found;
  }

  close(): void {
    this.closed = true;
    for (const log of this.logs) log.close();
    this.tmp.remove();
  }

  private log(commits: string[]): void {
    if (this.closed || commits.length === 0) return;
    this.logs.push(new GitToFile(this.git, [...this.format.args, '--no-walk=unsorted', '--stdin'], { input: commits.join('\n') + '\n', dir: this.tmp.path }));
  }
}
