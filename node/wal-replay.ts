/**
 * What a consensus WAL file's records mean when it is replayed at start (ConsensusDriver.start): the inputs
 * of its height (and those of the next, which the engine buffers), each with the block its record holds and
 * a peer vote's signature rebuilt, and which of the driver's application requests (build a value, validate
 * one) an input answers: a request asked and never answered before the crash is asked again after.
 */
import { inputHeight } from "../consensus/engine/engine.ts";
import type { Effect, Input, Vote } from "../consensus/engine/types.ts";
import { fromBase64, fromHex, toHex } from "../crypto/bytes.ts";
import { type Block, blockHash, decodeBlock, type Validator } from "../proto/block.ts";
import type { SignedVote } from "../proto/consensus.ts";
import type { VoteSig, WalRecord } from "./consensus-wal-record.ts";

type InputRecord = Extract<WalRecord, { t: "input" }>;

/** One input to replay. */
export interface ReplayStep {
  record: InputRecord;
  /** The input is for the height after the replayed one: its record is carried into that height's file. */
  nextHeight: boolean;
  /** The block the record holds, decoded, with its bytes and value id. */
  block?: { block: Block; bytes: Uint8Array; id: string };
}

/** The inputs of `height` and `height` + 1 that `records` (a WAL file of `height`) hold, in order. */
export function* replaySteps(height: number, records: readonly WalRecord[]): Generator<ReplayStep> {
  for (const r of records) {
    if (r.t !== "input") continue;
    const inputAt = inputHeight(r.input);
    if (inputAt !== height && inputAt !== height + 1) continue;
    let block: ReplayStep["block"];
    if (r.bytes !== undefined) {
      const decoded = decodeBlock(r.bytes);
      block = { block: decoded, bytes: r.bytes, id: toHex(blockHash(decoded.header)) };
    }
    yield { record: r, nextHeight: inputAt === height + 1, block };
  }
}

/** An application request the driver makes for the engine, by what answers it. */
export type Request = Extract<Effect, { type: "getValue" } | { type: "validate" }>;

/** The key of a request held during replay: the input that answers it has the same key (answeredKey). */
export function requestKey(e: Request): string {
  return e.type === "getValue" ? `get/${e.round}` : `validate/${e.value}`;
}

/** The key of the request this input answers, if it answers one. */
export function answeredKey(input: Input): string | undefined {
  if (input.type === "valueReady") return `get/${input.round}`;
  if (input.type === "validity") return `validate/${input.value}`;
  return undefined;
}

/** A peer's vote found in the WAL, rebuilt as `validator` signed it: a commit can be built from it. */
export function restoredVote(v: Vote, sig: VoteSig, validator: Validator): SignedVote {
  return {
    vote: {
      type: v.type,
      height: v.height,
      round: v.round,
      blockHash: v.value === null ? new Uint8Array(0) : (fromHex(v.value) as Uint8Array),
      timeMs: sig.timeMs,
      validatorAddress: validator.address,
    },
    signature: fromBase64(sig.signature) as Uint8Array,
  };
}
