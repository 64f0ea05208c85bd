/**
 * `.sk-scan.yaml`: the user's rules, disabled built-in rules, excluded paths and
 * the file size limit. Found at the scan root, or named with --config.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleSpec } from '../detect/rule.js';
import { SkScanError } from '../errors.js';
import { builtinRules } from './builtin.js';

export const CONFIG_FILE_NAME = '.sk-scan.yaml';
export const DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024;

export interface Config {
  /** The file it was read from, or null for the defaults. */
  file: string | null;
  /** The rules in force: built-in ones not disabled, then the user's. */
  rules: RuleSpec[];
  /** Globs, relative to the scan root, of paths never read. */
  exclude: string[];
  /** Files larger than this many bytes are skipped (and counted). */
  maxFileSize: number;
}

/** The config for a scan rooted at `root`: `explicit` if given, else `root/.sk-scan.yaml` if present. */
export async function loadConfig(opts: { root?: string; explicit?: string }): Promise<Config> {
  const builtin = await builtinRules();
  let file: string | null = null;
  if (opts.explicit !== undefined) {
    if (!existsSync(opts.explicit)) throw new SkScanError(`config file not found: ${opts.explicit}`);
    file = opts.explicit;
  } else if (opts.root !== undefined) {
    const candidate = join(opts.root, CONFIG_FILE_NAME);
    if (existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
  }
  if (file === null) return { file: null, rules: builtin, exclude: [], maxFileSize: DEFAULT_MAX_FILE_SIZE };
  // The YAML parser is loaded only when there is a config file to read.
  const { parseConfig } = await import('./config-file.js');
  return parseConfig(file, readFileSync(file, 'utf8'), builtin);
}

