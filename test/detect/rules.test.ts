/** Every rule ships with examples; a rule whose examples misbehave fails here. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleFailure, loadRuleFile } from '../../src/config/rules.js';
import { Detector } from '../../src/detect/engine.js';
import { compileRule } from '../../src/detect/rule.js';
import { ROOT } from '../helpers/run.js';

const files = readdirSync(join(ROOT, 'rules')).filter((f) => f.endsWith('.yaml'));

describe.each(files)('rules/%s', (file) => {
  const specs = loadRuleFile(join(ROOT, 'rules', file));

  it('holds at least one rule, each with examples on both sides', () => {
    expect(specs.length).toBeGreaterThan(0);
    for (const s of specs) {
      expect(s.examples.match.length, s.id).toBeGreaterThan(0);
      expect(s.examples.noMatch.length, s.id).toBeGreaterThan(0);
    }
  });

  for (const spec of specs) {
    const detector = new Detector([compileRule(spec)]);
    describe(spec.id, () => {
      it.each(spec.examples.match)('reports %s', (text) => {
        const found = detector.scan(Buffer.from(text));
        expect(found).toHaveLength(1);
        // The secret is a substring of the example, and never the whole line.
        expect(text).toContain(found[0]?.secret);
      });
      it.each(spec.examples.noMatch)('ignores %s', (text) => {
        expect(detector.scan(Buffer.from(text))).toEqual([]);
      });
      it('passes the same check a user rule gets at load time', () => {
        expect(exampleFailure(compileRule(spec))).toBeNull();
      });
    });
  }
});

describe('built-in rule shapes', () => {
  const specs = loadRuleFile(join(ROOT, 'rules', 'chatbot.yaml'));
  const byId = new Map(specs.map((s) => [s.id, s]));

  it('has the three documented rules with their severities', () => {
    expect([...byId.keys()].sort()).toEqual(['chatbot-live-key', 'chatbot-test-key', 'chatbot-webhook-secret']);
    expect(byId.get('chatbot-live-key')?.severity).toBe('critical');
    const rank = ['critical', 'high', 'medium', 'low'];
    expect(rank.indexOf(byId.get('chatbot-test-key')?.severity ?? '')).toBeGreaterThan(rank.indexOf('critical'));
  });

  it('captures the environment tag of sk_live_prod_ / staging / dev keys', () => {
    const d = new Detector([compileRule(byId.get('chatbot-live-key')!)]);
    for (const env of ['prod', 'staging', 'dev']) {
      const [m] = d.scan(Buffer.from(`KEY=sk_live_${env}_Q2x9LmP4vR7tW1yZ3bN6cD8fG0hJ5kS`));
      expect(m?.environment).toBe(env);
      expect(m?.prefixLength).toBe(`sk_live_${env}_`.length);
    }
    const [plain] = d.scan(Buffer.from('KEY=sk_live_Q2x9LmP4vR7tW1yZ3bN6cD8fG0hJ5kS'));
    expect(plain?.environment).toBeNull();
  });

  it('finds keys followed by each documented terminator', () => {
    const d = new Detector(specs.map(compileRule));
    const key = 'sk_live_Q2x9LmP4vR7tW1yZ3bN6cD8fG0hJ5kS';
    for (const after of [',', '"', '\\"', '&', "'", '`', ')', ';', ' ', '\t', '\n', '\r\n', '']) {
      const found = d.scan(Buffer.from(`x=${key}${after}`));
      expect(found.map((m) => m.secret), JSON.stringify(after)).toEqual([key]);
    }
  });

  it('never matches inside a longer identifier', () => {
    const d = new Detector(specs.map(compileRule));
    for (const word of ['task_live_', 'desk_live_', 'mask_test_', 'risk_test_', 'xsk_live_', '9sk_live_', '_sk_live_']) {
      expect(d.scan(Buffer.from(`v = ${word}Q2x9LmP4vR7tW1yZ3bN6cD8fG0hJ5kS`)), word).toEqual([]);
    }
  });
});
