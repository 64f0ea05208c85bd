/**
 * A long history scan's heap. V8 sizes its heap to the rate a program
 * allocates: a whole-history scan allocates fast for as long as it runs, so
 * its young generation grows to its largest and garbage piles up in old space
 * between rare full collections, although its live heap stays small.
 *
 * V8 is told to grow its old generation by 3% past what a full collection
 * leaves live (`--heap-growing-percent`, read whenever V8 sets its next limit,
 * so it works set mid-run), and to keep the young generation at its starting
 * size (`--semi-space-growth-factor=1`: V8 doubles it while much survives a
 * scavenge, and the old generation's slack with it). On a short scan this
 * would cost time in collections, so the scan is judged long, or not, by what
 * the object store holds before it is read. V8's memory-saving mode
 * (`--optimize-for-size`), used here before, kept the heap as small, but its
 * collections cost git/git's audit about 2 s of 17 once the store was read
 * directly. Peaks and times:
 * docs/speed.md, “Design measurements”.
 */
import { setFlagsFromString } from 'node:v8';

/** Objects in a store from which a history scan is long. */
export const LONG_HISTORY = 200_000;

let favoured = false;

/** V8 favours memory over speed from now on, in this whole process. */
export function favourMemory(): void {
  if (favoured) return;
  favoured = true;
  setFlagsFromString('--heap-growing-percent=3');
  setFlagsFromString('--semi-space-growth-factor=1');
}
