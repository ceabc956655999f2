import { encodeAmount } from "../../proto/codec.ts";
import { govVoteCodec } from "../../proto/gov-records.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import { VOTERS, voteKey } from "../../state/modules/gov/keys.ts";
import { seqPush } from "../../state/modules/seq-list.ts";
import { computeTally } from "../../state/modules/gov/tally.ts";
import { Overlay } from "../../state/view.ts";
import { GovChain, OPEN } from "../helpers/gov-chain.ts";
import { measureVerifyRate } from "./verify-rate.ts";

/**
 * The cost of the end-of-vote tally of a proposal with VOTES votes, in ed25519 verifies (measured just
 * before by test/bench/verify-rate.ts), so the figure holds on a busy machine. Half the voters are stakers
 * naming one of the validators they staked with, half vote without stake records of their own (as a
 * validator's operator would; they count nothing but cost the same reads). The tally runs through an
 * Overlay over the state, as the end of a block runs it. Usage: npx node test/bench/gov-tally-bench.ts
 */

const VOTES = Number(process.env.VOTES ?? 100_000);
const RUNS = 3;

const chain = new GovChain();
const proposalId = 1;
chain.state.run((view) => {
  for (let i = 0; i < VOTES; i++) {
    const voter = new Uint8Array(20);
    new DataView(voter.buffer).setUint32(0, i + 1);
    const staker = i % 2 === 0;
    const validator = chain.address(i % 3);
    if (staker) view.set(stateKey(MODULE_PREFIX.stakingDelegation, voter, validator), encodeAmount(OPEN));
    seqPush(view, VOTERS, idKey(proposalId), voter);
    const option = (["yes", "no", "abstain", "no_with_veto"] as const)[i % 4];
    view.set(voteKey(proposalId, voter), govVoteCodec.encode({ option, validators: staker ? [validator] : [] }));
  }
});

const rate = measureVerifyRate("opl-bench-1", 2000);
const times: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const start = performance.now();
  const tally = computeTally(new Overlay(chain.state), proposalId);
  times.push(performance.now() - start);
  if (tally.yes === 0n) throw new Error("the tally counted nothing");
}
times.sort((a, b) => a - b);
const medianMs = times[Math.floor(RUNS / 2)];
const verifies = (medianMs * 1000) / rate.verifyUs;
console.info(
  JSON.stringify({
    votes: VOTES,
    tallyMsMedian: Number(medianMs.toFixed(1)),
    verifyUs: Number(rate.verifyUs.toFixed(1)),
    tallyInVerifies: Math.round(verifies),
    verifiesPerVote: Number((verifies / VOTES).toFixed(3)),
  }),
);
