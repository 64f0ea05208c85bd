/** Parsing `.sk-scan.yaml`, with a file:line for every problem. */
import type { RuleSpec } from '../detect/rule.js';
import { defaults, type Config } from './model.js';
import { checkedRules } from './rules.js';
import { YamlFile } from './yaml.js';

const FIELDS = ['rules', 'disable', 'exclude', 'maxFileSize', 'maxArchiveBytes', 'submodules', 'ignore'] as const;
const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

export function parseConfig(file: string, text: string, builtin: RuleSpec[]): Config {
  const yf: YamlFile = new YamlFile(file, text);
  const config: Config = defaults(file, builtin);
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
    config.disabled = [...disabled];
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
    config.added = own.map((r) => r.id);
  }

  const excludeNode = f.get('exclude')?.value;
  if (excludeNode !== undefined) config.exclude = yf.strings(excludeNode, '`exclude`');

  const ignoreNode = f.get('ignore')?.value;
  if (ignoreNode !== undefined) {
    config.fingerprints = yf.items(ignoreNode, '`ignore`').map((item) => {
      const fp = yf.string(item, 'each entry of `ignore`').trim().toLowerCase();
      if (!/^[0-9a-f]{12,16}$/.test(fp)) yf.fail(item, '`ignore` lists finding fingerprints (12 to 16 hex characters, as printed with each finding); this entry is not one');
      return fp;
    });
  }

  const submodulesNode = f.get('submodules')?.value;
  if (submodulesNode !== undefined) {
    const value = yf.scalar(submodulesNode);
    if (typeof value !== 'boolean') yf.fail(submodulesNode, '`submodules` is true (their repositories are scanned, the default) or false (left unread, and accepted)');
    config.submodules = value;
  }

  for (const field of ['maxFileSize', 'maxArchiveBytes'] as const) {
    const sizeNode = f.get(field)?.value;
    if (sizeNode === undefined) continue;
    const bytes = parseSize(yf.scalar(sizeNode));
    if (bytes === null) yf.fail(sizeNode, `\`${field}\` must be a number of bytes or a size such as 10MiB or 500KB`);
    config[field] = bytes;
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
