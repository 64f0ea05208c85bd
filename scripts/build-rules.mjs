// Build step: rules/*.yaml → dist/rules.json, so the CLI starts without a YAML parser.
// The rules' `examples` stay in the source, where the test suite runs them: they are
// key-shaped by design, and an installed copy of sk-scan must not trip any scanner
// (sk-scan's own, gitleaks, a registry's push protection) in node_modules.
//
// It also works out the prefilters' plans for the built-in rules
// (dist/prefilter-buckets.json, see src/detect/bucket-cache.ts), before
// rules.json, which the test run takes as the build's time stamp.
import { writeFileSync } from 'node:fs';
import { readRulesDir } from '../dist/config/builtin.js';
import { Detector } from '../dist/detect/engine.js';
import { compileRule } from '../dist/detect/rule.js';

const rules = (await readRulesDir()).map((rule) => ({ ...rule, examples: { match: [], noMatch: [] } }));
writeFileSync(new URL('../dist/prefilter-buckets.json', import.meta.url), JSON.stringify(new Detector(rules.map(compileRule)).prefilterPlans));
writeFileSync(new URL('../dist/rules.json', import.meta.url), JSON.stringify(rules));
