/**
 * The consensus driver's write-ahead log, one file per height: every input recorded before the engine sees
 * it (a block's bytes only the first time the file holds that block, later by its value id), the inputs for
 * the next height carried into that height's file, and the file read back at start (node/wal-replay.ts says
 * what its records mean then). Own signatures' records go through `append` and `flush` (node/own-signatures.ts).
 */
import type { Logger } from "pino";
import { inputHeight } from "../consensus/engine/engine.ts";
import type { Input, ValueId } from "../consensus/engine/types.ts";
import type { Block } from "../proto/block.ts";
import type { VoteSig, WalRecord } from "./consensus-wal-record.ts";
import type { Fsyncer } from "./durable-file.ts";
import { readWal, Wal } from "./wal.ts";

/** The block a proposal or our own value input names (by its value id), if any. */
export function blockIdOf(input: Input): ValueId | undefined {
  if (input.type === "proposal") return input.proposal.value;
  if (input.type === "valueReady") return input.value;
  return undefined;
}

export class ConsensusWal {
  private file: Wal<WalRecord> | undefined;
  /** Value ids of the blocks whose bytes the current file holds: recorded again, only by reference. */
  private readonly blocks = new Set<ValueId>();
  /** Records of inputs for the next height: they go into its file when that file begins. */
  private nextHeight: WalRecord[] = [];
  /** The height the current file belongs to (its first record's); undefined for a new, empty file. */
  private height: number | undefined;

  /** Reads what the file at `path` holds (a torn record at its end dropped, and said), then opens it to append. */
  open(path: string, fsyncer: Fsyncer | undefined, log: Logger): WalRecord[] {
    const { records, droppedTail } = readWal<WalRecord>(path);
    if (droppedTail > 0) log.warn({ bytes: droppedTail }, "dropped a torn record at the end of the WAL");
    this.file = Wal.open<WalRecord>(path, fsyncer);
    const first = records[0];
    this.height = first?.t === "height" ? first.height : undefined;
    return records;
  }

  /**
   * Records an input before the engine sees it: `block` (its bytes from `bytesOf`, called only if this file
   * does not hold them yet), and a peer vote's signature. `engineHeight`: the engine's current height.
   */
  recordInput(
    input: Exclude<Input, { type: "startHeight" }>,
    engineHeight: number,
    block: Block | undefined,
    bytesOf: (block: Block) => Uint8Array,
    sig?: VoteSig,
  ): void {
    const id = block !== undefined ? blockIdOf(input) : undefined;
    const recorded = id !== undefined && this.blocks.has(id);
    const record: WalRecord = { t: "input", input, bytes: block && !recorded ? bytesOf(block) : undefined, sig };
    if (id !== undefined) this.blocks.add(id);
    this.file?.append(record);
    // The engine buffers next-height inputs and acts on them once that height starts: they must survive
    // the WAL's reset into the next height's file, or a replay would not see what the engine acted on.
    // Once the file is the next height's already (begun at the decision), the record is in it.
    const at = inputHeight(input);
    if (at === engineHeight + 1 && at !== this.height) this.nextHeight.push(record);
  }

  /** A replayed record of an input for the next height: carried into its file, as it was when live. */
  carry(record: WalRecord): void {
    this.nextHeight.push(record);
  }

  /** Notes the blocks whose bytes these records (a replayed file's) hold. */
  holdsBlocksOf(records: readonly WalRecord[]): void {
    for (const r of records) {
      const id = r.t === "input" && r.bytes !== undefined ? blockIdOf(r.input) : undefined;
      if (id !== undefined) this.blocks.add(id);
    }
  }

  /**
   * Starts `height`'s file: its height record, then the inputs for it received during the last height. Once
   * only: the driver begins the file when the last height's block is committed, and again (a no-op) when
   * the height starts.
   */
  async beginHeight(height: number): Promise<void> {
    if (this.height === height) return;
    const early = this.nextHeight.filter((r) => r.t === "input" && inputHeight(r.input) === height);
    this.nextHeight = [];
    await this.file?.reset([{ t: "height", height }, ...early]);
    this.height = height;
    this.blocks.clear();
    this.holdsBlocksOf(early);
  }

  append(record: WalRecord): void {
    this.file?.append(record);
  }

  /** Resolves once every record appended so far is durable. */
  async flush(): Promise<unknown> {
    return this.file?.flush();
  }

  async close(): Promise<void> {
    await this.file?.close();
  }
}
