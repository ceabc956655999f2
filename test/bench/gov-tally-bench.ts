import { MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import { writeAmount } from "../../state/modules/common.ts";
import { apply } from "../../state/modules/gov/gov.ts";
import { computeTally } from "../../state/modules/gov/tally.ts";
import { Overlay } from "../../state/view.ts";
import { GOV_TEST_PARAMS, GovChain, OPEN } from "../helpers/gov-chain.ts";
import { measureVerifyRate } from "./verify-rate.ts";

/**
 * Governance's costs in ed25519 verifies (measured just before by test/bench/verify-rate.ts, so the figures
 * hold on a busy machine): a vote's transition (VOTES votes of stakers naming the validator they staked
 * with, through the module's apply), and the end-of-vote tally of that proposal, which reads running sums
 * per validator, not the votes. Usage: npx node test/bench/gov-tally-bench.ts (VOTES=100000 by default;
 * MORE_VALIDATORS=997 for maxCandidates' 1000 validators).
 */

const VOTES = Number(process.env.VOTES ?? 100_000);
/** Validators besides the three voted with: the tally's work grows with them (at most maxCandidates). */
const MORE_VALIDATORS = Number(process.env.MORE_VALIDATORS ?? 0);
const TALLY_RUNS = 5;

const params = { ...GOV_TEST_PARAMS, staking: { ...GOV_TEST_PARAMS.staking, maxValidators: 100 } };
const chain = new GovChain(params, 0n, MORE_VALIDATORS);
chain.send(4, {
  type: "submit_proposal",
  title: "bench",
  description: "",
  deposit: 100n * OPEN,
  content: { kind: "text" },
});
const ctx = chain.context();
const options = ["yes", "no", "abstain", "no_with_veto"] as const;

const rate = measureVerifyRate("opl-bench-1", 2000);
const voteStart = performance.now();
chain.state.run((view) => {
  for (let i = 0; i < VOTES; i++) {
    const voter = new Uint8Array(20);
    new DataView(voter.buffer).setUint32(0, i + 1);
    const validator = chain.address(i % 3);
    // The staker's shares, as a stake would leave them (the stake itself is staking's cost, not this one).
    writeAmount(view, stateKey(MODULE_PREFIX.stakingDelegation, voter, validator), OPEN);
    apply(view, voter, { type: "vote", proposalId: 1, option: options[i % 4], validators: [validator] }, ctx);
  }
});
const voteMs = performance.now() - voteStart;

const times: number[] = [];
for (let r = 0; r < TALLY_RUNS; r++) {
  const start = performance.now();
  const tally = computeTally(new Overlay(chain.state), 1);
  times.push(performance.now() - start);
  if (tally.yes === 0n) throw new Error("the tally counted nothing");
}
times.sort((a, b) => a - b);
const tallyMs = times[Math.floor(TALLY_RUNS / 2)];
const inVerifies = (ms: number) => (ms * 1000) / rate.verifyUs;
console.info(
  JSON.stringify({
    votes: VOTES,
    validators: 3 + MORE_VALIDATORS,
    verifyUs: Number(rate.verifyUs.toFixed(1)),
    voteApplyInVerifies: Number((inVerifies(voteMs) / VOTES).toFixed(3)),
    tallyMsMedian: Number(tallyMs.toFixed(3)),
    tallyInVerifies: Number(inVerifies(tallyMs).toFixed(2)),
  }),
);
