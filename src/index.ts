/**
 * sk-scan's typed API: the same calls the CLI makes.
 *
 *   const report = await scanDir(['.']);
 *   process.stdout.write(render(report, 'text'));
 *
 * Each scan loads the configuration at its root, runs the pipeline over its
 * source and, when asked to (`updateBaseline`), writes the baseline from the
 * report: the pipeline itself writes nothing.
 */
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve, sep } from 'node:path';
import { loadConfig } from './config/config.js';
import type { Config } from './config/model.js';
import type { RuleCheck, RuleList } from './config/catalog.js';
import { SkScanError } from './common/errors.js';
import { runPipeline, type PipelineOptions, type PipelineResult } from './pipeline/run.js';
import { checkVerifyEndpoint } from './verify/stage.js';
import { unread, type Report } from './report/model.js';
import type { PrePushHook } from './sources/git/prepush.js';
import { stdinSource } from './sources/stdin.js';
import { VERSION } from './common/version.js';
import { maskKeys } from './common/redact.js';
import { mergeBaseline, writeBaseline } from './config/baseline.js';
import { anchorProbe } from './detect/probe.js';
import { localDetector } from './detect/pool.js';

export interface ScanOptions extends PipelineOptions {
  /** A config file to use instead of `.sk-scan.yaml` at the scan root. */
  config?: string;
  /** A baseline file to use (and, with updateBaseline, write) instead of `.sk-scan-baseline.json` at the scan root. */
  baseline?: string;
  /**
   * Audit mode, for a tree somebody else prepared: only the user's settings
   * are read (`config`, `baseline`, or the current folder's when it is not
   * part of the scan), never the scanned tree's `.sk-scan.yaml`,
   * `.sk-scanignore`, baseline or `.gitignore` files; its allow comments are
   * reported (marked) rather than obeyed. Implied for URLs, folders of
   * repositories and targets files.
   */
  audit?: boolean;
}

/**
 * `.sk-scan.yaml`, `.sk-scanignore` and the baseline of a scan rooted at
 * `root`, or the files the options name. `scanned` are the folders the scan
 * reads: the root's files are theirs when the root is part of them.
 */
async function configAt(root: string, opts: ScanOptions, scanned: string[], audit = opts.audit === true): Promise<Config> {
  const config = await loadConfig({ root, explicit: opts.config, baseline: opts.baseline, audit, rootIsTarget: partOf(root, scanned) });
  if (audit && opts.updateBaseline && (opts.baseline === undefined || partOf(opts.baseline, scanned))) {
    throw new SkScanError('audit mode writes nothing into the scanned tree: name a baseline outside it with --baseline FILE');
  }
  // A baseline named on the command line must exist, unless this scan writes it: a typo must not pass silently.
  if (opts.baseline !== undefined && !opts.updateBaseline && config.baseline.entries === null) {
    throw new SkScanError(`baseline file not found: ${opts.baseline}`);
  }
  return config;
}

/** Whether the folder `dir` is one of `folders`, inside one, or holds one: its settings files are then the scanned tree's. */
function partOf(dir: string, folders: string[]): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const d = real(dir);
  return folders.some((f) => {
    const t = real(f);
    const within = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
    return within(d, t) || within(t, d);
  });
}

/**
 * After the pipeline: with `updateBaseline`, what the scan accepted is merged
 * into the baseline and written. Only a `whole` scan (every place an entry
 * could be) drops the entries it no longer finds.
 */
function finish({ report, accepting }: PipelineResult, config: Config, whole: boolean): Report {
  if (accepting === null) return report;
  const { entries, added, dropped } = mergeBaseline(config.baseline.entries ?? [], accepting, whole);
  report.baseline = { file: config.baseline.file, entries: writeBaseline(config.baseline.file, entries), added, dropped };
  return report;
}

export interface DirScanOptions extends ScanOptions {
  /** Also scan files that .gitignore excludes (never `.git/`). */
  noIgnore?: boolean;
}

/** Scan working trees (or single files). Paths in findings are relative to the root. */
export async function scanDir(paths: string[] = ['.'], opts: DirScanOptions = {}): Promise<Report> {
  const roots = paths.length > 0 ? paths : ['.'];
  // Loaded on demand: the tree walker's dependencies are not needed by other commands.
  const { dirConfigRoot, dirSource } = await import('./sources/dir.js');
  const root = await dirConfigRoot(roots);
  const config = await configAt(root, opts, roots);
  // In audit mode the tree's .gitignore files are its own say on what is read: not obeyed either.
  const source = dirSource(roots, { noIgnore: opts.noIgnore === true || config.audit, excluded: config.excluded, skipFile: config.file ?? undefined });
  // One folder, scanned from the root its baseline's paths are relative to: every entry's place was seen.
  return finish(await runPipeline(source, config, opts), config, roots.length === 1 && roots[0] === root);
}

/** Scan a stream or buffer (standard input); `path` is what findings report. */
export async function scanStdin(input: NodeJS.ReadableStream | Uint8Array, opts: ScanOptions & { path?: string } = {}): Promise<Report> {
  const config = await configAt('.', opts, []);
  return finish(await runPipeline(stdinSource(input, opts.path ?? null, config.maxFileSize), config, { ...opts, threads: 1 }), config, false);
}

/**
 * Scan a container image without a daemon: a `docker save` tarball, or an OCI
 * image layout (a folder or its tar). Every layer's files, deleted ones
 * included, and the config's Env, Labels, Cmd, Entrypoint and history.
 */
export async function scanImage(path: string, opts: ScanOptions = {}): Promise<Report> {
  const { imageSource } = await import('./sources/image/index.js');
  const config = await configAt('.', opts, [path]);
  // An image is not every place the baseline's entries could be: the baseline is added to, never pruned.
  return finish(await runPipeline(imageSource(path, config.maxFileSize), config, opts), config, false);
}

export interface GitScanOptions extends ScanOptions {
  /** Scan only what the commits in `REV..HEAD` introduced. */
  since?: string;
  /** Scan only what the commits in this range (`A..B`) introduced. */
  range?: string;
  /** @deprecated sk-scan never fetches what a partial clone lacks (it is counted as unread, and named): this does nothing. */
  noFetch?: boolean;
  /** Repositories scanned at once (default: one per two cores, at least one). */
  jobs?: number;
  /** Keep the scan cache in this folder (one file per repository) instead of the user's cache folder (`$XDG_CACHE_HOME/sk-scan`, `~/.cache/sk-scan`). */
  cache?: string;
  /** Neither use nor write the scan cache: read every object. */
  noCache?: boolean;
  /**
   * How a whole history's objects are read: `store` (the default) reads the
   * object store itself where it can and searches each version where it
   * changed; `git` hands every object through `git cat-file`, as before
   * (slower; the same findings).
   */
  readObjects?: 'store' | 'git';
  /**
   * Leave submodules unread, and accept that: each is named in a warning.
   * Without it, the repositories a superproject keeps for its submodules are
   * scanned as targets of their own, and a submodule whose repository is not
   * there makes a clean scan exit 2.
   */
  noSubmodules?: boolean;
}

/**
 * Scan every object in one or more repositories (paths, bare repositories or
 * URLs), or only what a range of commits introduced. A repository named here
 * is scanned whatever GIT_DIR and the like say; with no targets, the
 * repository of the current directory is found as git would find it.
 */
export async function scanGit(targets: string[] = [], opts: GitScanOptions = {}): Promise<Report> {
  const { gitSource, openRepos, openSubmodules, UnknownRevision, cacheKey, isUrl } = await import('./sources/git/index.js');
  // Arguments are checked before anything is cloned.
  const range = rangeOf(opts);
  await checkVerifyEndpoint(opts.verify);
  const onClone = (url: string, stage: string, percent: number) => opts.onProgress?.({ phase: 'cloning', label: `${url} (${stage})`, items: percent, bytes: 0 });
  const { repos, failed, searched } = targets.length > 0 ? await openRepos(targets, { onClone }) : await openRepos(['.'], { fromEnvironment: true });
  let config: Config;
  try {
    // .sk-scan.yaml from the working tree of the only repository scanned, else the current directory. A URL
    // or a folder of repositories is somebody else's: only the auditor's settings are read.
    const only = repos.length === 1 ? repos[0]?.worktree : null;
    const audit = opts.audit === true || searched || targets.some(isUrl);
    config = await configAt(only ?? '.', opts, repos.flatMap((r) => (r.temporary ? [] : [r.worktree ?? r.gitDir])), audit);
  } catch (err) {
    for (const r of repos) r.close();
    throw err;
  }
  // Each submodule's repository is a target of its own (after the settings: they are the superproject's).
  const skip = opts.noSubmodules
    ? '--no-submodules'
    : !config.submodules
      ? `submodules: false in ${config.sources.config?.file ?? '.sk-scan.yaml'}`
      : range.revs !== undefined
        ? 'a range reads the lines its commits add; scan the submodule with sk-scan git on its own'
        : undefined;
  if (skip !== undefined) for (const r of repos) r.skipSubmodules = skip;
  else {
    const subs = await openSubmodules(repos);
    repos.push(...subs.repos);
    failed.push(...subs.failed);
  }
  // Git does the heavy lifting in its own processes; detection stays on this thread.
  // The scan cache serves whole-history scans: a range reads only what it added anyway.
  const cache = range.revs !== undefined || opts.noCache ? null : { key: cacheKey({ version: VERSION, rules: config.rules, maxFileSize: config.maxFileSize, maxArchiveBytes: config.maxArchiveBytes }), dir: opts.cache ?? null };
  // The store is read directly, each object probed by this thread's detector for the rules in force.
  const probe = opts.readObjects === 'git' ? undefined : anchorProbe(localDetector(config.rules, opts.decode).detector);
  const source = gitSource(repos, { ...range, maxFileSize: config.maxFileSize, cache, probe, jobs: opts.jobs ?? Math.max(1, Math.floor(availableParallelism() / 2)) });
  try {
    const result = await runPipeline(source, config, { ...opts, threads: opts.threads ?? 1 });
    // The targets that could not be opened are in the report, and make its exit code 2 (a key in a URL masked, as everywhere).
    const shown = opts.showSecrets ? failed : failed.map((f) => ({ target: maskKeys(f.target), message: maskKeys(f.message) }));
    result.report.errors.push(...shown);
    result.report.targets?.push(...shown.map((f) => ({ target: f.target, kind: null, objects: 0, bytes: 0, durationMs: 0, findings: 0, error: f.message })));
    return finish(result, config, range.revs === undefined && failed.length === 0);
  } catch (err) {
    if (!(err instanceof UnknownRevision) || range.unknownRevision === undefined) throw err;
    // A shallow checkout (CI's default) lacks the commits a range names: say what to fetch.
    throw new SkScanError(`${range.unknownRevision}: ${err.shallow ? SHALLOW : `no such commit here: pass ${range.expected}`}`);
  }
}

/** A date for --since: `2024-01-01`, `2024-01-01T12:00`, `2024-01-01 12:00:00`. */
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

interface Range {
  revs?: string[];
  limits?: string[];
  /** The flag and value, for a revision the repository does not have (`--since v9`). */
  unknownRevision?: string;
  /** What the flag takes. */
  expected?: string;
}

const SHALLOW = 'not in this shallow clone: fetch the history the range needs (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)';

/** What --since or --range select, checked before anything is read: revisions, or a date to walk back to. */
function rangeOf(opts: GitScanOptions): Range {
  if (opts.range !== undefined) {
    const expected = 'a range such as origin/main..HEAD';
    return { revs: [revision('--range', opts.range, expected)], unknownRevision: `--range ${opts.range}`, expected };
  }
  if (opts.since === undefined) return {};
  const expected = 'a commit, branch or tag, or a date such as 2024-01-01';
  if (DATE.test(opts.since)) return { revs: ['HEAD'], limits: [`--since=${opts.since}`] };
  return { revs: [`${revision('--since', opts.since, expected)}..HEAD`], unknownRevision: `--since ${opts.since}`, expected };
}

/** A revision or range from the user: no part of it may look like an option (git would refuse it, unclearly). */
function revision(flag: string, value: string, expected: string): string {
  if (value === '' || value.split(/\.\.\.?/).some((part) => part.startsWith('-'))) throw new SkScanError(`${flag} takes ${expected}, not '${value}'`);
  return value;
}

/**
 * What the next commit holds, from the index. Without files, only keys on the
 * lines the staged change adds; with files, those files' staged content whole.
 * Runs in the repository of the current directory, with the index git's
 * environment names (a hook's temporary index included).
 */
export async function scanStaged(files: string[] = [], opts: ScanOptions = {}): Promise<Report> {
  const { stagedSource, stagedRoot } = await import('./sources/git/staged.js');
  // The settings at the working tree's top, where the hook runs, whichever folder the user typed the command in.
  const root = stagedRoot();
  const config = await configAt(root, opts, [root], false);
  return finish(await runPipeline(stagedSource(files), config, { ...opts, threads: 1 }), config, false);
}

/**
 * A pre-push hook: scans what the push would add to the remote, as git's
 * protocol (arguments and ref lines) or the pre-commit framework's variables
 * (PRE_COMMIT_FROM_REF, PRE_COMMIT_TO_REF) describe it.
 */
export async function scanPrePush(hook: PrePushHook, opts: ScanOptions = {}): Promise<Report> {
  const { gitSource, openRepo, pushRevisions, pushTarget } = await import('./sources/git/index.js');
  const config = await configAt('.', opts, ['.'], false);
  // The hook's repository, as git's environment for the hook names it (a local one: nothing to remove on failure).
  const repo = await openRepo('.', { fromEnvironment: true });
  let revs: string[];
  try {
    revs = await pushRevisions(repo.git, hook);
  } catch (err) {
    // The source that would close the repository's sealed view is not made yet: closed here.
    repo.close();
    throw err;
  }
  const result = await runPipeline(gitSource([repo], { revs, maxFileSize: config.maxFileSize }), config, { ...opts, threads: opts.threads ?? 1 });
  result.report.target = { ...result.report.target, root: pushTarget(hook) };
  return finish(result, config, false);
}

/**
 * A server's pre-receive hook: scans what a push adds to this repository (the
 * commits no ref here reaches yet, and new annotated tags' messages), read
 * from git's quarantine. `input`: git's `<old> <new> <ref>` lines. The
 * server's settings only: the pushed tree's `.sk-scan.yaml`, `.sk-scanignore`
 * and allow comments never relax the check (audit mode); `config` names the
 * operator's file.
 */
export async function scanPreReceive(input: NodeJS.ReadableStream | string, opts: ScanOptions = {}): Promise<Report> {
  const { gitSource, openRepo, parseReceiveLines, pushedRefs, receivedRevisions } = await import('./sources/git/index.js');
  const { readAll } = await import('./sources/stdin.js');
  const refs = parseReceiveLines(typeof input === 'string' ? input : (await readAll(input)).toString('utf8'));
  const repo = await openRepo('.', { fromEnvironment: true });
  repo.receiving = { refs: pushedRefs(refs) };
  let config: Config;
  let pushed: { revs: string[]; tags: string[] };
  try {
    config = await configAt('.', opts, [repo.commonDir], true);
    pushed = await receivedRevisions(repo.git, refs);
  } catch (err) {
    repo.close();
    throw err;
  }
  const result = await runPipeline(gitSource([repo], { ...pushed, maxFileSize: config.maxFileSize }), config, { ...opts, threads: opts.threads ?? 1 });
  return finish(result, config, false);
}

/**
 * 0 when the report has no findings, 1 when it has (with `failOn: 'active'`,
 * only findings the platform confirmed live count). A scan that found nothing
 * but could not read everything (an unreadable file, a corrupt or missing
 * object, an archive member it could not open) and the user did not accept
 * by name is 2: it cannot vouch for what it did not read. (Other errors are a
 * thrown SkScanError: 2.) A target that could not be scanned at all (`errors`) is 2 as well, after
 * the rest were scanned and reported.
 */
export function exitCodeFor(report: Report, failOn: 'any' | 'active' = 'any'): 0 | 1 | 2 {
  const open = report.findings.filter((f) => !f.suppressed);
  const failing = failOn === 'active' ? open.filter((f) => f.verification.status === 'active') : open;
  if (report.errors.length > 0) return 2;
  if (failing.length > 0) return 1;
  if (unread(report.stats) > 0) return 2;
  return 0;
}

export { render, FORMATS, type Format, type RenderOptions } from './report/index.js';
export { mergeReports, parseReport } from './report/merge.js';
export type { Finding, Report, SecretInfo, Stats, TargetError } from './report/model.js';
export type { BaselineUpdate } from './config/baseline.js';
export type { PipelineOptions, Progress } from './pipeline/run.js';
export type { PrePushHook } from './sources/git/prepush.js';
export { parseReceiveLines, type ReceivedRef } from './sources/git/prereceive.js';
export { SkScanError } from './common/errors.js';
export { DEFAULT_VERIFY_URL, DEFAULT_VERIFY_TIMEOUT_MS, DEFAULT_VERIFY_DEADLINE_MS, type Verification, type VerificationStatus, type VerifySpec } from './verify/spec.js';
export type { VerifyOptions } from './verify/client.js';
export { loadConfig } from './config/config.js';
export type { Config } from './config/model.js';
export { Detector, type Match } from './detect/engine.js';
export { compileRule, type Rule, type RuleSpec, type Severity } from './detect/rule.js';
export { VERSION } from './common/version.js';
export type { ExampleResult, RuleCheck, RuleList, RuleListing } from './config/catalog.js';

/**
 * The rules a scan rooted at `opts.root` (default `.`) uses: each with its
 * keywords, the encodings its keys are found in, and its --verify check.
 * Loaded on call: the YAML parser it needs must not load with every scan.
 */
export async function listRules(opts: { root?: string; config?: string } = {}): Promise<RuleList> {
  return (await import('./config/catalog.js')).listRules(opts);
}

/** Every example of every rule in a rules file (or a .sk-scan.yaml), run against its own rule, each with its line. */
export async function checkRuleFile(file: string): Promise<RuleCheck> {
  return (await import('./config/catalog.js')).checkRuleFile(file);
}
