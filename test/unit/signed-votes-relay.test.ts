import { describe, expect, it } from "vitest";
import { PRECOMMIT, PREVOTE, type SignedVote, type VoteType } from "../../proto/consensus.ts";
import { SignedVotes } from "../../node/signed-votes.ts";
import { votesToRelay } from "../../node/vote-relay.ts";

/**
 * What the driver relays comes from here (ConsensusOutbox.resend): the votes of a round, each validator's first
 * of each kind before any conflicting one (an equivocator's 64 would otherwise crowd a bounded relay), and the
 * prevotes behind a lock: exactly that round's prevotes for that value.
 */
function signed(type: VoteType, round: number, validator: number, value: string | null): SignedVote {
  return {
    vote: {
      type,
      height: 5,
      round,
      blockHash: value === null ? new Uint8Array(0) : Uint8Array.from(Buffer.from(value, "hex")),
      timeMs: 1,
      validatorAddress: new Uint8Array(20).fill(validator),
    },
    signature: new Uint8Array(64),
  };
}

/** Adds a signed vote to `votes` and returns it. */
function adderTo(votes: SignedVotes) {
  return (type: VoteType, round: number, validator: number, value: string | null) => {
    const sv = signed(type, round, validator, value);
    votes.add(validator, value, sv);
    return sv;
  };
}

describe("the votes a node relays", () => {
  it("a round's votes, first votes before an equivocator's others; a lock's prevotes, and only those", () => {
    const votes = new SignedVotes();
    const add = adderTo(votes);
    const a1 = add(PREVOTE, 2, 0, "aa");
    const a2 = add(PREVOTE, 2, 0, "bb"); // validator 0 equivocates
    const a3 = add(PREVOTE, 2, 0, "cc");
    const b = add(PREVOTE, 2, 1, "aa");
    const c = add(PRECOMMIT, 2, 1, "aa");
    const other = add(PREVOTE, 3, 2, "aa");
    add(PREVOTE, 12, 2, "aa"); // round 12: not round 2's, though its text starts with "1"

    expect(votes.ofRound(5, 2)).toEqual([a1, b, c, a2, a3]);
    expect(votes.ofRound(5, 3)).toEqual([other]);
    expect(votes.ofRound(6, 2)).toEqual([]);
    expect(votes.prevotesFor(5, 2, "aa")).toEqual([a1, b]);
    expect(votes.prevotesFor(5, 1, "aa")).toEqual([]);
  });

  it("relays the lock's prevotes and the last two rounds' votes, not the node's own", () => {
    const votes = new SignedVotes();
    const add = adderTo(votes);
    const lockOwn = add(PREVOTE, 1, 0, "aa");
    const lockOther = add(PREVOTE, 1, 1, "aa");
    add(PREVOTE, 1, 2, "bb"); // round 1, another value: not the lock's proof
    add(PREVOTE, 3, 1, null); // round 3: neither the lock's nor one of the last two
    const current = add(PRECOMMIT, 5, 2, null);
    const previous = add(PREVOTE, 4, 1, null);
    add(PREVOTE, 5, 0, null); // the node's own (validator 0)
    const lock = { lockedValue: "aa", lockedRound: 1, validValue: "aa", validRound: 1 };
    const relayed = votesToRelay(votes, { height: 5, round: 5, lock }, new Uint8Array(20).fill(0));
    expect(relayed.map((m) => (m.type === "vote" ? m.vote : undefined))).toEqual([lockOther, current, previous]);
    expect(relayed).not.toContainEqual({ type: "vote", vote: lockOwn });
  });
});
