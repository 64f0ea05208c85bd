/**
 * The picture per key: how many places hold each unique key, since when, and
 * whether it works; and the environment hygiene the platform asks for (one key
 * per environment), judged from paths and the keys' own environment tags.
 */
import { SEVERITY_ORDER, type Advisory, type Finding, type SecretExposure } from './model.js';
import { compareText, groupBy, pushTo } from '../common/group.js';
import { filePath } from '../sources/origin.js';

const STATUS_RANK = { active: 0, unknown: 1, unchecked: 2, inactive: 3 } as const;

export function exposures(findings: Finding[], gitMode: boolean): SecretExposure[] {
  const byKey = groupBy(findings, (f) => f.secret.sha256);
  const out: SecretExposure[] = [];
  for (const [sha256, group] of byKey) {
    const first = group[0] as Finding;
    const dated = group.filter((f) => f.commit !== null).sort((a, b) => compareText(a.date ?? '', b.date ?? ''));
    const earliest = dated[0];
    const atHead = group.some((f) => f.git?.atHead ?? true);
    const firstSeen = gitMode && earliest?.commit ? { commit: earliest.commit, date: earliest.date ?? null } : null;
    out.push({
      sha256,
      redacted: first.secret.redacted,
      ruleId: first.ruleId,
      kind: first.secret.kind,
      environment: first.secret.environment,
      occurrences: group.length,
      paths: [...new Set(group.map(filePath).filter((p): p is string => p !== null))].sort(),
      firstSeen,
      atHead,
      ...(gitMode ? { exposure: { firstSeen, lastSeen: atHead ? null : latest(group.map((f) => f.git?.lastSeen)), removedIn: atHead ? null : latest(group.map((f) => f.git?.removedIn)), atHead } } : {}),
      verification: first.verification,
      severity: group.map((f) => f.severity).sort((a, b) => SEVERITY_ORDER[a] - SEVERITY_ORDER[b])[0] ?? first.severity,
    });
  }
  return out.sort(
    (a, b) =>
      STATUS_RANK[a.verification.status] - STATUS_RANK[b.verification.status] ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      Number(b.atHead) - Number(a.atHead) ||
      b.occurrences - a.occurrences,
  );
}

/** The most recent of some commits, by date (several repositories may each have one). */
function latest(refs: ({ commit: string; date: string } | null | undefined)[]): { commit: string; date: string } | null {
  const known = refs.filter((r): r is { commit: string; date: string } => !!r).sort((a, b) => compareText(a.date, b.date));
  return known.at(-1) ?? null;
}

type Env = 'production' | 'staging' | 'development';

const WORDS: [RegExp, Env][] = [
  [/^(prod|production|prd|live)$/, 'production'],
  [/^(staging|stage|stg|preprod|uat)$/, 'staging'],
  [/^(dev|development|develop|local)$/, 'development'],
];

/** The environment a path belongs to, judged from its names: `.env.production`, `config/dev/…`, `values-staging.yaml`. */
export function environmentOfPath(path: string): Env | null {
  const found = new Set<Env>();
  for (const word of path.toLowerCase().split(/[/\\._-]+/)) {
    for (const [re, env] of WORDS) if (re.test(word)) found.add(env);
  }
  return found.size === 1 ? ([...found][0] as Env) : null;
}

/** The environment a key's tag names: `sk_live_prod_…` is production. */
export function environmentOfTag(tag: string | null): Env | null {
  return tag === null ? null : (WORDS.find(([re]) => re.test(tag.toLowerCase()))?.[1] ?? null);
}

export function advisories(secrets: SecretExposure[]): Advisory[] {
  const out: Advisory[] = [];
  for (const s of secrets) {
    const byEnv = new Map<Env, string[]>();
    for (const p of s.paths) {
      const env = environmentOfPath(p);
      if (env) pushTo(byEnv, env, p);
    }
    if (byEnv.size > 1) {
      const envs = [...byEnv.keys()].sort();
      out.push({
        kind: 'shared-across-environments',
        sha256: s.sha256,
        redacted: s.redacted,
        environments: envs,
        paths: [...byEnv.values()].flat().sort(),
        message: `${s.redacted} is used in ${envs.join(' and ')} files. The platform asks for a separate key per environment, so that a leak in one cannot reach another: create one key for each.`,
      });
    }
    const tagged = environmentOfTag(s.environment);
    if (tagged) {
      const elsewhere = [...byEnv].filter(([env]) => env !== tagged);
      for (const [env, paths] of elsewhere) {
        out.push({
          kind: 'environment-mismatch',
          sha256: s.sha256,
          redacted: s.redacted,
          environments: [tagged, env],
          paths: paths.sort(),
          message: `${s.redacted} is a ${tagged} key, but it sits in ${env} files (${paths.join(', ')}). Give ${env} its own key.`,
        });
      }
    }
  }
  return out;
}
