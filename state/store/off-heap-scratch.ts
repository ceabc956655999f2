/**
 * Small keys and values handed to LevelDB, copied off V8's heap first. A typed array of at most 64 bytes
 * (V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP: what `new Uint8Array(n)` makes for n <= 64, as most keys and many values
 * are: a state key's bucket key, its history key, an account's encoding, a tx record's key) lives inside V8's
 * heap, and native code that reads one (classic-level, through napi_get_typedarray_info) first moves its bytes
 * out to a backing store of their own: an allocation and, later, a free per array. Copied into a fixed
 * off-heap scratch and passed as a view of their length made once, they cost a small copy.
 *
 * Only for a native call that is done with the bytes when it returns (LevelDB's getSync and its chained
 * batch's put copy them): the next call writes over the same scratch.
 */
const ON_HEAP_MAX_BYTES = 64;
/** Larger than ON_HEAP_MAX_BYTES, so off the heap: the key half, then the value half. */
const scratch = new Uint8Array(4 * ON_HEAP_MAX_BYTES);
const keyViews = Array.from({ length: ON_HEAP_MAX_BYTES + 1 }, (_, n) => scratch.subarray(0, n));
const valueViews = Array.from({ length: ON_HEAP_MAX_BYTES + 1 }, (_, n) =>
  scratch.subarray(2 * ON_HEAP_MAX_BYTES, 2 * ON_HEAP_MAX_BYTES + n),
);

/** `key` itself if larger than V8 keeps on its heap, else a copy in the scratch's key half. */
export function offHeapKey(key: Uint8Array): Uint8Array {
  return copied(key, keyViews);
}

/** `value` itself if larger than V8 keeps on its heap, else a copy in the scratch's value half. */
export function offHeapValue(value: Uint8Array): Uint8Array {
  return copied(value, valueViews);
}

function copied(bytes: Uint8Array, views: Uint8Array[]): Uint8Array {
  if (bytes.byteLength > ON_HEAP_MAX_BYTES) return bytes;
  const view = views[bytes.byteLength];
  view.set(bytes);
  return view;
}
