/**
 * Holds this thread, as a block's commit or a garbage collection holds a node's main thread, until `done()`
 * says what the test waits for happened on another thread (a worker's shared counter). `limitMs` only bounds a
 * test that would otherwise hang: reaching it fails the test.
 */
export function holdThreadUntil(done: () => boolean, what: string, limitMs = 30_000): void {
  const end = performance.now() + limitMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`held this thread ${limitMs} ms and ${what} did not happen`);
  }
}
