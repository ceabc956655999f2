/**
 * Results a handler answers again and again unchanged (rpc_discover's document, ~166 KB): their JSON is made
 * once and the dispatcher sends that text, rather than serializing the same object for every answer.
 */
const jsonOf = new WeakMap<object, string>();

/** Marks `value` as never changing from now on: its JSON is made now and reused for every answer. */
export function withCachedJson<T extends object>(value: T): T {
  jsonOf.set(value, JSON.stringify(value));
  return value;
}

/** The JSON made for `value` by withCachedJson, if it was made. */
export function cachedJsonOf(value: unknown): string | undefined {
  return typeof value === "object" && value !== null ? jsonOf.get(value) : undefined;
}
