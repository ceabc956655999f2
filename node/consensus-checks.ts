import { equalBytes, toHex } from "../crypto/bytes.ts";
import { verify } from "../crypto/ed25519.ts";
import {
  type Block,
  blockHash,
  bodyMismatch,
  commitHash,
  decodeBlock,
  evidenceRoot,
  HASH_LENGTH,
  scanBlock,
  txsRoot,
  type Validator,
} from "../proto/block.ts";
import { CodecError } from "../proto/codec.ts";
import {
  type DuplicateVoteEvidence,
  proposalSignBytes,
  type SignedProposal,
  type SignedVote,
  voteSignBytes,
} from "../proto/consensus.ts";
import { hashCount } from "../proto/p2p.ts";

/**
 * Authentication of what peers send to consensus. The engine trusts its inputs (consensus/engine/types.ts),
 * so every vote, proposal and piece of evidence is checked here first: the signer is in the validator set,
 * the signature is valid for this chain, a proposal's block is the block it names. A failure is the
 * sending peer's fault (it relayed something no honest node would), reported as PeerMisbehaviour.
 */
export class PeerMisbehaviour extends Error {
  override name = "PeerMisbehaviour";
}

export function validatorIndex(validators: readonly Validator[], address: Uint8Array): number {
  return validators.findIndex((v) => equalBytes(v.address, address));
}

/** The validator index of a correctly signed vote. */
export function checkVote(chainId: string, validators: readonly Validator[], sv: SignedVote): number {
  const index = validatorIndex(validators, sv.vote.validatorAddress);
  if (index < 0) throw new PeerMisbehaviour(`vote at height ${sv.vote.height} from a non-validator`);
  if (!verify(voteSignBytes(chainId, sv.vote), sv.signature, validators[index].pubkey)) {
    throw new PeerMisbehaviour(`invalid vote signature at height ${sv.vote.height}`);
  }
  return index;
}

/**
 * The proposer's validator index of a correctly signed proposal: the small part of a proposal frame, checked
 * before its block is looked at, so a stranger's frame costs one signature check, not a block decode.
 */
export function checkSignedProposal(chainId: string, validators: readonly Validator[], sp: SignedProposal): number {
  const p = sp.proposal;
  const index = validatorIndex(validators, p.proposerAddress);
  if (index < 0) throw new PeerMisbehaviour(`proposal at height ${p.height} from a non-validator`);
  if (!verify(proposalSignBytes(chainId, p), sp.signature, validators[index].pubkey)) {
    throw new PeerMisbehaviour(`invalid proposal signature at height ${p.height}`);
  }
  return index;
}

/**
 * The block of a checked proposal, from its bytes: the header is read first and must be the one the proposal
 * names (its hash and height); the tx count is checked before anything else is decoded; then the block is
 * decoded and its body checked against the header's roots.
 */
export function proposedBlock(sp: SignedProposal, blockBytes: Uint8Array, maxTxs: number): Block {
  const p = sp.proposal;
  let block: Block;
  try {
    const { header, txCount } = scanBlock(blockBytes);
    if (header.height !== p.height || !equalBytes(blockHash(header), p.blockHash)) {
      throw new PeerMisbehaviour(`proposal at height ${p.height} carries a block that is not the one it names`);
    }
    if (txCount > maxTxs) throw new PeerMisbehaviour(`proposal at height ${p.height}: ${txCount} txs exceed ${maxTxs}`);
    block = decodeBlock(blockBytes, maxTxs);
  } catch (err) {
    if (err instanceof CodecError) throw new PeerMisbehaviour(`proposal at height ${p.height}: ${err.message}`);
    throw err;
  }
  // Last, as the costliest: a signed header with another body would poison the block this hash stands for.
  const mismatch = bodyMismatch(block);
  if (mismatch !== undefined) throw new PeerMisbehaviour(`proposal at height ${p.height}: ${mismatch}`);
  return block;
}

/**
 * A proposed block without its txs: what a compact proposal carries, checked against its header. One that
 * proposedCompactBlock made (checkedCompactBlock) lets the assembler take the body of the block it rebuilds as
 * matching the header's roots without computing them again (proto/block.ts knownMatchingBody); any other is
 * rebuilt unchecked, and its roots are computed when it is validated.
 */
export interface CompactBlock {
  header: Block["header"];
  lastCommit: Block["lastCommit"];
  evidence: Block["evidence"];
  /** The block's tx hashes, in order (views into the frame's bytes). */
  txHashes: Uint8Array[];
}

/**
 * The block of a checked compact proposal, without its txs: the hash count is checked first (before any
 * allocation), then the header is read and must be the one the proposal names, then the body it carries
 * (no txs, the last commit, the evidence) and the tx hashes are checked against the header's roots. So the
 * hashes are the block's before a single tx is looked up or fetched for them.
 */
export function proposedCompactBlock(
  sp: SignedProposal,
  blockBytes: Uint8Array,
  txHashes: Uint8Array,
  maxTxs: number,
): CompactBlock {
  const p = sp.proposal;
  const refuse = (why: string): never => {
    throw new PeerMisbehaviour(`compact proposal at height ${p.height}: ${why}`);
  };
  let block: Block;
  let count: number;
  try {
    count = hashCount(txHashes, maxTxs, "its tx hash list");
    const { header, txCount } = scanBlock(blockBytes);
    if (header.height !== p.height || !equalBytes(blockHash(header), p.blockHash)) refuse("its block is not the one it names");
    if (txCount !== 0) refuse(`its block carries ${txCount} txs (it names them by hash)`);
    block = decodeBlock(blockBytes, 0);
  } catch (err) {
    if (err instanceof CodecError) return refuse(err.message);
    throw err;
  }
  const hashes = Array.from({ length: count }, (_, i) => txHashes.subarray(i * HASH_LENGTH, (i + 1) * HASH_LENGTH));
  const h = block.header;
  if (!equalBytes(h.txsRoot, txsRoot(hashes))) refuse("its tx hashes do not match the txs root");
  if (!equalBytes(h.lastCommitHash, commitHash(block.lastCommit))) refuse("its last commit does not match the header");
  if (!equalBytes(h.evidenceRoot, evidenceRoot(block.evidence))) refuse("its evidence does not match the evidence root");
  const compact: CompactBlock = { header: h, lastCommit: block.lastCommit, evidence: block.evidence, txHashes: hashes };
  checkedCompactBlocks.add(compact);
  return compact;
}

/** The compact blocks proposedCompactBlock checked and returned (by identity: a copy is not checked). */
const checkedCompactBlocks = new WeakSet<CompactBlock>();

/** Whether proposedCompactBlock checked this very object's hashes, last commit and evidence against its header. */
export function checkedCompactBlock(c: CompactBlock): boolean {
  return checkedCompactBlocks.has(c);
}

/** Both checks of a proposal at once (signature, then block): the proposer's index and the block. */
export function checkProposal(
  chainId: string,
  validators: readonly Validator[],
  sp: SignedProposal,
  blockBytes: Uint8Array,
  maxTxs: number,
): { validator: number; block: Block } {
  const validator = checkSignedProposal(chainId, validators, sp);
  return { validator, block: proposedBlock(sp, blockBytes, maxTxs) };
}

/**
 * Evidence that one validator signed two different votes for one (height, round, type): both signatures
 * valid, same signer, different blocks. Returns the signer's index.
 */
export function checkEvidence(chainId: string, validators: readonly Validator[], e: DuplicateVoteEvidence): number {
  const a = e.voteA.vote;
  const b = e.voteB.vote;
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) {
    throw new PeerMisbehaviour("evidence votes are not for the same height, round and type");
  }
  if (!equalBytes(a.validatorAddress, b.validatorAddress)) throw new PeerMisbehaviour("evidence votes have two signers");
  if (equalBytes(a.blockHash, b.blockHash)) throw new PeerMisbehaviour("evidence votes are for the same block");
  checkVote(chainId, validators, e.voteA);
  return checkVote(chainId, validators, e.voteB);
}

/** The engine's value id for a vote's block hash (null for nil). */
export function valueOf(hash: Uint8Array): string | null {
  return hash.byteLength === 0 ? null : toHex(hash);
}
