import { type Block, decodeBlock } from "./block.ts";
import { bytesField, CodecError, decodeCanonical, encodeMessage } from "./codec.ts";
import {
  type SignedProposal,
  type SignedVote,
  signedProposalFields,
  signedProposalFrom,
  signedVoteFields,
  signedVoteFrom,
} from "./consensus.ts";
import { pb } from "./schema.ts";

/**
 * Messages validators exchange: consensus frames (a signed proposal with its block, or a signed vote) and
 * transaction batches. Size limits are checked before decoding, so a peer cannot make us parse a huge frame;
 * decoding is canonical like everything else.
 */
export const MAX_CONSENSUS_MESSAGE_BYTES = 9 * 1024 * 1024; // a maximal block (8 MiB of txs) plus its header
export const MAX_TX_BATCH_BYTES = 4 * 1024 * 1024;
export const MAX_TX_BATCH_COUNT = 5_000;

export type ConsensusMessage =
  | { type: "proposal"; proposal: SignedProposal; block: Block; blockBytes: Uint8Array }
  | { type: "vote"; vote: SignedVote };

export function encodeConsensusMessage(m: ConsensusMessage): Uint8Array {
  return encodeMessage(
    pb.ConsensusMessage,
    m.type === "vote"
      ? { vote: signedVoteFields(m.vote) }
      : { proposal: { proposal: signedProposalFields(m.proposal), block: m.blockBytes } },
  );
}

export function decodeConsensusMessage(bytes: Uint8Array): ConsensusMessage {
  if (bytes.byteLength > MAX_CONSENSUS_MESSAGE_BYTES) {
    throw new CodecError(`consensus message of ${bytes.byteLength} bytes exceeds ${MAX_CONSENSUS_MESSAGE_BYTES}`);
  }
  const f = decodeCanonical(pb.ConsensusMessage, bytes, "consensus message");
  if (f.vote) return { type: "vote", vote: signedVoteFrom(f.vote) };
  if (f.proposal) {
    const blockBytes = bytesField(f.proposal.block);
    return {
      type: "proposal",
      proposal: signedProposalFrom(f.proposal.proposal),
      block: decodeBlock(blockBytes),
      blockBytes,
    };
  }
  throw new CodecError("consensus message carries neither a proposal nor a vote");
}

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  return encodeMessage(pb.TxBatch, { txs });
}

export function decodeTxBatch(bytes: Uint8Array): Uint8Array[] {
  if (bytes.byteLength > MAX_TX_BATCH_BYTES) {
    throw new CodecError(`transaction batch of ${bytes.byteLength} bytes exceeds ${MAX_TX_BATCH_BYTES}`);
  }
  const f = decodeCanonical(pb.TxBatch, bytes, "transaction batch");
  const txs = ((f.txs ?? []) as unknown[]).map(bytesField);
  if (txs.length > MAX_TX_BATCH_COUNT) throw new CodecError(`transaction batch of ${txs.length} exceeds ${MAX_TX_BATCH_COUNT}`);
  return txs;
}
