/**
 * Progress on long work, with ora on stderr: phase, items done, throughput,
 * and once the total is known, how far along and how long is left.
 * Only on a terminal, never when CI is set or with --quiet; ora is loaded only then.
 */
import type { Progress } from '../index.js';
import { count, formatBytes, formatDuration } from '../common/text.js';

export interface ProgressView {
  update(p: Progress): void;
  /** Print something (a warning) without the spinner drawing over it. */
  print(write: () => void): void;
  /** Stop, clear the line, and let the terminal have it before anything else is written (the report, on stdout). */
  stop(): Promise<void>;
}

const NONE: ProgressView = { update: () => {}, print: (write) => write(), stop: () => Promise.resolve() };

/**
 * The spinner's text: `scanning: 1,204 objects, 8.1 MiB (2.3 MiB/s), 41%, about 6 s left`.
 * The share and the time left come from bytes, once the total is known.
 */
export function progressLine(p: Progress, elapsedMs: number, unit: string): string {
  if (p.phase === 'verifying keys') return verifyLine(p);
  if (p.phase === 'cloning') return `cloning ${(p.label ?? '').replace(/ \(remote:\)$/, ' (preparing)')}: ${p.items}%`;
  const seconds = Math.max(0.001, elapsedMs / 1000);
  const rate = p.bytes / seconds;
  let line = `${p.phase}: ${count(p.items, unit)}, ${formatBytes(p.bytes)} (${formatBytes(rate)}/s)`;
  if (p.phase === 'scanning' && p.total && p.total.bytes > 0 && p.bytes < p.total.bytes) {
    const share = Math.min(99, Math.floor((100 * p.bytes) / p.total.bytes));
    line += `, ${share}%`;
    // An estimate needs a rate worth extrapolating from: a second of work.
    if (elapsedMs >= 1000 && rate > 0) line += `, about ${formatDuration(((p.total.bytes - p.bytes) / rate) * 1000)} left`;
  }
  return line;
}

/** `verifying 4 keys: 1 answered, 3 waiting, deadline in 41 s; 1 has no check` (within 76 columns). */
export function verifyLine(p: Progress, now = Date.now()): string {
  const v = p.verify;
  if (!v) return `verifying ${count(p.items, 'key')} with the platform`;
  const left = Math.max(0, Math.ceil((v.deadlineAt - now) / 1000));
  const unchecked = v.unverifiable > 0 ? `; ${v.unverifiable} ${v.unverifiable === 1 ? 'has' : 'have'} no check` : '';
  return `verifying ${count(v.checkable, 'key')}: ${v.settled} answered, ${v.checkable - v.settled} waiting, deadline in ${left} s${unchecked}`;
}

export async function progressView(quiet: boolean, unit: string): Promise<ProgressView> {
  // A terminal that reports no width (a bare pty) cannot be redrawn in place.
  // CI counts as set when present at all, as ora itself judges it.
  if (quiet || !process.stderr.isTTY || 'CI' in process.env || !(process.stderr.columns > 0)) return NONE;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false }).start('starting');
  // Rates and estimates count from the start of the scan itself, not from a clone before it.
  let started = Date.now();
  let phase: Progress['phase'] | null = null;
  let last = 0;
  // While keys are being verified the deadline counts down, between answers too.
  let ticking: NodeJS.Timeout | null = null;
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === 'verifying keys' && ticking === null) {
        ticking = setInterval(() => {
          spinner.text = verifyLine(p).slice(0, Math.max(10, process.stderr.columns - 4));
        }, 1000);
        ticking.unref();
      }
      if (phase === 'cloning' && p.phase !== 'cloning') started = now;
      phase = p.phase;
      if (now - last < 100 && (p.phase === 'scanning' || p.phase === 'cloning')) return; // a few redraws a second is plenty
      last = now;
      // One line, never wrapped: a wrapped spinner line is what leaves debris when it is cleared.
      spinner.text = progressLine(p, now - started, unit).slice(0, Math.max(10, process.stderr.columns - 4));
      // Draw now: a busy scan keeps the spinner's own timer from firing.
      spinner.render();
    },
    print(write) {
      if (!spinner.isSpinning) return write();
      spinner.clear();
      write();
      spinner.render();
    },
    async stop() {
      if (ticking) clearInterval(ticking);
      spinner.stop();
      // The clearing must reach the terminal before the report does (`sk-scan git | head` shares it).
      await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
    },
  };
}
