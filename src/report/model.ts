/**
 * The one report model. Every format renders from it, and it is built after
 * masking: unless --show-secrets asked, no full secret is anywhere in it.
 */
import type { Advice, Severity } from '../detect/rule.js';
import type { GitPlace, ImagePlace, TargetKind } from '../sources/types.js';
import type { Suppression, SuppressionKind } from '../pipeline/handoff.js';
import type { BaselineUpdate } from '../config/baseline.js';
import type { Verification } from '../verify/spec.js';

export interface SecretInfo {
  /** The prefix and the last 4 characters: `sk_live_prod_…x7Qa`. */
  redacted: string;
  /** Hex SHA-256 of the full secret: the same key gives the same hash everywhere. */
  sha256: string;
  kind: string;
  environment: string | null;
  /** The full secret, present only with --show-secrets. */
  value?: string;
  /** Found by decoding what is written: `base64`, `base64/base64`. The place is the encoded run's. */
  encoding?: string;
  /** sk-scan is not sure it has the whole key (it ends where what was searched was cut): `sha256` and the last four may not be the key's. Never verified; its severity is never lowered. */
  partial?: true;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** Relative to the scan root, forward slashes; null where there is no file. */
  path: string | null;
  line: number;
  column: number;
  commit: string | null;
  secret: SecretInfo;
  /** Ordered steps, from the platform's rotation and revocation procedure. */
  remediation: string[];
  /** Whether the platform says the key works: `unchecked` without --verify. */
  verification: Verification;
  /** Stable identity (rule, path, key hash; not the line): list it under `ignore:` in .sk-scan.yaml to accept this finding. */
  fingerprint: string;
  /** The key is in the name at `path` (a file's or a folder's), not in content; `column` is its place in the path. */
  inName?: true;
  /** Inside the archive at `path`: the member (`package/.env`; nested archives joined by `!`). `line` and `column` are the member's. */
  member?: string;
  /** Only with --include-suppressed: why this finding was accepted. It does not fail the scan. */
  suppressed?: Suppression;
  /** Audit mode: the line carries `sk-scan:allow`, which the scanned tree's authors wrote; reported all the same. */
  allowedInRepository?: { reason: string | null };
  /** git mode: the repository as given. */
  target?: string;
  /** git mode: `Name <email>` of the commit's author. */
  author?: string | null;
  /** git mode: the commit's author date, ISO 8601. */
  date?: string | null;
  /** git mode: blob, refs that reach the commit, whether the key is still at HEAD, unreachable, `in: "message"`. */
  git?: GitPlace;
  /** image mode: the image, the layer (null for the config), and whether a later layer deleted or replaced the file. */
  image?: ImagePlace;
}

export interface Stats {
  files: number;
  bytes: number;
  /**
   * `unreadable`: files, folders and objects that could not be read; `corrupt`: archive content not read
   * (damaged, encrypted, an unknown compression, a bomb, past the budget, nested too deep, bytes read
   * twice), and compressed payloads in a file (base64 of gzip, a PDF stream) past the inflating budget,
   * named `FILE!line N`; each is named in a warning. Either makes a scan that found nothing exit 2.
   */
  skipped: { binary: number; tooLarge: number; unreadable: number; symlink: number; corrupt: number };
  /** Items that could not be read but that the user accepted by name (`.sk-scanignore`: a path, or a blob's fingerprint); counted, and named in the warnings. */
  unreadAccepted?: number;
  /** Findings accepted, whatever accepted them: allow comments, `exclude`, `.sk-scanignore`, fingerprints, the baseline. */
  suppressed: number;
  /** The same findings, counted by what accepted them. */
  suppressedBy: Partial<Record<SuppressionKind, number>>;
  durationMs: number;
  /** git: objects not read because the scan cache knew them clean (present when a cache was used). */
  cached?: number;
}

export interface Report {
  version: 1;
  tool: { name: 'sk-scan'; version: string };
  target: { kind: TargetKind; root: string };
  stats: Stats;
  findings: Finding[];
  /** One entry per unique key, worst first. */
  secrets: SecretExposure[];
  /** Environment hygiene: a key shared across environments, or a tagged key in another environment's file. */
  advisories: Advisory[];
  /** The rules in force, for formats that describe them (SARIF). */
  rules: RuleSummary[];
  /** What the user should know about the scan itself: unreadable files, a shallow clone, skipped submodules. */
  warnings: string[];
  /** Targets that could not be scanned at all (a folder that is not a repository), each with why; the rest were scanned. */
  errors: TargetError[];
  /** git: each repository scanned (or not), with what was read of it and its findings. */
  targets?: TargetSummary[];
  /** With --update-baseline: the baseline written, and how it changed. */
  baseline?: BaselineUpdate;
  /** Which settings were read, and everything they changed about what was scanned or reported. */
  settings: ReportSettings;
}

export interface ReportSettings {
  /** `audit`: only the user's settings were read (--audit, URLs, folders of repositories, targets files); `standard`: the scanned tree's own too. */
  mode: 'standard' | 'audit';
  /** Each way a settings file, or allow comments, changed what was scanned or reported. */
  changes: SettingChange[];
}

export interface SettingChange {
  /** `exclude`: paths the config's exclude kept from being read; `excluded-findings`: findings it accepted (in history, where paths are not walked). */
  kind: 'rules-disabled' | 'rules-added' | 'max-file-size' | 'max-archive-bytes' | 'submodules' | 'exclude' | 'excluded-findings' | 'gitignore' | 'ignore-file' | 'fingerprints' | 'baseline' | 'allow-comments';
  /** The file that did it (`.sk-scan.yaml`, `.sk-scanignore`, the baseline, `.gitignore files`, `sk-scan:allow comments`). */
  file: string;
  /** Whose the file is: the scanned tree's, or the user's (named on the command line, or outside what was scanned). */
  from: 'target' | 'user';
  /** How many it touched: rules, items skipped, paths not read, findings accepted (0 for a limit nothing reached). */
  count: number;
  /** The same, in words: `disables 3 built-in rules: chatbot-live-key, …`. */
  detail: string;
}

export interface TargetSummary {
  target: string;
  /** null for a target that could not be opened. */
  kind: 'worktree' | 'bare' | 'url' | null;
  objects: number;
  bytes: number;
  durationMs: number;
  /** Objects the scan cache knew clean, not read (present when a cache was used). */
  cached?: number;
  /** Findings that stand (not accepted) in this target. */
  findings: number;
  /** Why it could not be scanned; null when it was. */
  error: string | null;
}

export interface TargetError {
  target: string;
  message: string;
}

export interface SecretExposure {
  sha256: string;
  redacted: string;
  ruleId: string;
  kind: string;
  environment: string | null;
  /** How many findings (places) hold this key. */
  occurrences: number;
  /** Distinct paths holding it (commit messages are not paths). */
  paths: string[];
  /** git mode: the earliest commit holding it; null elsewhere. */
  firstSeen: { commit: string; date: string | null } | null;
  /** Still in the working tree, the input, or (git mode) HEAD's tree. */
  atHead: boolean;
  /** git mode: the window the key was exposed in on the default branch (HEAD's first-parent line). */
  exposure?: Exposure;
  verification: Verification;
  /** The worst severity among its findings. */
  severity: Severity;
}

export interface Exposure {
  firstSeen: { commit: string; date: string | null } | null;
  /** The last commit that held it, once it left HEAD; null while it is still there. */
  lastSeen: { commit: string; date: string } | null;
  /** The first commit whose tree no longer holds it at any path it was at; null while it is still there (or never was on HEAD's line). */
  removedIn: { commit: string; date: string } | null;
  atHead: boolean;
}

export interface Advisory {
  kind: 'shared-across-environments' | 'environment-mismatch';
  sha256: string;
  redacted: string;
  /** Environments involved: production, staging, development. */
  environments: string[];
  paths: string[];
  message: string;
}

export interface RuleSummary {
  id: string;
  description: string;
  severity: Severity;
  kind: string;
  /** The rule's general advice, for formats that show help per rule. */
  help: string[];
  /** The rule's own advice (rules/*.yaml `remediation`), from which the human formats fit each finding's steps; absent for a rule without any. */
  advice?: string[] | Advice;
}

/** What the scan could not read and nobody accepted: a scan that found nothing cannot vouch for it (exit 2). */
export function unread(stats: Stats): number {
  return stats.skipped.unreadable + stats.skipped.corrupt;
}

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
