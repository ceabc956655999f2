import { describe, expect, it } from "vitest";
import { concatBytes } from "../../crypto/bytes.ts";
import { type Block, encodeBlock } from "../../proto/block.ts";
import { CodecError } from "../../proto/codec.ts";
import { PRECOMMIT } from "../../proto/consensus.ts";
import {
  type ConsensusMessage,
  decodeConsensusMessage,
  decodeTxBatch,
  encodeConsensusMessage,
  encodeTxBatch,
  MAX_CONSENSUS_MESSAGE_BYTES,
  MAX_TX_BATCH_BYTES,
} from "../../proto/p2p.ts";
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
    expect(decodeConsensusMessage(encodeConsensusMessage(proposal))).toEqual(proposal);
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

  it("refuses empty, oversized and garbage frames before or while decoding", () => {
    expect(() => decodeConsensusMessage(new Uint8Array(0))).toThrow(/neither a proposal nor a vote/);
    expect(() => decodeConsensusMessage(new Uint8Array(MAX_CONSENSUS_MESSAGE_BYTES + 1))).toThrow(/exceeds/);
    expect(() => decodeConsensusMessage(Uint8Array.of(0xff, 0xff, 0x01))).toThrow(CodecError);
  });

  it("transaction batches round-trip and are bounded", () => {
    const txs = [Uint8Array.of(1), Uint8Array.of(2, 3)];
    expect(decodeTxBatch(encodeTxBatch(txs))).toEqual(txs);
    expect(() => decodeTxBatch(new Uint8Array(MAX_TX_BATCH_BYTES + 1))).toThrow(/exceeds/);
    const many = encodeTxBatch(Array.from({ length: 5001 }, () => Uint8Array.of(1)));
    expect(() => decodeTxBatch(many)).toThrow(/5001 exceeds 5000/);
  });
});
