/**
 * The state machine sees state only through these views: reads from a base, writes collected in an overlay.
 * Nothing here touches the disk; the store supplies the base and persists an overlay's writes at commit.
 */

export interface StateReader {
  /** The value at `key`, or undefined if absent. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** The same, by the key's id (keyId(key)), so stacked views compute the id once. */
  getId?(id: string, key: Uint8Array): Uint8Array | undefined;
}

export interface StateWrite {
  key: Uint8Array;
  /** undefined deletes the key. */
  value: Uint8Array | undefined;
}

/** Keys up to this length take the short path in keyId (fromCharCode's arguments stay few). */
const SHORT_KEY = 128;

/**
 * Map key for a byte key: one UTF-16 unit per byte (the latin1 reading), so distinct keys stay distinct.
 * Computed for every state access: short keys (every state key today) skip the Buffer wrapper that
 * toString("latin1") needs, which cost about twice as much in the node's profile.
 */
export function keyId(key: Uint8Array): string {
  if (key.byteLength <= SHORT_KEY) return String.fromCharCode.apply(null, key as unknown as number[]);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

export function keyFromId(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, "latin1"));
}

/**
 * Buffered writes over a reader. A block executes on one overlay; each transaction's message runs inside
 * begin()/commit() or rollback(), an undo journal, so a failed message leaves no trace at no copying cost.
 */
export class Overlay implements StateReader {
  private readonly base: StateReader;
  private readonly writes = new Map<string, StateWrite>();
  private journal: [string, StateWrite | undefined][] | null = null;

  constructor(base: StateReader) {
    this.base = base;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getId(keyId(key), key);
  }

  getId(id: string, key: Uint8Array): Uint8Array | undefined {
    const w = this.writes.get(id);
    if (w !== undefined) return w.value;
    return this.base.getId !== undefined ? this.base.getId(id, key) : this.base.get(key);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.write(keyId(key), { key, value });
  }

  delete(key: Uint8Array): void {
    this.write(keyId(key), { key, value: undefined });
  }

  private write(id: string, w: StateWrite): void {
    if (this.journal !== null) this.journal.push([id, this.writes.get(id)]);
    this.writes.set(id, w);
  }

  /** Starts recording writes so they can be undone together. Not nestable. */
  begin(): void {
    if (this.journal !== null) throw new Error("overlay: begin() while a journal is open");
    this.journal = [];
  }

  /** Keeps the writes made since begin(). */
  commit(): void {
    this.journal = null;
  }

  /** Undoes every write made since begin(). */
  rollback(): void {
    const journal = this.journal ?? [];
    for (let i = journal.length - 1; i >= 0; i--) {
      const [id, previous] = journal[i];
      if (previous === undefined) this.writes.delete(id);
      else this.writes.set(id, previous);
    }
    this.journal = null;
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
