/**
 * `.sk-scan.yaml`: the user's rules, disabled built-in rules, excluded paths and
 * the file size limit. Found at the scan root, or named with --config.
 */
import { join } from 'node:path';
import { SkScanError, locatedError } from '../common/errors.js';
import { readSettingsFile } from '../common/files.js';
import { BASELINE_FILE_NAME, parseBaseline } from './baseline.js';
import { builtinRules } from './builtin.js';
import { CONFIG_FILE_NAME, defaults, IGNORE_FILE_NAME, type Config } from './model.js';

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

/**
 * The config for a scan rooted at `root`: `explicit` if given, else
 * `root/.sk-scan.yaml` if present; with `root/.sk-scanignore` and the baseline
 * (`baseline`, else `root/.sk-scan-baseline.json`).
 */
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
