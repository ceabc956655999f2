/**
 * The state machine sees state only through these views: reads from a base, writes collected in an overlay.
 * Nothing here touches the disk; the store supplies the base and persists an overlay's writes at commit.
 */

export interface StateReader {
  /** The value at `key`, or undefined if absent. */
  get(key: Uint8Array): Uint8Array | undefined;
}

export interface StateWrite {
  key: Uint8Array;
  /** undefined deletes the key. */
  value: Uint8Array | undefined;
}

/** Map key for a byte key. latin1 maps each byte to one UTF-16 unit, so distinct keys stay distinct. */
export function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

export function keyFromId(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, "latin1"));
}

/** Buffered writes over a reader. Overlays nest: a transaction's overlay sits on its block's overlay. */
export class Overlay implements StateReader {
  private readonly base: StateReader;
  private readonly writes = new Map<string, StateWrite>();

  constructor(base: StateReader) {
    this.base = base;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const w = this.writes.get(keyId(key));
    return w !== undefined ? w.value : this.base.get(key);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.writes.set(keyId(key), { key, value });
  }

  delete(key: Uint8Array): void {
    this.writes.set(keyId(key), { key, value: undefined });
  }

  /** Moves this overlay's writes into `target` (the parent it was stacked on). */
  mergeInto(target: Overlay): void {
    for (const w of this.writes.values()) {
      if (w.value === undefined) target.delete(w.key);
      else target.set(w.key, w.value);
    }
  }

  /** All writes, sorted by key so anything derived from them is independent of write order. */
  sortedWrites(): StateWrite[] {
    return [...this.writes.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map((e) => e[1]);
  }

  get size(): number {
    return this.writes.size;
  }
}
