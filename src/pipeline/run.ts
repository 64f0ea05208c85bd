/**
 * The pipeline: a source's items go through five stages, each in the folder
 * of its stage, each handing the next a small typed value:
 *
 *   detect (detect/)       → Detection[]  read each item, find keys, hash them
 *   attribute (sources/)   → Detection[]  where in history each one is (git only)
 *   suppress (suppress/)   → Judged       what the user accepted, and why
 *   verify (verify/)       → Verified     whether each key is live (--verify only)
 *   build report (report/) → Report       the model every format renders from
 *
 * Nothing is written here: the caller writes the report and the baseline.
 */
import { fromHere } from '../common/files.js';
import { DEFAULT_MAX_ARCHIVE_BYTES, DEFAULT_MAX_FILE_SIZE, type Config } from '../config/model.js';
import { describeSettings } from '../report/settings.js';
import { detectStage, keysInPlacedNames } from '../detect/stage.js';
import type { Detection, Verified } from './handoff.js';
import { maskSecrets } from '../common/redact.js';
import { buildReport, countBy } from '../report/stage.js';
import { count, formatBytes, formatNumber } from '../common/text.js';
import { filePath } from '../sources/origin.js';
import type { Report, Stats } from '../report/model.js';
import { attributeStage } from '../attribute/stage.js';
import { BINARY_NOT_SEARCHED, BINARY_SEARCHED } from '../content/read.js';
import type { SkipReason, Source, SourceEvents } from '../sources/types.js';
import type { BaselineEntry } from '../config/baseline.js';
import { suppressStage } from '../suppress/stage.js';
import { acceptsUnread, type AcceptsUnread } from '../suppress/unread.js';
import type { VerifyOptions } from '../verify/client.js';
import { checkVerifyEndpoint, verifyStage } from '../verify/stage.js';
import { favourMemory, LONG_HISTORY } from './heap.js';

/** What a run counts itself; what was accepted is counted by the report, from the suppress stage's hand-off. */
type RunStats = Omit<Stats, 'suppressed' | 'suppressedBy'>;

export interface PipelineOptions {
  /** List suppressed findings too, each marked with why (`suppressed`). They never fail a scan. */
  includeSuppressed?: boolean;
  /**
   * Accept every finding this scan reports into the baseline (a key the
   * platform says is live excepted): the report lists them as accepted, and the
   * caller writes the entries the result carries.
   */
  updateBaseline?: boolean;
  /** Use no baseline: every finding it would accept is reported. */
  noBaseline?: boolean;
  /** Ask the platform whether each found key is live (off by default). */
  verify?: VerifyOptions;
  /** Put full secrets in the report (`secret.value`). Off by default. */
  showSecrets?: boolean;
  /** Worker threads for detection; 1 keeps everything on the calling thread. */
  threads?: number;
  /**
   * false: keys are searched for only as written, none decoded (base64,
   * compressed, escaped…). For measuring what decoding costs (`npm run bench
   * -- decode`): such a scan misses encoded keys, and the CLI never sets it.
   */
  decode?: boolean;
  /** Called for each warning (an unreadable or oversized file, a shallow clone…) as it happens. */
  onWarning?: (message: string) => void;
  /** Called as work advances: the phase, and items and bytes scanned so far. */
  onProgress?: (p: Progress) => void;
  /**
   * For a history of LONG_HISTORY objects or more, have V8 favour memory over
   * speed for the rest of the process (see heap.ts). The CLI sets it; an
   * embedder decides for its own process.
   */
  saveMemoryWhenLong?: boolean;
}

export interface Progress {
  phase: 'cloning' | 'scanning' | 'placing findings in history' | 'verifying keys';
  /** For `cloning`: what is cloned, and git's stage (receiving objects, resolving deltas); `items` is then a percentage. */
  label?: string;
  items: number;
  bytes: number;
  /** What the scan will read in all, once the source knows (a history scan does after listing its objects). */
  total?: { items: number; bytes: number };
  /** For `verifying keys`: keys asked about and settled, keys no check exists for, and when the deadline falls. */
  verify?: { checkable: number; settled: number; unverifiable: number; deadlineAt: number };
}

export interface PipelineResult {
  report: Report;
  /** With updateBaseline: the entries for what this scan accepted, for the caller to merge and write. */
  accepting: BaselineEntry[] | null;
}

export async function runPipeline(source: Source, config: Config, opts: PipelineOptions = {}): Promise<PipelineResult> {
  const run = new ScanRun(opts, await acceptsUnread(config));
  let detected;
  try {
    await checkVerifyEndpoint(opts.verify);
    detected = await detectStage(source, { rules: config.rules, decode: opts.decode, maxFileSize: config.maxFileSize, maxArchiveBytes: config.maxArchiveBytes, threads: opts.threads, events: run, onScanned: (n) => run.scanned(n) });
    if (source.history && detected.length > 0) run.phase('placing findings in history');
    detected = await attributeStage(source, detected);
    // The places attribution found are printed: a key in one of their names is found too.
    if (source.history) keysInPlacedNames(config.rules, detected);
  } finally {
    await source.close?.();
  }
  const judged = await suppressStage(detected, {
    excluded: config.excluded,
    ignoreFile: config.ignoreFile,
    fingerprints: config.fingerprints,
    baseline: opts.updateBaseline || opts.noBaseline ? null : config.baseline.entries,
    honourAllow: !config.audit,
  });
  let verified = await verifyStage(judged, { rules: config.rules, builtin: config.builtin }, opts.verify, { warn: (m) => run.warn(m), onVerifying: (v) => run.verifying(v) });
  let accepting: BaselineEntry[] | null = null;
  if (opts.updateBaseline) ({ verified, accepting } = intoBaseline(verified));
  const stats = run.finish();
  const report = buildReport({
    target: { kind: source.kind, root: source.root },
    rules: config.rules,
    verified,
    stats,
    settings: describeSettings({
      audit: config.audit,
      config: shown(config.sources.config),
      ignoreFile: shown(config.sources.ignoreFile),
      baseline: shown(config.sources.baseline),
      disabled: config.disabled,
      added: config.added,
      maxFileSize: { value: config.maxFileSize, default: DEFAULT_MAX_FILE_SIZE, skipped: stats.skipped.tooLarge },
      maxArchiveBytes: { value: config.maxArchiveBytes, default: DEFAULT_MAX_ARCHIVE_BYTES },
      submodulesOff: !config.submodules && source.kind === 'git',
      exclude: config.exclude,
      accepted: countBy(verified.accepted),
      pruned: run.prunedPaths,
      allowedShown: verified.reported.filter((d) => d.match.allow).length,
      unreadAccepted: run.unreadAccepted,
    }),
    warnings: run.warnings,
    showSecrets: opts.showSecrets ?? false,
    includeSuppressed: opts.includeSuppressed ?? false,
    targets: source.history?.targets() ?? undefined,
  });
  return { report, accepting };
}

/** A settings file as the report names it: relative to the current folder when it is inside it. */
function shown<T extends { file: string } | null>(source: T): T {
  return source === null ? source : { ...source, file: fromHere(source.file) };
}

/** --update-baseline: what stands is accepted, except a key the platform says works, which is never accepted silently. */
function intoBaseline(verified: Verified): { verified: Verified; accepting: BaselineEntry[] } {
  const live = (d: Detection) => verified.verdicts?.get(d.sha256)?.status === 'active';
  const taken = verified.reported.filter((d) => !live(d));
  return {
    verified: {
      ...verified,
      reported: verified.reported.filter(live),
      accepted: [...verified.accepted, ...taken.map((detection) => ({ detection, suppression: { kind: 'baseline' as const, reason: 'added to the baseline by this scan' } }))],
    },
    accepting: taken.map((d) => ({ ruleId: d.match.ruleId, path: filePath(d.origin), sha256: d.sha256 })),
  };
}

/** What a run counts as it goes (files, bytes, what it skipped) and what it tells the user. */
class ScanRun implements SourceEvents {
  readonly warnings: string[] = [];
  private readonly stats: RunStats = { files: 0, bytes: 0, skipped: { binary: 0, tooLarge: 0, unreadable: 0, symlink: 0, corrupt: 0 }, durationMs: 0 };
  private readonly started = performance.now();
  /** The first few binary files and links skipped, for the warning that counts them. */
  private readonly named = { binary: [] as string[], symlink: [] as string[], bigBinary: [] as string[] };
  private bigBinary = 0;
  private all: Progress['total'];
  /** Paths the walk did not enter or read because a settings file said so (the first few named). */
  readonly prunedPaths = { exclude: { count: 0, names: [] as string[] }, gitignore: { count: 0, names: [] as string[] } };

  constructor(
    private readonly opts: Pick<PipelineOptions, 'onWarning' | 'onProgress' | 'saveMemoryWhenLong'>,
    /** What the user accepted by name among what cannot be read. */
    private readonly accepts: AcceptsUnread | null = null,
  ) {}

  /** Items not read that the user accepted by name. */
  unreadAccepted = 0;

  /** Said to the user as it happens (unless `quietly`), and kept for the report; never with a key in it. */
  warn(message: string, quietly = false): void {
    const masked = maskSecrets(message);
    this.warnings.push(masked);
    if (!quietly) this.opts.onWarning?.(masked);
  }

  /**
   * Counted and named: each unreadable or oversized item in a warning of its
   * own (in the report; as they happen, the first few, then one line counts
   * the rest), binary files and links in one warning at the end (the first
   * few names, then a count).
   */
  skip(reason: SkipReason, path: string, message?: string): void {
    const by = (reason === 'unreadable' || reason === 'corrupt') && this.accepts ? this.accepts(path) : null;
    if (by !== null) {
      // Named in the report, counted, and no reason for exit 2: the user accepted it.
      this.unreadAccepted++;
      this.warn(`accepted by ${by}: ${ONE_BY_ONE[reason as 'unreadable' | 'corrupt']} ${path}${message ? `: ${message}` : ''}`, true);
      return;
    }
    const n = ++this.stats.skipped[reason];
    if (reason === 'unreadable' || reason === 'tooLarge' || reason === 'corrupt') {
      this.warn(`${ONE_BY_ONE[reason]} ${path}${message ? `: ${message}` : ''}`, n > NAMED_ONE_BY_ONE);
    } else if (reason === 'binary' && message === BINARY_NOT_SEARCHED) {
      if (++this.bigBinary <= NAMED) this.named.bigBinary.push(path);
    } else if (this.named[reason].length < NAMED) {
      this.named[reason].push(path);
    }
  }

  pruned(by: 'exclude' | 'gitignore', path: string): void {
    const p = this.prunedPaths[by];
    if (++p.count <= NAMED) p.names.push(path);
  }

  expect(objects: number): void {
    if (this.opts.saveMemoryWhenLong && objects >= LONG_HISTORY) favourMemory();
  }

  total(items: number, bytes: number): void {
    // Several repositories each list theirs: the totals add up.
    this.all = { items: (this.all?.items ?? 0) + items, bytes: (this.all?.bytes ?? 0) + bytes };
  }

  scanned(bytes: number): void {
    this.stats.files++;
    this.stats.bytes += bytes;
    this.opts.onProgress?.({ phase: 'scanning', items: this.stats.files, bytes: this.stats.bytes, total: this.all });
  }

  verifying(v: NonNullable<Progress['verify']>): void {
    this.opts.onProgress?.({ phase: 'verifying keys', items: v.checkable, bytes: 0, verify: v });
  }

  phase(phase: Progress['phase'], items = this.stats.files): void {
    this.opts.onProgress?.({ phase, items, bytes: phase === 'verifying keys' ? 0 : this.stats.bytes });
  }

  finish(): RunStats {
    const { binary, symlink, unreadable, tooLarge, corrupt } = this.stats.skipped;
    // The rest were named in the report only: one line says how many, and where they are named.
    if (unreadable > NAMED_ONE_BY_ONE) this.opts.onWarning?.(`and ${count(unreadable - NAMED_ONE_BY_ONE, 'more item')} could not be read (${formatNumber(unreadable)} in all; --format json names each)`);
    if (tooLarge > NAMED_ONE_BY_ONE) this.opts.onWarning?.(`and ${count(tooLarge - NAMED_ONE_BY_ONE, 'more item')} skipped as too large (${formatNumber(tooLarge)} in all; --format json names each)`);
    if (corrupt > NAMED_ONE_BY_ONE) this.opts.onWarning?.(`and ${count(corrupt - NAMED_ONE_BY_ONE, 'more archive member')} could not be opened (${formatNumber(corrupt)} in all; --format json names each)`);
    const searched = binary - this.bigBinary;
    if (searched > 0) this.warn(`searched ${count(searched, 'binary file')} for keys only, not as text (a NUL byte in the first 8 KiB): ${names(this.named.binary, searched)}`);
    if (this.bigBinary > 0) this.warn(`skipped ${count(this.bigBinary, 'binary file')} over ${formatBytes(BINARY_SEARCHED)} (not searched for keys): ${names(this.named.bigBinary, this.bigBinary)}`);
    if (symlink > 0) this.warn(`skipped ${count(symlink, 'symbolic link')} (links are not followed): ${names(this.named.symlink, symlink)}`);
    return { ...this.stats, ...(this.unreadAccepted > 0 ? { unreadAccepted: this.unreadAccepted } : {}), durationMs: Math.round(performance.now() - this.started) };
  }
}

/** How a warning that names one skipped item begins. */
const ONE_BY_ONE = { unreadable: 'cannot read', tooLarge: 'skipped, too large:', corrupt: 'cannot open' };

/** Skipped files named in a warning before the rest are only counted. */
const NAMED = 3;
/** Unreadable and oversized items each named in a warning of their own, before the rest are counted in one. */
const NAMED_ONE_BY_ONE = 10;


function names(first: string[], total: number): string {
  return first.join(', ') + (total > first.length ? ` and ${formatNumber(total - first.length)} more` : '');
}
