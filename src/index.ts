/**
 * sk-scan's typed API: the same calls the CLI makes.
 *
 *   const report = await scanDir(['.']);
 *   process.stdout.write(render(report, 'text'));
 */
import { loadConfig } from './config/config.js';
import { runPipeline, type PipelineOptions } from './pipeline/scan.js';
import type { Report } from './report/model.js';
import { stdinSource } from './sources/stdin.js';

export interface ScanOptions extends PipelineOptions {
  /** A config file to use instead of `.sk-scan.yaml` at the scan root. */
  config?: string;
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
  const config = await loadConfig({ root: dirConfigRoot(roots), explicit: opts.config });
  const source = dirSource(roots, { noIgnore: opts.noIgnore, exclude: config.exclude, skipFile: config.file ?? undefined });
  return runPipeline(source, config, opts);
}

/** Scan a stream or buffer (standard input); `path` is what findings report. */
export async function scanStdin(
  input: NodeJS.ReadableStream | Uint8Array,
  opts: ScanOptions & { path?: string } = {},
): Promise<Report> {
  const config = await loadConfig({ root: '.', explicit: opts.config });
  return runPipeline(stdinSource(input, opts.path ?? null), config, { ...opts, threads: 1 });
}

/** 0 when the report has no findings, 1 when it has. (2, an error, is a thrown SkScanError.) */
export function exitCodeFor(report: Report): 0 | 1 {
  return report.findings.length > 0 ? 1 : 0;
}

export { render, FORMATS, type Format } from './report/index.js';
export type { Finding, Report, SecretInfo, Stats } from './report/model.js';
export { SkScanError } from './errors.js';
export { loadConfig, type Config } from './config/config.js';
export { Detector, type Match } from './detect/engine.js';
export { compileRule, type Rule, type RuleSpec, type Severity } from './detect/rule.js';
export { VERSION } from './version.js';
