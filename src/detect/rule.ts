/**
 * A detection rule as the engine uses it. Rules are data (rules/*.yaml and the
 * `rules:` list of .sk-scan.yaml); src/config turns that YAML into RuleSpec and
 * this module compiles a RuleSpec into a Rule.
 */

import type { VerifySpec } from '../verify/spec.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The plain-data form of a rule, exactly the fields a YAML rule carries. */
export interface RuleSpec {
  id: string;
  description: string;
  severity: Severity;
  /** What sort of secret it finds: `live`, `test`, `webhook` for the built-in rules. */
  kind: string;
  /** Literal strings; the pattern only runs near one of them. Matched case-sensitively. */
  keywords: string[];
  /** Regular expression source; named group `secret` marks the secret, optional `env` an environment tag. */
  pattern: string;
  /** Minimum Shannon entropy, in bits per character, of the secret's body. */
  minEntropy: number;
  examples: { match: string[]; noMatch: string[] };
  /** Optional advice for custom rules; the built-in kinds get theirs from src/report/remediation.ts. */
  remediation?: string[];
  /** How to ask the issuer whether a found key is live (`--verify`); data the detector never reads. */
  verify?: VerifySpec;
}

export interface Rule extends Omit<RuleSpec, 'pattern'> {
  pattern: RegExp;
  /** The pattern source as written, for error messages and for handing the rule to a worker. */
  patternSource: string;
}

/**
 * `(?i)` at the start of a pattern (the Go/RE2 spelling that gitleaks rules use)
 * becomes JavaScript's `i` flag. `g` lets the engine walk every match of a window;
 * `d` gives the offsets of the named groups.
 */
export function compilePattern(source: string): RegExp {
  let body = source;
  let flags = 'gd';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags += 'i';
  }
  const re = new RegExp(body, flags);
  if (!/\(\?<secret>/.test(body)) {
    throw new Error('pattern has no named group `secret`');
  }
  return re;
}

export function compileRule(spec: RuleSpec): Rule {
  return { ...spec, pattern: compilePattern(spec.pattern), patternSource: spec.pattern };
}
