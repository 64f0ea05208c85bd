/**
 * `.sk-scan.yaml`: the user's rules, disabled built-in rules, excluded paths and
 * the file size limit. Found at the scan root, or named with --config.
 */
import { join } from 'node:path';
import type { RuleSpec } from '../detect/rule.js';
import { SkScanError, locatedError } from '../errors.js';
import { readSettingsFile } from '../files.js';
import { BASELINE_FILE_NAME, parseBaseline, type BaselineEntry } from '../suppress/index.js';
import { builtinRules } from './builtin.js';
import type { PathPatterns } from './paths.js';

export function defaults(file: string | null, builtin: RuleSpec[]): Config {
  return { file, rules: builtin, builtin, disabled: [], added: [], sources: { config: null, ignoreFile: null, baseline: null }, audit: false, exclude: [], excluded: null, maxFileSize: DEFAULT_MAX_FILE_SIZE, maxArchiveBytes: DEFAULT_MAX_ARCHIVE_BYTES, fingerprints: [], ignoreFile: null, baseline: { file: '', entries: null } };
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

/**
 * The config for a scan rooted at `root`: `explicit` if given, else
 * `root/.sk-scan.yaml` if present; with `root/.sk-scanignore` and the baseline
 * (`baseline`, else `root/.sk-scan-baseline.json`).
 */
/** The largest configuration and ignore files read, and the largest baseline. */
const MAX_CONFIG = 1 << 20;
const MAX_BASELINE = 32 << 20;

export interface LoadOptions {
  /** Where `.sk-scan.yaml`, `.sk-scanignore` and the baseline are looked for (default `.`). */
  root?: string;
  /** A config file named on the command line, read instead of the root's. */
  explicit?: string;
  /** A baseline named on the command line. */
  baseline?: string;
  /** The root is part of what is scanned (its files are the scanned tree's, not the user's). */
  rootIsTarget?: boolean;
  /** Audit mode: files the scanned tree holds are not read; only those the user named, or the root's when it is not part of the scan. */
  audit?: boolean;
}

export async function loadConfig(opts: LoadOptions): Promise<Config> {
  const root = opts.root ?? '.';
  const from = opts.rootIsTarget ? 'target' : 'user';
  // In audit mode the scanned tree's own settings are input, not instructions: they are not read at all.
  const implicit = !(opts.audit && opts.rootIsTarget);
  const config = await loadYamlConfig(root, opts.explicit, implicit);
  config.audit = opts.audit === true;
  if (config.file !== null) config.sources.config = { file: config.file, from: opts.explicit !== undefined ? 'user' : from };
  // The matcher loads only when there are globs to match (the pre-commit hook must start fast).
  if (config.exclude.length > 0) config.excluded = (await import('./paths.js')).PathPatterns.compile(config.exclude);
  // Files found at the root come from what is being scanned: they are read only if they stay inside it.
  const baselineFile = opts.baseline ?? join(root, BASELINE_FILE_NAME);
  const baselineText = opts.baseline !== undefined || implicit ? readSettingsFile(baselineFile, { what: `the baseline ${baselineFile}`, max: MAX_BASELINE, within: opts.baseline === undefined ? root : undefined }) : null;
  config.baseline = { file: baselineFile, entries: baselineText === null ? null : parseBaseline(baselineFile, baselineText) };
  if (baselineText !== null) config.sources.baseline = { file: baselineFile, from: opts.baseline !== undefined ? 'user' : from };
  const ignoreFile = join(root, IGNORE_FILE_NAME);
  const ignoreText = implicit ? readSettingsFile(ignoreFile, { what: ignoreFile, max: MAX_CONFIG, within: root }) : null;
  if (ignoreText !== null) {
    const { paths, fingerprints } = parseIgnoreFile(ignoreFile, ignoreText);
    config.ignoreFile = paths;
    config.fingerprints = [...config.fingerprints, ...fingerprints];
    config.sources.ignoreFile = { file: ignoreFile, from };
  }
  return config;
}

/** A fingerprint as the report shows it: 16 hex digits. */
const FINGERPRINT = /^[0-9a-f]{16}$/i;
/** gitleaks' `commit:path:rule:line` (or `path:rule:line`), which names nothing sk-scan can match. */
const GITLEAKS_FINGERPRINT = /^(?:[0-9a-f]{40}:)?[^:]+:[\w.-]+:\d+$/;

/**
 * `.sk-scanignore`: paths in gitignore syntax, and fingerprints (as in the
 * config's `ignore:`), one per line. A gitleaks fingerprint is refused by
 * name rather than matching nothing silently.
 */
export function parseIgnoreFile(file: string, text: string): { paths: string[]; fingerprints: string[] } {
  const paths: string[] = [];
  const fingerprints: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (FINGERPRINT.test(line)) fingerprints.push(line.toLowerCase());
    else if (GITLEAKS_FINGERPRINT.test(line) && !line.startsWith('#')) {
      throw locatedError(file, i + 1, `'${line.slice(0, 60)}' looks like a gitleaks fingerprint (commit:path:rule:line); sk-scan's are the 16 hex digits a report shows after "fingerprint", or list the path`);
    } else paths.push(raw);
  });
  return { paths, fingerprints };
}

async function loadYamlConfig(root: string, explicit: string | undefined, implicit: boolean): Promise<Config> {
  const builtin = await builtinRules();
  if (explicit === undefined && !implicit) return defaults(null, builtin);
  const file = explicit ?? join(root, CONFIG_FILE_NAME);
  const text = readSettingsFile(file, { what: `the config file ${file}`, max: MAX_CONFIG, within: explicit === undefined ? root : undefined });
  if (text === null) {
    if (explicit !== undefined) throw new SkScanError(`config file not found: ${explicit}`);
    return defaults(null, builtin);
  }
  // The YAML parser is loaded only when there is a config file to read.
  const { parseConfig } = await import('./config-file.js');
  return parseConfig(file, text, builtin);
}
