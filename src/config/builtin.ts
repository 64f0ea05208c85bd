/**
 * The built-in rules. The build turns rules/*.yaml into dist/rules.json so that
 * a scan (above all the pre-commit hook) starts without loading a YAML parser;
 * run from source, the YAML is read directly.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleSpec } from '../detect/rule.js';
import { FROM_SOURCE, packageFile } from '../common/package-root.js';

export const RULES_DIR = packageFile('rules');

export async function builtinRules(): Promise<RuleSpec[]> {
  if (!FROM_SOURCE) {
    try {
      return JSON.parse(readFileSync(packageFile('dist', 'rules.json'), 'utf8')) as RuleSpec[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return readRulesDir();
}

/** Every rules/*.yaml, parsed and checked (used by the build and when running from source). */
export async function readRulesDir(): Promise<RuleSpec[]> {
  const { loadRuleFile } = await import('./rules.js');
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => loadRuleFile(join(RULES_DIR, f)));
}
