import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8 } from "./bytes.ts";
import { ProtobufWriter } from "./protobuf-writer.ts";
import type { Commit, Header, Validator, Vote } from "./types.ts";

/**
 * The consensus-critical encodings the light client recomputes (docs/encoding.md rules HEADER, BLOCK-HASH,
 * VOTE, VOTE-SIGN-BYTES, VALIDATOR-SET, VALIDATORS-HASH, COMMIT, COMMIT-HASH), field numbers as in
 * proto/opl.proto. A header is only as trustworthy as the hash the light client computes for it itself.
 */

export function encodeHeader(h: Header): Uint8Array {
  return new ProtobufWriter()
    .string(1, h.chainId)
    .uint(2, h.height)
    .uint(3, h.timeMs)
    .bytes(4, h.lastBlockHash)
    .bytes(5, h.lastCommitHash)
    .bytes(6, h.txsRoot)
    .bytes(7, h.stateRoot)
    .bytes(8, h.resultsRoot)
    .bytes(9, h.validatorsHash)
    .bytes(10, h.nextValidatorsHash)
    .bytes(11, h.proposerAddress)
    .bytes(12, h.evidenceRoot)
    .finish();
}

/** A block's hash: sha256 of its canonical header (the header commits to the rest by its roots). */
export function headerHash(h: Header): Uint8Array {
  return sha256(encodeHeader(h));
}

export function encodeVote(v: Vote): Uint8Array {
  return new ProtobufWriter()
    .uint(1, v.type)
    .uint(2, v.height)
    .uint(3, v.round)
    .bytes(4, v.blockHash)
    .uint(5, v.timeMs)
    .bytes(6, v.validatorAddress)
    .finish();
}

const VOTE_DOMAIN = utf8("OPL/vote/v1");
const SEPARATOR = Uint8Array.of(0);

/** What a validator signs for a vote: sha256("OPL/vote/v1" || 0x00 || chain id || 0x00 || Vote bytes). */
export function voteSignBytes(chainId: string, vote: Vote): Uint8Array {
  return sha256(concatBytes(VOTE_DOMAIN, SEPARATOR, utf8(chainId), SEPARATOR, encodeVote(vote)));
}

export function encodeValidatorSet(validators: readonly Validator[]): Uint8Array {
  const set = new ProtobufWriter();
  for (const v of validators) {
    set.message(1, new ProtobufWriter().bytes(1, v.address).bytes(2, v.pubkey).uint(3, v.power).finish());
  }
  return set.finish();
}

/** The hash a header carries for a validator set, in the order given (the set's canonical order). */
export function validatorsHash(validators: readonly Validator[]): Uint8Array {
  return sha256(encodeValidatorSet(validators));
}

export function encodeCommit(c: Commit): Uint8Array {
  const w = new ProtobufWriter().uint(1, c.height).uint(2, c.round).bytes(3, c.blockHash);
  for (const s of c.signatures) {
    w.message(4, new ProtobufWriter().bytes(1, s.validatorAddress).uint(2, s.timeMs).bytes(3, s.signature).finish());
  }
  return w.finish();
}

/** The last commit's hash a header carries; no commit (the first block) hashes the empty string. */
export function commitHash(c: Commit | undefined): Uint8Array {
  return c === undefined ? sha256(new Uint8Array(0)) : sha256(encodeCommit(c));
}
