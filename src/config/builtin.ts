/**
 * The built-in rules. The build turns rules/*.yaml into dist/rules.json so that
 * a scan (above all the pre-commit hook) starts without loading a YAML parser;
 * run from source, the YAML is read directly.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RuleSpec } from '../detect/rule.js';

export const RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));
const COMPILED = new URL('../rules.json', import.meta.url);

export async function builtinRules(): Promise<RuleSpec[]> {
  try {
    return JSON.parse(readFileSync(COMPILED, 'utf8')) as RuleSpec[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return readRulesDir();
}

/** Every rules/*.yaml, parsed and checked (used by the build and when running from source). */
export async function readRulesDir(): Promise<RuleSpec[]> {
  const { loadRuleFile } = await import('./rules.js');
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => loadRuleFile(RULES_DIR + f));
}
