/**
 * What a scan's settings are, whatever file they came from: the defaults, and
 * the shape the config loader (config.ts) and the file parser (config-file.ts)
 * both fill in.
 */
import type { RuleSpec } from '../detect/rule.js';
import type { BaselineEntry } from './baseline.js';
import type { PathPatterns } from './paths.js';

export function defaults(file: string | null, builtin: RuleSpec[]): Config {
  return { file, rules: builtin, builtin, disabled: [], added: [], sources: { config: null, ignoreFile: null, baseline: null }, audit: false, exclude: [], excluded: null, maxFileSize: DEFAULT_MAX_FILE_SIZE, maxArchiveBytes: DEFAULT_MAX_ARCHIVE_BYTES, submodules: true, fingerprints: [], ignoreFile: null, baseline: { file: '', entries: null } };
}

export const CONFIG_FILE_NAME = '.sk-scan.yaml';
export const DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024;
export const DEFAULT_MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;

export interface Config {
  /** The file it was read from, or null for the defaults. */
  file: string | null;
  /** The rules in force: built-in ones not disabled, then the user's. */
  rules: RuleSpec[];
  /** Every built-in rule, disabled or not: a key one of them matches is verified by its check, whatever the config says. */
  builtin: RuleSpec[];
  /** Built-in rules the config disables, by id. */
  disabled: string[];
  /** The config's own rules, by id. */
  added: string[];
  /** Which settings files were read, and whose each is: the scanned tree's, or the user's (named on the command line, or outside what is scanned). */
  sources: { config: SettingsSource | null; ignoreFile: SettingsSource | null; baseline: SettingsSource | null };
  /** Audit mode: no settings file of the scanned tree was read, and its allow comments are reported rather than obeyed. */
  audit: boolean;
  /** Globs, relative to the scan root, of paths never read (as written). */
  exclude: string[];
  /** `exclude` compiled: the one matcher the walk and suppression both use; null when there are no globs. */
  excluded: PathPatterns | null;
  /** Files larger than this many bytes are skipped (and counted). */
  maxFileSize: number;
  /** What one archive (zip, tar, gzip, nested ones included) may decompress in all; the rest is skipped and counted. */
  maxArchiveBytes: number;
  /** false: a history scan leaves the repositories of submodules unread, and accepts that (as --no-submodules). */
  submodules: boolean;
  /** Findings ignored by fingerprint (the config's `ignore:` list). */
  fingerprints: string[];
  /** Lines of `.sk-scanignore` at the scan root (gitignore syntax), or null. */
  ignoreFile: string[] | null;
  /** The baseline file (used when it exists, written by --update-baseline) and its entries. */
  baseline: { file: string; entries: BaselineEntry[] | null };
}

/** A settings file that was read: where, and whether it belongs to what is scanned (`target`) or to the user. */
export interface SettingsSource {
  file: string;
  from: 'target' | 'user';
}

export const IGNORE_FILE_NAME = '.sk-scanignore';
