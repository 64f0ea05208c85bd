/**
 * A detection rule as the engine uses it. Rules are data (rules/*.yaml and the
 * `rules:` list of .sk-scan.yaml); src/config turns that YAML into RuleSpec and
 * this module compiles a RuleSpec into a Rule.
 */

import { requirePackage } from '../common/require.js';
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
  /**
   * What to do about a found key: a list of steps used as they are, or the
   * pieces the report fits to each finding (./rule.ts `Advice`). Without it a
   * key is advised as exposed, to revoke or rotate with its issuer.
   */
  remediation?: string[] | Advice;
  /** How to ask the issuer whether a found key is live (`--verify`); data the detector never reads. */
  verify?: VerifySpec;
  /** Set on the built-in rules only (never from a config file): their patterns run on JavaScript's engine. */
  builtin?: true;
}

/** A piece of advice: a short form, which the text report prints once for every key it applies to, and a long one (a finding's `remediation`). `{key}` stands for `the key ending in 7Qa2`. */
export interface AdviceStep {
  short: string;
  long: string;
}

/**
 * A rule's advice, in pieces the report fits to each finding: where the key
 * is (still in the files, only in history, staged, in an image…) and what
 * --verify said decide which pieces apply; the steps that depend on the
 * place alone are the report's, the same for every rule. The vendor's words
 * (a dashboard's menu, a header's name) live here, in the rules' data.
 */
export interface Advice {
  /** The environment variable code should read the secret from: `CHATBOT_API_KEY`. */
  variable?: string;
  /** The first step for a key that may still work and has left this machine. */
  revoke?: AdviceStep;
  /** Instead of `revoke` when --verify says the key works. */
  revokeActive?: AdviceStep;
  /** What follows revoking: a replacement, say. */
  then?: AdviceStep[];
}

export interface Rule extends Omit<RuleSpec, 'pattern'> {
  pattern: Pattern;
  /** The pattern source as written, for error messages and for handing the rule to a worker. */
  patternSource: string;
}

/** A span of a match: [start, end) in the text searched. */
export type Span = [number, number];

/** One match of a rule's pattern: where it ends, and the spans of the named groups the engine reads. */
export interface PatternMatch {
  end: number;
  secret: Span | null;
  public: Span | null;
  env: Span | null;
}

/** A compiled pattern: the matches in a text, one after another. */
export interface Pattern {
  /** The first match at or after `from`, or null. */
  next(text: string, from: number): PatternMatch | null;
}

const GROUPS = /\(\?(?:P?<secret>)/;

/**
 * The built-in rules' patterns: JavaScript regular expressions, which they need
 * for their boundary lookarounds. Their cost is known (the bench measures it).
 * `(?i)` at the start (the Go/RE2 spelling) becomes the `i` flag; `d` gives the
 * offsets of the named groups.
 */
export function compilePattern(source: string): Pattern {
  let body = source;
  let flags = 'gd';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags += 'i';
  }
  const re = new RegExp(body, flags);
  if (!GROUPS.test(body)) throw new Error('pattern has no named group `secret`');
  return {
    next(text, from) {
      re.lastIndex = from;
      const m = re.exec(text);
      if (m === null) return null;
      const groups = m.indices?.groups;
      return { end: Math.max(re.lastIndex, m.index + 1), secret: groups?.['secret'] ?? null, public: groups?.['public'] ?? null, env: groups?.['env'] ?? null };
    },
  };
}

/**
 * A user's pattern, run by RE2 (re2js, pure JavaScript): time linear in the
 * text whatever the pattern, so `(a+)+$` cannot stall a scan or the loading
 * of a config. What RE2 cannot run in linear time (lookarounds,
 * backreferences) is refused with the parser's reason. Loaded only when a
 * user rule is compiled.
 */
export function compileLinearPattern(source: string): Pattern {
  const { RE2JS } = requirePackage('re2js') as typeof import('re2js');
  let re;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new Error(`${(err as Error).message.replace(/^error parsing regexp: /, '')} (user patterns run in linear time: lookarounds and backreferences are not available)`);
  }
  if (!GROUPS.test(source)) throw new Error('pattern has no named group `secret`');
  const names = new Set(Object.keys(re.namedGroups()));
  const span = (m: ReturnType<typeof re.matcher>, name: string): Span | null => (names.has(name) && m.start(name) >= 0 ? [m.start(name), m.end(name)] : null);
  return {
    next(text, from) {
      const m = re.matcher(text);
      if (!m.find(from)) return null;
      return { end: Math.max(m.end(), m.start() + 1), secret: span(m, 'secret'), public: span(m, 'public'), env: span(m, 'env') };
    },
  };
}

export function compileRule(spec: RuleSpec): Rule {
  const pattern = spec.builtin ? compilePattern(spec.pattern) : compileLinearPattern(spec.pattern);
  return { ...spec, pattern, patternSource: spec.pattern };
}
