/**
 * A long history scan's heap. V8 sizes its heap to the rate a program
 * allocates: a whole-history scan allocates fast for as long as it runs, so
 * its young generation grows to its largest and garbage piles up in old space
 * between rare full collections. Its live heap stays under 30 MB, yet a
 * history of 483,000 objects peaked at 132-162 MB and git/git (849,000) at
 * 162-200 MB, against 85-94 MB for one of 56,000.
 *
 * V8's memory-saving mode (`--optimize-for-size`) keeps the heap near what is
 * live: set before the scan, the 483,000-object history peaked at 105-108 MB
 * in the same time (0.98-1.0 of it), git/git at 130 MB in less (22.7 s against
 * 24.2). On a short scan it costs time: express (53,000 objects, 1.2 s) ran
 * 10% slower, with five times as many collections. It only works from the
 * start (switched on after 256 MB read, it changed nothing): so the scan is
 * judged long, or not, by what the object store holds before it is read.
 *
 * Even so the young generation grew (V8 doubles it while much survives a
 * scavenge), and the old generation's slack with it: the 483,000-object
 * history still peaked 1.3 times as high as the 56,000-object one. The
 * growth factor of 1 keeps the young generation at its starting size (a
 * flag that, unlike its size, is read as the scan runs): the large one's
 * peak (`npm run bench -- memory`) 114-118 MB down to 106-108, in 1.001 of
 * the time (3 interleaved rounds); git/git 132-136 MB down to 121-122, in
 * 28.3-31.6 s against 26.7-31.2 (4 runs each, the machine drifting).
 */
import { setFlagsFromString } from 'node:v8';

/** Objects in a store from which a history scan is long. */
export const LONG_HISTORY = 200_000;

let favoured = false;

/** V8 favours memory over speed from now on, in this whole process. */
export function favourMemory(): void {
  if (favoured) return;
  favoured = true;
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}
