/**
 * Values a list's own query fetched for a field nested under its nodes (e.g. a report's subject
 * links, as a JSON column of the page), so the field needs no second round trip. Kept on the node
 * out of sight of the schema; a node without one is loaded as usual.
 */
const PREFETCHED = Symbol('prefetched');
type Holder = { [PREFETCHED]?: Record<string, unknown> };

/** The node, carrying `value` for its field `field`. */
export function withPrefetched<T extends object>(node: T, field: string, value: unknown): T {
  const holder = node as T & Holder;
  Object.defineProperty(holder, PREFETCHED, { value: { ...holder[PREFETCHED], [field]: value }, enumerable: false, configurable: true });
  return node;
}

/** What the list's query fetched for the node's `field`, or undefined when it did not. */
export function prefetchedOf<V>(node: object, field: string): V | undefined {
  return (node as Holder)[PREFETCHED]?.[field] as V | undefined;
}
