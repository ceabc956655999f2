import { type Block, blockTxHashes, type Commit, commitFields, commitFrom, decodeBlock, encodeBlock, HASH_LENGTH } from "./block.ts";
import { BLOCK_PARAM_CAPS, COMMIT_LISTS, NO_LISTS } from "./block-caps.ts";
import {
  lengthDelimitedFieldBytes,
  MAX_ENCODED_BLOCK_BYTES,
  MAX_TX_FETCH_REQUEST_BYTES,
  MAX_TX_FETCH_RESPONSE_BYTES,
  proposalFrameBytes,
  syncedBlockFrameBytes,
} from "./block-limits.ts";
import { bytesField, CodecError, decodeCanonical, encodeMessage, fixedBytes, uint } from "./codec.ts";
import {
  type DuplicateVoteEvidence,
  evidenceFields,
  evidenceFrom,
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
 * decoding is canonical like everything else. A proposal's block is not decoded here: the receiver checks
 * the small signed part first (height, round, proposer, signature), then the block's header against it, and
 * only then decodes the block (see node/consensus-checks.ts).
 */
/** A proposal carrying the largest block any chain can make (votes, status and evidence are far smaller). */
export const MAX_CONSENSUS_MESSAGE_BYTES = proposalFrameBytes(MAX_ENCODED_BLOCK_BYTES);
export const MAX_TX_BATCH_BYTES = 4 * 1024 * 1024;
export const MAX_TX_BATCH_COUNT = 5_000;

export type ConsensusMessage =
  | { type: "proposal"; proposal: SignedProposal; block: Block; blockBytes: Uint8Array }
  | CompactProposal
  | { type: "vote"; vote: SignedVote }
  /** The sender's latest committed height. */
  | { type: "status"; height: number }
  | { type: "evidence"; evidence: DuplicateVoteEvidence };

/** A proposal as received: its block still undecoded bytes until the signed part has been checked. */
export interface ReceivedProposal {
  type: "proposal";
  proposal: SignedProposal;
  blockBytes: Uint8Array;
}

/**
 * A proposal without its txs (the peers hold them: the tx relay gossiped them at admission): the block with
 * no txs, as bytes (decoded only once the signed part is checked), and the block's tx hashes, HASH_LENGTH
 * bytes each, concatenated in block order (sliced only once their count is checked against the chain's).
 */
export interface CompactProposal {
  type: "compactProposal";
  proposal: SignedProposal;
  blockBytes: Uint8Array;
  txHashes: Uint8Array;
}

/** The compact form of a signed proposal of `block`. */
export function compactProposalOf(proposal: SignedProposal, block: Block): CompactProposal {
  const hashes = blockTxHashes(block);
  const txHashes = new Uint8Array(hashes.length * HASH_LENGTH);
  hashes.forEach((h, i) => txHashes.set(h, i * HASH_LENGTH));
  return { type: "compactProposal", proposal, blockBytes: encodeBlock({ ...block, txs: [] }), txHashes };
}

/** A consensus message as received from a peer. */
export type ReceivedConsensusMessage = Exclude<ConsensusMessage, { type: "proposal" }> | ReceivedProposal;

/** How many hashes a concatenated hash list holds; CodecError if it is not whole hashes or over `max`. */
export function hashCount(hashes: Uint8Array, max: number, what: string): number {
  if (hashes.byteLength % HASH_LENGTH !== 0) throw new CodecError(`${what} is not a list of ${HASH_LENGTH}-byte hashes`);
  const n = hashes.byteLength / HASH_LENGTH;
  if (n > max) throw new CodecError(`${what} lists ${n} hashes; the limit is ${max}`);
  return n;
}

export function encodeConsensusMessage(m: ConsensusMessage): Uint8Array {
  switch (m.type) {
    case "vote":
      return encodeMessage(pb.ConsensusMessage, { vote: signedVoteFields(m.vote) });
    case "proposal":
      return encodeMessage(pb.ConsensusMessage, {
        proposal: { proposal: signedProposalFields(m.proposal), block: m.blockBytes },
      });
    case "compactProposal":
      return encodeMessage(pb.ConsensusMessage, {
        compactProposal: { proposal: signedProposalFields(m.proposal), block: m.blockBytes, txHashes: m.txHashes },
      });
    case "status":
      return encodeMessage(pb.ConsensusMessage, { status: { height: m.height } });
    case "evidence":
      return encodeMessage(pb.ConsensusMessage, { evidence: evidenceFields(m.evidence) });
  }
}

export function decodeConsensusMessage(bytes: Uint8Array): ReceivedConsensusMessage {
  if (bytes.byteLength > MAX_CONSENSUS_MESSAGE_BYTES) {
    throw new CodecError(`consensus message of ${bytes.byteLength} bytes exceeds ${MAX_CONSENSUS_MESSAGE_BYTES}`);
  }
  const f = decodeCanonical(pb.ConsensusMessage, bytes, "consensus message", NO_LISTS);
  if (f.vote) return { type: "vote", vote: signedVoteFrom(f.vote) };
  if (f.proposal) {
    const blockBytes = bytesField(f.proposal.block);
    if (blockBytes.byteLength === 0) throw new CodecError("proposal carries no block");
    return { type: "proposal", proposal: signedProposalFrom(f.proposal.proposal), blockBytes };
  }
  if (f.compactProposal) {
    const c = f.compactProposal;
    const blockBytes = bytesField(c.block);
    if (blockBytes.byteLength === 0) throw new CodecError("compact proposal carries no block");
    const txHashes = bytesField(c.txHashes);
    // The count against the hard cap before anything else; the chain's own maxBlockTxs is checked next.
    hashCount(txHashes, BLOCK_PARAM_CAPS.maxBlockTxs, "compact proposal");
    return { type: "compactProposal", proposal: signedProposalFrom(c.proposal), blockBytes, txHashes };
  }
  if (f.status) return { type: "status", height: uint(f.status.height, "status height") };
  if (f.evidence) return { type: "evidence", evidence: evidenceFrom(f.evidence) };
  throw new CodecError("consensus message carries nothing");
}

/** What one tx adds to an encoded batch (its length-delimited field): senders count this, not raw bytes. */
export function txBatchEntryBytes(tx: Uint8Array): number {
  return lengthDelimitedFieldBytes(tx.byteLength);
}

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  return encodeMessage(pb.TxBatch, { txs });
}

export function decodeTxBatch(bytes: Uint8Array): Uint8Array[] {
  if (bytes.byteLength > MAX_TX_BATCH_BYTES) {
    throw new CodecError(`transaction batch of ${bytes.byteLength} bytes exceeds ${MAX_TX_BATCH_BYTES}`);
  }
  const f = decodeCanonical(pb.TxBatch, bytes, "transaction batch", { "TxBatch.txs": MAX_TX_BATCH_COUNT });
  return ((f.txs ?? []) as unknown[]).map(bytesField); // at most MAX_TX_BATCH_COUNT: counted on the wire
}

/**
 * Most blocks one sync request may ask for. Large, so that a range of small (empty) blocks costs one round
 * trip and one request for hundreds of blocks; a range of big blocks is cut short by SYNC_RESPONSE_BYTES.
 */
export const MAX_BLOCK_REQUEST_COUNT = 1024;
/**
 * Most bytes of synced block frames in one response, past its first block (which may be a full block of up to
 * MAX_SYNCED_BLOCK_BYTES on its own). The server stops adding blocks at this limit; the client refuses an
 * answer past it (see syncResponseFits): one constant for both sides.
 */
export const SYNC_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Whether a frame of `frameBytes` may follow `sent` frames of `bytesSoFar` bytes in one sync response. */
export function syncResponseFits(sent: number, bytesSoFar: number, frameBytes: number): boolean {
  return sent === 0 || bytesSoFar + frameBytes <= SYNC_RESPONSE_BYTES;
}
/** A synced block frame: the largest block any chain can make, with a commit signed by the most validators. */
export const MAX_SYNCED_BLOCK_BYTES = syncedBlockFrameBytes(MAX_ENCODED_BLOCK_BYTES, BLOCK_PARAM_CAPS.maxValidators);
/** The most frame bytes one sync response can hold (see syncResponseFits): the limit, or a lone first block. */
export const MAX_SYNC_ANSWER_BYTES = Math.max(SYNC_RESPONSE_BYTES, MAX_SYNCED_BLOCK_BYTES);

export interface BlockRequest {
  fromHeight: number;
  count: number;
}

export function encodeBlockRequest(r: BlockRequest): Uint8Array {
  return encodeMessage(pb.BlockRequest, { fromHeight: r.fromHeight, count: r.count });
}

export function decodeBlockRequest(bytes: Uint8Array): BlockRequest {
  const f = decodeCanonical(pb.BlockRequest, bytes, "block request", NO_LISTS);
  const r = { fromHeight: uint(f.fromHeight, "from height"), count: uint(f.count, "count") };
  if (r.fromHeight < 1) throw new CodecError("block request from height 0");
  if (r.count < 1 || r.count > MAX_BLOCK_REQUEST_COUNT) {
    throw new CodecError(`block request count ${r.count} is not within 1..${MAX_BLOCK_REQUEST_COUNT}`);
  }
  return r;
}

export interface SyncedBlock {
  block: Block;
  blockBytes: Uint8Array;
  commit: Commit;
}

/** Encodes a stored block (its bytes as stored, not re-encoded) with the commit that decided it. */
export function encodeSyncedBlock(blockBytes: Uint8Array, commit: Commit): Uint8Array {
  return encodeMessage(pb.SyncedBlock, { block: blockBytes, commit: commitFields(commit) });
}

export function decodeSyncedBlock(bytes: Uint8Array): SyncedBlock {
  if (bytes.byteLength > MAX_SYNCED_BLOCK_BYTES) {
    throw new CodecError(`synced block of ${bytes.byteLength} bytes exceeds ${MAX_SYNCED_BLOCK_BYTES}`);
  }
  const f = decodeCanonical(pb.SyncedBlock, bytes, "synced block", COMMIT_LISTS);
  if (!f.commit) throw new CodecError("synced block has no commit");
  const blockBytes = bytesField(f.block);
  return { block: decodeBlock(blockBytes), blockBytes, commit: commitFrom(f.commit) };
}

// ---- fetching a proposed block's txs (node/compact-proposal.ts, p2p/tx-fetch.ts) ----

/** Txs of the proposed block `blockHash` at `height`, by hash; no hashes: the whole block. */
export interface TxFetchRequest {
  height: number;
  blockHash: Uint8Array;
  /** HASH_LENGTH bytes each, concatenated; empty for the whole block. */
  txHashes: Uint8Array;
}

export function encodeTxFetchRequest(r: TxFetchRequest): Uint8Array {
  return encodeMessage(pb.TxFetchRequest, { ...r });
}

export function decodeTxFetchRequest(bytes: Uint8Array): TxFetchRequest {
  if (bytes.byteLength > MAX_TX_FETCH_REQUEST_BYTES) {
    throw new CodecError(`tx fetch request of ${bytes.byteLength} bytes exceeds ${MAX_TX_FETCH_REQUEST_BYTES}`);
  }
  const f = decodeCanonical(pb.TxFetchRequest, bytes, "tx fetch request", NO_LISTS);
  const txHashes = bytesField(f.txHashes);
  hashCount(txHashes, BLOCK_PARAM_CAPS.maxBlockTxs, "tx fetch request");
  return { height: uint(f.height, "tx fetch height"), blockHash: fixedBytes(f.blockHash, HASH_LENGTH, "tx fetch block hash"), txHashes };
}

/** The answer: the txs asked for, in the order asked, or the whole block's bytes. */
export type TxFetchResponse = { txs: Uint8Array[]; block?: undefined } | { txs?: undefined; block: Uint8Array };

export function encodeTxFetchResponse(r: TxFetchResponse): Uint8Array {
  return encodeMessage(pb.TxFetchResponse, r.block !== undefined ? { block: r.block } : { txs: r.txs });
}

export function decodeTxFetchResponse(bytes: Uint8Array): TxFetchResponse {
  if (bytes.byteLength > MAX_TX_FETCH_RESPONSE_BYTES) {
    throw new CodecError(`tx fetch response of ${bytes.byteLength} bytes exceeds ${MAX_TX_FETCH_RESPONSE_BYTES}`);
  }
  const f = decodeCanonical(pb.TxFetchResponse, bytes, "tx fetch response", {
    "TxFetchResponse.txs": BLOCK_PARAM_CAPS.maxBlockTxs,
  });
  const block = bytesField(f.block);
  const txs = ((f.txs ?? []) as unknown[]).map(bytesField);
  if (block.byteLength > 0) {
    if (txs.length > 0) throw new CodecError("tx fetch response carries both txs and a block");
    return { block };
  }
  return { txs };
}
