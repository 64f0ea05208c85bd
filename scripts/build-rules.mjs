// Build step: rules/*.yaml → dist/rules.json, so the CLI starts without a YAML parser.
// The rules' `examples` stay in the source, where the test suite runs them: they are
// key-shaped by design, and an installed copy of sk-scan must not trip any scanner
// (sk-scan's own, gitleaks, a registry's push protection) in node_modules.
import { writeFileSync } from 'node:fs';
import { readRulesDir } from '../dist/config/builtin.js';

const rules = (await readRulesDir()).map((rule) => ({ ...rule, examples: { match: [], noMatch: [] } }));
writeFileSync(new URL('../dist/rules.json', import.meta.url), JSON.stringify(rules));
