import { afterEach, describe, expect, it, vi } from "vitest";
import { type Block, decodeBlock, encodeBlock, encodeHeader } from "../../proto/block.ts";
import { BLOCK_PARAM_CAPS, MAX_BLOCK_EVIDENCE } from "../../proto/block-caps.ts";
import { CodecError } from "../../proto/codec.ts";
import {
  decodeConsensusMessage,
  decodeSyncedBlock,
  decodeTxBatch,
  decodeTxFetchResponse,
  MAX_CONSENSUS_MESSAGE_BYTES,
  MAX_SYNCED_BLOCK_BYTES,
  MAX_TX_BATCH_BYTES,
  MAX_TX_BATCH_COUNT,
} from "../../proto/p2p.ts";
import { MAX_TX_FETCH_RESPONSE_BYTES } from "../../proto/block-limits.ts";
import { pb } from "../../proto/schema.ts";
import { wireProblem } from "../../proto/wire-scan.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

/**
 * A peer's frame of millions of tiny fields, within its byte limit: protobufjs made an object per field before
 * any count was checked (2,000,000 empty txs in a 4 MiB relay batch: ~1.9 s of one core). Each is refused by
 * the wire walk (proto/wire-scan.ts) before protobufjs's decode is called at all.
 */

/** `count` copies of `field` (its tag and value bytes), filling at most `maxBytes`. */
function repeated(field: readonly number[], count: number, maxBytes: number): Uint8Array {
  const n = Math.min(count, Math.floor(maxBytes / field.length));
  const out = new Uint8Array(n * field.length);
  for (let i = 0; i < n; i++) out.set(field, i * field.length);
  return out;
}

/** A length-delimited field `number` holding `body`. */
function lengthField(number: number, body: Uint8Array): Uint8Array {
  const prefix: number[] = [(number << 3) | 2];
  let n = body.byteLength;
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  prefix.push(n);
  const out = new Uint8Array(prefix.length + body.byteLength);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

const decodes = () => [
  vi.spyOn(pb.TxBatch, "decode"),
  vi.spyOn(pb.ConsensusMessage, "decode"),
  vi.spyOn(pb.SyncedBlock, "decode"),
  vi.spyOn(pb.TxFetchResponse, "decode"),
  vi.spyOn(pb.Block, "decode"),
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("frames of many tiny fields are refused before they are decoded", () => {
  it("a relay batch of 2,000,000 empty txs (4 MiB)", () => {
    const spies = decodes();
    const frame = repeated([0x0a, 0x00], 2_000_000, MAX_TX_BATCH_BYTES);
    expect(() => decodeTxBatch(frame)).toThrow(`TxBatch.txs holds more than ${MAX_TX_BATCH_COUNT}`);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    // The most a batch may hold still decodes.
    const full = repeated([0x0a, 0x01, 0x07], MAX_TX_BATCH_COUNT, MAX_TX_BATCH_BYTES);
    expect(decodeTxBatch(full)).toHaveLength(MAX_TX_BATCH_COUNT);
  });

  it("a consensus message of one oneof field repeated millions of times", () => {
    const spies = decodes();
    const frame = repeated([0x1a, 0x00], 4_000_000, MAX_CONSENSUS_MESSAGE_BYTES);
    expect(() => decodeConsensusMessage(frame)).toThrow("ConsensusMessage.status appears more than once");
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("a synced block whose commit holds more signatures than any validator set", () => {
    const spies = decodes();
    const commit = lengthField(2, repeated([0x22, 0x00], 4_000_000, MAX_SYNCED_BLOCK_BYTES - 16));
    expect(() => decodeSyncedBlock(commit)).toThrow(`Commit.signatures holds more than ${BLOCK_PARAM_CAPS.maxValidators}`);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("a tx fetch answer of more txs than any block holds", () => {
    const spies = decodes();
    const frame = repeated([0x0a, 0x00], 4_000_000, MAX_TX_FETCH_RESPONSE_BYTES);
    expect(() => decodeTxFetchResponse(frame)).toThrow(`TxFetchResponse.txs holds more than ${BLOCK_PARAM_CAPS.maxBlockTxs}`);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("a block whose last commit or evidence list is longer than the caps", () => {
    const spies = decodes();
    const header = lengthField(1, encodeHeader(sampleHeader(2, 1_700_000_000_000)));
    const signatures = lengthField(3, repeated([0x22, 0x00], BLOCK_PARAM_CAPS.maxValidators + 1, 1 << 20));
    const withCommit = new Uint8Array([...header, ...signatures]);
    expect(() => decodeBlock(withCommit)).toThrow(`Commit.signatures holds more than ${BLOCK_PARAM_CAPS.maxValidators}`);
    const evidence = repeated([0x22, 0x00], MAX_BLOCK_EVIDENCE + 1, 1 << 20);
    expect(() => decodeBlock(new Uint8Array([...header, ...evidence]))).toThrow(`Block.evidence holds more than ${MAX_BLOCK_EVIDENCE}`);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe("wireProblem", () => {
  it("finds nothing wrong in canonical messages, lists at their caps included", () => {
    const block: Block = {
      header: sampleHeader(2, 1_700_000_000_000),
      txs: [Uint8Array.of(1), Uint8Array.of(2, 3)],
      lastCommit: { height: 1, round: 0, blockHash: h32(9), signatures: [] },
      evidence: [],
    };
    const bytes = encodeBlock(block);
    expect(wireProblem(pb.Block, bytes, { "Block.txs": 2, "Block.evidence": 0, "Commit.signatures": 0 })).toBeUndefined();
    expect(decodeBlock(bytes).txs).toEqual(block.txs);
    expect(wireProblem(pb.Block, bytes, { "Block.txs": 1, "Block.evidence": 0, "Commit.signatures": 0 })).toBe(
      "Block.txs holds more than 1",
    );
  });

  it("refuses unknown fields, a singular field twice, truncation and wire types the schema does not use", () => {
    expect(wireProblem(pb.TxBatch, Uint8Array.of(0x12, 0x00))).toBe("TxBatch has no field 2");
    expect(wireProblem(pb.BlockRequest, Uint8Array.of(0x08, 0x01, 0x08, 0x02))).toBe("BlockRequest.fromHeight appears more than once");
    expect(wireProblem(pb.TxBatch, Uint8Array.of(0x0a, 0x05, 0x01))).toBe("TxBatch.txs: its length runs past the message");
    expect(wireProblem(pb.BlockRequest, Uint8Array.of(0x08, 0x80))).toBe("BlockRequest.fromHeight: a truncated varint");
    expect(wireProblem(pb.BlockRequest, Uint8Array.of(0x0b))).toBe("BlockRequest.fromHeight: wire type 3 is not used by this schema");
    expect(wireProblem(pb.TxBatch, Uint8Array.of(0x80))).toBe("TxBatch: a truncated field tag");
    // decodeCanonical says which bytes and why.
    expect(() => decodeTxBatch(Uint8Array.of(0x12, 0x00))).toThrow(CodecError);
    expect(() => decodeTxBatch(Uint8Array.of(0x12, 0x00))).toThrow("transaction batch refused before decoding: TxBatch has no field 2");
  });

  it("insists on a cap for every list of a message from outside: a list without one is a bug, not a verdict", () => {
    expect(() => wireProblem(pb.TxBatch, Uint8Array.of(0x0a, 0x00), {})).toThrow("no cap for the repeated field TxBatch.txs");
    // Records the node wrote itself (no caps given): lists unbounded.
    expect(wireProblem(pb.TxBatch, repeated([0x0a, 0x00], 10_000, 1 << 20))).toBeUndefined();
  });
});
