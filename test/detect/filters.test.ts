/** The placeholder and entropy filters, on both sides: docs text dropped, random keys kept. */
import { describe, expect, it } from 'vitest';
import { placeholderReason, shannonEntropy } from '../../src/detect/filters.js';
import { Detector } from '../../src/detect/engine.js';
import { compileRule } from '../../src/detect/rule.js';
import { readRulesDir } from '../../src/config/builtin.js';
import { randomBody, rng } from '../helpers/keys.js';
import { runCli } from '../helpers/run.js';

const detector = new Detector((await readRulesDir()).map(compileRule));
const found = (text: string) => detector.scan(Buffer.from(text)).map((m) => m.secret);

describe('placeholders are not findings', () => {
  it.each([
    ['XXXXXXXXXXXXXXXXXXXXXXXX', 'repeated'],
    ['aaaaaaaaaaaaaaaaaaaa', 'repeated'],
    ['abc123abc123abc123abc123', 'repeated'],
    ['0123456789abcdef0123', 'sequential'],
    ['abcdefghijklmnopqrstuvwx', 'sequential'],
    ['ZYXWVUTSRQPONMLKJIHG', 'sequential'],
    ['${CHATBOT_API_KEY}', 'templated'],
    ['{{ chatbot_api_key }}', 'templated'],
    ['<YOUR_KEY>', 'templated'],
    ['your_api_key_here', 'placeholder-word'],
    ['EXAMPLEKEY9f8e7d6c5b4a', 'placeholder-word'],
    ['REPLACE_ME', 'placeholder-word'],
    ['YOURAPIKEYHERE', 'placeholder-word'],
    ['insertyourkeyhere123', 'placeholder-word'],
  ])('%s is %s', (body, reason) => {
    expect(placeholderReason(body)).toBe(reason);
  });

  it.each([
    'sk_live_XXXXXXXXXXXXXXXXXXXXXXXX',
    'sk_live_prod_xxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    'sk_live_abc123abc123abc123abc123',
    'sk_live_0123456789abcdefghij',
    'sk_live_EXAMPLE0000000000000000',
    'sk_test_YOURKEYHEREYOURKEYHERE',
    'sk_live_abc123xyz...',
    'sk_live_aaaabbbbccccdddd',
  ])('the detector drops %s', (text) => {
    expect(found(`KEY=${text}`)).toEqual([]);
  });

  it('keeps random bodies of 16+ characters, wherever they sit (10,000 seeded samples)', () => {
    const next = rng(42);
    let dropped = 0;
    for (let i = 0; i < 10_000; i++) {
      const key = `sk_live_${randomBody(next, 16 + (i % 33))}`;
      if (found(`# README example\nCHATBOT_API_KEY=${key}\n`).length !== 1) dropped++;
    }
    expect(dropped).toBe(0);
  });

  it('keeps a random hex webhook secret', () => {
    const next = rng(7);
    for (let i = 0; i < 1000; i++) {
      const hex = randomBody(next, 32, '0123456789abcdef');
      expect(found(`WEBHOOK_SECRET=${hex}`), hex).toEqual([hex]);
    }
  });
});

describe('shannonEntropy', () => {
  it('is 0 for one repeated symbol and log2(n) for n distinct ones', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBeCloseTo(2);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4);
  });
});

describe('counting runs', () => {
  it('treats a body holding eight or more counting characters as made up, wherever the run sits', () => {
    for (const body of ['envkey1234567890', '51QrtvMAbc1234567890', 'Zq8Lm3Vxabcdefghij', 'Kd9s7654321098Wq']) expect(placeholderReason(body), body).toBe('sequential');
    // Seven in a row, and random bodies, stand.
    for (const body of ['Zq8Lm3Vx1234567Rp2Wn5Ks9Dt4Hy6Pa', 'mT4vQ9xLr2Wc8NpZ5sKd7YhB3gFjE6aU']) expect(placeholderReason(body), body).toBeNull();
  });
});

describe('counting runs, through the CLI', () => {
  it('reports neither made-up key from public code, and still the random one beside them', () => {
    const real = `sk_live_${randomBody(rng(4242), 32)}`;
    const r = runCli(['stdin', '--format', 'json'], { input: `t.Setenv("KEY", "sk_test_envkey1234567890")\nbad: "sk_test_51QrtvMAbc1234567890"\nK=${real}\n` });
    expect(JSON.parse(r.stdout).findings.map((f: { line: number }) => f.line)).toEqual([3]);
  });
});
