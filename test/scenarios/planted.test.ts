/**
 * The acceptance check: a tree of planted fake keys among look-alike
 * placeholders (fixtures/make-planted.mjs) yields exactly the expected findings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDir } from '../../src/index.js';
import { ROOT, runCli } from '../helpers/run.js';

const TREE = join(ROOT, 'fixtures', 'planted');
const expected = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'planted.expected.json'), 'utf8')) as {
  path: string;
  line: number;
  column: number;
  ruleId: string;
}[];
const pick = (f: { path: string | null; line: number; column: number; ruleId: string }) => ({ path: f.path, line: f.line, column: f.column, ruleId: f.ruleId });
const order = (a: { path: string | null; line: number }, b: { path: string | null; line: number }) =>
  (a.path ?? '').localeCompare(b.path ?? '') || a.line - b.line;

describe('fixtures/planted', () => {
  it('reports every planted key at its line and column, and nothing else (API)', async () => {
    const report = await scanDir([TREE], { threads: 1 });
    expect(report.findings.map(pick).sort(order)).toEqual([...expected].sort(order));
    expect(report.stats.suppressed).toBe(1); // allowed.env carries sk-scan:allow
  });

  it('gives the same answer through the CLI, with exit code 1', () => {
    const r = runCli(['dir', TREE, '--format', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map(pick).sort(order)).toEqual([...expected].sort(order));
  });
});
