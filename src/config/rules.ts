/** Rule files: YAML in, checked RuleSpecs out, every problem with its file and line. */
import { readFileSync } from 'node:fs';
import type { Node } from 'yaml';
import { Detector } from '../detect/engine.js';
import { SEVERITIES, compileLinearPattern, compilePattern, compileRule, type Advice, type AdviceStep, type Rule, type RuleSpec, type Severity } from '../detect/rule.js';
import { SECRET_PLACEHOLDER, type ResponseRule, type VerifySpec } from '../verify/spec.js';
import { YamlFile } from './yaml.js';

const RULE_FIELDS = ['id', 'description', 'severity', 'kind', 'keywords', 'pattern', 'minEntropy', 'examples', 'remediation', 'verify'] as const;

/** `builtin`: the rules sk-scan ships (their patterns run on JavaScript's engine); a user's run on RE2. */
export function parseRuleList(yf: YamlFile, node: Node | null, where: string, builtin = false): { spec: RuleSpec; node: Node }[] {
  const seen = new Set<string>();
  return yf.items(node, where).map((item) => {
    const spec = parseRule(yf, item, builtin);
    if (seen.has(spec.id)) yf.fail(item, `duplicate rule id \`${spec.id}\``);
    seen.add(spec.id);
    return { spec, node: item };
  });
}

function parseRule(yf: YamlFile, node: Node, builtin: boolean): RuleSpec {
  const f = yf.fields(node, 'a rule', RULE_FIELDS);
  const get = (name: (typeof RULE_FIELDS)[number]) => f.get(name)?.value ?? null;
  const need = (name: (typeof RULE_FIELDS)[number]): Node | null => {
    if (!f.has(name)) yf.fail(node, `rule is missing \`${name}\``);
    return get(name);
  };
  const id = yf.string(need('id'), '`id`');
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) yf.fail(get('id'), `rule id \`${id}\` must be lower-case letters, digits, '.', '_' or '-'`);
  const at = `rule \`${id}\``;
  const severity = yf.string(need('severity'), `${at}: \`severity\``);
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    yf.fail(get('severity'), `${at}: severity must be one of ${SEVERITIES.join(', ')}, not \`${severity}\``);
  }
  const keywords = yf.strings(need('keywords'), `${at}: \`keywords\``);
  if (keywords.length === 0) yf.fail(get('keywords'), `${at}: \`keywords\` must list at least one literal string`);
  const pattern = yf.string(need('pattern'), `${at}: \`pattern\``);
  try {
    if (builtin) compilePattern(pattern);
    else compileLinearPattern(pattern);
  } catch (err) {
    yf.fail(get('pattern'), `${at}: bad \`pattern\`: ${(err as Error).message}`);
  }
  const minEntropy = f.has('minEntropy') ? yf.number(get('minEntropy'), `${at}: \`minEntropy\``) : 0;
  if (minEntropy < 0 || minEntropy > 8) yf.fail(get('minEntropy'), `${at}: \`minEntropy\` is in bits per character, from 0 to 8`);

  const examples = { match: [] as string[], noMatch: [] as string[] };
  if (f.has('examples')) {
    const ex = yf.fields(get('examples'), `${at}: \`examples\``, ['match', 'noMatch']);
    const m = ex.get('match')?.value;
    const n = ex.get('noMatch')?.value;
    if (m !== undefined) examples.match = yf.strings(m, `${at}: \`examples.match\``);
    if (n !== undefined) examples.noMatch = yf.strings(n, `${at}: \`examples.noMatch\``);
  }
  const spec: RuleSpec = {
    id,
    description: yf.string(need('description'), `${at}: \`description\``),
    severity: severity as Severity,
    kind: f.has('kind') ? yf.string(get('kind'), `${at}: \`kind\``) : 'generic',
    keywords,
    pattern,
    minEntropy,
    examples,
  };
  if (builtin) spec.builtin = true;
  if (f.has('remediation')) spec.remediation = parseAdvice(yf, get('remediation'), `${at}: \`remediation\``);
  if (f.has('verify')) spec.verify = parseVerify(yf, get('verify'), `${at}: \`verify\``);
  return spec;
}

/** `remediation:` a list of steps used as they are, or the pieces of `Advice`. */
function parseAdvice(yf: YamlFile, node: Node | null, at: string): string[] | Advice {
  if (!yf.isMapping(node)) return yf.strings(node, at);
  const f = yf.fields(node, `${at} (a list of steps, or advice in pieces)`, ['variable', 'revoke', 'revokeActive', 'then']);
  const step = (n: Node | null, where: string): AdviceStep => {
    const s = yf.fields(n, where, ['short', 'long']);
    return { short: yf.string(s.get('short')?.value ?? null, `${where}.short`), long: yf.string(s.get('long')?.value ?? null, `${where}.long`) };
  };
  const advice: Advice = {};
  if (f.has('variable')) advice.variable = yf.string(f.get('variable')?.value ?? null, `${at}.variable`);
  for (const name of ['revoke', 'revokeActive'] as const) if (f.has(name)) advice[name] = step(f.get(name)?.value ?? null, `${at}.${name}`);
  if (f.has('then')) advice.then = yf.items(f.get('then')?.value ?? null, `${at}.then`).map((n, i) => step(n, `${at}.then[${i}]`));
  return advice;
}

function parseVerify(yf: YamlFile, node: Node | null, at: string): VerifySpec {
  const f = yf.fields(node, at, ['request', 'responses']);
  const req = yf.fields(f.get('request')?.value ?? null, `${at}.request`, ['method', 'path', 'headers']);
  const method = req.has('method') ? yf.string(req.get('method')?.value ?? null, `${at}.request.method`) : 'GET';
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') yf.fail(req.get('method')?.value, `${at}.request.method must be GET, HEAD or POST`);
  const pathNode = req.get('path')?.value ?? null;
  const path = yf.string(pathNode, `${at}.request.path`);
  const wrong = pathProblem(path);
  if (wrong !== null) yf.fail(pathNode, `${at}.request.path ${wrong}`);
  if (path.includes(SECRET_PLACEHOLDER)) yf.fail(pathNode, `${at}.request.path must not carry ${SECRET_PLACEHOLDER}: a key in a URL ends up in logs; send it in a header`);
  const headers: Record<string, string> = {};
  for (const { key, value } of yf.entries(req.get('headers')?.value ?? null, `${at}.request.headers`)) {
    headers[key] = yf.string(value, `${at}.request.headers.${key}`);
  }
  if (!Object.values(headers).some((v) => v.includes(SECRET_PLACEHOLDER))) {
    yf.fail(req.get('headers')?.value, `${at}.request.headers must send the key: put ${SECRET_PLACEHOLDER} in a header value`);
  }
  const responses = yf.items(f.get('responses')?.value ?? null, `${at}.responses`).map((item) => {
    const r = yf.fields(item, `${at}.responses[]`, ['status', 'match', 'result', 'reason', 'requiredScopeFrom']);
    const result = yf.string(r.get('result')?.value ?? null, `${at}.responses[].result`);
    if (result !== 'active' && result !== 'inactive') yf.fail(r.get('result')?.value, `${at}.responses[].result must be active or inactive`);
    const rule: ResponseRule = {
      status: yf.number(r.get('status')?.value ?? null, `${at}.responses[].status`),
      result,
      reason: yf.string(r.get('reason')?.value ?? null, `${at}.responses[].reason`),
    };
    if (r.has('match')) {
      rule.match = {};
      for (const { key, value } of yf.entries(r.get('match')?.value ?? null, `${at}.responses[].match`)) rule.match[key] = yf.string(value, `${at}.responses[].match.${key}`);
    }
    if (r.has('requiredScopeFrom')) rule.requiredScopeFrom = yf.string(r.get('requiredScopeFrom')?.value ?? null, `${at}.responses[].requiredScopeFrom`);
    return rule;
  });
  return { request: { method, path, headers }, responses };
}

/**
 * Why a check's path is not a path on the verification endpoint, or null. The
 * path is appended to the URL the user chose (--verify-url); whatever a
 * config says, the key must go nowhere else: no scheme or host (`//host`,
 * `\\host`), no `..` climbing out of the endpoint's path, nothing encoded to
 * mean either, no whitespace or control characters.
 */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'must start with /';
  if (path.startsWith('//')) return 'must be a path on the verification endpoint, not another host (it starts with //)';
  if (/[\\\s]/.test(path) || [...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'must be a path: no backslash, whitespace or control character';
  if (/%(?:2e|2f|5c|00)/i.test(path)) return 'must not encode a dot, a slash, a backslash or NUL';
  if (/@/.test(path.split('?')[0] ?? '')) return 'must be a path, not carry a user or host (@)';
  if ((path.split('?')[0] ?? '').split('/').some((seg) => seg === '..' || seg === '.')) return 'must not hold . or .. segments';
  return null;
}

/** Run a rule's own examples; the first one that misbehaves is the error. */
export function exampleFailure(rule: Rule): string | null {
  const detector = new Detector([rule]);
  // The examples are not quoted: a `match:` example is a key by design.
  for (const [i, text] of rule.examples.match.entries()) {
    if (detector.scan(Buffer.from(text)).length === 0) return `example ${i + 1} of \`match\` does not match`;
  }
  for (const [i, text] of rule.examples.noMatch.entries()) {
    if (detector.scan(Buffer.from(text)).length > 0) return `example ${i + 1} of \`noMatch\` matches`;
  }
  return null;
}

/**
 * Parse one of the built-in rules files (`rules: [...]` in rules/). Their
 * examples are run by the test suite rather than at each start, which must be fast.
 */
export function loadRuleFile(file: string): RuleSpec[] {
  const yf: YamlFile = new YamlFile(file, readFileSync(file, 'utf8'));
  const top = yf.fields(yf.root, 'a rules file', ['rules']);
  return parseRuleList(yf, top.get('rules')?.value ?? null, '`rules`', true).map((r) => r.spec);
}

/** A user's rules (`rules:` in .sk-scan.yaml), each refused at its line unless its examples behave. */

export function checkedRules(yf: YamlFile, node: Node | null, where: string): RuleSpec[] {
  return parseRuleList(yf, node, where).map(({ spec, node: ruleNode }) => {
    const failure = exampleFailure(compileRule(spec));
    if (failure) yf.fail(ruleNode, `rule \`${spec.id}\`: ${failure}`);
    return spec;
  });
}
