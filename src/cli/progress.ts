/**
 * Progress on long work, with ora on stderr: phase, items done, throughput.
 * Only on a terminal, never when CI is set or with --quiet; ora is loaded only then.
 */
import type { Progress } from '../index.js';
import { formatBytes } from '../report/format.js';

export interface ProgressView {
  update(p: Progress): void;
  /** Print something (a warning) without the spinner drawing over it. */
  print(write: () => void): void;
  stop(): void;
}

const NONE: ProgressView = { update: () => {}, print: (write) => write(), stop: () => {} };

export async function progressView(quiet: boolean, unit: string): Promise<ProgressView> {
  // A terminal that reports no width (a bare pty) cannot be redrawn in place.
  // CI counts as set when present at all, as ora itself judges it.
  if (quiet || !process.stderr.isTTY || 'CI' in process.env || !(process.stderr.columns > 0)) return NONE;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false }).start('starting');
  const started = Date.now();
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.phase === 'scanning') return; // a few redraws a second is plenty
      last = now;
      if (p.phase === 'verifying keys') {
        spinner.text = `verifying ${p.items} key${p.items === 1 ? '' : 's'} with the platform`;
        spinner.render();
        return;
      }
      const rate = p.bytes / Math.max(0.001, (now - started) / 1000);
      const done = `${p.items.toLocaleString('en')} ${unit}${p.items === 1 ? '' : 's'}, ${formatBytes(p.bytes)} (${formatBytes(rate)}/s)`;
      spinner.text = `${p.phase}: ${done}`;
      // Draw now: a busy scan keeps the spinner's own timer from firing.
      spinner.render();
    },
    print(write) {
      if (!spinner.isSpinning) return write();
      spinner.clear();
      write();
      spinner.render();
    },
    stop() {
      spinner.stop();
    },
  };
}
