/**
 * What every source yields: bytes (or a file to read them from) plus where they
 * came from. Only this folder knows about files, git and stdin; the detector
 * downstream sees bytes.
 */

/** Where a piece of content came from. */
export interface Origin {
  /** Relative to the scan root, forward slashes; null where there is no file (stdin without --path, a commit message). */
  path: string | null;
  /** A 40-hex commit id in git mode, else null. */
  commit: string | null;
}

/** A file on disk, read lazily (by a worker thread when the scan is parallel). */
export interface FileItem {
  origin: Origin;
  file: string;
}

/** Content already in memory (stdin, a git blob). */
export interface BytesItem {
  origin: Origin;
  bytes: Uint8Array;
}

export type SourceItem = FileItem | BytesItem;

export type SkipReason = 'binary' | 'tooLarge' | 'unreadable' | 'symlink';

export type TargetKind = 'dir' | 'stdin' | 'git' | 'staged';

/** How a source reports what it could not read, so that nothing is skipped uncounted. */
export interface SourceEvents {
  skip(reason: SkipReason, path: string, message?: string): void;
}

export interface Source {
  readonly kind: TargetKind;
  /** The root as the user gave it. */
  readonly root: string;
  items(events: SourceEvents): AsyncIterable<SourceItem>;
}
