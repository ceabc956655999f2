/**
 * This validator's proposals and votes, from the engine's publish effects to the network: signed once
 * through OwnSignatures (WAL intent, guard, replay), our votes kept with the peers' for commits, and each
 * message handed to the outbox, which sends it once its records are durable and re-sends it each tick.
 */
import type { Proposal, Vote } from "../consensus/engine/types.ts";
import { PREVOTE } from "../consensus/engine/types.ts";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../consensus/signer-guard.ts";
import { fromHex } from "../crypto/bytes.ts";
import type { Block } from "../proto/block.ts";
import { proposalSignBytes, type SignedVote, voteSignBytes } from "../proto/consensus.ts";
import { compactProposalOf } from "../proto/p2p.ts";
import type { ConsensusOutbox } from "./consensus-outbox.ts";
import type { OwnSignatures } from "./own-signatures.ts";
import type { SignedVotes } from "./signed-votes.ts";
import type { GuardedSigner } from "./signer.ts";

export interface OwnMessagesDeps {
  own: OwnSignatures;
  outbox: ConsensusOutbox;
  votes: SignedVotes;
  signer: GuardedSigner;
  chainId: () => string;
  /** Whether there is a network to send to (none in a single-process test). */
  networked: boolean;
  /** A write of ours failed: fatal. */
  onFail: (err: unknown) => void;
}

export class OwnMessages {
  private readonly d: OwnMessagesDeps;

  constructor(deps: OwnMessagesDeps) {
    this.d = deps;
  }

  /**
   * Signs and sends our proposal of `block` (undefined: not in hand). `quiet`: replayed from the WAL, so it
   * goes out with the next re-broadcast, not at once.
   */
  proposal(p: Proposal, block: Block | undefined, quiet: boolean): void {
    const chainId = this.d.chainId();
    const proposal = (timeMs: number) => ({
      height: p.height,
      round: p.round,
      polRound: p.polRound,
      blockHash: fromHex(p.value) as Uint8Array,
      timeMs,
      proposerAddress: this.d.signer.address,
    });
    const signed = this.d.own.sign(STEP_PROPOSE, p.height, p.round, p.value, (timeMs) =>
      proposalSignBytes(chainId, proposal(timeMs)),
    );
    if (signed === undefined) return;
    if (block === undefined || !this.d.networked) {
      // Not sent (no network, or the block is not in hand): a failed write is still fatal, never unhandled.
      signed.durable.then(undefined, (err: unknown) => this.d.onFail(err));
      return;
    }
    // Compact: the peers hold the txs (gossiped at admission) and fetch what they lack from us.
    const message = compactProposalOf({ proposal: proposal(signed.timeMs), signature: signed.signature }, block);
    this.d.outbox.send(`${STEP_PROPOSE}/${p.round}`, p.round, message, signed.durable, quiet);
  }

  /** Signs, keeps and sends our vote. `quiet`: as for a proposal. */
  vote(v: Vote, quiet: boolean): void {
    const chainId = this.d.chainId();
    const step = v.type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT;
    const vote = (timeMs: number) => ({
      type: v.type,
      height: v.height,
      round: v.round,
      blockHash: v.value === null ? new Uint8Array(0) : (fromHex(v.value) as Uint8Array),
      timeMs,
      validatorAddress: this.d.signer.address,
    });
    const signed = this.d.own.sign(step, v.height, v.round, v.value, (timeMs) => voteSignBytes(chainId, vote(timeMs)));
    // Refused: the engine counted a vote that was never signed; a decision that needs it stops the node (its
    // commit could not be built), never a commit without the signature.
    if (signed === undefined) return;
    const sv: SignedVote = { vote: vote(signed.timeMs), signature: signed.signature };
    this.d.votes.add(v.validator, v.value, sv, true);
    this.d.outbox.send(`${step}/${v.round}`, v.round, { type: "vote", vote: sv }, signed.durable, quiet);
  }
}
