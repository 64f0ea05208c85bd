/** The byte-level engine: positions, odd encodings, big inputs, hostile regexes. */
import { describe, expect, it } from 'vitest';
import { readRulesDir } from '../../src/config/builtin.js';
import { Detector } from '../../src/detect/engine.js';
import { compileRule, type RuleSpec } from '../../src/detect/rule.js';
import { fakeKey, randomBody, rng } from '../helpers/keys.js';

const builtin = await readRulesDir();
const detector = new Detector(builtin.map(compileRule));
const scan = (input: string | Buffer) => detector.scan(typeof input === 'string' ? Buffer.from(input) : input);

describe('positions', () => {
  it('counts lines and columns the same in LF and CRLF files', () => {
    const key = fakeKey('live');
    const lf = `one\ntwo\n  key = "${key}"\n`;
    const crlf = lf.replace(/\n/g, '\r\n');
    for (const text of [lf, crlf]) {
      const [m] = scan(text);
      expect(m?.line).toBe(3);
      expect(m?.column).toBe(10);
      expect(m?.secret).toBe(key);
    }
  });

  it('counts columns in characters, not bytes', () => {
    const key = fakeKey('live');
    const [m] = scan(`clé_API = "€€ ${key}"`);
    expect(m?.column).toBe('clé_API = "€€ '.length + 1);
  });

  it('survives invalid UTF-8 around a key', () => {
    const key = fakeKey('live');
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a, 0xe2, 0x82]), Buffer.from(` ${key}\n`)]);
    const [m] = scan(buf);
    expect(m?.secret).toBe(key);
    expect(m?.line).toBe(2);
  });

  it('finds a key at the very end of a file with no final newline', () => {
    const key = fakeKey('test');
    const [m] = scan(`a\nb\n${key}`);
    expect(m).toMatchObject({ secret: key, line: 3, column: 1 });
  });

  it('reports each key on a line with several, in order', () => {
    const a = fakeKey('live');
    const b = fakeKey('test');
    const found = scan(`${a},${b},${a}`);
    expect(found.map((m) => [m.secret, m.column])).toEqual([
      [a, 1],
      [b, a.length + 2],
      [a, a.length + b.length + 3],
    ]);
  });
});

describe('big inputs', () => {
  it('finds the key on the last line of a 60,000-line log', () => {
    const key = fakeKey('live', 'prod');
    const lines = Array.from({ length: 59_999 }, (_, i) => `2024-01-01T00:00:${i % 60} INFO request ${i} handled in 3ms`);
    lines.push(`2024-01-01T00:01:00 DEBUG auth header Bearer ${key}`);
    const [m] = scan(lines.join('\n'));
    expect(m).toMatchObject({ secret: key, line: 60_000, environment: 'prod' });
  });

  it('finds a key inside a 5 MB single-line minified bundle', () => {
    const key = fakeKey('live');
    const chunk = 'function a(b){return b.map(function(c){return c*2})};var d={e:1,f:"g"};';
    const filler = chunk.repeat(Math.ceil((5 * 1024 * 1024) / chunk.length));
    const text = `${filler.slice(0, 2_500_000)}var k="${key}";${filler.slice(2_500_000)}`;
    const [m] = scan(text);
    expect(m).toMatchObject({ secret: key, line: 1, column: 2_500_000 + 8 });
  });
});

describe('allow comments', () => {
  it('marks a match on a line carrying sk-scan:allow, with the reason after --', () => {
    const key = fakeKey('live');
    const [withReason] = scan(`k = "${key}" # sk-scan:allow -- test fixture`);
    expect(withReason?.allow).toEqual({ reason: 'test fixture' });
    const [bare] = scan(`k = "${key}" // sk-scan:allow`);
    expect(bare?.allow).toEqual({ reason: null });
    const [next] = scan(`# sk-scan:allow\nk = "${key}"`);
    expect(next?.allow).toBeUndefined();
  });
});

describe('the keyword prefilter bounds the regex', () => {
  const spec = (pattern: string): RuleSpec => ({
    id: 'user-rule',
    description: 'user rule',
    severity: 'high',
    kind: 'generic',
    keywords: ['tok_'],
    pattern,
    minEntropy: 0,
    examples: { match: [], noMatch: [] },
  });

  it('never runs the regex on a buffer without a keyword', () => {
    const rule = compileRule(spec('(?<secret>[A-Za-z0-9]{20})'));
    const d = new Detector([rule]);
    expect(d.scan(Buffer.from('A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6'))).toEqual([]);
    expect(d.scan(Buffer.from('tok_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6')).length).toBe(1);
  });

  it('finds each of several keywords that share one search, and only the rules that list it', () => {
    // tok_a_, tok_b_, xk_a and the one-letter-apart xk_b read alike from their rarest byte: fewer passes, same findings.
    const rules = ['tok_a_', 'tok_b_', 'xk_a', 'xk_b', 'z'].map((kw, i) => compileRule({ ...spec(`${kw}(?<secret>[0-9]{6})`), id: `r${i}`, keywords: [kw] }));
    const d = new Detector(rules);
    const text = 'one tok_b_830261 two xk_a592817 three z407153 tok_c_771635 xk_c093184\n';
    expect(d.scan(Buffer.from(text)).map((m) => [m.ruleId, m.secret])).toEqual([
      ['r1', '830261'],
      ['r2', '592817'],
      ['r4', '407153'],
    ]);
  });

  it('runs a user regex on a bounded window, not the whole buffer', () => {
    // This pattern would swallow the whole 2 MB tail if it ran over the buffer.
    const d = new Detector([compileRule(spec('tok_(?<secret>[^!]*)'))]);
    const tail = randomBody(rng(3), 2_000_000, 'abcdefghijklmnopqrstuvwxyz0123456789 ');
    const [m] = d.scan(Buffer.from('tok_' + tail));
    expect(m).toBeDefined();
    expect(m?.secret.length).toBeLessThan(8192);
  });
});

describe('time in proportion to the input, whatever it holds', () => {
  // `work` counts the bytes a scan walks besides the keyword search (stretches, regex windows, line and
  // column counting): linear time means it stays within a small multiple of the input's size.
  it('text made of nothing but keywords', () => {
    for (const unit of ['sk_live_', 'sk_test_', 'webhook', 'WEBHOOK_SECRET=', 'sk_live_webhook_secret=sk_test_']) {
      const input = Buffer.from(unit.repeat(Math.ceil((2 << 20) / unit.length)));
      expect(scan(input)).toEqual([]);
      expect(detector.work).toBeLessThanOrEqual(3 * input.length);
    }
  });

  it('ten thousand keys on one line cost what they cost on ten thousand lines, at the right columns', () => {
    const next = rng(99);
    const keys = Array.from({ length: 10_000 }, () => `sk_live_${randomBody(next)}`);
    const oneLine = scan(keys.join(' '));
    const oneLineWork = detector.work;
    const manyLines = scan(keys.join('\n'));
    expect(oneLine).toHaveLength(10_000);
    expect(manyLines).toHaveLength(10_000);
    expect(oneLine.map((m) => m.column).slice(0, 3)).toEqual([1, 42, 83]);
    expect(oneLine.at(-1)?.column).toBe(41 * 9_999 + 1);
    expect(manyLines.at(-1)).toMatchObject({ line: 10_000, column: 1 });
    expect(oneLineWork).toBeLessThanOrEqual(4 * keys.join(' ').length);
    expect(detector.work).toBeLessThanOrEqual(4 * keys.join('\n').length);
  });

  it('keywords spread through one long token (base64), each stretching its window', () => {
    const next = rng(7);
    const input = Buffer.from(Array.from({ length: 4000 }, () => `${randomBody(next, 600)}sk_live_`).join(''));
    scan(input);
    expect(detector.work).toBeLessThanOrEqual(4 * input.length);
  });
});
