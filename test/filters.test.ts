/** The placeholder and entropy filters, on both sides: docs text dropped, random keys kept. */
import { describe, expect, it } from 'vitest';
import { placeholderReason, shannonEntropy } from '../src/detect/filters.js';
import { Detector } from '../src/detect/engine.js';
import { compileRule } from '../src/detect/rule.js';
import { readRulesDir } from '../src/config/builtin.js';
import { randomBody, rng } from './helpers/keys.js';

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
