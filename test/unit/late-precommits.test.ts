import { describe, expect, it } from "vitest";
import type { Vote } from "../../consensus/engine/types.ts";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { PeerMisbehaviour } from "../../node/consensus-checks.ts";
import { LatePrecommits } from "../../node/late-precommits.ts";
import { SignedVotes } from "../../node/signed-votes.ts";
import type { Commit, Validator } from "../../proto/block.ts";
import { PRECOMMIT, PREVOTE, type SignedVote, type VoteType, voteSignBytes } from "../../proto/consensus.ts";

/**
 * The next block's last commit, alone: four validators, a block decided at height 7 round 1 by the first
 * three; the fourth's precommit, held at the decision or arriving later, joins the last commit once, and
 * nothing else does (another block, another round, a prevote, a bad signature).
 */
const CHAIN_ID = "opl-test-1";
const members = Array.from({ length: 4 }, () => {
  const secret = generateSecretKey();
  const pubkey = publicKeyOf(secret);
  const validator: Validator = { address: addressFromPublicKey(pubkey), pubkey, power: 10 };
  return { secret, validator };
});
const decided = new Uint8Array(32).fill(7);
const valueId = Buffer.from(decided).toString("hex");

interface VoteShape {
  type?: VoteType;
  round?: number;
  hash?: Uint8Array;
  forged?: boolean;
}

function signed(i: number, opts: VoteShape = {}): SignedVote {
  const vote = {
    type: opts.type ?? PRECOMMIT,
    height: 7,
    round: opts.round ?? 1,
    blockHash: opts.hash ?? decided,
    timeMs: 1000 + i,
    validatorAddress: members[i].validator.address,
  };
  const signature = opts.forged ? new Uint8Array(64) : signPortable(voteSignBytes(CHAIN_ID, vote), members[i].secret);
  return { vote, signature };
}

function setup() {
  const votes = new SignedVotes();
  const late = new LatePrecommits({
    chainId: () => CHAIN_ID,
    validators: () => members.map((m) => m.validator),
    votes,
  });
  const commit: Commit = {
    height: 7,
    round: 1,
    blockHash: decided,
    signatures: [0, 1, 2].map((i) => {
      const sv = signed(i);
      return { validatorAddress: sv.vote.validatorAddress, timeMs: sv.vote.timeMs, signature: sv.signature };
    }),
  };
  const quorum: Vote[] = [0, 1, 2].map((i) => ({ type: PRECOMMIT, height: 7, round: 1, value: valueId, validator: i }));
  return { votes, late, commit, quorum };
}

describe("late precommits for the next last commit", () => {
  it("a precommit held beyond the quorum at the decision joins the last commit", () => {
    const { votes, late, commit, quorum } = setup();
    for (const i of [0, 1, 2, 3]) votes.add(i, valueId, signed(i));
    late.keep(7, 1, valueId, quorum);
    expect(late.count(7)).toBe(1);
    const next = late.withLate(commit);
    expect(next?.signatures.map((s) => s.validatorAddress)).toEqual(members.map((m) => m.validator.address));
  });

  it("a precommit arriving after the decision is checked and added once; nothing else is", () => {
    const { late, commit, quorum } = setup();
    late.keep(7, 1, valueId, quorum);
    expect(late.count(7)).toBe(0);
    expect(late.withLate(commit)).toBe(commit);
    expect(late.take(signed(3, { hash: new Uint8Array(32).fill(9) }), commit)).toBe(false); // another block
    expect(late.take(signed(3, { round: 0 }), commit)).toBe(false); // another round
    expect(late.take(signed(3, { type: PREVOTE }), commit)).toBe(false); // not a precommit
    expect(late.take(signed(1), commit)).toBe(false); // already in the commit
    expect(() => late.take(signed(3, { forged: true }), commit)).toThrow(PeerMisbehaviour);
    expect(late.take(signed(3), commit)).toBe(true);
    expect(late.take(signed(3), commit)).toBe(false); // once
    expect(late.count(7)).toBe(1);
    expect(late.count(8)).toBe(0);
    expect(late.withLate(commit)?.signatures).toHaveLength(4);
    expect(late.withLate(undefined)).toBeUndefined();
  });
});
