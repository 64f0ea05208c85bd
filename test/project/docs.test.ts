/**
 * The documentation cannot drift from the command line: every sk-scan
 * command shown in README.md, CONTRIBUTING.md and docs/ (in code blocks and
 * code spans) parses, command and flags, as the CLI itself parses it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCommand, parse } from '../../src/cli/commands.js';
import { ROOT } from '../helpers/run.js';

const PAGES = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))];

/**
 * Each `sk-scan COMMAND …` in a page's code, up to where the shell would end
 * it (a pipe, &&, ;, a comment): every line of a shell or YAML block and every
 * code span; in a block of output, only the lines typed at a prompt (`$ `),
 * and not those shown failing on purpose (the next line is `sk-scan: error:`).
 */
function commandsIn(text: string): string[] {
  const lines: string[] = [];
  for (const m of text.matchAll(/```([a-z]*)\n([\s\S]*?)```/g)) {
    const block = (m[2] as string).split('\n');
    const typed = m[1] === 'text' || m[1] === '';
    block.forEach((line, i) => {
      if (typed && !line.startsWith('$ ')) return;
      if (/^sk-scan: error:/.test(block[i + 1] ?? '')) return;
      // A comment is prose, not a command.
      lines.push(line.replace(/(^|\s)#.*$/, ''));
    });
  }
  lines.push(...[...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string));
  const out: string[] = [];
  for (const line of lines) {
    for (const m of line.matchAll(/(?:^|[\s(])sk-scan ((?:-[-\w]+|[a-z][a-z-]*)(?:\\\||[^|;&#\n`)])*)/g)) out.push((m[1] as string).trim().replace(/\.$/, ''));
  }
  return out;
}

/** Shell words, quotes removed; a placeholder's brackets and alternatives (`[--ci github|gitlab]`) read as their first choice. */
function words(command: string): string[] {
  return (command.replace(/\\\|/g, '|').match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, '').replace(/[[\]…]/g, '').split('|')[0] as string).filter((w) => w !== '' && w !== '...');
}

describe('the documentation', () => {
  for (const page of PAGES) {
    it(`${page}: every sk-scan command shown parses`, () => {
      const commands = commandsIn(readFileSync(join(ROOT, page), 'utf8'));
      for (const command of commands) {
        const [name = '', ...rest] = words(command);
        if (name === '--help' || name === '--version' || name === '-h') continue;
        const found = findCommand(name);
        expect({ command, known: found !== undefined }).toEqual({ command, known: true });
        if (!found) continue;
        let problem = '';
        try {
          parse(found, rest);
        } catch (err) {
          problem = (err as Error).message;
        }
        expect({ command, problem }).toEqual({ command, problem: '' });
      }
    });
  }

  it('finds the commands it checks (the extraction is not empty)', () => {
    expect(commandsIn(readFileSync(join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(10);
  });
});
