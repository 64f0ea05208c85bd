/**
 * Properties, not samples: fast-check generates the inputs. The seed is fixed
 * (SK_SCAN_FC_SEED, default 20261129) so CI is repeatable, and fast-check
 * prints the seed and the shrunk counterexample of any failure; set
 * SK_SCAN_FC_RUNS to run more cases than the defaults below.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/config/builtin.js';
import { parseConfig } from '../../src/config/config-file.js';
import { SkScanError } from '../../src/common/errors.js';
import { FORMATS, render, scanDir, scanGit, scanStdin } from '../../src/index.js';
import { parseBaseline } from '../../src/config/baseline.js';
import { makeRepo } from '../helpers/git.js';
import { runCli, tempDir } from '../helpers/run.js';

const seed = Number(process.env['SK_SCAN_FC_SEED'] ?? 20261129);
const runs = (n: number) => Number(process.env['SK_SCAN_FC_RUNS'] ?? n);
const builtin = await readRulesDir();

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A key of a shape the rules define: a random base62 body (never a placeholder), with or without an environment tag. */
const keyArb = fc
  .record({
    mode: fc.constantFrom('live', 'test'),
    env: fc.option(fc.constantFrom('prod', 'staging', 'dev', 'eu1'), { nil: undefined }),
    body: fc.array(fc.constantFrom(...BASE62), { minLength: 24, maxLength: 48 }).map((cs) => cs.join('')),
  })
  .filter(({ body }) => new Set(body).size >= 12 && !/(.)\1\1/.test(body))
  .map(({ mode, env, body }) => `sk_${mode}_${env ? `${env}_` : ''}${body}`);

/**
 * Filler text that cannot form a keyword, a key or an allow mark by itself
 * (no 's', no 'w', no underscore), with characters that count differently in
 * bytes and in columns.
 */
const fillerChar = fc.constantFrom(...'abcdefghijklmnopqrtuvxyzABCDEFGHIJKLMNOPQRTUVXYZ0123456789 .,;:!?(){}[]<>#-+*/\\|\'"é日€😀\t');
const filler = fc.array(fillerChar, { maxLength: 40 }).map((cs) => cs.join(''));

interface Planted {
  key: string;
  text: string;
  line: number;
  column: number;
}

/** A key planted at a random place: random lines before it, random text around it on its line, a separator each side. */
const plantedArb = fc
  .record({
    key: keyArb,
    before: fc.array(filler, { maxLength: 6 }),
    left: filler,
    right: filler,
    after: fc.array(filler, { maxLength: 4 }),
    open: fc.constantFrom('', ' ', '"', "'", '=', '(', '`', ': '),
    close: fc.constantFrom('', ' ', '"', "'", ',', ')', ';', '`'),
    eol: fc.constantFrom('\n', '\r\n'),
  })
  .map(({ key, before, left, right, after, open, close, eol }): Planted => {
    // The key must start a token: whatever is left of it ends in a separator.
    const lead = `${left} ${open}`;
    const line = before.length + 1;
    const column = [...lead].length + 1;
    const text = [...before, `${lead}${key}${close} ${right}`, ...after].join(eol) + eol;
    return { key, text, line, column };
  });

const encodings = fc.constantFrom('utf8', 'utf16le', 'utf16be');

function encode(text: string, encoding: 'utf8' | 'utf16le' | 'utf16be'): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  return encoding === 'utf16le' ? le : Buffer.from(le).swap16();
}

const placed = (findings: { line: number; column: number; secret: { sha256: string } }[]) => findings.map((f) => [f.line, f.column]);

describe('a planted key is found, at its line and column', () => {
  it('in standard input, in any of the encodings the detector reads', async () => {
    await fc.assert(
      fc.asyncProperty(plantedArb, encodings, async (p, encoding) => {
        const r = await scanStdin(encode(p.text, encoding));
        expect(placed(r.findings)).toEqual([[p.line, p.column]]);
      }),
      { seed, numRuns: runs(150) },
    );
  });

  it('in a working tree', async () => {
    await fc.assert(
      fc.asyncProperty(plantedArb, encodings, async (p, encoding) => {
        const dir = tempDir();
        writeFileSync(join(dir, 'planted.txt'), encode(p.text, encoding));
        const r = await scanDir([dir], { threads: 1 });
        expect(placed(r.findings)).toEqual([[p.line, p.column]]);
      }),
      { seed, numRuns: runs(40) },
    );
  });

  it('in a one-commit repository', async () => {
    await fc.assert(
      fc.asyncProperty(plantedArb, async (p) => {
        const repo = makeRepo();
        const commit = repo.commit('plant', { 'planted.txt': p.text });
        const r = await scanGit([repo.dir]);
        expect(r.findings.map((f) => [f.path, f.commit, f.line, f.column])).toEqual([['planted.txt', commit, p.line, p.column]]);
      }),
      { seed, numRuns: runs(10) },
    );
  });
});

describe('no output holds a key in full without --show-secrets', () => {
  it('in any format, nor in the baseline entries', async () => {
    await fc.assert(
      fc.asyncProperty(plantedArb, async (p) => {
        const r = await scanStdin(Buffer.from(p.text), { path: 'planted.txt' });
        const body = p.key.slice(p.key.lastIndexOf('_') + 1);
        for (const format of FORMATS) expect(render(r, format)).not.toContain(body.slice(0, 12));
        const entries = r.findings.map((f) => ({ ruleId: f.ruleId, path: f.path, sha256: f.secret.sha256 }));
        expect(JSON.stringify(entries)).not.toContain(body.slice(0, 12));
      }),
      { seed, numRuns: runs(100) },
    );
  });
});

describe('random bytes', () => {
  it('never crash a scan, which ends with findings or none', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('sk_live_'), b, Buffer.from('\0webhook_secret=')])),
      fc.string({ maxLength: 2000 }).map((s) => Buffer.from(s, 'utf8')),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        const r = await scanStdin(b);
        expect(r.stats.files + r.stats.skipped.binary).toBe(1);
      }),
      { seed, numRuns: runs(300) },
    );
  });

  it('a huge line and invalid UTF-8 through the CLI: exit 0 or 1, never more', () => {
    const cases = [Buffer.alloc(4 << 20, 0x61), Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 131) % 256)), Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.alloc(1 << 20, 0x41)])];
    for (const input of cases) {
      const r = runCli(['stdin', '--format', 'json'], { input });
      expect([0, 1]).toContain(r.code);
      expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    }
  });
});

describe('random configuration and baseline text', () => {
  const yamlish = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.json().map((j) => j),
    fc.dictionary(fc.constantFrom('rules', 'disable', 'exclude', 'maxFileSize', 'ignore', 'other'), fc.jsonValue(), { maxKeys: 4 }).map((o) => JSON.stringify(o)),
    fc.array(fc.constantFrom('rules:', '  - id: x', '    pattern: "(?<secret>a+)"', 'exclude: [', 'ignore:', '  - 0123456789ab', ': :', '- - -', '"\\u0000"'), { maxLength: 8 }).map((ls) => ls.join('\n')),
  );

  it('a config loads, or is refused in one line (SkScanError), never anything else', () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          parseConfig('.sk-scan.yaml', text, builtin);
        } catch (err) {
          expect(err).toBeInstanceOf(SkScanError);
          expect((err as Error).message.split('\n')).toHaveLength(1);
        }
      }),
      { seed, numRuns: runs(400) },
    );
  });

  it('a baseline loads, or is refused in one line (SkScanError), never anything else', () => {
    const baselineish = fc.oneof(yamlish, fc.record({ entries: fc.array(fc.jsonValue(), { maxLength: 3 }) }).map((o) => JSON.stringify(o)));
    fc.assert(
      fc.property(baselineish, (text) => {
        try {
          parseBaseline('.sk-scan-baseline.json', text);
        } catch (err) {
          expect(err).toBeInstanceOf(SkScanError);
          expect((err as Error).message.split('\n')).toHaveLength(1);
        }
      }),
      { seed, numRuns: runs(400) },
    );
  });
});
