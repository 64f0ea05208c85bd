/**
 * What must not outlive a scan, however it ends: temporary folders (git's
 * output files, a clone of a URL), half-written report files, git processes.
 * Each is registered while it exists; the CLI runs what is left when a signal
 * (Ctrl-C, a CI runner's SIGTERM) ends the process, which skips every
 * `finally` block.
 */
const pending = new Set<() => void>();

/** Registers `undo` until the returned function is called (when the thing is gone by the normal path). */
export function untilDone(undo: () => void): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

/** Runs everything still registered, once each: for a process about to exit. */
export function cleanUpNow(): void {
  const all = [...pending];
  pending.clear();
  for (const undo of all) {
    try {
      undo();
    } catch {
      // Best effort: the process is ending, and one failure must not stop the rest.
    }
  }
}
