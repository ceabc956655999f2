/**
 * Which evidence of double signing a block may carry (a real equivocation by a validator of its height,
 * recent enough, in canonical order, not yet committed, its validator not yet slashed for it), chosen for
 * a proposal or checked in a received block by the same rule; and what execution is told of each piece.
 */
import { compareBytes, toHex } from "../crypto/bytes.ts";
import { sha256 } from "../crypto/hash.ts";
import type { Validator } from "../proto/block.ts";
import { MAX_BLOCK_EVIDENCE } from "../proto/block-caps.ts";
import { encodeMessage } from "../proto/codec.ts";
import { type DuplicateVoteEvidence, evidenceFields } from "../proto/consensus.ts";
import { pb } from "../proto/schema.ts";
import type { BlockEvidence } from "../state/execute.ts";
import { evidenceKey } from "../state/modules/staking/keys.ts";
import { getValidator, operatorOf } from "../state/modules/staking/staking.ts";
import type { StateReader } from "../state/view.ts";
import { checkEvidence } from "./consensus-checks.ts";

/** What the evidence rules read: the chain, the latest state, validator sets, and the params in force. */
export interface EvidenceRules {
  chainId: string;
  state: StateReader;
  validators(height: number): Validator[];
  maxAgeBlocks: number;
}

/**
 * Why a piece of evidence cannot go into a block at `height`, or undefined if it can: its votes must be a
 * real equivocation by a validator of their height, recent enough, and not already committed.
 */
export function evidenceProblem(e: DuplicateVoteEvidence, height: number, r: EvidenceRules): string | undefined {
  const at = e.voteA.vote.height;
  if (at >= height) return `evidence from height ${at} is not from before this block`;
  // One encoding per equivocation, so it has one hash and counts once.
  if (compareBytes(e.voteA.vote.blockHash, e.voteB.vote.blockHash) >= 0)
    return "evidence votes are not in canonical order (block hashes ascending)";
  const maxAge = r.maxAgeBlocks;
  if (height - at > maxAge) return `evidence from height ${at} is older than ${maxAge} blocks`;
  try {
    checkEvidence(r.chainId, r.validators(at), e);
  } catch (err) {
    return `evidence is not valid: ${(err as Error).message}`;
  }
  if (r.state.get(evidenceKey(evidenceHash(e))) !== undefined)
    return "evidence was already committed";
  const operator = operatorOf(r.state, e.voteA.vote.validatorAddress);
  if (operator !== undefined && getValidator(r.state, operator)?.tombstoned)
    return "the validator was already slashed for double signing";
  return undefined;
}

/** The evidence a block at `height` may carry: valid, not yet committed, one per validator, at most a few. */
export function includableEvidence(
  candidates: readonly DuplicateVoteEvidence[],
  height: number,
  r: EvidenceRules,
): DuplicateVoteEvidence[] {
  const chosen: DuplicateVoteEvidence[] = [];
  const validators = new Set<string>();
  for (const e of candidates) {
    if (chosen.length >= MAX_BLOCK_EVIDENCE) break;
    const who = toHex(e.voteA.vote.validatorAddress);
    if (validators.has(who) || evidenceProblem(e, height, r) !== undefined) continue;
    validators.add(who);
    chosen.push(e);
  }
  return chosen;
}

function evidenceHash(e: DuplicateVoteEvidence): Uint8Array {
  return sha256(encodeMessage(pb.DuplicateVoteEvidence, evidenceFields(e)));
}

/** A piece of evidence as execution sees it (staking slashes its validator). */
export function blockEvidence(e: DuplicateVoteEvidence): BlockEvidence {
  return { hash: evidenceHash(e), validator: e.voteA.vote.validatorAddress, height: e.voteA.vote.height };
}
