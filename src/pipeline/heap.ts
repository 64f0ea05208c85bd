/**
 * A long history scan's heap. V8 sizes its heap to the rate a program
 * allocates: a whole-history scan allocates fast for as long as it runs, so
 * its young generation grows to its largest and garbage piles up in old space
 * between rare full collections, although its live heap stays small.
 *
 * V8's memory-saving mode (`--optimize-for-size`) keeps the heap near what is
 * live, at no cost on a long scan; on a short one it costs time, with many
 * more collections. It only works from the start (switched on mid-scan it
 * changes nothing): so the scan is judged long, or not, by what the object
 * store holds before it is read. Even so the young generation grows (V8
 * doubles it while much survives a scavenge), and the old generation's slack
 * with it: a growth factor of 1 keeps it at its starting size (a flag that,
 * unlike its size, is read as the scan runs). Peaks and times:
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
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}
