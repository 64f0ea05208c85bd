/**
 * How a rule says its keys can be checked: a request template and what each
 * response means. It is data in the rule's YAML (`verify:`), so a custom rule
 * can declare its own check.
 *
 * The secret may appear only in header values (`{{secret}}`): it never goes
 * into a URL, where proxies and servers log it.
 */

export const DEFAULT_VERIFY_URL = 'https://api.chatbotplatform.io';
/** How long one request may take, and the whole verification phase, unless the caller says otherwise. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 10_000;
export const DEFAULT_VERIFY_DEADLINE_MS = 60_000;

export type VerificationStatus = 'active' | 'inactive' | 'unknown' | 'unchecked';

export interface Verification {
  status: VerificationStatus;
  /** ok, insufficient-permissions, invalid, expired, rate-limited, timeout, server-error, connection-error, unexpected-response, deadline, off-endpoint, not-verified, no-check, partial (a match that may be cut short: never sent) */
  reason: string;
  httpStatus?: number;
  /** For a connection error: the system's code (ECONNREFUSED, ENOTFOUND). */
  detail?: string;
  /** The scope the platform said the key lacks (403 INSUFFICIENT_PERMISSIONS). */
  requiredScope?: string;
}

export interface ResponseRule {
  status: number;
  /** Dot paths into the JSON body and the string each must equal: `{ "error.code": "INVALID_API_KEY" }`. */
  match?: Record<string, string>;
  result: 'active' | 'inactive';
  reason: string;
  /** Dot path into the JSON body whose value becomes `requiredScope`. */
  requiredScopeFrom?: string;
}

export interface VerifySpec {
  request: {
    method: 'GET' | 'HEAD' | 'POST';
    /** Appended to the verification base URL (`--verify-url`). */
    path: string;
    headers: Record<string, string>;
  };
  responses: ResponseRule[];
}

export const SECRET_PLACEHOLDER = '{{secret}}';

/** What the platform's scopes look like: `admin`, `bots:read`, `agent-loops:write`. */
const SCOPE = /^(?:[a-z]+(?:-[a-z]+)*)(?::[a-z]+(?:-[a-z]+)*)?$/;

/** What a response means under a rule's spec, or null when no response rule applies. */
export function interpret(spec: VerifySpec, status: number, body: unknown): Verification | null {
  for (const r of spec.responses) {
    if (r.status !== status) continue;
    if (r.match && !Object.entries(r.match).every(([path, want]) => at(body, path) === want)) continue;
    const v: Verification = { status: r.result, reason: r.reason, httpStatus: status };
    const scope = r.requiredScopeFrom ? at(body, r.requiredScopeFrom) : undefined;
    // Only a value shaped like a scope is kept: whatever else came over the network (an endpoint or a
    // proxy echoing the Authorization header back) must not reach the report.
    if (typeof scope === 'string' && scope.length <= 64 && SCOPE.test(scope)) v.requiredScope = scope;
    return v;
  }
  return null;
}

function at(body: unknown, path: string): unknown {
  let cur = body;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
