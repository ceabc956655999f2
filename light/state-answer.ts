import { equalBytes, toHex } from "./bytes.ts";
import { refuse } from "./errors.ts";
import type { StateProofAnswer } from "./json.ts";
import { type VerifiedStateProof, verifyStateProof } from "./state-proof.ts";
import type { Header } from "./types.ts";

export interface VerifiedStateAnswer extends VerifiedStateProof {
  height: number;
  stateRoot: Uint8Array;
}

/**
 * Checks a `state_getProof` answer against a header the caller verified (through verifyToHeight or
 * verifyCommit): the answer's header is that header (same hash, same height), its state root is that
 * header's, and the proof shows the key's raw value (or absence) under that root. The header at height H
 * commits to the state after block H (proof-contract.md). With `expectedKey` (stateKeyOf the query), an
 * answer about another key than the one asked is refused.
 */
export function verifyStateProofAnswer(
  answer: StateProofAnswer,
  verifiedHeader: Header,
  verifiedHash: Uint8Array,
  expectedKey?: Uint8Array,
): VerifiedStateAnswer {
  if (expectedKey !== undefined && !equalBytes(answer.key, expectedKey)) {
    refuse("INVALID_PROOF", `the answer is about key ${toHex(answer.key)}, but key ${toHex(expectedKey)} was asked`);
  }
  if (answer.height !== verifiedHeader.height || answer.header.height !== verifiedHeader.height) {
    refuse("WRONG_HEIGHT", `the answer is for height ${answer.height} (header ${answer.header.height}), but the verified header is at height ${verifiedHeader.height}`);
  }
  if (!equalBytes(answer.headerHash, verifiedHash)) {
    refuse("HASH_MISMATCH", `the answer's header at height ${answer.height} is ${toHex(answer.headerHash)}, but the verified header there is ${toHex(verifiedHash)}`);
  }
  if (!equalBytes(answer.stateRoot, verifiedHeader.stateRoot)) {
    refuse("HASH_MISMATCH", `the answer's state root ${toHex(answer.stateRoot)} is not the verified header's ${toHex(verifiedHeader.stateRoot)}`);
  }
  const verified = verifyStateProof(verifiedHeader.stateRoot, answer.key, answer.valueBytes, answer.proof);
  return { ...verified, height: answer.height, stateRoot: verifiedHeader.stateRoot };
}
