/**
 * The human report, for a terminal (its width) or 80 columns. Compact by
 * default: the keys first, numbered, each with the places that hold it; then
 * each thing to do once, with the numbers of the keys it applies to; the
 * summary again as the last line, where the eye lands when the scan ends.
 * `explain` gives every key its own full advice and every place its history.
 * As a hook's message (`hook`), a block says so on its first line and fits a
 * small screen.
 */
import { unread, type Finding, type Report, type SecretExposure } from './model.js';
import { KIND_NAMES, distinctPlaces, keyNumbers, keyWhere, sharedSteps } from './advice.js';
import { groupBy } from '../common/group.js';
import { count, formatBytes, formatDuration, formatNumber, plural, printable, quotePath, wrap } from '../common/text.js';
import { filePath } from '../sources/origin.js';
import { placeLabel, scannedCounts } from './format.js';
import { historyLine, placeNote, where } from './place-text.js';
import { AUDIT_MODE, changeSentence, narrowing } from './settings.js';
import type { Severity } from '../detect/rule.js';

export interface TextOptions {
  color: boolean;
  /** Columns to wrap prose at (default 80). Paths are never broken. */
  width?: number;
  /** Full advice per key and every place's history, instead of each step once. */
  explain?: boolean;
  /** The report is a hook's message: a block is said as one first line, with the ways out. */
  hook?: 'pre-commit' | 'pre-push' | 'pre-receive';
  /** How the reader runs sk-scan (`sk-scan`, `npx sk-scan`, a path): commands the report suggests use it. */
  command?: string;
  /** The command that accepts every finding of this report (the scan as it was run, with --update-baseline); none when it cannot be run again as is (stdin). */
  accept?: string;
  /** The hook runs under the pre-commit framework, where `SKIP=` skips a hook once. */
  preCommitFramework?: boolean;
}

/** Places listed per key before the rest are counted (all of them in JSON and with --explain). */
const PLACES_SHOWN = 10;

type Paint = (s: string) => string;
type Palette = ReturnType<typeof palette>;

function palette(color: boolean) {
  const sgr = (open: string, close: string): Paint => (color ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s);
  const p = { bold: sgr('1', '22'), dim: sgr('2', '22'), red: sgr('31', '39'), yellow: sgr('33', '39'), cyan: sgr('36', '39'), green: sgr('32', '39') };
  // Critical and high must look different, with colour and without: critical is bold red and in capitals.
  const severity: Record<Severity, Paint> = { critical: (s) => p.bold(p.red(s.toUpperCase())), high: p.yellow, medium: p.cyan, low: p.dim };
  return { ...p, severity };
}

/** One report as text: everything below works from these, prepared once. */
interface View {
  report: Report;
  opts: TextOptions;
  p: Palette;
  width: number;
  command: string;
  open: Finding[];
  /** The open findings at distinct places (two rules on one spot are one place to a reader). */
  places: Finding[];
  /** Those places per key (sha256). */
  byKey: Map<string, Finding[]>;
  /** Several targets: each place names its own. */
  many: boolean;
}

export function renderText(report: Report, opts: TextOptions): string {
  const open = report.findings.filter((f) => !f.suppressed);
  const places = distinctPlaces(open);
  const view: View = {
    report,
    opts,
    p: palette(opts.color),
    width: Math.max(40, opts.width ?? 80),
    command: opts.command ?? 'sk-scan',
    open,
    places,
    byKey: groupBy(places, (f) => f.secret.sha256),
    many: new Set(report.findings.map((f) => f.target)).size > 1,
  };
  if (opts.hook && open.length > 0) return [...hookBlock(view), ...settingsLines(view, narrowing(report.settings.changes))].join('\n') + '\n';
  const out = open.length === 0 ? [clean(view), ...auditLine(view), ...settingsLines(view), ...targetLines(view)] : [...headline(view), ...auditLine(view), ...targetLines(view), ...(opts.explain ? explained(view) : compact(view)), ...advice(view)];
  out.push(...accepted(view), ...advisories(view), ...targetErrors(view), ...skipped(view));
  if (open.length > 0) out.push(...settingsLines(view), '', ...wrap(summary(view), view.width, 0, 2).map(view.p.bold));
  return out.join('\n') + '\n';
}

/** In audit mode, what was not read or obeyed, under the first line. */
function auditLine(v: View): string[] {
  return v.report.settings.mode === 'audit' ? wrap(`Run in ${AUDIT_MODE}.`, v.width, 0, 2).map(v.p.dim) : [];
}

/** Every setting that changed what was scanned or reported, with the file that did it (a hook's message: those that narrowed it). */
function settingsLines(v: View, changes = v.report.settings.changes): string[] {
  if (changes.length === 0) return [];
  return ['', v.p.bold('Settings that changed this scan:'), ...changes.flatMap((c) => wrap(`• ${printable(changeSentence(c))}`, v.width, 0, 2))];
}

function headline(v: View): string[] {
  const places = `sk-scan: ${count(v.report.secrets.length, 'key')} in ${count(v.places.length, 'place')}`;
  const note = scannedNote(v);
  // The note moves to a line of its own rather than run past the width.
  return places.length + 2 + note.length <= v.width ? [`${v.p.bold(places)}${v.p.dim(`  ${note}`)}`] : [v.p.bold(places), v.p.dim(`  ${note}`)];
}

/** `(scanned 10 objects, 377 B in 0.05 s)`, or with the scan cache `(scanned 3 objects in 0.60 s; 17,874 cached)`. */
function scannedNote(v: View): string {
  const { read, bytes, cached } = scannedCounts(v.report);
  const took = formatDuration(v.report.stats.durationMs);
  return cached ? `(scanned ${read} in ${took}; ${formatNumber(cached)} cached)` : `(scanned ${read}, ${bytes} in ${took})`;
}

/** Each key on one line, numbered; under it, the places that hold it. */
function compact(v: View): string[] {
  const out: string[] = [''];
  v.report.secrets.forEach((s, i) => {
    const group = v.byKey.get(s.sha256) ?? [];
    out.push(keyLine(v, s, i + 1, group));
    for (const f of group.slice(0, PLACES_SHOWN)) {
      const place = `    ${where(f, v.many)}`;
      const note = placeNote(f);
      // A long place (an image's, an archive's) keeps its note on a line of its own rather than wrap mid-word.
      if (place.length + note.length <= v.width || !note) out.push(`${place}${v.p.dim(note)}`);
      else out.push(place, ...wrap(note.trimStart(), v.width, 4, 6).map(v.p.dim));
    }
    if (group.length > PLACES_SHOWN) out.push(v.p.dim(`    and ${count(group.length - PLACES_SHOWN, 'more place')} (--explain or --format json lists them all)`));
  });
  return out;
}

/** `1. sk_live_prod_…x7Qa  CRITICAL  live key, prod  ACTIVE · still in HEAD`. */
function keyLine(v: View, s: SecretExposure, n: number, group: Finding[]): string {
  const first = group[0] as Finding;
  const shown = first.secret.value ?? s.redacted;
  const state = keyWhere(v.report.target.kind === 'git', s, group);
  const status = statusTag(s, v.p);
  const kind = `${KIND_NAMES[s.kind] ?? s.ruleId}${s.environment ? `, ${s.environment}` : ''}`;
  const partial = group.some((f) => f.secret.partial) ? v.p.yellow(' · may be cut short') : '';
  return `${String(n).padStart(2)}. ${v.p.bold(shown)}  ${v.p.severity[s.severity](s.severity)}  ${kind}${status ? `  ${status}` : ''}${partial}${state ? v.p.dim(` · ${state}`) : ''}`;
}

/** Each step once, for the keys it applies to: `• 1-4: Revoke now: …`. */
function advice(v: View): string[] {
  if (v.opts.explain) return [];
  const one = v.report.secrets.length === 1;
  const out = ['', v.p.bold('What to do:')];
  for (const { text, keys } of sharedSteps(v.report)) out.push(...wrap(`• ${one ? '' : `${keyNumbers(keys)}: `}${text}`, v.width, 0, 2));
  if (v.report.target.kind !== 'staged') out.push(...falsePositive(v).map(v.p.dim));
  return out;
}

/**
 * What to do about a false positive, as it works for this kind of scan. The
 * command that accepts every finding gets a line of its own, never wrapped
 * and with nothing after it, so that a line copied from the terminal runs.
 */
function falsePositive(v: View): string[] {
  const command = v.opts.accept;
  const lead = (text: string) => [...wrap(command ? `${text} with:` : `${text} by running the same scan with --update-baseline${v.report.settings.mode === 'audit' ? ' --baseline FILE' : ''}.`, v.width, 0, 2), ...(command ? [`  ${command}`] : [])];
  // An audit writes nothing into what it scanned: findings are accepted into a baseline of the auditor's.
  if (v.report.settings.mode === 'audit') return lead('Not a secret? Accept every finding above into a baseline of yours, outside the scanned tree,');
  // A member of an archive has no line anyone can edit: the baseline is the way.
  if (!commentable(v)) return lead('Not a secret? Accept every finding above');
  const where = v.report.target.kind === 'git' ? ' (at HEAD, it covers the same key at that path in older commits too)' : '';
  return lead(`Not a secret? Put \`sk-scan:allow -- why\` on its line${where}, or accept every finding above`);
}

/** A member of an archive, or a file in an image, has no line anyone can edit. */
function commentable(v: View): boolean {
  return v.report.findings.some((f) => f.member === undefined && f.image === undefined);
}

/** --explain: each key with every place, its history, and its own numbered advice. */
function explained(v: View): string[] {
  const out: string[] = [];
  v.report.secrets.forEach((s, i) => {
    const group = v.open.filter((f) => f.secret.sha256 === s.sha256);
    out.push('', keyLine(v, s, i + 1, group));
    if (s.firstSeen) out.push(v.p.dim(`    first in commit ${s.firstSeen.commit.slice(0, 12)}${s.firstSeen.date ? ` (${s.firstSeen.date.slice(0, 10)})` : ''}`));
    for (const f of group) {
      out.push(`    ${where(f, v.many)}  ${v.p.dim(`fingerprint ${f.fingerprint}`)}`);
      const history = historyLine(f);
      if (history) out.push(...wrap(history, v.width, 6).map(v.p.dim));
    }
    (group[0] as Finding).remediation.forEach((step, k) => out.push(...wrap(`${k + 1}. ${step}`, v.width, 4, 7)));
  });
  out.push('', ...falsePositive(v).map(v.p.dim));
  return out;
}

/** `6 keys: 4 live (critical), 1 webhook secret, 1 test key; 2 still in HEAD`. */
function summary(v: View): string {
  const { secrets } = v.report;
  const parts: string[] = [];
  for (const [kind, group] of groupBy(secrets, (s) => s.kind)) {
    const name = kind === 'live' ? 'live' : kind === 'test' ? plural(group.length, 'test key') : kind === 'webhook' ? plural(group.length, 'webhook secret') : plural(group.length, 'other secret');
    parts.push(`${group.length} ${name}${kind === 'live' ? ` (${severities(group)})` : ''}`);
  }
  const active = secrets.filter((s) => s.verification.status === 'active').length;
  const tail: string[] = [];
  if (active > 0) tail.push(`${active} confirmed active: revoke ${active === 1 ? 'it' : 'them'} first`);
  const atHead = secrets.filter((s) => s.atHead).length;
  if (v.report.target.kind === 'git') tail.push(atHead > 0 ? `${atHead} still in HEAD` : 'none in HEAD');
  const accepted = v.report.stats.suppressed;
  if (accepted > 0) tail.push(`${accepted} accepted`);
  return `${count(secrets.length, 'key')}: ${parts.join(', ')}${tail.length > 0 ? `; ${tail.join('; ')}` : ''}`;
}

/** `critical`, or `3 critical, 1 high` when they differ. */
function severities(group: SecretExposure[]): string {
  const by = [...groupBy(group, (s) => s.severity)];
  return by.length === 1 ? (by[0]?.[0] ?? '') : by.map(([severity, g]) => `${g.length} ${severity}`).join(', ');
}

/** Nothing to report: say so, and what was accepted instead (so a baseline never passes as "nothing found"). */
function clean(v: View): string {
  const { stats } = v.report;
  // A scan that could not read everything vouches for nothing it did not read.
  if (unread(stats) > 0) return fit(v, v.p.yellow, `No keys in what was read; ${count(unread(stats), 'item')} could not be read (see the warnings).`);
  // Settings that switched rules off or kept things from being read qualify "nothing found" in the same line.
  const narrowed = narrowing(v.report.settings.changes).length > 0;
  if (stats.suppressed === 0) return fit(v, v.p.green, narrowed ? 'No secrets found with the settings below.' : 'No secrets found.');
  const by = stats.suppressedBy;
  const parts: string[] = [];
  if (by.baseline) parts.push(`${formatNumber(by.baseline)} accepted by the baseline (--no-baseline to see them)`);
  const others = (
    [
      [by.excluded, 'excluded by the config'],
      [by['ignore-file'], 'ignored by .sk-scanignore'],
      [by.fingerprint, 'ignored by fingerprint'],
      [by.allow, 'allowed by sk-scan:allow comments'],
    ] as const
  ).flatMap(([n, how]) => (n ? [`${formatNumber(n)} ${how}`] : []));
  if (others.length > 0) parts.push(`${others.join(', ')} (--include-suppressed lists them)`);
  return fit(v, v.p.green, `No new keys; ${parts.join('; ')}.`);
}

/** A clean scan's line, painted, with the scanned note after it, wrapped between words at the width (the note dim). */
function fit(v: View, paint: (s: string) => string, said: string): string {
  const lines = wrap(`${said} ${scannedNote(v)}`, v.width, 0, 0);
  // Paint what is the sentence and what is the note, line by line.
  let left = said.length;
  return lines
    .map((line) => {
      const mine = Math.max(0, Math.min(line.length, left));
      left -= line.length + 1;
      return paint(line.slice(0, mine)) + v.p.dim(line.slice(mine));
    })
    .join('\n');
}

function accepted(v: View): string[] {
  const list = v.report.findings.filter((f) => f.suppressed);
  if (list.length === 0) return [];
  const out = ['', v.p.bold(`Accepted (${list.length}), listed by --include-suppressed:`)];
  for (const f of list) out.push(...wrap(`${where(f, v.many)}  ${f.secret.value ?? f.secret.redacted}  ${f.suppressed?.reason ?? ''}`, v.width, 2, 4));
  return out;
}

function advisories(v: View): string[] {
  if (v.report.advisories.length === 0) return [];
  return ['', v.p.bold('Advisories:'), ...v.report.advisories.flatMap((a) => wrap(`• ${printable(a.message)}`, v.width, 0, 2))];
}

/** With several repositories, one line each: what was read, how long it took, how many keys. */
function targetLines(v: View): string[] {
  const targets = v.report.targets ?? [];
  if (targets.length < 2) return [];
  const width = Math.min(40, Math.max(...targets.map((t) => quotePath(t.target).length)));
  const keys = (t: string) => new Set(v.open.filter((f) => f.target === t).map((f) => f.secret.sha256)).size;
  const lines = targets.map((t) => {
    const name = quotePath(t.target).padEnd(width);
    if (t.error !== null) return `  ${name}  ${v.p.red('not scanned')} (below)`;
    const n = keys(t.target);
    const found = n === 0 ? v.p.green('no keys') : v.p.bold(count(n, 'key'));
    return `  ${name}  ${count(t.objects, 'object').padStart(15)}  ${formatBytes(t.bytes).padStart(10)}  ${formatDuration(t.durationMs).padStart(7)}  ${found}`;
  });
  return ['', v.p.bold(`Repositories (${targets.length}):`), ...lines];
}

function targetErrors(v: View): string[] {
  if (v.report.errors.length === 0) return [];
  return ['', v.p.bold(v.p.red(`Not scanned (${v.report.errors.length}):`)), ...v.report.errors.flatMap((e) => wrap(`• ${quotePath(e.target)}: ${printable(e.message)}`, v.width, 0, 2))];
}

function skipped(v: View): string[] {
  const sk = v.report.stats.skipped;
  const parts = (
    [
      [sk.tooLarge, 'too large'],
      [sk.unreadable, 'unreadable'],
      [sk.symlink, 'symbolic links (not followed)'],
      [sk.corrupt ?? 0, 'not read in archives or compressed payloads'],
    ] as const
  )
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${formatNumber(n)} ${what}`);
  const lines: string[] = [];
  if (sk.binary > 0) lines.push(`Binary: ${count(sk.binary, 'file')} not read as text (those up to 1 MiB searched for keys; the warnings name them).`);
  if (parts.length > 0) lines.push(`Skipped: ${parts.join(', ')} (named in the warnings).`);
  return lines.length > 0 ? ['', ...lines.flatMap((l) => wrap(l, v.width, 0, 2)).map(v.p.dim)] : [];
}

/**
 * A hook's block: `sk-scan: commit blocked: 1 live key in src/payments.js:1`,
 * the places, what to do about a key that has not left this machine, and the
 * ways out, in at most 15 lines for one key.
 */
function hookBlock(v: View): string[] {
  const { p } = v;
  const verb = v.opts.hook === 'pre-commit' ? 'commit' : 'push';
  const server = v.opts.hook === 'pre-receive';
  const keys = v.report.secrets;
  const kinds = [...groupBy(keys, (s) => KIND_NAMES[s.kind] ?? 'secret')].map(([name, g]) => `${g.length} ${name.replace(/ key$/, '')}`);
  const what = keys.length === 1 ? `1 ${KIND_NAMES[keys[0]?.kind ?? ''] ?? 'secret'}` : `${count(keys.length, 'key')} (${kinds.join(', ')})`;
  const shownPlaces = v.places.slice(0, 2).map((f) => (f.path === null ? placeLabel(f) : `${quotePath(filePath(f) as string)}${f.inName ? '' : `:${f.line}`}`));
  const more = v.places.length > 2 ? ` and ${count(v.places.length - 2, 'more place')}` : '';
  const out = [p.bold(p.red(`sk-scan: ${verb} ${server ? 'rejected' : 'blocked'}: ${what} in ${shownPlaces.join(', ')}${more}`))];
  v.report.secrets.forEach((s) => {
    for (const f of (v.byKey.get(s.sha256) ?? []).slice(0, 5)) out.push(`  ${where(f, false)}  ${f.secret.value ?? s.redacted}  ${v.p.severity[s.severity](s.severity)}${verb === 'push' && f.commit ? p.dim(`  in ${f.commit.slice(0, 7)}`) : ''}`);
  });
  if (v.places.length > 5 * keys.length) out.push(p.dim(`  (${v.command} staged --explain lists every place)`));
  out.push('');
  const variable = variableFor(v.report, keys);
  if (server) {
    // Refused, the push's objects are dropped with git's quarantine: the key is not on this server.
    const them = keys.length === 1 ? 'it' : 'them';
    const fix = v.places.every((f) => f.inName)
      ? `Push under a branch or tag name without ${them} (git push origin HEAD:refs/heads/NAME)`
      : `Remove ${them} from your local commits (git commit --amend for the last one, git rebase -i for older ones, or git reset --soft to redo the newest), read ${variable} or a secrets manager instead, and push again`;
    out.push(
      ...wrap(
        `The push was refused, so ${keys.length === 1 ? 'the key' : 'the keys'} did not reach this server. ${fix}. Rotate ${them} only if pushed or shared anywhere else.`,
        v.width,
        0,
      ),
    );
    return out;
  }
  if (verb === 'commit') {
    out.push(...wrap(`Not committed yet, so ${keys.length === 1 ? 'it has' : 'they have'} not left this machine (unless copied elsewhere). Take ${keys.length === 1 ? 'it' : 'them'} out of the file, read ${variable} or a secrets manager instead, and git add the file again.`, v.width, 0));
  } else {
    out.push(...wrap(`Not pushed yet: remove ${keys.length === 1 ? 'the key' : 'the keys'} from those commits (git commit --amend, or git rebase -i for older ones), read ${variable} or a secrets manager instead, and push again. Rotate any key that has been shared.`, v.width, 0));
  }
  const skipOnce = v.opts.preCommitFramework ? `SKIP=sk-scan${verb === 'push' ? '-push' : ''} git ${verb}` : `git ${verb} --no-verify`;
  const accept = verb === 'commit' ? (v.opts.accept ?? `${v.command} staged --update-baseline && git add :/.sk-scan-baseline.json`) : `${v.command} git --update-baseline && git add :/.sk-scan-baseline.json`;
  const them = keys.length === 1 ? 'it' : 'them';
  out.push(commentable(v) ? `Not a secret? Put \`sk-scan:allow -- why\` on its line, or accept ${them}:` : `Not a secret? Accept ${them}:`, `  ${accept}`, `To ${verb} anyway, once: ${skipOnce}`);
  return out;
}

/** What the code should read instead of the keys: the environment variable their rules name (`CHATBOT_API_KEY`), when they agree on one. */
function variableFor(report: Report, keys: SecretExposure[]): string {
  const names = new Set(keys.map((s) => {
    const advice = report.rules.find((r) => r.id === s.ruleId)?.advice;
    return advice && !Array.isArray(advice) ? advice.variable : undefined;
  }));
  const [name] = names;
  return names.size === 1 && name !== undefined ? name : 'an environment variable';
}

/** What --verify learned, in a few words; nothing without --verify. */
function statusTag(s: SecretExposure, p: Palette): string {
  const v = s.verification;
  switch (v.status) {
    case 'active':
      return p.red(p.bold(v.requiredScope ? `ACTIVE (restricted: lacks ${v.requiredScope})` : 'ACTIVE'));
    case 'inactive':
      return p.green(`inactive (${v.reason})`);
    case 'unknown':
      return p.yellow('unverified');
    default:
      return v.reason === 'no-check' ? p.dim('not verifiable') : '';
  }
}
