/**
 * `.sk-scan.yaml`: the user's rules, disabled built-in rules, excluded paths and
 * the file size limit. Found at the scan root, or named with --config.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleSpec } from '../detect/rule.js';
import { SkScanError } from '../errors.js';
import { BUILTIN_RULES_FILE, checkedRules, loadRuleFile } from './rules.js';
import { YamlFile } from './yaml.js';

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

const FIELDS = ['rules', 'disable', 'exclude', 'maxFileSize'] as const;
const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** The config for a scan rooted at `root`: `explicit` if given, else `root/.sk-scan.yaml` if present. */
export function loadConfig(opts: { root?: string; explicit?: string }): Config {
  const builtin = loadRuleFile(BUILTIN_RULES_FILE, { checkExamples: false });
  let file: string | null = null;
  if (opts.explicit !== undefined) {
    if (!existsSync(opts.explicit)) throw new SkScanError(`config file not found: ${opts.explicit}`);
    file = opts.explicit;
  } else if (opts.root !== undefined) {
    const candidate = join(opts.root, CONFIG_FILE_NAME);
    if (existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
  }
  if (file === null) return { file: null, rules: builtin, exclude: [], maxFileSize: DEFAULT_MAX_FILE_SIZE };
  return parseConfig(file, readFileSync(file, 'utf8'), builtin);
}

export function parseConfig(file: string, text: string, builtin: RuleSpec[]): Config {
  const yf: YamlFile = new YamlFile(file, text);
  const config: Config = { file, rules: builtin, exclude: [], maxFileSize: DEFAULT_MAX_FILE_SIZE };
  if (yf.root === null) return config; // an empty file is the defaults
  const f = yf.fields(yf.root, 'the config', FIELDS);

  const disableNode = f.get('disable')?.value;
  if (disableNode !== undefined) {
    const known = new Set(builtin.map((r) => r.id));
    const disabled = new Set<string>();
    for (const item of yf.items(disableNode, '`disable`')) {
      const id = yf.string(item, 'each entry of `disable`');
      if (!known.has(id)) yf.fail(item, `\`disable\` names an unknown built-in rule \`${id}\` (built-in: ${[...known].join(', ')})`);
      disabled.add(id);
    }
    config.rules = builtin.filter((r) => !disabled.has(r.id));
  }

  const rulesNode = f.get('rules')?.value;
  if (rulesNode !== undefined) {
    const own = checkedRules(yf, rulesNode, '`rules`');
    for (const r of own) {
      if (builtin.some((b) => b.id === r.id)) {
        yf.fail(rulesNode, `rule \`${r.id}\` has the id of a built-in rule; give it its own id (and \`disable\` the built-in one to replace it)`);
      }
    }
    config.rules = [...config.rules, ...own];
  }

  const excludeNode = f.get('exclude')?.value;
  if (excludeNode !== undefined) config.exclude = yf.strings(excludeNode, '`exclude`');

  const sizeNode = f.get('maxFileSize')?.value;
  if (sizeNode !== undefined) {
    const bytes = parseSize(yf.scalar(sizeNode));
    if (bytes === null) yf.fail(sizeNode, '`maxFileSize` must be a number of bytes or a size such as 10MiB or 500KB');
    config.maxFileSize = bytes;
  }
  return config;
}

/** 1048576, "1048576", "10MiB", "500 KB" → bytes; anything else → null. */
export function parseSize(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw > 0 ? raw : null;
  if (typeof raw !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  if (!m) return null;
  const unit = UNITS[(m[2] || 'b').toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes > 0 ? bytes : null;
}
