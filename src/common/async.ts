/** Small promise helpers for work that is started in one place and awaited in another. */

/** A promise with its resolve function: something to wait on until it is fired (the first value fired is kept). */
export function signal<T = void>(): { promise: Promise<T>; fire: (value: T) => void } {
  let fire: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => (fire = resolve));
  return { promise, fire };
}

/**
 * Work started now and awaited later. Its rejection is handled from the start,
 * so a failure before anyone awaits it is not an unhandled rejection (which
 * would end the process); whoever awaits the returned promise still gets it.
 */
export function early<T>(work: Promise<T>): Promise<T> {
  work.catch(() => {});
  return work;
}

/**
 * The items of several async sources, at most `concurrency` of them running
 * at once, in whatever order they come. A source starts when a slot frees;
 * an error from any ends the whole (the others are returned).
 */
export async function* interleave<T>(sources: (() => AsyncIterable<T>)[], concurrency: number): AsyncIterable<T> {
  type Running = { it: AsyncIterator<T>; next: Promise<{ running: Running; result: IteratorResult<T> }> };
  const running = new Set<Running>();
  let started = 0;
  const pull = (r: Running) => {
    r.next = r.it.next().then((result) => ({ running: r, result }));
    r.next.catch(() => {});
  };
  const start = () => {
    const source = sources[started++];
    if (!source) return;
    const r = { it: source()[Symbol.asyncIterator]() } as Running;
    pull(r);
    running.add(r);
  };
  try {
    while (running.size < concurrency && started < sources.length) start();
    while (running.size > 0) {
      const { running: r, result } = await Promise.race([...running].map((x) => x.next));
      if (result.done) {
        running.delete(r);
        if (started < sources.length) start();
        continue;
      }
      pull(r);
      yield result.value;
    }
  } finally {
    for (const r of running) void r.it.return?.();
  }
}

/** Several async sources as one, each advanced only when its last batch was taken. */
export async function* merge<T>(sources: AsyncIterable<T>[]): AsyncIterable<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) => pending.set(i, early((iterators[i] as AsyncIterator<T>).next().then((r) => ({ i, r }))));
  iterators.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield r.value;
    }
  } finally {
    // Stopped early: the readers' git processes are ended by the caller; nothing waits on them here.
    for (const it of iterators) void it.return?.().catch(() => {});
  }
}
