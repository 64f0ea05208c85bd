/**
 * What every source yields: bytes (or a file to read them from) plus where they
 * came from. Only this folder knows about files, git and stdin; the detector
 * downstream sees bytes.
 */
import type { Bytes, SkipReason } from '../content/read.js';

export type { Bytes, SkipReason } from '../content/read.js';

/** Facts about a finding's place in git history (git mode only). */
export interface GitPlace {
  /** The blob holding the key (absent for a message). */
  blob?: string;
  /** Refs that reach the commit (for a tag: that name the tag), at most 10. */
  refs?: string[];
  /** Whether the key is still in HEAD's tree. */
  atHead?: boolean;
  /** This very blob is in HEAD's tree (an allow comment in it also covers older versions of the file). */
  blobAtHead?: true;
  /** True when no ref reaches the commit (a dropped commit), no ref names the tag, or no commit holds the blob. */
  unreachable?: boolean;
  /**
   * `message`: in a commit message; `tag`: in an annotated tag's message;
   * `index`: staged (at `path`) but in no commit yet; `dangling`: a blob
   * neither a commit nor the index holds (staged once, never committed);
   * `ref`: in the name of the ref at `path`; `name`: in the name of a file or
   * folder at `path`, in HEAD's tree or in what `commit` added.
   */
  in?: 'message' | 'tag' | 'index' | 'dangling' | 'ref' | 'name';
  /** For a key no longer in HEAD: the last commit on HEAD's first-parent line that held it, and the one that took it out. */
  lastSeen?: { commit: string; date: string } | null;
  removedIn?: { commit: string; date: string } | null;
  /** For `in: 'tag'`: the tag's name (from the tag object) and the tag object's id. */
  tag?: { name: string; id: string };
}

/** Where in a container image (the `image` command). */
export interface ImagePlace {
  /** `app:1.0@sha256:3f2a9c1b7d4e`: the image's name and id. */
  image: string;
  /** 1-based, bottom first; null for the image's config. */
  layer: number | null;
  layers: number;
  /** The layer's digest as the manifest names it; null for the config. */
  digest: string | null;
  /** The path inside the layer (`app/.env`), or `config/Env`. */
  file: string;
  /** A later layer deleted the file (a whiteout): it is still in this layer, for anyone who pulls the image. */
  deletedIn?: number;
  /** A later layer put another file at this path. */
  replacedIn?: number;
}

/** Where a piece of content came from. */
export interface Origin {
  /** Relative to the scan root, forward slashes; null where there is no file (stdin without --path, a commit message). */
  path: string | null;
  /** A 40-hex commit id in git mode, else null. */
  commit: string | null;
  /** The repository as the user gave it (git mode). */
  target?: string;
  /** `Name <email>` of the commit's author (git mode). */
  author?: string | null;
  /** The commit's author date, ISO 8601 (git mode). */
  date?: string | null;
  git?: GitPlace;
  /** In a container image. */
  image?: ImagePlace;
  /** Only matches on these lines count (the lines a staged change adds). */
  onlyLines?: number[];
  /** The key is in the name at `path` (a file's or a folder's), not in content. */
  inName?: true;
  /** Inside the archive at `path`: the member's path, `!` between nested archives (`inner.tgz!package/.env`). */
  member?: string;
}

/** A file on disk, read lazily (by a worker thread when the scan is parallel). */
export interface FileItem {
  origin: Origin;
  file: string;
}

/** Content already in memory (stdin, a git blob). */
export interface BytesItem {
  origin: Origin;
  bytes: Bytes;
}

/**
 * Content the source read and found to hold no anchor (AnchorProbe): clean,
 * counted as scanned, never sent to detection. `probed` is its size in bytes.
 */
export interface ProbedItem {
  origin: Origin;
  probed: number;
}

/** An item whose content detection reads. */
export type ReadItem = FileItem | BytesItem;

export type SourceItem = ReadItem | ProbedItem;

/**
 * Whether content could hold a key at all, as the detector would look: a
 * source that reads content itself may be handed one (detect/probe.ts), and
 * hand over what holds no anchor as a ProbedItem.
 */
export interface AnchorProbe {
  /** Whether `bytes` hold an anchor anywhere. */
  any(bytes: Buffer): boolean;
  /**
   * Whether an anchor lies in or touches one of the ranges (pairs of start
   * and end) of `bytes`, where the rest of `bytes` was copied from content
   * that holds none.
   */
  near(bytes: Buffer, fresh: readonly number[]): boolean;
}


export type TargetKind = 'dir' | 'stdin' | 'git' | 'staged' | 'image';

/**
 * What a source tells the scan while it reads: the observer the scan passes
 * to `items()`. Every hook is the scan's to implement (pipeline/run.ts); a
 * source calls those that apply to it.
 */
export interface SourceEvents {
  /** An item not read (or, `binary`, not read as text): counted, and named in the report. Nothing is skipped uncounted. */
  skip(reason: SkipReason, path: string, message?: string): void;
  /** Something the user should know about the scan itself (a shallow clone, a missing object); shown as a warning. */
  warn(message: string): void;
  /** How much the source will hand over in all, once it knows (a history scan, after listing its objects): progress shows a total. */
  total(items: number, bytes: number): void;
  /** Before reading, roughly how many objects it will go through (a history scan: what its object store holds): a long one saves memory. */
  expect(objects: number): void;
  /** A path the walk did not enter or read because a settings file said so: the config's `exclude`, or a `.gitignore`. */
  pruned(by: 'exclude' | 'gitignore', path: string): void;
}

/**
 * What the scan tells a source about the items it handed over, as results
 * come in: an observer the source may provide (`Source.observer`), in the
 * manner of ripgrep's Sink: each hook documented here, each with a default
 * that does nothing, so a source overrides only what it uses.
 *
 * `result` and `found` arrive as detection finishes items, on this thread
 * but not in the order the items were handed over (worker threads finish in
 * their own order); `finished` comes once, after the last result, and only
 * when the scan ran to its end.
 */
export class ItemObserver {
  /**
   * An item's result: `clean` when it was read whole and nothing was found
   * in it (an archive member counts on its own). A source that keeps a scan
   * cache enters clean objects here. Default: nothing.
   */
  result(_origin: Origin, _clean: boolean): void {}

  /**
   * Detection found a key in this item. A source that will be asked to place
   * findings (`History.attribute`) may start that work now, alongside the
   * rest of the read. Default: nothing.
   */
  found(_origin: Origin): void {}

  /** Every result is in, and the scan ran to its end (not called when it failed or was stopped): a scan cache is saved here. Default: nothing. */
  finished(): void {}
}

/** One secret found in one item, as handed back to the source for attribution. */
export interface Hit {
  origin: Origin;
  /** SHA-256 of the secret: the source never sees the secret itself. */
  sha256: string;
}

/** One target of a scan over several (git's repositories): what was read of it, and how long it took. */
export interface TargetRead {
  target: string;
  /** `worktree`: a repository with a working tree; `bare`; `url`: cloned for the scan. */
  kind: 'worktree' | 'bare' | 'url';
  objects: number;
  bytes: number;
  durationMs: number;
  /** Objects the scan cache said were clean, so not read again. */
  cached?: number;
  /** Why the scan of this target stopped part-way (the others went on). */
  error?: string;
}

/**
 * What a source with a history adds (a repository's commits, an image's
 * layers): where each find really is, the names a key could hide in besides
 * the items' paths, and what was read of each target. Each is asked once,
 * after `items()` has ended.
 */
export interface History {
  /** Where each hit really is: a git blob found at two paths becomes two origins. */
  attribute(hits: Hit[]): Promise<Origin[][]>;
  /** Names the source knows besides its items' paths, each as the origin a key in it would have (its `path` is the name): a repository's refs. */
  names(): Promise<Origin[]>;
  /** Per target, what was read; null for a source with one target (an image). */
  targets(): TargetRead[] | null;
}

export interface Source {
  readonly kind: TargetKind;
  /** The root as the user gave it. */
  readonly root: string;
  /** Items in batches: one promise per batch, not per item, keeps a history of 100,000 objects cheap to stream. */
  items(events: SourceEvents): AsyncIterable<SourceItem[]>;
  /** Told of each item's result while the scan runs (ItemObserver); none: nobody listens. */
  readonly observer?: ItemObserver;
  /** A source with a history (git, an image): placing finds, more names, per-target reads. */
  readonly history?: History;
  /** Releases what the source holds (a temporary clone). Called however the scan ends. */
  close?(): Promise<void>;
}
