/**
 * The baseline: findings accepted as of a day, so a team can switch sk-scan on
 * today and block every new key from now on. An entry is the rule, the path and
 * the key's SHA-256: never the key, never the line, so moving code does not
 * bring a finding back while a new key on an old line is still caught.
 */
import { compareText } from '../common/group.js';
import { writeFileSync } from 'node:fs';
import { SkScanError, describeIoError } from '../common/errors.js';

export const BASELINE_FILE_NAME = '.sk-scan-baseline.json';

export interface BaselineEntry {
  ruleId: string;
  /** The path, or null for a key in a message. */
  path: string | null;
  /** SHA-256 of the key: the baseline never holds the key, nor a line number. */
  sha256: string;
}

/** The identity of a baseline entry: rule, path and key hash. */
export function baselineKey(e: BaselineEntry): string {
  return `${e.ruleId}\0${e.path ?? ''}\0${e.sha256}`;
}

/** A baseline file's text as entries; a malformed one is a one-line error that quotes none of it. */
export function parseBaseline(file: string, text: string): BaselineEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // JSON.parse's message quotes the text around the error: say where it is instead.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const line = at === undefined ? null : text.slice(0, Number(at)).split('\n').length;
    throw new SkScanError(`${file}${line === null ? '' : `:${line}`}: not valid JSON`);
  }
  const entries = (data as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) throw new SkScanError(`${file}: a baseline holds {"version": 1, "entries": [...]}`);
  return entries.map((e, i) => {
    const { ruleId, path, sha256 } = (e ?? {}) as Record<string, unknown>;
    if (typeof ruleId !== 'string' || (typeof path !== 'string' && path !== null) || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new SkScanError(`${file}: entry ${i + 1} needs ruleId, path and a 64-hex sha256`);
    }
    return { ruleId, path, sha256 };
  });
}

/** What --update-baseline wrote: the file, how many entries it holds, and how they changed. */
export interface BaselineUpdate {
  file: string;
  entries: number;
  added: number;
  dropped: number;
}

/**
 * The baseline after a scan accepted `found`. A whole scan (all of a
 * repository's history, a working tree from its root) saw every place an entry
 * could be, so what it did not find is dropped; a scan limited in scope (the
 * staged change, a range, a push, one file, stdin) only adds.
 */
export function mergeBaseline(existing: BaselineEntry[], found: BaselineEntry[], whole: boolean): { entries: BaselineEntry[]; added: number; dropped: number } {
  const before = new Map(existing.map((e) => [baselineKey(e), e]));
  const now = new Map(found.map((e) => [baselineKey(e), e]));
  const added = [...now.keys()].filter((k) => !before.has(k)).length;
  if (whole) return { entries: [...now.values()], added, dropped: [...before.keys()].filter((k) => !now.has(k)).length };
  return { entries: [...new Map([...before, ...now]).values()], added, dropped: 0 };
}

export function writeBaseline(file: string, entries: BaselineEntry[]): number {
  const unique = new Map(entries.map((e) => [baselineKey(e), e]));
  const sorted = [...unique.values()].sort(
    (a, b) => compareText(a.path ?? '', b.path ?? '') || compareText(a.ruleId, b.ruleId) || compareText(a.sha256, b.sha256),
  );
  const body = {
    version: 1,
    about: 'Findings sk-scan accepts (written by --update-baseline). Each entry is a rule, a path and the SHA-256 of a key: never the key itself.',
    entries: sorted.map(({ ruleId, path, sha256 }) => ({ ruleId, path, sha256 })),
  };
  try {
    writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  } catch (err) {
    throw new SkScanError(`cannot write the baseline ${file}: ${describeIoError(err, { writing: true })}`);
  }
  return sorted.length;
}
