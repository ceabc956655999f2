import { describe, expect, it } from "vitest";
import { concatBytes } from "../../crypto/bytes.ts";
import { type Block, encodeBlock } from "../../proto/block.ts";
import { CodecError } from "../../proto/codec.ts";
import { PRECOMMIT } from "../../proto/consensus.ts";
import {
  type ConsensusMessage,
  decodeConsensusMessage,
  decodeBlockRequest,
  decodeSyncedBlock,
  decodeTxBatch,
  encodeBlockRequest,
  encodeConsensusMessage,
  encodeSyncedBlock,
  encodeTxBatch,
  MAX_BLOCK_REQUEST_COUNT,
  MAX_CONSENSUS_MESSAGE_BYTES,
  MAX_TX_BATCH_BYTES,
  compactProposalOf,
  decodeTxFetchRequest,
  decodeTxFetchResponse,
  encodeTxFetchRequest,
  encodeTxFetchResponse,
} from "../../proto/p2p.ts";
import { BLOCK_PARAM_CAPS } from "../../proto/block-caps.ts";
import { MAX_TX_FETCH_REQUEST_BYTES } from "../../proto/block-limits.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

const ADDR = new Uint8Array(20);
const block: Block = {
  header: sampleHeader(2, 10),
  txs: [Uint8Array.of(1, 2, 3)],
  lastCommit: undefined,
  evidence: [],
};

describe("peer-to-peer messages", () => {
  it("a proposal travels with its block, and a vote alone; both round-trip canonically", () => {
    const blockBytes = encodeBlock(block);
    const proposal: ConsensusMessage = {
      type: "proposal",
      proposal: {
        proposal: { height: 2, round: 1, polRound: -1, blockHash: h32(9), timeMs: 11, proposerAddress: ADDR },
        signature: new Uint8Array(64).fill(1),
      },
      block,
      blockBytes,
    };
    // The block stays bytes until the signed part is checked (node/consensus-checks.ts decodes it).
    const decoded = decodeConsensusMessage(encodeConsensusMessage(proposal));
    expect(decoded).toEqual({ type: "proposal", proposal: (proposal as { proposal: unknown }).proposal, blockBytes });
    const vote: ConsensusMessage = {
      type: "vote",
      vote: {
        vote: { type: PRECOMMIT, height: 2, round: 1, blockHash: h32(9), timeMs: 12, validatorAddress: ADDR },
        signature: new Uint8Array(64).fill(2),
      },
    };
    const bytes = encodeConsensusMessage(vote);
    expect(decodeConsensusMessage(bytes)).toEqual(vote);
    expect(() => decodeConsensusMessage(concatBytes(bytes, Uint8Array.of(0x18, 0x01)))).toThrow(CodecError);
  });

  it("a compact proposal carries the block without txs and its tx hashes; a fetch asks by hash", () => {
    const signed = {
      proposal: { height: 2, round: 1, polRound: -1, blockHash: h32(9), timeMs: 11, proposerAddress: ADDR },
      signature: new Uint8Array(64).fill(1),
    };
    const compact = compactProposalOf(signed, block);
    expect(compact.txHashes.byteLength).toBe(32);
    expect(decodeConsensusMessage(encodeConsensusMessage(compact))).toEqual(compact);
    // Hashes past the hard cap, or not whole hashes, are refused while decoding.
    const tooMany = { ...compact, txHashes: new Uint8Array(32 * (BLOCK_PARAM_CAPS.maxBlockTxs + 1)) };
    expect(() => decodeConsensusMessage(encodeConsensusMessage(tooMany))).toThrow(/the limit is/);
    const ragged = { ...compact, txHashes: new Uint8Array(33) };
    expect(() => decodeConsensusMessage(encodeConsensusMessage(ragged))).toThrow(/32-byte hashes/);

    const req = { height: 2, blockHash: h32(9), txHashes: new Uint8Array(64).fill(3) };
    expect(decodeTxFetchRequest(encodeTxFetchRequest(req))).toEqual(req);
    const full = { height: 2, blockHash: h32(9), txHashes: new Uint8Array(32 * BLOCK_PARAM_CAPS.maxBlockTxs) };
    expect(encodeTxFetchRequest(full).byteLength).toBeLessThanOrEqual(MAX_TX_FETCH_REQUEST_BYTES);
    expect(() => decodeTxFetchRequest(new Uint8Array(MAX_TX_FETCH_REQUEST_BYTES + 1))).toThrow(/exceeds/);
    const txs = { txs: [Uint8Array.of(1), Uint8Array.of(2)] };
    expect(decodeTxFetchResponse(encodeTxFetchResponse(txs))).toEqual(txs);
    const whole = { block: encodeBlock(block) };
    expect(decodeTxFetchResponse(encodeTxFetchResponse(whole))).toEqual(whole);
  });

  it("refuses empty, oversized and garbage frames before or while decoding", () => {
    expect(() => decodeConsensusMessage(new Uint8Array(0))).toThrow(/carries nothing/);
    expect(() => decodeConsensusMessage(new Uint8Array(MAX_CONSENSUS_MESSAGE_BYTES + 1))).toThrow(/exceeds/);
    expect(() => decodeConsensusMessage(Uint8Array.of(0xff, 0xff, 0x01))).toThrow(CodecError);
  });

  it("transaction batches round-trip and are bounded", () => {
    const txs = [Uint8Array.of(1), Uint8Array.of(2, 3)];
    expect(decodeTxBatch(encodeTxBatch(txs))).toEqual(txs);
    expect(() => decodeTxBatch(new Uint8Array(MAX_TX_BATCH_BYTES + 1))).toThrow(/exceeds/);
    const many = encodeTxBatch(Array.from({ length: 5001 }, () => Uint8Array.of(1)));
    expect(() => decodeTxBatch(many)).toThrow(/TxBatch.txs holds more than 5000/);
  });

  it("status and evidence frames round-trip", () => {
    for (const height of [0, 1, 123_456]) {
      const status: ConsensusMessage = { type: "status", height };
      expect(decodeConsensusMessage(encodeConsensusMessage(status))).toEqual(status);
    }
    const signed = (hash: Uint8Array) => ({
      vote: { type: PRECOMMIT, height: 3, round: 0, blockHash: hash, timeMs: 5, validatorAddress: ADDR },
      signature: new Uint8Array(64).fill(3),
    } as const);
    const evidence: ConsensusMessage = { type: "evidence", evidence: { voteA: signed(h32(1)), voteB: signed(h32(2)) } };
    expect(decodeConsensusMessage(encodeConsensusMessage(evidence))).toEqual(evidence);
  });

  it("block requests are bounded, and a synced block carries its stored bytes and its commit", () => {
    expect(decodeBlockRequest(encodeBlockRequest({ fromHeight: 7, count: 3 }))).toEqual({ fromHeight: 7, count: 3 });
    expect(() => decodeBlockRequest(encodeBlockRequest({ fromHeight: 0, count: 3 }))).toThrow(/height 0/);
    expect(() => decodeBlockRequest(encodeBlockRequest({ fromHeight: 1, count: MAX_BLOCK_REQUEST_COUNT + 1 })))
      .toThrow(/count/);
    const blockBytes = encodeBlock(block);
    const commit = {
      height: 2,
      round: 0,
      blockHash: h32(9),
      signatures: [{ validatorAddress: ADDR, timeMs: 4, signature: new Uint8Array(64).fill(4) }],
    };
    const synced = decodeSyncedBlock(encodeSyncedBlock(blockBytes, commit));
    expect(synced).toEqual({ block, blockBytes, commit });
    expect(() => decodeSyncedBlock(encodeBlockRequest({ fromHeight: 1, count: 1 }))).toThrow(CodecError);
  });
});
