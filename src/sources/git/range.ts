/**
 * A range (`--since REV`, `--range A..B`, what a push sends): `git log --raw`
 * over the range says which blobs its commits introduced, at which paths; only
 * those blobs and the range's commit messages are read. Where each blob was
 * introduced is known before anything is read.
 */
import type { SourceEvents, SourceItem } from '../types.js';
import { LISTING_FORMAT, Listing } from './listing.js';
import { logIntroduced, recordEarliest, type Introductions } from './log.js';
import type { WantedObject } from './objects.js';
import type { Repo } from './repo.js';
import { HistoryScan } from './repo-scan.js';

export class RangeHistory extends HistoryScan {
  private readonly introductions: Introductions = new Map();

  constructor(
    repo: Repo,
    events: SourceEvents,
    /** Revisions for `git log`, placed after --end-of-options; none selects nothing (a push that only deletes). */
    private readonly revs: string[],
    private readonly maxFileSize: number,
  ) {
    super(repo, events);
  }

  async *items(): AsyncIterable<SourceItem[]> {
    await this.describeLimits();
    if (this.revs.length === 0) return;
    const git = this.repo.git;
    const commits: WantedObject[] = [];
    await logIntroduced(
      git,
      this.revs,
      (e) => recordEarliest(this.introductions, e),
      (c) => commits.push({ oid: c.commit, size: 0 }),
    );
    // Sizes first, so that an oversized blob is counted rather than read.
    const blobs = [...this.introductions.keys()];
    const sizes = blobs.length > 0 ? await git.text(['cat-file', LISTING_FORMAT], { input: blobs.join('\n') + '\n' }) : '';
    const listing = new Listing(this.maxFileSize, this.events);
    yield* this.objectItems([commits, listing.push(sizes), listing.end()]);
  }

  protected introduced(): Promise<Introductions> {
    return Promise.resolve(this.introductions);
  }
}
