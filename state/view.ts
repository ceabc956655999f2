import { shortBytesId } from "../crypto/bytes.ts";

/**
 * The state machine sees state only through these views: reads from a base, writes collected in an overlay.
 * Nothing here touches the disk; the store supplies the base and persists an overlay's writes at commit.
 */

export interface StateReader {
  /** The value at `key`, or undefined if absent. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** The same, by the key's id (keyId(key)), so stacked views compute the id once. */
  getId?(id: string, key: Uint8Array): Uint8Array | undefined;
  /**
   * The value decoded by `codec`, by id, for readers that keep decoded values (so a record read many times
   * in a block, or across blocks, is decoded once). Always equal to codec.decode of the value.
   */
  getRecordId?<T>(id: string, key: Uint8Array, codec: RecordCodec<T>): T | undefined;
}

/**
 * How one kind of state record is stored. Decoded records are cached next to their bytes and handed to
 * every reader, so a record is never mutated: a writer builds a new one. Reused by codec identity.
 */
export interface RecordCodec<T> {
  decode(bytes: Uint8Array): T;
  encode(record: T): Uint8Array;
}

export interface StateWrite {
  key: Uint8Array;
  /** undefined deletes the key. */
  value: Uint8Array | undefined;
  /** The value decoded, when the writer had it (a cache carried into the latest state; equals decode(value)). */
  codec?: RecordCodec<unknown>;
  record?: unknown;
}

/** A record through `view`: its cached decoding where the view keeps one, else decoded from the bytes. */
export function readRecord<T>(view: StateReader, key: Uint8Array, codec: RecordCodec<T>, id?: string): T | undefined {
  if (view.getRecordId !== undefined) return view.getRecordId(id ?? keyId(key), key, codec);
  const raw = view.getId !== undefined ? view.getId(id ?? keyId(key), key) : view.get(key);
  return raw === undefined ? undefined : codec.decode(raw);
}

/** A value in a view, with its decoding once someone asked for it by a codec. */
interface Slot extends StateWrite {
  /** Written as a record whose bytes are not made yet (encoded once, when first needed). */
  pending?: boolean;
  /** The overlay's epoch it was made in: a slot of the open journal's epoch may be written over in place. */
  epoch: number;
}

/**
 * Map key for a byte key: one UTF-16 unit per byte (the latin1 reading), so distinct keys stay distinct.
 * Computed for every state access: short keys (every state key today) skip the Buffer wrapper that
 * toString("latin1") needs, which cost about twice as much in the node's profile.
 */
export function keyId(key: Uint8Array): string {
  return shortBytesId(key);
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
  private readonly writes = new Map<string, Slot>();
  /**
   * The undo journal while one is open: the ids written since begin() and the slot each had before, in two
   * arrays reused from tx to tx (no array per entry, none per journal).
   */
  private journalOpen = false;
  private journalLength = 0;
  private readonly journalIds: string[] = [];
  private readonly journalPrevious: (Slot | undefined)[] = [];
  /**
   * Bumped by begin(), commit() and rollback(). A slot made in the current epoch is written over in place by
   * a later write of its key (the journal already holds what it replaced; outside a journal nothing needs
   * it): a fee recipient's or a busy sender's account is rewritten every tx without a new slot each time.
   */
  private epoch = 0;

  constructor(base: StateReader) {
    this.base = base;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getId(keyId(key), key);
  }

  getId(id: string, key: Uint8Array): Uint8Array | undefined {
    const w = this.writes.get(id);
    if (w !== undefined) return bytesOf(w);
    return this.base.getId !== undefined ? this.base.getId(id, key) : this.base.get(key);
  }

  /** The record at `key` decoded by `codec` (decoded once per value; see RecordCodec). */
  getRecord<T>(key: Uint8Array, codec: RecordCodec<T>): T | undefined {
    return this.getRecordId(keyId(key), key, codec);
  }

  getRecordId<T>(id: string, key: Uint8Array, codec: RecordCodec<T>): T | undefined {
    const w = this.writes.get(id);
    if (w === undefined) return readRecord(this.base, key, codec, id);
    if (w.codec === codec) return w.record as T;
    const value = bytesOf(w);
    if (value === undefined) return undefined;
    const record = codec.decode(value);
    w.codec = codec as RecordCodec<unknown>;
    w.record = record;
    return record;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.write(keyId(key), key, value, undefined, undefined, false);
  }

  /**
   * Writes a record; its bytes are made once, when first needed (a read of the bytes, or sortedWrites), so a
   * record written many times in a block (the fee recipient's account) is encoded once.
   */
  setRecord<T>(key: Uint8Array, record: T, codec: RecordCodec<T>, id = keyId(key)): void {
    this.write(id, key, undefined, codec as RecordCodec<unknown>, record, true);
  }

  delete(key: Uint8Array): void {
    this.write(keyId(key), key, undefined, undefined, undefined, false);
  }

  private write(
    id: string,
    key: Uint8Array,
    value: Uint8Array | undefined,
    codec: RecordCodec<unknown> | undefined,
    record: unknown,
    pending: boolean,
  ): void {
    const previous = this.writes.get(id);
    if (previous !== undefined && (previous.epoch === this.epoch || !this.journalOpen)) {
      previous.key = key;
      previous.value = value;
      previous.codec = codec;
      previous.record = record;
      previous.pending = pending;
      previous.epoch = this.epoch;
      return;
    }
    if (this.journalOpen) {
      this.journalIds[this.journalLength] = id;
      this.journalPrevious[this.journalLength] = previous;
      this.journalLength++;
    }
    this.writes.set(id, { key, value, codec, record, pending, epoch: this.epoch });
  }

  /** Starts recording writes so they can be undone together. Not nestable. */
  begin(): void {
    if (this.journalOpen) throw new Error("overlay: begin() while a journal is open");
    this.journalOpen = true;
    this.journalLength = 0;
    this.epoch++;
  }

  /** Keeps the writes made since begin(). */
  commit(): void {
    this.closeJournal();
  }

  /** Undoes every write made since begin(). */
  rollback(): void {
    for (let i = this.journalLength - 1; i >= 0; i--) {
      const previous = this.journalPrevious[i];
      if (previous === undefined) this.writes.delete(this.journalIds[i]);
      else this.writes.set(this.journalIds[i], previous);
    }
    this.closeJournal();
  }

  private closeJournal(): void {
    // The entries are dropped (not only counted out), so no replaced slot outlives its tx through them.
    this.journalIds.fill("", 0, this.journalLength);
    this.journalPrevious.fill(undefined, 0, this.journalLength);
    this.journalOpen = false;
    this.journalLength = 0;
    this.epoch++;
  }

  /**
   * All writes, sorted by key so anything derived from them is independent of write order. Each carries its
   * decoded record when there is one, so the latest state keeps it for the next block.
   */
  sortedWrites(): StateWrite[] {
    return [...this.writes.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map((e) => {
        const w = e[1];
        bytesOf(w);
        return { key: w.key, value: w.value, codec: w.codec, record: w.record };
      });
  }

  get size(): number {
    return this.writes.size;
  }
}

/** A slot's bytes, encoding a pending record first. */
function bytesOf(w: Slot): Uint8Array | undefined {
  if (w.pending === true) {
    w.value = (w.codec as RecordCodec<unknown>).encode(w.record);
    w.pending = false;
  }
  return w.value;
}
