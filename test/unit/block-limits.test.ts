import { describe, expect, it } from "vitest";
import { concatBytes, equalBytes } from "../../crypto/bytes.ts";
import { type Block, type Commit, decodeBlock, encodeBlock } from "../../proto/block.ts";
import { BLOCK_PARAM_CAPS, MAX_BLOCK_EVIDENCE } from "../../proto/block-caps.ts";
import { blockParamsProblem, MAX_ENCODED_BLOCK_BYTES } from "../../proto/block-limits.ts";
import { CodecError } from "../../proto/codec.ts";
import { type DuplicateVoteEvidence, PRECOMMIT, type SignedVote } from "../../proto/consensus.ts";
import {
  decodeConsensusMessage,
  decodeSyncedBlock,
  encodeConsensusMessage,
  encodeSyncedBlock,
  encodeTxBatch,
  MAX_CONSENSUS_MESSAGE_BYTES,
  MAX_SYNCED_BLOCK_BYTES,
  MAX_TX_BATCH_BYTES,
} from "../../proto/p2p.ts";
import { frame } from "../../p2p/gossip.ts";
import { FrameDecoder, FrameError } from "../../p2p/frame-decoder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { parseGenesis } from "../../node/genesis-file.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

/**
 * Issue 11 item 1: one derivation of how big a block and its frames get. A block at every cap at once
 * (txs, commit signatures, evidence, the longest chain id) is built for real and must fit the frame limits
 * gossip and block sync enforce; frames of exactly the limit cross, one byte more does not; genesis refuses
 * params past the caps.
 */
const MAX_U64 = Number.MAX_SAFE_INTEGER;
const sig = () => new Uint8Array(64).fill(0xee);
const addr = (i: number) => new Uint8Array(20).fill(i & 0xff);

function maxCommit(n: number): Commit {
  return {
    height: MAX_U64,
    round: 0xffff_ffff,
    blockHash: h32(0xab),
    signatures: Array.from({ length: n }, (_, i) => ({ validatorAddress: addr(i), timeMs: MAX_U64, signature: sig() })),
  };
}

function vote(hash: number): SignedVote {
  return {
    vote: {
      type: PRECOMMIT,
      height: MAX_U64,
      round: 0xffff_ffff,
      blockHash: h32(hash),
      timeMs: MAX_U64,
      validatorAddress: addr(9),
    },
    signature: sig(),
  };
}

/** A block at every cap: maxBlockTxs txs holding maxBlockBytes between them, a full commit, full evidence. */
function maximalBlock(): Block {
  const { maxBlockTxs, maxBlockBytes } = BLOCK_PARAM_CAPS;
  const each = Math.floor(maxBlockBytes / maxBlockTxs);
  const txs = Array.from({ length: maxBlockTxs }, (_, i) =>
    new Uint8Array(i === 0 ? maxBlockBytes - each * (maxBlockTxs - 1) : each).fill(1));
  const evidence: DuplicateVoteEvidence[] = Array.from({ length: MAX_BLOCK_EVIDENCE }, () => ({
    voteA: vote(1),
    voteB: vote(2),
  }));
  return {
    header: { ...sampleHeader(MAX_U64, MAX_U64), chainId: "c".repeat(64) },
    txs,
    lastCommit: maxCommit(BLOCK_PARAM_CAPS.maxValidators),
    evidence,
  };
}

describe("block and frame size limits", () => {
  it("the largest block any chain can make fits a proposal frame and a synced-block frame, and decodes", () => {
    const block = maximalBlock();
    const blockBytes = encodeBlock(block);
    expect(block.txs.reduce((s, t) => s + t.byteLength, 0)).toBe(BLOCK_PARAM_CAPS.maxBlockBytes);
    expect(blockBytes.byteLength).toBeLessThanOrEqual(MAX_ENCODED_BLOCK_BYTES);
    // The bound is close (length prefixes of maximal txs are counted at their largest), not a guess.
    expect(MAX_ENCODED_BLOCK_BYTES - blockBytes.byteLength).toBeLessThan(BLOCK_PARAM_CAPS.maxBlockTxs * 2);

    const proposal = encodeConsensusMessage({
      type: "proposal",
      proposal: {
        proposal: {
          height: MAX_U64,
          round: 0xffff_ffff,
          polRound: 0x7fff_ffff,
          blockHash: h32(1),
          timeMs: MAX_U64,
          proposerAddress: addr(1),
        },
        signature: sig(),
      },
      block,
      blockBytes,
    });
    expect(proposal.byteLength).toBeLessThanOrEqual(MAX_CONSENSUS_MESSAGE_BYTES);
    expect(decodeConsensusMessage(proposal).type).toBe("proposal");
    const synced = encodeSyncedBlock(blockBytes, maxCommit(BLOCK_PARAM_CAPS.maxValidators));
    expect(synced.byteLength).toBeLessThanOrEqual(MAX_SYNCED_BLOCK_BYTES);
    expect(decodeSyncedBlock(synced).block.txs.length).toBe(BLOCK_PARAM_CAPS.maxBlockTxs);
    // Well over the 4 MiB libp2p's framing helpers buffer by default.
    expect(MAX_CONSENSUS_MESSAGE_BYTES).toBeGreaterThan(8 * 1024 * 1024);
  });

  it("a block with more txs than allowed is refused before it is decoded", () => {
    const txs = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];
    const block: Block = { header: sampleHeader(2, 1), txs, lastCommit: undefined, evidence: [] };
    expect(decodeBlock(encodeBlock(block), 3)).toEqual(block);
    expect(() => decodeBlock(encodeBlock(block), 2)).toThrow(/3 txs exceeds? the limit of 2/);
    expect(() => decodeBlock(concatBytes(encodeBlock(block), Uint8Array.of(0x10, 0x01)))).toThrow(CodecError);
  });

  it("a gossip frame of exactly the limit crosses, in pieces; one byte more, or an empty frame, is refused", () => {
    const max = 300_000;
    const message = new Uint8Array(max).map((_, i) => i & 0xff);
    const bytes = frame(message);
    const decoder = new FrameDecoder(max);
    const out: Uint8Array[] = [];
    for (let at = 0; at < bytes.byteLength; at += 65_536) out.push(...decoder.decode(bytes.subarray(at, at + 65_536)));
    expect(out.length).toBe(1);
    expect(equalBytes(out[0], message)).toBe(true);
    // Two frames in one chunk, the second split from its prefix.
    const two = concatBytes(frame(Uint8Array.of(1, 2)), frame(Uint8Array.of(3)));
    const d2 = new FrameDecoder(max);
    const split = [...d2.decode(two.subarray(0, 4)), ...d2.decode(two.subarray(4))];
    expect(split).toEqual([Uint8Array.of(1, 2), Uint8Array.of(3)]);

    // One byte over: refused as soon as the length prefix is read, before any of the frame arrives.
    expect(() => [...new FrameDecoder(max).decode(frame(new Uint8Array(max + 1)).subarray(0, 3))]).toThrow(FrameError);
    expect(() => [...new FrameDecoder(max).decode(Uint8Array.of(0))]).toThrow(/empty frame/);
    expect(() => [...new FrameDecoder(max).decode(new Uint8Array(9).fill(0xff))]).toThrow(/prefix is too long/);
  });

  it("the largest transaction fits a relay batch", () => {
    const batch = encodeTxBatch([new Uint8Array(BLOCK_PARAM_CAPS.maxTxBytes)]);
    expect(batch.byteLength).toBeLessThanOrEqual(MAX_TX_BATCH_BYTES / 2);
  });

  it("genesis refuses block params past the caps (a block that would not cross the network)", () => {
    expect(blockParamsProblem({ ...DEFAULT_PARAMS, maxValidators: 100 })).toBeUndefined();
    expect(blockParamsProblem({ ...BLOCK_PARAM_CAPS })).toBeUndefined();
    for (const key of ["maxBlockBytes", "maxBlockTxs", "maxTxBytes", "maxValidators"] as const) {
      expect(blockParamsProblem({ ...BLOCK_PARAM_CAPS, [key]: BLOCK_PARAM_CAPS[key] + 1 })).toMatch(key);
    }
    const genesis = (params: object) =>
      parseGenesis({ chainId: "opl-1", genesisTime: "2026-01-01T00:00:00Z", params, validators: [], accounts: [] } as never);
    expect(() => genesis({ maxBlockBytes: BLOCK_PARAM_CAPS.maxBlockBytes + 1 }))
      .toThrow(/maxBlockBytes must be an integer from 1 to 8388608/);
    expect(() => genesis({ staking: { maxValidators: 1001 } })).toThrow(/maxValidators/);
  });
});
