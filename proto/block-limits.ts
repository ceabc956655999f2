import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { SIGNATURE_LENGTH } from "../crypto/ed25519.ts";
import { type Commit, encodeCommit, encodeHeader, HASH_LENGTH, type Header } from "./block.ts";
import { encodeMessage } from "./codec.ts";
import { varintSize } from "./canonical-writer.ts";
import {
  type DuplicateVoteEvidence,
  encodeSignedProposal,
  evidenceFields,
  PRECOMMIT,
  type SignedVote,
} from "./consensus.ts";
import { BLOCK_PARAM_CAPS, type BlockSizeParams, MAX_BLOCK_EVIDENCE } from "./block-caps.ts";
import { pb } from "./schema.ts";

/**
 * How big a block, and the frames that carry it, can get: ONE derivation used by the side that builds
 * (genesis refuses params past the caps; the proposer reaps within the params) and the side that checks
 * (gossip and block sync refuse frames past the limits below). The params that size a block have hard
 * caps; the worst-case encoding of a block within them (the largest header, maxBlockTxs length prefixes,
 * a last commit signed by maxValidators, MAX_BLOCK_EVIDENCE pieces of evidence) is measured by encoding
 * maximal instances, so a change to the header or the commit moves the limits with it.
 */
/** Bytes of one length-delimited field (one-byte tag, as every field here has a number below 16). */
export function lengthDelimitedFieldBytes(length: number): number {
  return 1 + varintSize(length) + length;
}

const MAX_UINT64 = Number.MAX_SAFE_INTEGER;
const MAX_UINT32 = 0xffff_ffff;
const fullHash = () => new Uint8Array(HASH_LENGTH).fill(0xff);
const fullAddress = () => new Uint8Array(ADDRESS_LENGTH).fill(0xff);
const fullSignature = () => new Uint8Array(SIGNATURE_LENGTH).fill(0xff);

const MAX_HEADER: Header = {
  chainId: "x".repeat(64), // CHAIN_ID_RE's longest
  height: MAX_UINT64,
  timeMs: MAX_UINT64,
  lastBlockHash: fullHash(),
  lastCommitHash: fullHash(),
  txsRoot: fullHash(),
  stateRoot: fullHash(),
  resultsRoot: fullHash(),
  validatorsHash: fullHash(),
  nextValidatorsHash: fullHash(),
  proposerAddress: fullAddress(),
  evidenceRoot: fullHash(),
};

function maxCommit(signatures: number): Commit {
  return {
    height: MAX_UINT64,
    round: MAX_UINT32,
    blockHash: fullHash(),
    signatures: Array.from({ length: signatures }, () => ({
      validatorAddress: fullAddress(),
      timeMs: MAX_UINT64,
      signature: fullSignature(),
    })),
  };
}

const maxVote = (): SignedVote => ({
  vote: {
    type: PRECOMMIT,
    height: MAX_UINT64,
    round: MAX_UINT32,
    blockHash: fullHash(),
    timeMs: MAX_UINT64,
    validatorAddress: fullAddress(),
  },
  signature: fullSignature(),
});
const MAX_EVIDENCE: DuplicateVoteEvidence = { voteA: maxVote(), voteB: maxVote() };

const HEADER_BYTES = encodeHeader(MAX_HEADER).byteLength;
const EMPTY_COMMIT_BYTES = encodeCommit(maxCommit(0)).byteLength;
/** One commit signature as a field of the commit (repeated fields add up). */
const COMMIT_SIG_FIELD_BYTES = encodeCommit(maxCommit(1)).byteLength - EMPTY_COMMIT_BYTES;
const EVIDENCE_BYTES = encodeMessage(pb.DuplicateVoteEvidence, evidenceFields(MAX_EVIDENCE)).byteLength;
/** The largest signed proposal (the small part of a proposal frame, checked before its block). */
export const MAX_SIGNED_PROPOSAL_BYTES = encodeSignedProposal({
  proposal: {
    height: MAX_UINT64,
    round: MAX_UINT32,
    polRound: 0x7fff_ffff,
    blockHash: fullHash(),
    timeMs: MAX_UINT64,
    proposerAddress: fullAddress(),
  },
  signature: fullSignature(),
}).byteLength;

/** The largest encoded commit signed by `validators`. */
export function maxCommitBytes(validators: number): number {
  return EMPTY_COMMIT_BYTES + validators * COMMIT_SIG_FIELD_BYTES;
}

/** The largest encoded block a chain with these params can make. */
export function maxEncodedBlockBytes(p: BlockSizeParams): number {
  const txPrefix = 1 + varintSize(Math.min(p.maxTxBytes, p.maxBlockBytes));
  return (
    lengthDelimitedFieldBytes(HEADER_BYTES) +
    p.maxBlockBytes +
    p.maxBlockTxs * txPrefix +
    lengthDelimitedFieldBytes(maxCommitBytes(p.maxValidators)) +
    MAX_BLOCK_EVIDENCE * lengthDelimitedFieldBytes(EVIDENCE_BYTES)
  );
}

/** The largest block any chain can make: its params are within BLOCK_PARAM_CAPS. */
export const MAX_ENCODED_BLOCK_BYTES = maxEncodedBlockBytes(BLOCK_PARAM_CAPS);

/** A consensus frame carrying a proposal: ConsensusMessage { proposal: { signed proposal, block } }. */
export function proposalFrameBytes(blockBytes: number): number {
  return lengthDelimitedFieldBytes(
    lengthDelimitedFieldBytes(MAX_SIGNED_PROPOSAL_BYTES) + lengthDelimitedFieldBytes(blockBytes),
  );
}

/** A block sync frame: SyncedBlock { block, the commit that decided it }. */
export function syncedBlockFrameBytes(blockBytes: number, validators: number): number {
  return lengthDelimitedFieldBytes(blockBytes) + lengthDelimitedFieldBytes(maxCommitBytes(validators));
}

/** Why these params could make a block past the caps (so past the frame limits), or undefined. */
export function blockParamsProblem(p: BlockSizeParams): string | undefined {
  for (const key of ["maxBlockBytes", "maxBlockTxs", "maxTxBytes", "maxValidators"] as const) {
    const v = p[key];
    if (!Number.isSafeInteger(v) || v < 1 || v > BLOCK_PARAM_CAPS[key]) {
      return `${key} must be an integer from 1 to ${BLOCK_PARAM_CAPS[key]} (a larger block would not cross the network), got ${v}`;
    }
  }
  return undefined;
}

/**
 * A tx fetch request (node/compact-proposal.ts): a proposed block's height and hash, and at most
 * maxBlockTxs hashes of its txs. Measured on a maximal instance, like the frames above.
 */
export const MAX_TX_FETCH_REQUEST_BYTES = encodeMessage(pb.TxFetchRequest, {
  height: MAX_UINT64,
  blockHash: fullHash(),
  txHashes: new Uint8Array(BLOCK_PARAM_CAPS.maxBlockTxs * HASH_LENGTH),
}).byteLength;

/**
 * A tx fetch response: some of a block's txs (each a field as in the block), or the whole block. Either fits
 * one field holding the largest block any chain can make, so that bounds both; a chain's own params bound
 * it tighter (txFetchResponseBytes).
 */
export function txFetchResponseBytes(p: BlockSizeParams): number {
  return lengthDelimitedFieldBytes(maxEncodedBlockBytes(p));
}
export const MAX_TX_FETCH_RESPONSE_BYTES = txFetchResponseBytes(BLOCK_PARAM_CAPS);
