/**
 * `sk-scan rules list` and `sk-scan rules check FILE`, as text (80 columns)
 * or JSON. The work is the package's (config/catalog.ts); this is the words.
 */
import { checkRuleFile, listRules, type RuleCheck, type RuleList } from '../index.js';
import { count, plural, wrap } from '../common/text.js';
import { nearest, usageError, type Command, type Parsed } from './args.js';
import { writeReport } from './output.js';

const WIDTH = 80;

export async function rulesCommand({ values, positionals }: Parsed, command: Command): Promise<number> {
  const [verb, ...rest] = positionals;
  const json = values['format'] === 'json';
  if (verb === 'list') {
    if (rest.length > 0) throw usageError('rules list takes no PATH: it lists the rules a scan from this folder uses (--config FILE for another config)', command);
    const list = await listRules({ config: values['config'] as string | undefined });
    await writeReport(json ? `${JSON.stringify(list, null, 2)}\n` : listText(list), undefined);
    return 0;
  }
  if (verb === 'check') {
    if (rest.length !== 1) throw usageError('rules check takes one FILE: a rules file, or a .sk-scan.yaml with a rules: list', command);
    const check = await checkRuleFile(rest[0] as string);
    await writeReport(json ? `${JSON.stringify(check, null, 2)}\n` : checkText(check), undefined);
    return check.rules.some((r) => r.examples.some((e) => !e.ok)) ? 1 : 0;
  }
  const near = verb === undefined ? null : nearest(verb, ['list', 'check']);
  throw usageError(verb === undefined ? 'rules needs list or check FILE' : `rules has no ${verb}${near ? `; did you mean ${near}?` : ': use list or check FILE'}`, command);
}

/** A block per rule: id, severity and where it comes from, then what it looks for, the forms, and the check. */
export function listText(list: RuleList): string {
  const out: string[] = [];
  for (const r of list.rules) {
    out.push(`${r.id}  ${r.severity}  ${r.from === 'built-in' ? 'built-in' : `from ${r.from}`}`);
    out.push(...wrap(r.description, WIDTH, 2));
    const field = (name: string, text: string) => out.push(...wrap(`${name.padEnd(9)} ${text}`, WIDTH, 2, 12));
    field('keywords', r.keywords.join(', '));
    field('decodes', r.decodes.length > 0 ? r.decodes.join(', ') : 'nothing (its keywords are too short to have an encoded form)');
    if (r.nested.length > 0) field('again', `inside ${r.nested.join(', ')}: what those decode is searched for every form once more`);
    field('verify', r.verify ?? 'no check (--verify leaves its keys unverified)');
    out.push('');
  }
  const tail = [`${count(list.rules.length, 'rule')} in force`];
  tail.push(list.config ? `settings from ${list.config}` : 'no .sk-scan.yaml: the built-in rules');
  if (list.disabled.length > 0) tail.push(`disabled: ${list.disabled.join(', ')}`);
  out.push(...wrap(`${tail.join('; ')}.`, WIDTH, 0));
  return `${out.join('\n')}\n`;
}

/** A line per rule, then each example that misbehaves as `FILE:LINE: …` (an editor jumps there), then the count. */
export function checkText(check: RuleCheck): string {
  const out: string[] = [];
  const width = Math.max(0, ...check.rules.map((r) => r.id.length));
  for (const r of check.rules) {
    const bad = r.examples.filter((e) => !e.ok).length;
    const sorts = ['match', 'noMatch'].map((s) => `${r.examples.filter((e) => e.expect === s).length} ${s}`).join(', ');
    const verdict = r.examples.length === 0 ? 'no examples: nothing checks it' : bad === 0 ? 'as expected' : `${bad} ${plural(bad, 'misbehaves', 'misbehave')}`;
    out.push(`${bad > 0 ? '✗' : r.examples.length === 0 ? '?' : '✓'} ${r.id.padEnd(width)}  line ${String(r.line ?? '?').padEnd(4)} ${sorts}: ${verdict}`);
  }
  const failed = check.rules.flatMap((r) => r.examples.filter((e) => !e.ok));
  if (failed.length > 0) out.push('');
  for (const e of failed) {
    const what = e.expect === 'match' ? `match example ${e.index} is not found` : `noMatch example ${e.index} is found`;
    out.push(...wrap(`${check.file}:${e.line ?? '?'}: ${e.rule}: ${what}`, WIDTH, 0, 2));
  }
  const total = check.rules.reduce((n, r) => n + r.examples.length, 0);
  out.push('', `${count(check.rules.length, 'rule')}, ${count(total, 'example')}: ${failed.length === 0 ? 'all as expected' : `${failed.length} ${plural(failed.length, 'misbehaves', 'misbehave')}`}`);
  return `${out.join('\n')}\n`;
}
