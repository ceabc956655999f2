import { equalBytes } from "../crypto/bytes.ts";
import type { ValueId } from "../consensus/engine/types.ts";
import type { ConsensusMessage } from "../proto/p2p.ts";
import type { SignedVote } from "../proto/consensus.ts";
import type { SignedVotes } from "./signed-votes.ts";

/** Where the engine stands: its height, round, and lock (Engine.lock). */
export interface RelayPoint {
  height: number;
  round: number;
  lock: { lockedValue: ValueId | null; lockedRound: number; validValue: ValueId | null; validRound: number };
}

/**
 * The votes the outbox relays on a re-broadcast tick (see ConsensusOutbox.resend): the prevotes of the rounds
 * of the valid value and the lock (the proof a re-proposal names), then every stored vote of the current and
 * previous round; not `own` validator's (the outbox re-sends those itself).
 */
export function votesToRelay(votes: SignedVotes, at: RelayPoint, own: Uint8Array): ConsensusMessage[] {
  const { height, round, lock } = at;
  const picked = new Set<SignedVote>();
  const locks = new Map<number, ValueId>();
  if (lock.validRound >= 0 && lock.validValue !== null) locks.set(lock.validRound, lock.validValue);
  if (lock.lockedRound >= 0 && lock.lockedValue !== null) locks.set(lock.lockedRound, lock.lockedValue);
  for (const [r, value] of locks) for (const vote of votes.prevotesFor(height, r, value)) picked.add(vote);
  for (const r of [round, round - 1]) for (const vote of votes.ofRound(height, r)) picked.add(vote);
  const messages: ConsensusMessage[] = [];
  for (const vote of picked) if (!equalBytes(vote.vote.validatorAddress, own)) messages.push({ type: "vote", vote });
  return messages;
}
