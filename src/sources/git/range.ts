/**
 * A range (`--since REV`, `--range A..B`, what a push sends): `git log --raw`
 * over the range says which blobs its commits introduced, at which paths; only
 * those blobs and the range's commit messages are read. Where each blob was
 * introduced is known before anything is read.
 *
 * A range is judged by what it adds, as a pull request is: `git log -p -U0`
 * gives the lines each commit added, and a key counts only on one of them. A
 * key on a line the range did not touch (an allow comment added above it, a
 * file renamed) is not the range's doing. A blob that only a merge brought in
 * (a conflict resolution) is judged whole, since a merge has no single diff.
 */
import { isZeroId } from '../../gitexec/run.js';
import { SkScanError } from '../../common/errors.js';
import { count } from '../../common/text.js';
import type { Origin, SourceEvents, SourceItem } from '../types.js';
import { parseDiff } from './diff.js';
import { LISTING_FORMAT, Listing } from './listing.js';
import { logIntroduced, recordEarliest, type Introduced, type Introductions } from './log.js';
import type { WantedObject } from './objects.js';
import { missingAdvice, type Repo } from './repo.js';
import { HistoryScan } from './repo-scan.js';

/** The range names a revision this repository does not have (in a shallow clone, perhaps only beyond its boundary). */
export class UnknownRevision extends SkScanError {
  constructor(
    readonly shallow: boolean,
    why: string,
  ) {
    super(why);
  }
}

const UNKNOWN = /ambiguous argument|unknown revision|bad revision|invalid object name|invalid revision range/i;

const PATCHES = ['log', '-p', '-U0', '--format=', '--full-index', '--text', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'];
/** git could not read an object the patch walk needed: a partial clone's, or a damaged store's. */
const UNREADABLE = /unable to read|bad object|missing blob/i;

export class RangeHistory extends HistoryScan {
  private readonly introductions: Introductions = new Map();
  /** Blob → the line numbers the range's commits added to it. */
  private readonly added = new Map<string, Set<number>>();
  /** What the range's non-merge commits changed, kept in case the patch walk cannot read an object. */
  private readonly changes: Introduced[] = [];

  constructor(
    repo: Repo,
    events: SourceEvents,
    /** Revisions for `git log`, placed after --end-of-options; none selects nothing (a push that only deletes). */
    private readonly revs: string[],
    private readonly maxFileSize: number,
    /** Options that limit the walk (`--since=DATE`), before --end-of-options. */
    private readonly limits: string[] = [],
    /** Annotated tags whose messages are read too (those a push creates). */
    private readonly tags: string[] = [],
  ) {
    super(repo, events);
  }

  async *items(): AsyncIterable<SourceItem[]> {
    await this.describeLimits();
    const commits: WantedObject[] = this.tags.map((oid) => ({ oid, size: 0 }));
    if (this.revs.length === 0) {
      if (commits.length > 0) yield* this.objectItems([commits]);
      return;
    }
    const git = this.repo.git;
    const merged = new Set<string>();
    // Two walks over the range, side by side: which blobs its commits introduced, and the lines they added.
    const [, patches] = await this.walks(commits, merged);
    const missing = patches === null ? await this.withoutMissing(merged) : new Set<string>();
    if (patches !== null) this.recordAdded(patches, merged);
    // A blob the range added no line to (a rename, a deletion inside it) has nothing of the range's to judge.
    const blobs = [...this.introductions.keys()].filter((b) => !missing.has(b) && (merged.has(b) || (this.added.get(b)?.size ?? 0) > 0));
    // Sizes first, so that an oversized blob is counted rather than read.
    const sizes = blobs.length > 0 ? await git.text(['cat-file', LISTING_FORMAT], { input: blobs.join('\n') + '\n' }) : '';
    const listing = new Listing(this.maxFileSize, this.events);
    yield* this.objectItems([commits, listing.push(sizes), listing.end()]);
  }

  /**
   * Both walks; a revision the repository lacks is an UnknownRevision,
   * whichever walk notices it. The patches are null when git could not read
   * an object they needed (see withoutMissing).
   */
  private async walks(commits: WantedObject[], merged: Set<string>): Promise<[void, string | null]> {
    const git = this.repo.git;
    const patches = git.text([...PATCHES, ...this.limits, '--end-of-options', ...this.revs]).catch((err: unknown) => {
      if (err instanceof Error && UNREADABLE.test(err.message) && !UNKNOWN.test(err.message)) return null;
      throw err;
    });
    try {
      return await Promise.all([
        logIntroduced(
          git,
          this.revs,
          (e) => {
            recordEarliest(this.introductions, e);
            if (e.commit.parents.length > 1) merged.add(e.blob);
            else this.changes.push(e);
          },
          (c) => commits.push({ oid: c.commit, size: 0 }),
          this.limits,
        ),
        patches,
      ]);
    } catch (err) {
      if (err instanceof Error && UNKNOWN.test(err.message)) throw new UnknownRevision(this.repo.shallow, err.message);
      throw err;
    }
  }

  /**
   * The patch walk failed on an object the store lacks (a partial clone
   * never fetches: sealed.ts). Each blob the range introduced that is missing
   * is named and counted as unread; the lines the other commits added are
   * taken from a patch walk over those commits alone; a blob whose earlier
   * version is missing (so what it added cannot be told) is judged whole.
   * Returns the missing blobs, which are not read.
   */
  private async withoutMissing(merged: Set<string>): Promise<Set<string>> {
    const git = this.repo.git;
    const ids = [...new Set(this.changes.flatMap((e) => [e.blob, ...e.before]).filter((id) => !isZeroId(id)))];
    const listed = await git.text(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: ids.join('\n') + '\n' });
    const absent = new Set(listed.split('\n').filter((l) => l.endsWith(' missing')).map((l) => l.slice(0, l.indexOf(' '))));
    const missing = new Set<string>();
    const whole = new Set<string>();
    const readable = new Set<string>();
    for (const e of this.changes) {
      if (absent.has(e.blob)) {
        if (!missing.has(e.blob)) this.events.skip('unreadable', `object ${e.blob} (${e.path} in commit ${e.commit.commit.slice(0, 12)})`, missingAdvice(this.repo).why);
        missing.add(e.blob);
      } else if (e.before.some((b) => absent.has(b))) whole.add(e.blob);
    }
    for (const e of this.changes) if (!absent.has(e.blob) && !e.before.some((b) => absent.has(b))) readable.add(e.commit.commit);
    if (readable.size > 0) {
      const patches = await git.text([...PATCHES, '--no-walk=unsorted', '--stdin'], { input: [...readable].join('\n') + '\n' });
      this.recordAdded(patches, merged);
    }
    for (const blob of whole) {
      merged.add(blob);
      this.added.delete(blob);
    }
    if (absent.size > 0) {
      const advice = missingAdvice(this.repo);
      this.events.warn(`${this.repo.given}: ${count(absent.size, 'object')} the range needs ${absent.size === 1 ? 'is' : 'are'} ${advice.why}${whole.size > 0 ? ` (${count(whole.size, 'file')} judged whole, since what the range changed in them cannot be told)` : ''}: ${advice.remedy}`);
    }
    return missing;
  }

  /** The lines each non-merge commit of the range added, per blob. */
  private recordAdded(patches: string, merged: Set<string>): void {
    for (const file of parseDiff(patches)) {
      let lines = this.added.get(file.blob);
      if (!lines) this.added.set(file.blob, (lines = new Set()));
      for (const n of file.lines ?? []) lines.add(n);
    }
    // Judged whole: the lines a merge brought need no diff to count.
    for (const blob of merged) this.added.delete(blob);
  }

  protected override linesOf(blob: string): number[] | undefined {
    const lines = this.added.get(blob);
    return lines ? [...lines] : undefined;
  }

  /** The paths the range's commits added or changed: a key in a new file's or folder's name is the range's doing too. */
  protected override pathNames(): Promise<Origin[]> {
    const out: Origin[] = [];
    for (const paths of this.introductions.values()) {
      for (const [path, c] of paths) out.push({ path, commit: c.commit, author: c.author, date: c.date, target: this.repo.given, git: { in: 'name' } });
    }
    return Promise.resolve(out);
  }

  protected introduced(): Promise<Introductions> {
    return Promise.resolve(this.introductions);
  }
}
