// Build step: rules/*.yaml → dist/rules.json, so the CLI starts without a YAML parser.
import { writeFileSync } from 'node:fs';
import { readRulesDir } from '../dist/config/builtin.js';

const rules = await readRulesDir();
writeFileSync(new URL('../dist/rules.json', import.meta.url), JSON.stringify(rules));
