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
  return { file, rules: builtin, builtin, exclude: [], excluded: null, maxFileSize: DEFAULT_MAX_FILE_SIZE, maxArchiveBytes: DEFAULT_MAX_ARCHIVE_BYTES, fingerprints: [], ignoreFile: null, baseline: { file: '', entries: null } };
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

export const IGNORE_FILE_NAME = '.sk-scanignore';

/**
 * The config for a scan rooted at `root`: `explicit` if given, else
 * `root/.sk-scan.yaml` if present; with `root/.sk-scanignore` and the baseline
 * (`baseline`, else `root/.sk-scan-baseline.json`).
 */
/** The largest configuration and ignore files read, and the largest baseline. */
const MAX_CONFIG = 1 << 20;
const MAX_BASELINE = 32 << 20;

export async function loadConfig(opts: { root?: string; explicit?: string; baseline?: string }): Promise<Config> {
  const root = opts.root ?? '.';
  const config = await loadYamlConfig(root, opts.explicit);
  // The matcher loads only when there are globs to match (the pre-commit hook must start fast).
  if (config.exclude.length > 0) config.excluded = (await import('./paths.js')).PathPatterns.compile(config.exclude);
  // Files found at the root come from what is being scanned: they are read only if they stay inside it.
  const baselineFile = opts.baseline ?? join(root, BASELINE_FILE_NAME);
  const baselineText = readSettingsFile(baselineFile, { what: `the baseline ${baselineFile}`, max: MAX_BASELINE, within: opts.baseline === undefined ? root : undefined });
  config.baseline = { file: baselineFile, entries: baselineText === null ? null : parseBaseline(baselineFile, baselineText) };
  const ignoreFile = join(root, IGNORE_FILE_NAME);
  const ignoreText = readSettingsFile(ignoreFile, { what: ignoreFile, max: MAX_CONFIG, within: root });
  if (ignoreText !== null) {
    const { paths, fingerprints } = parseIgnoreFile(ignoreFile, ignoreText);
    config.ignoreFile = paths;
    config.fingerprints = [...config.fingerprints, ...fingerprints];
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

async function loadYamlConfig(root: string, explicit: string | undefined): Promise<Config> {
  const builtin = await builtinRules();
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
