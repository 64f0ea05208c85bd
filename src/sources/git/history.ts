/**
 * `sk-scan git`: the objects of one or more repositories, and afterwards the
 * places in history of what was found. Each repository is scanned by one of
 * two strategies:
 *
 * - WholeHistory (whole.ts): every object in the object store, read once;
 * - RangeHistory (range.ts): only what the commits of a range introduced.
 */
import { groupBy } from '../../common/group.js';
import { interleave } from '../../common/async.js';
import { SkScanError } from '../../common/errors.js';
import { ItemObserver, type AnchorProbe, type Hit, type Origin, type Source, type SourceItem, type TargetRead } from '../types.js';
import { RangeHistory } from './range.js';
import { isUrl, type Repo } from './repo.js';
import type { HistoryScan } from './repo-scan.js';
import { WholeHistory, type CacheSettings } from './whole.js';

export interface GitOptions {
  /**
   * Scan only what the commits these revisions select introduced (`['A..B']`,
   * `['REV..HEAD']`, pushed ids and `^` exclusions); the whole object store when absent.
   */
  revs?: string[];
  /** Options that limit a range's walk (`--since=DATE`). */
  limits?: string[];
  /** With `revs`: annotated tags whose messages are read too (those a push creates). */
  tags?: string[];
  /** Repositories scanned at once (default 1). */
  jobs?: number;
  /** Whole histories: the scan cache (null or absent: none). */
  cache?: CacheSettings | null;
  /** Whole histories: read the object store directly, passing over what this probe finds nothing in (absent: everything through git). */
  probe?: AnchorProbe;
  maxFileSize: number;
}

/** One repository's items, with what was read of it and how long it took. With `others`, its failure is its own: reported with it, and the others go on. */
async function* counted(scan: HistoryScan, counts: TargetRead, others: boolean): AsyncIterable<SourceItem[]> {
  const started = performance.now();
  try {
    for await (const batch of scan.items()) {
      counts.objects += batch.length;
      for (const item of batch) counts.bytes += 'bytes' in item ? item.bytes.length : 'probed' in item ? item.probed : 0;
      yield batch;
    }
  } catch (err) {
    if (!(err instanceof SkScanError) || !others) throw err;
    counts.error = err.message;
  }
  counts.durationMs = Math.round(performance.now() - started);
  if (scan.cached !== undefined) counts.cached = scan.cached;
}

/** Each result goes to the scan of the repository it came from (an origin names its repository as `target`). */
class EachRepository extends ItemObserver {
  constructor(private readonly scans: Map<string, HistoryScan>) {
    super();
  }

  override result(origin: Origin, clean: boolean): void {
    this.scans.get(origin.target ?? '')?.result(origin, clean);
  }

  override found(origin: Origin): void {
    this.scans.get(origin.target ?? '')?.found(origin);
  }

  override finished(): void {
    for (const scan of this.scans.values()) scan.finished();
  }
}

export function gitSource(repos: Repo[], opts: GitOptions): Source {
  const scans = new Map<string, HistoryScan>();
  const read: TargetRead[] = [];
  return {
    kind: 'git',
    root: repos.length === 1 ? (repos[0]?.given ?? '.') : '.',
    items(events) {
      // Each repository's objects, with what was read of it and how long it took; `jobs` repositories at once.
      const one = (repo: Repo) => () => {
        const scan = opts.revs ? new RangeHistory(repo, events, opts.revs, opts.maxFileSize, opts.limits, opts.tags) : new WholeHistory(repo, events, opts.maxFileSize, opts.cache ?? null, opts.probe ?? null);
        scans.set(repo.given, scan);
        const counts: TargetRead = { target: repo.given, kind: isUrl(repo.given) ? 'url' : repo.worktree ? 'worktree' : 'bare', objects: 0, bytes: 0, durationMs: 0 };
        read.push(counts);
        return counted(scan, counts, repos.length > 1);
      };
      return interleave(repos.map(one), Math.max(1, opts.jobs ?? 1));
    },
    observer: new EachRepository(scans),
    history: {
      targets: () => read,
      async attribute(hits) {
        const out: Origin[][] = [];
        for (const [target, indexes] of groupBy(hits.keys(), (i) => hits[i]?.origin.target ?? '')) {
          const scan = scans.get(target);
          if (!scan) continue;
          const placed = await scan.attribute(indexes.map((i) => hits[i] as Hit));
          indexes.forEach((hitIndex, k) => (out[hitIndex] = placed[k] ?? []));
        }
        return out;
      },
      async names() {
        const all = await Promise.all([...scans.values()].map((scan) => scan.names()));
        return all.flat();
      },
    },
    close() {
      for (const scan of scans.values()) scan.close();
      for (const repo of repos) repo.close();
      return Promise.resolve();
    },
  };
}
