/** Small promise helpers for work that is started in one place and awaited in another. */

/** A promise with its resolve function: something to wait on until it is fired. */
export function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => (fire = resolve));
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
