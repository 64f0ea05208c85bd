/**
 * A JSON report read back (`sk-scan merge`) is input like any other: written
 * by some other run, perhaps by someone else, perhaps by hand. It is checked
 * against the report model before anything uses it, every problem named by
 * file and field (`shard2.json: findings[3].line: a whole number, not "x"`),
 * and its nesting is bounded before it is parsed, so no shape of JSON reaches
 * the merge as anything but a report or a one-line error.
 */
import { SkScanError } from '../common/errors.js';
import { SEVERITIES } from '../detect/rule.js';
import type { Report } from './model.js';

/** Deeper than any report nests (a finding's git place is five levels down). */
const MAX_DEPTH = 32;

type Check = (v: unknown, at: string) => void;

class Invalid extends Error {
  constructor(
    readonly at: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${at}: ${expected}, not ${describe(got)}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v;
}

const str: Check = (v, at) => {
  if (typeof v !== 'string') throw new Invalid(at, 'a string', v);
};
const int: Check = (v, at) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Invalid(at, 'a whole number', v);
};
const bool: Check = (v, at) => {
  if (typeof v !== 'boolean') throw new Invalid(at, 'true or false', v);
};
const nullable =
  (c: Check): Check =>
  (v, at) => {
    if (v !== null) c(v, at);
  };
const oneOf =
  (...values: readonly string[]): Check =>
  (v, at) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new Invalid(at, `one of ${values.join(', ')}`, v);
  };
const list =
  (c: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) throw new Invalid(at, 'a list', v);
    v.forEach((item, i) => c(item, `${at}[${i}]`));
  };
const record =
  (c: Check): Check =>
  (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(at, 'an object', v);
    for (const [k, item] of Object.entries(v)) c(item, `${at}.${k}`);
  };
/** An object with these fields; a key ending in `?` may be absent. Fields not named are allowed (a newer writer's). */
const shape =
  (fields: Record<string, Check>): Check =>
  (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(at, 'an object', v);
    const o = v as Record<string, unknown>;
    for (const [key, c] of Object.entries(fields)) {
      const name = key.replace(/\?$/, '');
      if (!(name in o) || o[name] === undefined) {
        if (key.endsWith('?')) continue;
        throw new Invalid(`${at}.${name}`, 'present', undefined);
      }
      c(o[name], `${at}.${name}`);
    }
  };

const ADVICE_STEP = shape({ short: str, long: str });
/** A rule's advice: its own steps, or the pieces the report fits (detect/rule.ts `Advice`). */
const ADVICE: Check = (v, at) => (Array.isArray(v) ? list(str)(v, at) : shape({ 'variable?': str, 'revoke?': ADVICE_STEP, 'revokeActive?': ADVICE_STEP, 'then?': list(ADVICE_STEP) })(v, at));
const commitDate = shape({ commit: str, 'date?': nullable(str) });
const FINDING = shape({
  ruleId: str,
  severity: oneOf(...SEVERITIES),
  path: nullable(str),
  line: int,
  column: int,
  commit: nullable(str),
  secret: shape({ redacted: str, sha256: (v, at) => {
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new Invalid(at, 'a SHA-256 in hex', v);
  }, kind: str, environment: nullable(str), 'value?': str, 'encoding?': str, 'partial?': bool }),
  remediation: list(str),
  verification: shape({ status: oneOf('active', 'inactive', 'unknown', 'unchecked'), reason: str, 'httpStatus?': int, 'detail?': str, 'requiredScope?': str }),
  fingerprint: str,
  'inName?': bool,
  'member?': str,
  'suppressed?': shape({ kind: oneOf('allow', 'excluded', 'ignore-file', 'fingerprint', 'baseline'), reason: str }),
  'allowedInRepository?': shape({ reason: nullable(str) }),
  'target?': str,
  'author?': nullable(str),
  'date?': nullable(str),
  'git?': shape({
    'blob?': str,
    'refs?': list(str),
    'atHead?': bool,
    'blobAtHead?': bool,
    'unreachable?': bool,
    'in?': oneOf('message', 'tag', 'index', 'dangling', 'ref', 'name'),
    'lastSeen?': nullable(commitDate),
    'removedIn?': nullable(commitDate),
    'tag?': shape({ name: str, id: str }),
  }),
  'image?': shape({ image: str, layer: nullable(int), layers: int, digest: nullable(str), file: str, 'deletedIn?': int, 'replacedIn?': int }),
});

const REPORT = shape({
  tool: shape({ name: oneOf('sk-scan'), version: str }),
  target: shape({ kind: oneOf('dir', 'stdin', 'git', 'staged', 'image'), root: str }),
  stats: shape({
    files: int,
    bytes: int,
    skipped: shape({ binary: int, tooLarge: int, unreadable: int, symlink: int, 'corrupt?': int }),
    suppressed: int,
    'suppressedBy?': record(int),
    durationMs: int,
    'cached?': int,
    'unreadAccepted?': int,
  }),
  findings: list(FINDING),
  'rules?': list(shape({ id: str, description: str, severity: oneOf(...SEVERITIES), kind: str, help: list(str), 'advice?': ADVICE })),
  'warnings?': list(str),
  'errors?': list(shape({ target: str, message: str })),
  'targets?': list(shape({ target: str, kind: nullable(oneOf('worktree', 'bare', 'url')), objects: int, bytes: int, durationMs: int, 'cached?': int, findings: int, error: nullable(str) })),
  'settings?': shape({
    mode: oneOf('standard', 'audit'),
    changes: list(shape({ kind: str, file: str, from: oneOf('target', 'user'), count: int, detail: str })),
  }),
});

/** How deeply `text` nests its lists and objects, counted outside strings, up to `max + 1`. */
function nesting(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** A JSON report as another run wrote it, checked against the model; else an error naming the file and the field. */
export function validReport(file: string, text: string): Report {
  if (nesting(text, MAX_DEPTH) > MAX_DEPTH) throw new SkScanError(`${file}: nested more than ${MAX_DEPTH} levels deep: not an sk-scan report`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new SkScanError(`${file}: not valid JSON (merge takes reports written with --format json)`);
  }
  const d = data as Partial<Report> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d) || d.tool?.name !== 'sk-scan') throw new SkScanError(`${file}: not an sk-scan JSON report (merge takes reports written with --format json)`);
  if (d.version !== 1) throw new SkScanError(`${file}: report version ${typeof d.version === 'number' ? d.version : describe(d.version)}, and this sk-scan reads version 1`);
  try {
    REPORT(d, 'report');
  } catch (err) {
    if (err instanceof Invalid) throw new SkScanError(`${file}: ${err.message.replace(/^report\./, '')}`);
    throw err;
  }
  return { errors: [], warnings: [], rules: [], advisories: [], secrets: [], settings: { mode: 'standard', changes: [] }, ...d } as Report;
}
