/**
 * What changed a scan besides sk-scan's own defaults: every settings file and
 * comment that disabled or added rules, moved a limit, kept paths from being
 * read or accepted findings, each with the file that did it and how many it
 * touched. A scanned repository's `.sk-scan.yaml` can switch detection off;
 * a report that then says "No secrets found" must say why in the same breath,
 * in every format.
 */
import { count, formatBytes } from '../common/text.js';
import type { SettingChange, ReportSettings } from './model.js';

/** Where a settings file was read from, and whose it is. */
export interface SourceFact {
  file: string;
  from: 'target' | 'user';
}

/** What the pipeline knows about the settings in force and what they did, for describeSettings. */
export interface SettingsFacts {
  audit: boolean;
  config: SourceFact | null;
  ignoreFile: SourceFact | null;
  baseline: SourceFact | null;
  disabled: string[];
  added: string[];
  maxFileSize: { value: number; default: number; skipped: number };
  maxArchiveBytes: { value: number; default: number };
  /** The config's `submodules: false`: their repositories left unread (a history scan). */
  submodulesOff: boolean;
  exclude: string[];
  /** Findings accepted, by what accepted them. */
  accepted: Partial<Record<'allow' | 'excluded' | 'ignore-file' | 'fingerprint' | 'baseline', number>>;
  /** Paths a walk did not enter or read: by the config's `exclude`, and by `.gitignore` files (the first few named). */
  pruned: { exclude: { count: number; names: string[] }; gitignore: { count: number; names: string[] } };
  /** Audit mode: findings on lines carrying `sk-scan:allow`, reported rather than accepted. */
  allowedShown: number;
  /** Items that could not be read, accepted by name (`.sk-scanignore`, `exclude`). */
  unreadAccepted: number;
}

/** Names listed before the rest are counted. */
const NAMED = 3;

function listed(names: string[], total: number): string {
  return names.slice(0, NAMED).join(', ') + (total > NAMED ? ', …' : '');
}

export function describeSettings(f: SettingsFacts): ReportSettings {
  const changes: SettingChange[] = [];
  const add = (kind: SettingChange['kind'], source: SourceFact | null, fallback: string, n: number, detail: string) =>
    changes.push({ kind, file: source?.file ?? fallback, from: source?.from ?? 'target', count: n, detail });
  const config = f.config;
  if (f.disabled.length > 0) add('rules-disabled', config, '.sk-scan.yaml', f.disabled.length, `disables ${count(f.disabled.length, 'built-in rule')}: ${f.disabled.join(', ')}`);
  if (f.added.length > 0) add('rules-added', config, '.sk-scan.yaml', f.added.length, `adds ${count(f.added.length, 'rule')} of its own: ${f.added.join(', ')}`);
  if (f.maxFileSize.value !== f.maxFileSize.default) {
    const skipped = f.maxFileSize.skipped === 0 ? 'nothing was over it' : `${count(f.maxFileSize.skipped, 'item')} skipped as too large`;
    add('max-file-size', config, '.sk-scan.yaml', f.maxFileSize.skipped, `sets maxFileSize to ${formatBytes(f.maxFileSize.value)} (default ${formatBytes(f.maxFileSize.default)}): ${skipped}`);
  }
  if (f.maxArchiveBytes.value !== f.maxArchiveBytes.default) {
    add('max-archive-bytes', config, '.sk-scan.yaml', 0, `sets maxArchiveBytes to ${formatBytes(f.maxArchiveBytes.value)} (default ${formatBytes(f.maxArchiveBytes.default)})`);
  }
  if (f.submodulesOff) add('submodules', config, '.sk-scan.yaml', 0, 'sets submodules to false: the repositories of submodules are not scanned, and each is named in the warnings');
  const { exclude, gitignore } = f.pruned;
  const excludedFindings = f.accepted.excluded ?? 0;
  if (f.exclude.length > 0 && exclude.count > 0) add('exclude', config, '.sk-scan.yaml', exclude.count, `excludes ${listed(f.exclude, f.exclude.length)}: ${count(exclude.count, 'path')} not read (${listed(exclude.names, exclude.count)})`);
  if (excludedFindings > 0) add('excluded-findings', config, '.sk-scan.yaml', excludedFindings, `excludes ${listed(f.exclude, f.exclude.length)}: ${count(excludedFindings, 'finding')} accepted`);
  if (gitignore.count > 0) {
    changes.push({ kind: 'gitignore', file: '.gitignore files', from: 'target', count: gitignore.count, detail: `ignore ${count(gitignore.count, 'path')}, not read (${listed(gitignore.names, gitignore.count)}; --no-ignore reads them)` });
  }
  if (f.unreadAccepted > 0) add('ignore-file', f.ignoreFile ?? config, '.sk-scanignore', f.unreadAccepted, `accepts ${count(f.unreadAccepted, 'item')} that could not be read, by name (each named in the warnings)`);
  if (f.accepted['ignore-file']) add('ignore-file', f.ignoreFile, '.sk-scanignore', f.accepted['ignore-file'], `accepts ${count(f.accepted['ignore-file'], 'finding')} by path`);
  if (f.accepted.fingerprint) add('fingerprints', f.ignoreFile ?? config, '.sk-scan.yaml', f.accepted.fingerprint, `accepts ${count(f.accepted.fingerprint, 'finding')} by fingerprint`);
  if (f.accepted.baseline) add('baseline', f.baseline, '.sk-scan-baseline.json', f.accepted.baseline, `accepts ${count(f.accepted.baseline, 'finding')} (--no-baseline shows them)`);
  if (f.accepted.allow) changes.push({ kind: 'allow-comments', file: 'sk-scan:allow comments', from: 'target', count: f.accepted.allow, detail: `accept ${count(f.accepted.allow, 'finding')} (--include-suppressed lists them)` });
  if (f.allowedShown > 0) {
    changes.push({ kind: 'allow-comments', file: 'sk-scan:allow comments', from: 'target', count: f.allowedShown, detail: `on ${count(f.allowedShown, 'finding')}: reported all the same (audit mode)` });
  }
  return { mode: f.audit ? 'audit' : 'standard', changes };
}

/**
 * The changes a hook's short message names: those that switched rules off or
 * kept something from being read in this very scan (what they accepted is
 * counted with the findings accepted).
 */
export function narrowing(changes: SettingChange[]): SettingChange[] {
  return changes.filter((c) => c.kind === 'rules-disabled' || c.kind === 'submodules' || (c.count > 0 && (c.kind === 'max-file-size' || c.kind === 'exclude' || c.kind === 'gitignore')));
}

/** One change as a sentence: `.sk-scan.yaml (the scanned tree's) disables 3 built-in rules: …`. */
export function changeSentence(c: SettingChange): string {
  const whose = c.kind === 'gitignore' || c.kind === 'allow-comments' ? '' : c.from === 'target' ? " (the scanned tree's)" : ' (yours)';
  return `${c.file}${whose} ${c.detail}`;
}

/** What audit mode means, in one line, for a report's header. */
export const AUDIT_MODE = "audit mode: the scanned tree's own settings (.sk-scan.yaml, .sk-scanignore, baseline, .gitignore) were not read, and its allow comments are reported";
