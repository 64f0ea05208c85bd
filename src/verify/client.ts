/**
 * Verification: asking the platform whether a found key still works, with only
 * what its documentation promises (GET /v1/bots with the key as a bearer token).
 *
 * - Each unique key is asked about once, however many findings share it.
 * - At most `concurrency` requests at a time; each has a timeout; the whole
 *   phase has a deadline, so an endpoint that never answers cannot stall a run.
 * - 429 waits for Retry-After (or backs off) and tries again, up to 4 attempts;
 *   5xx and connection errors back off and retry; a timeout is retried once.
 * - A response the rule does not describe is `unknown`, never `active`.
 * - Keys go only to the configured endpoint, over HTTPS, or plain HTTP to
 *   loopback; redirects are not followed. The key travels only in headers and
 *   never appears in a message.
 */
import type { Dispatcher } from 'undici';
import { SkScanError } from '../common/errors.js';
import { requirePackage } from '../common/require.js';
import { DEFAULT_VERIFY_DEADLINE_MS, DEFAULT_VERIFY_TIMEOUT_MS, SECRET_PLACEHOLDER, interpret, type Verification, type VerifySpec } from './spec.js';

export { DEFAULT_VERIFY_URL, type Verification, type VerificationStatus, type VerifySpec } from './spec.js';

const { Agent, EnvHttpProxyAgent, request } = requirePackage('undici') as typeof import('undici');

export interface VerifyOptions {
  /** Base URL of the platform's API. */
  baseUrl: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** The whole verification phase ends by then (default 60 s); what is left is `unknown`, reason `deadline`. */
  deadlineMs?: number;
  /** First backoff step (doubled each retry, with jitter). Tests make it small. */
  backoffMs?: number;
  /** Longest wait a Retry-After may impose. */
  maxRetryAfterMs?: number;
  /** Told as keys are settled: how many the platform has answered for (or that gave up), of how many checkable keys. */
  onAnswer?(settled: number, checkable: number): void;
}

export interface KeyToVerify {
  /** SHA-256 of the secret: the key's identity in the report. */
  sha256: string;
  secret: string;
  spec: VerifySpec | undefined;
  /** The match may be cut short: what was found is perhaps not the whole key, so no answer about it would be about the key. Never sent. */
  partial?: boolean;
}

const MAX_ATTEMPTS = 4;
const BODY_LIMIT = 64 * 1024;

/** The endpoint, if keys may be sent there; else an error before any connection is made. */
export function checkEndpoint(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new SkScanError(`--verify-url is not a URL: ${base}`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  if (url.protocol === 'http:') {
    throw new SkScanError(`refusing to send keys over plain http to ${url.host}: use https (plain http is allowed only to loopback)`);
  }
  throw new SkScanError(`--verify-url must be an https URL, not ${url.protocol}`);
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Options that can be used as given, or a one-line error before any key is read or sent. */
export function checkVerifyOptions(opts: VerifyOptions): URL {
  for (const [name, ms] of [['timeoutMs', opts.timeoutMs], ['deadlineMs', opts.deadlineMs]] as const) {
    // A timer over 2^31 - 1 ms fires at once: every key would be "deadline" and a live one pass --fail-on active.
    if (ms !== undefined && !(ms >= 1 && ms <= 2 ** 31 - 1)) throw new SkScanError(`verify ${name} must be from 1 to 2147483647 ms, not ${ms}`);
  }
  return checkEndpoint(opts.baseUrl);
}

/** Verify each unique key once. Returns the verdict per key hash. */
export async function verifyKeys(keys: KeyToVerify[], opts: VerifyOptions): Promise<Map<string, Verification>> {
  const base = checkVerifyOptions(opts);
  const settings: Settings = {
    timeoutMs: opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS,
    backoffMs: opts.backoffMs ?? 500,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 30_000,
    dispatcher: dispatcherFor(base),
  };
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(), opts.deadlineMs ?? DEFAULT_VERIFY_DEADLINE_MS);
  const results = new Map<string, Verification>();
  const unique = [...new Map(keys.map((k) => [k.sha256, k])).values()];
  const checkable = unique.filter((k) => k.spec).length;
  let settled = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < unique.length; i = next++) {
      const key = unique[i] as KeyToVerify;
      if (!key.spec || key.partial) {
        results.set(key.sha256, { status: 'unchecked', reason: key.partial ? 'partial' : 'no-check' });
        continue;
      }
      results.set(key.sha256, await verifyOne(base, key, key.spec, settings, deadline.signal));
      opts.onAnswer?.(++settled, checkable);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, unique.length)) }, worker));
  } finally {
    clearTimeout(deadlineTimer);
    await settings.dispatcher.destroy().catch(() => {});
  }
  return results;
}

interface Settings {
  timeoutMs: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  dispatcher: Dispatcher;
}

/**
 * How requests leave: to an https endpoint, through the proxy HTTPS_PROXY
 * names unless NO_PROXY exempts the host (undici's EnvHttpProxyAgent: a
 * CONNECT tunnel, with TLS verified end to end against the system's CAs and
 * NODE_EXTRA_CA_CERTS); to a loopback http endpoint, always directly, so
 * that no proxy ever sees a key in plain text. No connection is kept alive.
 */
function dispatcherFor(base: URL): Dispatcher {
  const options = { pipelining: 0, keepAliveTimeout: 1, connections: 8 };
  // undici's proxy agent warns that it is experimental whenever it is made: made only when a proxy is set.
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((name) => process.env[name]);
  return base.protocol === 'https:' && proxied ? new EnvHttpProxyAgent(options) : new Agent(options);
}

async function verifyOne(base: URL, key: KeyToVerify, spec: VerifySpec, s: Settings, deadline: AbortSignal): Promise<Verification> {
  // Never sent: a check whose path leads off the endpoint (refused when a config loads; checked again here).
  if (requestUrl(base, spec.request.path) === null) return { status: 'unknown', reason: 'off-endpoint' };
  let timeouts = 0;
  let last: Verification = { status: 'unknown', reason: 'deadline' };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (deadline.aborted) return { status: 'unknown', reason: 'deadline' };
    const outcome = await send(base, key.secret, spec, s, deadline);
    let wait = backoff(s.backoffMs, attempt);
    if (outcome.kind === 'response') {
      const { status, body, retryAfter } = outcome;
      if (status === 429) {
        last = { status: 'unknown', reason: 'rate-limited', httpStatus: 429 };
        if (retryAfter !== null) wait = Math.min(retryAfter, s.maxRetryAfterMs);
      } else if (status >= 500) {
        last = { status: 'unknown', reason: 'server-error', httpStatus: status };
      } else {
        return interpret(spec, status, body) ?? { status: 'unknown', reason: 'unexpected-response', httpStatus: status };
      }
    } else if (outcome.kind === 'timeout') {
      last = { status: 'unknown', reason: 'timeout' };
      if (++timeouts > 1) return last; // a timed-out request is retried once
    } else if (outcome.kind === 'deadline') {
      return { status: 'unknown', reason: 'deadline' };
    } else {
      last = { status: 'unknown', reason: 'connection-error', detail: outcome.code };
    }
    if (attempt < MAX_ATTEMPTS && !(await sleep(wait, deadline))) return { status: 'unknown', reason: 'deadline' };
  }
  return last;
}

/** The system's name for a failed connection (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED), wherever undici put it. */
function errorCode(err: unknown): string {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && !e.code.startsWith('UND_ERR_')) return e.code;
  }
  return (err as { code?: string })?.code ?? 'error';
}

/** Exponential backoff with full jitter: a random wait up to base × 2^(attempt-1). */
function backoff(baseMs: number, attempt: number): number {
  return Math.round(baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function sleep(ms: number, deadline: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (deadline.aborted) return resolve(false);
    const t = setTimeout(() => {
      deadline.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    deadline.addEventListener('abort', onAbort, { once: true });
  });
}

type Outcome =
  | { kind: 'response'; status: number; body: unknown; retryAfter: number | null }
  | { kind: 'timeout' }
  | { kind: 'deadline' }
  | { kind: 'error'; code: string };

/**
 * Where a check's request goes: its path appended to the endpoint's path, on
 * the endpoint's origin, or null if it would leave that origin (a config's
 * path is checked when it loads; this is checked again before any connection).
 */
export function requestUrl(base: URL, path: string): URL | null {
  const query = path.indexOf('?');
  const url = new URL(base.href);
  url.pathname = base.pathname.replace(/\/$/, '') + (query === -1 ? path : path.slice(0, query));
  url.search = query === -1 ? '' : path.slice(query);
  url.hash = '';
  const within = url.pathname === base.pathname || url.pathname.startsWith(base.pathname.replace(/\/?$/, '/'));
  return url.origin === base.origin && within ? url : null;
}

async function send(base: URL, secret: string, spec: VerifySpec, s: Settings, deadline: AbortSignal): Promise<Outcome> {
  const url = requestUrl(base, spec.request.path) as URL;
  const headers: Record<string, string> = { 'user-agent': 'sk-scan', accept: 'application/json' };
  for (const [name, value] of Object.entries(spec.request.headers)) headers[name.toLowerCase()] = value.split(SECRET_PLACEHOLDER).join(secret);
  const abort = new AbortController();
  let why: 'timeout' | 'deadline' | null = null;
  const stop = (reason: 'timeout' | 'deadline') => {
    why ??= reason;
    abort.abort();
  };
  const timer = setTimeout(() => stop('timeout'), s.timeoutMs);
  const onDeadline = () => stop('deadline');
  deadline.addEventListener('abort', onDeadline, { once: true });
  try {
    const res = await request(url, { method: spec.request.method, headers, dispatcher: s.dispatcher, signal: abort.signal, maxRedirections: 0 });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size > BODY_LIMIT) break; // enough to judge by; the rest is never read
    }
    let body: unknown = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = null; // not JSON (an HTML page from a proxy, say): no body rule can match it
    }
    const ra = res.headers['retry-after'];
    return { kind: 'response', status: res.statusCode, body, retryAfter: parseRetryAfter(typeof ra === 'string' ? ra : ra?.[0]) };
  } catch (err) {
    return why === null ? { kind: 'error', code: errorCode(err) } : { kind: why };
  } finally {
    clearTimeout(timer);
    deadline.removeEventListener('abort', onDeadline);
  }
}
