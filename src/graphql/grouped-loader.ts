import DataLoader from 'dataloader';

/** A loader whose batch function returns rows for many keys at once, grouped back by `keyOf`. */
export function groupedLoader<K extends string, R, V = R>(
  fetch: (keys: readonly K[]) => Promise<R[]>,
  keyOf: (row: R) => K,
  map: (row: R) => V = (row) => row as unknown as V,
): DataLoader<K, V[]> {
  return new DataLoader(async (keys) => {
    const groups = new Map<K, V[]>();
    for (const row of await fetch(keys)) {
      const key = keyOf(row);
      const group = groups.get(key);
      if (group) group.push(map(row));
      else groups.set(key, [map(row)]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}
