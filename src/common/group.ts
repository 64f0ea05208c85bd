/** Grouping helpers: one place for "append to the list under this key". */

export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) pushTo(map, key(item), item);
  return map;
}

/**
 * Strings in code-unit order: the same on every machine, whatever its locale
 * (and without localeCompare's first call, which loads ICU's collation data).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
