/**
 * `sk-scan rules`: what each rule in force looks for and in which forms, and a
 * rules file's examples run one by one, each with its line, as noseyparker's
 * `rules check` does. The config loader stops at the first example that
 * misbehaves; a check lists them all.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Node } from 'yaml';
import { SkScanError } from '../common/errors.js';
import { decodersFor, Detector } from '../detect/engine.js';
import { compileRule, type RuleSpec, type Severity } from '../detect/rule.js';
import { RULES_DIR } from './builtin.js';
import { loadConfig } from './config.js';
import { parseRuleList } from './rules.js';
import { YamlFile } from './yaml.js';

/** One rule, as `rules list` shows it. */
export interface RuleListing {
  id: string;
  description: string;
  severity: Severity;
  kind: string;
  /** `built-in`, or the config file that adds it. */
  from: string;
  keywords: string[];
  /** The encodings its keys are also found in: `base64`, `hex`, `percent`, `json-escape`. */
  decodes: string[];
  /** Those of `decodes` whose decoded bytes are searched once more, for every form (base64 inside base64). */
  nested: string[];
  /** How --verify asks about a key (`GET /v1/bots`), or null: it has no check. */
  verify: string | null;
}

export interface RuleList {
  rules: RuleListing[];
  /** Built-in rules the config turns off. */
  disabled: string[];
  /** The config read, or null for the defaults. */
  config: string | null;
}

/** The encodings a rule's keys are also found in, derived from its keywords as the engine derives them; `nested`: those whose decoded bytes are searched for every form once more. */
export function decodedForms(rule: Pick<RuleSpec, 'keywords'>): { decodes: string[]; nested: string[] } {
  const decoders = decodersFor([rule]);
  return { decodes: decoders.map((d) => d.name), nested: decoders.filter((d) => d.nests).map((d) => d.name) };
}

/** The rules a scan rooted at `root` uses: the built-in ones the config keeps, then the config's own. */
export async function listRules(opts: { root?: string; config?: string } = {}): Promise<RuleList> {
  const config = await loadConfig({ root: opts.root ?? '.', explicit: opts.config });
  const added = new Set(config.added);
  return {
    config: config.file,
    disabled: config.disabled,
    rules: config.rules.map((r) => ({
      id: r.id,
      description: r.description,
      severity: r.severity,
      kind: r.kind,
      from: added.has(r.id) ? (config.file ?? 'config') : 'built-in',
      keywords: r.keywords,
      ...decodedForms(r),
      verify: r.verify ? `${r.verify.request.method} ${r.verify.request.path}` : null,
    })),
  };
}

/** One example run: what it is, where it is written, and whether the rule did what the file says. */
export interface ExampleResult {
  rule: string;
  expect: 'match' | 'noMatch';
  /** 1-based, among the rule's examples of that sort. */
  index: number;
  line: number | null;
  ok: boolean;
}

export interface RuleCheck {
  file: string;
  rules: { id: string; line: number | null; examples: ExampleResult[] }[];
}

/**
 * Every example of every rule in `file` (a rules file, or a .sk-scan.yaml:
 * its `rules:` list), run against its own rule alone. A file that does not
 * parse, or a rule that is not a rule, throws with the file and line, as the
 * config loader does. The rules sk-scan ships run on JavaScript's engine, as
 * in a scan; any other file's on RE2.
 */
export function checkRuleFile(file: string): RuleCheck {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SkScanError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`);
  }
  const yf: YamlFile = new YamlFile(file, text);
  const list = yf.isMapping(yf.root) ? yf.entries(yf.root, 'the file').find((e) => e.key === 'rules') : undefined;
  if (list === undefined) yf.fail(yf.root, 'no `rules:` list here: a rules file (or .sk-scan.yaml) lists its rules under `rules:`');
  const builtin = shipped(file);
  return {
    file,
    rules: parseRuleList(yf, list.value, '`rules`', builtin).map(({ spec, node }) => {
      const detector = new Detector([compileRule(spec)]);
      const written = exampleNodes(yf, node);
      const run = (expect: 'match' | 'noMatch', texts: string[]): ExampleResult[] =>
        texts.map((t, i) => ({ rule: spec.id, expect, index: i + 1, line: yf.lineOf(written[expect][i]), ok: (detector.scan(Buffer.from(t)).length > 0) === (expect === 'match') }));
      return { id: spec.id, line: yf.lineOf(node), examples: [...run('match', spec.examples.match), ...run('noMatch', spec.examples.noMatch)] };
    }),
  };
}

/** Whether `file` is one of the rules files sk-scan ships. */
function shipped(file: string): boolean {
  try {
    return dirname(realpathSync(file)) === realpathSync(RULES_DIR);
  } catch {
    return false;
  }
}

/** The nodes a rule's examples are written at, for their lines (the rule is parsed already: its shape is known). */
function exampleNodes(yf: YamlFile, rule: Node): Record<'match' | 'noMatch', (Node | null)[]> {
  const examples = yf.entries(rule, 'a rule').find((e) => e.key === 'examples')?.value ?? null;
  const of = (name: string) => {
    const node = examples === null ? undefined : yf.entries(examples, 'examples').find((e) => e.key === name)?.value;
    return node ? yf.items(node, name) : [];
  };
  return { match: of('match'), noMatch: of('noMatch') };
}
