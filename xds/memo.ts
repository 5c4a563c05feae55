/** A Map or WeakMap, as the memo tables of the xDS streams use them. */
interface MemoTable<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/** Returns the value of `key` in `table`, computing and storing it on first use. */
export function memoized<K, V>(table: MemoTable<K, V>, key: K, compute: () => V): V {
  let value = table.get(key);
  if (value === undefined) {
    value = compute();
    table.set(key, value);
  }
  return value;
}
