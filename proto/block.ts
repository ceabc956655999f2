import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../crypto/ed25519.ts";
import { sha256 } from "../crypto/hash.ts";
import { BLOCK_LISTS, BLOCK_PARAM_CAPS, COMMIT_LISTS, NO_LISTS, VALIDATOR_SET_LISTS } from "./block-caps.ts";
import { equalBytes } from "../crypto/bytes.ts";
import { merkleRoot, merkleRootOfHashes } from "../crypto/merkle.ts";
import {
  bytesField,
  CodecError,
  decodeCanonical,
  encodeMessage,
  type Fields,
  fixedBytes,
  uint,
} from "./codec.ts";
import { type DuplicateVoteEvidence, evidenceFields, evidenceFrom } from "./consensus.ts";
import { pb } from "./schema.ts";
import { CHAIN_ID_RE } from "./tx.ts";

export const HASH_LENGTH = 32;

export interface Header {
  chainId: string;
  height: number;
  timeMs: number;
  lastBlockHash: Uint8Array;
  lastCommitHash: Uint8Array;
  txsRoot: Uint8Array;
  stateRoot: Uint8Array;
  resultsRoot: Uint8Array;
  validatorsHash: Uint8Array;
  nextValidatorsHash: Uint8Array;
  proposerAddress: Uint8Array;
  evidenceRoot: Uint8Array;
}

export interface CommitSig {
  validatorAddress: Uint8Array;
  timeMs: number;
  signature: Uint8Array;
}

export interface Commit {
  height: number;
  round: number;
  blockHash: Uint8Array;
  signatures: CommitSig[];
}

export interface Block {
  header: Header;
  txs: Uint8Array[];
  lastCommit: Commit | undefined;
  evidence: DuplicateVoteEvidence[];
}

export interface Validator {
  address: Uint8Array;
  pubkey: Uint8Array;
  power: number;
}

// ---- header ----

function headerFields(h: Header): Fields {
  return { ...h };
}

function headerFrom(f: Fields | undefined): Header {
  if (!f) throw new CodecError("block has no header");
  const chainId = f.chainId ?? "";
  if (!CHAIN_ID_RE.test(chainId))
    throw new CodecError(`header chain id "${chainId}" is not a valid chain id`);
  return {
    chainId,
    height: uint(f.height, "header height"),
    timeMs: uint(f.timeMs, "header time"),
    lastBlockHash: fixedBytes(f.lastBlockHash, HASH_LENGTH, "last block hash", true),
    lastCommitHash: fixedBytes(f.lastCommitHash, HASH_LENGTH, "last commit hash"),
    txsRoot: fixedBytes(f.txsRoot, HASH_LENGTH, "txs root"),
    stateRoot: fixedBytes(f.stateRoot, HASH_LENGTH, "state root"),
    resultsRoot: fixedBytes(f.resultsRoot, HASH_LENGTH, "results root"),
    validatorsHash: fixedBytes(f.validatorsHash, HASH_LENGTH, "validators hash"),
    nextValidatorsHash: fixedBytes(f.nextValidatorsHash, HASH_LENGTH, "next validators hash"),
    proposerAddress: fixedBytes(f.proposerAddress, ADDRESS_LENGTH, "proposer address"),
    evidenceRoot: fixedBytes(f.evidenceRoot, HASH_LENGTH, "evidence root"),
  };
}

export function encodeHeader(h: Header): Uint8Array {
  return encodeMessage(pb.Header, headerFields(h));
}

export function decodeHeader(bytes: Uint8Array): Header {
  return headerFrom(decodeCanonical(pb.Header, bytes, "block header", NO_LISTS));
}

/** A block's hash is the hash of its canonical header: the header commits to everything else by root. */
export function blockHash(h: Header): Uint8Array {
  return sha256(encodeHeader(h));
}

// ---- commit ----

export function commitFields(c: Commit): Fields {
  return {
    height: c.height,
    round: c.round,
    blockHash: c.blockHash,
    signatures: c.signatures.map((s) => ({ ...s })),
  };
}

export function commitFrom(f: Fields): Commit {
  return {
    height: uint(f.height, "commit height"),
    round: uint(f.round, "commit round"),
    blockHash: fixedBytes(f.blockHash, HASH_LENGTH, "commit block hash"),
    signatures: (f.signatures ?? []).map((s: Fields) => ({
      validatorAddress: fixedBytes(s.validatorAddress, ADDRESS_LENGTH, "commit validator address"),
      timeMs: uint(s.timeMs, "commit signature time"),
      signature: fixedBytes(s.signature, SIGNATURE_LENGTH, "commit signature"),
    })),
  };
}

export function encodeCommit(c: Commit): Uint8Array {
  return encodeMessage(pb.Commit, commitFields(c));
}

export function decodeCommit(bytes: Uint8Array): Commit {
  return commitFrom(decodeCanonical(pb.Commit, bytes, "commit", COMMIT_LISTS));
}

/** Hash of the last commit as carried in a header; the first block (no last commit) hashes the empty string. */
export function commitHash(c: Commit | undefined): Uint8Array {
  return c === undefined ? sha256() : sha256(encodeCommit(c));
}

// ---- block ----

export function encodeBlock(b: Block): Uint8Array {
  return encodeMessage(pb.Block, {
    header: headerFields(b.header),
    txs: b.txs,
    lastCommit: b.lastCommit === undefined ? undefined : commitFields(b.lastCommit),
    evidence: b.evidence.map(evidenceFields),
  });
}

/**
 * A block's header and transaction count, read from its top-level fields without decoding the body: what
 * a proposal's block is checked by (its hash, its height, its size in txs) before the costly full decode.
 * Nothing here vouches for the rest of the bytes; decodeBlock does.
 */
export function scanBlock(bytes: Uint8Array): { header: Header; txCount: number } {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (at >= bytes.byteLength) throw new CodecError("block is not valid protobuf: truncated varint");
      const b = bytes[at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    throw new CodecError("block is not valid protobuf: varint too long");
  };
  let headerBytes: Uint8Array | undefined;
  let txCount = 0;
  while (at < bytes.byteLength) {
    const tag = varint();
    // Every field of Block (header, txs, last commit, evidence) is length-delimited.
    if (tag % 8 !== 2) throw new CodecError(`block is not valid protobuf: field ${Math.floor(tag / 8)} has wire type ${tag % 8}`);
    const length = varint();
    if (at + length > bytes.byteLength) throw new CodecError("block is not valid protobuf: truncated field");
    const field = Math.floor(tag / 8);
    if (field === 1) headerBytes ??= bytes.subarray(at, at + length);
    else if (field === 2) txCount++;
    at += length;
  }
  if (headerBytes === undefined) throw new CodecError("block has no header");
  return { header: decodeHeader(headerBytes), txCount };
}

/**
 * Decodes a block of at most `maxTxs` transactions (counted before anything is decoded; by default the cap
 * no chain's maxBlockTxs exceeds).
 */
export function decodeBlock(bytes: Uint8Array, maxTxs = BLOCK_PARAM_CAPS.maxBlockTxs): Block {
  const { txCount } = scanBlock(bytes);
  if (txCount > maxTxs) throw new CodecError(`block of ${txCount} txs exceeds the limit of ${maxTxs}`);
  const f = decodeCanonical(pb.Block, bytes, "block", BLOCK_LISTS);
  return {
    header: headerFrom(f.header),
    txs: (f.txs ?? []).map(bytesField),
    lastCommit: f.lastCommit ? commitFrom(f.lastCommit) : undefined,
    evidence: (f.evidence ?? []).map(evidenceFrom),
  };
}

/** The header's txs root: a Merkle root whose leaves are the transactions' hashes, in block order. */
export function txsRoot(txHashes: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfHashes(txHashes);
}

const txHashesOf = new WeakMap<Block, Uint8Array[]>();

/** The hashes of a block's txs, computed once per block object (checked on receipt, again when validated). */
export function blockTxHashes(block: Block): Uint8Array[] {
  let hashes = txHashesOf.get(block);
  if (hashes === undefined) {
    hashes = block.txs.map((t) => sha256(t));
    txHashesOf.set(block, hashes);
  }
  return hashes;
}

/**
 * Records the hashes of a block's txs, known already (a block rebuilt from txs found by hash), so they are
 * not computed again: `hashes[i]` must be sha256(block.txs[i]), which the caller has made sure of.
 */
export function knownTxHashes(block: Block, hashes: Uint8Array[]): void {
  txHashesOf.set(block, hashes);
}

/**
 * knownTxHashes, and records that the block's body was checked against its header's roots already: a block
 * rebuilt from a compact proposal, whose tx hashes, last commit and evidence node/consensus-checks.ts
 * (proposedCompactBlock) checked on arrival. Its validation then computes no txs or evidence root again (the
 * txs root alone was ~0.6% of a loaded validator's main thread).
 */
export function knownMatchingBody(block: Block, hashes: Uint8Array[]): void {
  txHashesOf.set(block, hashes);
  bodyMatched.add(block);
}

/** The header's evidence root: a Merkle root over the canonical encodings of the evidence, in block order. */
export function evidenceRoot(evidence: readonly DuplicateVoteEvidence[]): Uint8Array {
  return merkleRoot(evidence.map((e) => encodeMessage(pb.DuplicateVoteEvidence, evidenceFields(e))));
}

/**
 * Why a block's body (txs, last commit, evidence) is not the one its header commits to, or undefined if it
 * is. The block hash covers only the header, so a body must be checked against the header's roots before
 * it is taken as "the block with this hash" (someone may pair a signed header with another body).
 */
export function bodyMismatch(block: Block): string | undefined {
  if (bodyMatched.has(block)) return undefined;
  const h = block.header;
  if (!equalBytes(h.txsRoot, txsRoot(blockTxHashes(block)))) return "its txs do not match the txs root";
  if (!equalBytes(h.lastCommitHash, commitHash(block.lastCommit))) return "its last commit does not match the header";
  if (!equalBytes(h.evidenceRoot, evidenceRoot(block.evidence))) return "its evidence does not match the evidence root";
  bodyMatched.add(block);
  return undefined;
}

/** Blocks (objects) whose body was checked against their header: the roots are not computed twice. */
const bodyMatched = new WeakSet<Block>();

/** Whether bodyMismatch already found this very block object consistent. */
export function bodyChecked(block: Block): boolean {
  return bodyMatched.has(block);
}

// ---- validator set ----

export function encodeValidatorSet(validators: readonly Validator[]): Uint8Array {
  return encodeMessage(pb.ValidatorSet, { validators: validators.map((v) => ({ ...v })) });
}

export function decodeValidatorSet(bytes: Uint8Array): Validator[] {
  const f = decodeCanonical(pb.ValidatorSet, bytes, "validator set", VALIDATOR_SET_LISTS);
  return (f.validators ?? []).map((v: Fields) => ({
    address: fixedBytes(v.address, ADDRESS_LENGTH, "validator address"),
    pubkey: fixedBytes(v.pubkey, PUBLIC_KEY_LENGTH, "validator public key"),
    power: uint(v.power, "validator power"),
  }));
}

/** The hash headers carry for a validator set (in the set's canonical order). */
export function validatorsHash(validators: readonly Validator[]): Uint8Array {
  return sha256(encodeValidatorSet(validators));
}

// ---- block meta (stored beside each block) ----

export interface BlockMeta {
  hash: Uint8Array;
  commit: Commit;
  numTxs: number;
}

export function encodeBlockMeta(m: BlockMeta): Uint8Array {
  return encodeMessage(pb.BlockMeta, { hash: m.hash, commit: commitFields(m.commit), numTxs: m.numTxs });
}

export function decodeBlockMeta(bytes: Uint8Array): BlockMeta {
  const f = decodeCanonical(pb.BlockMeta, bytes, "block meta");
  if (!f.commit) throw new CodecError("block meta has no commit");
  return {
    hash: fixedBytes(f.hash, HASH_LENGTH, "block hash"),
    commit: commitFrom(f.commit),
    numTxs: uint(f.numTxs, "tx count"),
  };
}
