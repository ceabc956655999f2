import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../../crypto/address.ts";
import type { ProposalContent, VoteOption } from "../../../proto/gov-msgs.ts";
import { decodeAccount, type TxResult } from "../../../proto/records.ts";
import type { TxMsg } from "../../../proto/tx.ts";
import { TX_ERRORS } from "../../../state/errors.ts";
import { MODULE_PREFIX } from "../../../state/keys.ts";
import { getRewardFromSource, getRewards } from "../../../state/modules/attribution/attribution.ts";
import { getAccount } from "../../../state/modules/bank/bank.ts";
import { readAmount } from "../../../state/modules/common.ts";
import { getActiveProposalIds, getProposal } from "../../../state/modules/gov/queries.ts";
import { computeTally } from "../../../state/modules/gov/tally.ts";
import { getValidator } from "../../../state/modules/staking/staking.ts";
import type { ChainParams } from "../../../state/params.ts";
import { supplyBreakdown } from "../../../state/supply.ts";
import { GOV_TEST_PARAMS, GovChain, OPEN } from "../../helpers/gov-chain.ts";

const submit = (content: ProposalContent, deposit = 100n * OPEN): TxMsg => ({
  type: "submit_proposal",
  title: `a ${content.kind} proposal`,
  description: "",
  deposit,
  content,
});
const vote = (proposalId: number, option: VoteOption, validators: Uint8Array[] = []): TxMsg => ({
  type: "vote",
  proposalId,
  option,
  validators,
});
const paramChange = (key: string, value: string): ProposalContent => ({ kind: "params", changes: [{ key, value }] });

function ok(result: TxResult): void {
  expect(result.log).toBe("");
  expect(result.code).toBe(0);
}

function failed(result: TxResult, code: keyof typeof TX_ERRORS, log: RegExp): void {
  expect(result.code).toBe(TX_ERRORS[code]);
  expect(result.log).toMatch(log);
}

/** Every balance summed is what the breakdown says balances hold, and the total never moved. */
function expectSupplyKept(chain: GovChain, total: bigint): void {
  const b = supplyBreakdown(chain.state);
  expect(b.total).toBe(total);
  let sum = 0n;
  for (const [, v] of chain.state.entries(MODULE_PREFIX.bankAccount)) sum += decodeAccount(v).balance;
  expect(sum).toBe(b.balances);
}

const balance = (chain: GovChain, i: number) => getAccount(chain.state, chain.address(i)).balance;
const treasury = (chain: GovChain) => readAmount(chain.state, MODULE_PREFIX.treasury);

describe("governance: a parameter change", () => {
  it("passes by stake, a staker overriding its validator, and applies from the block after the tally", () => {
    const chain = new GovChain();
    const total = supplyBreakdown(chain.state).total;
    ok(chain.send(3, { type: "stake", validator: chain.address(0), amount: 50n * OPEN }));
    ok(chain.send(4, submit(paramChange("attribution.protocolSharePpm", "120000"))));
    const p = getProposal(chain.state, 1);
    expect(p?.status).toBe("voting_period");
    expect(p?.votingEnd).toBe(2 + GOV_TEST_PARAMS.gov.votingPeriodBlocks);
    const results = chain.block([
      { from: 0, msg: vote(1, "yes") },
      { from: 1, msg: vote(1, "no") },
      { from: 1, msg: vote(1, "yes") }, // changed before the end: the last vote counts
      { from: 3, msg: vote(1, "no", [chain.address(0)]) }, // its 50 OPEN with validator 0 vote no
    ]);
    results.forEach(ok);
    // Live tally: validator 0's 350 less the staker's 50, validator 1's 200.
    expect(computeTally(chain.state, 1)).toEqual({ yes: 500n * OPEN, abstain: 0n, no: 50n * OPEN, noWithVeto: 0n });

    chain.until(6);
    expect(chain.params().attribution.protocolSharePpm).toBe(100_000);
    const depositorBefore = balance(chain, 4);
    chain.block(); // block 7: the last voting block, whose end tallies and executes
    expect(getProposal(chain.state, 1)).toMatchObject({
      status: "passed",
      tally: { yes: 500n * OPEN, no: 50n * OPEN, abstain: 0n, noWithVeto: 0n },
    });
    expect(chain.context().params.attribution.protocolSharePpm).toBe(120_000); // block 8's params
    expect(balance(chain, 4)).toBe(depositorBefore + 100n * OPEN); // deposit refunded
    expect(readAmount(chain.state, MODULE_PREFIX.govEscrow)).toBe(0n);
    expect(getActiveProposalIds(chain.state)).toEqual([]);
    expect(chain.state.get(MODULE_PREFIX.govParams)).toBeDefined();
    expectSupplyKept(chain, total);
  });

  it("a chain where no change executed has no params record (its roots are the ones it had)", () => {
    const chain = new GovChain();
    chain.until(3);
    expect(chain.state.get(MODULE_PREFIX.govParams)).toBeUndefined();
    expect(chain.params()).toBe(chain.genesisParams);
  });

  it("is refused at submission for an unknown parameter or a value out of bounds, with nothing moved", () => {
    const chain = new GovChain();
    const before = balance(chain, 4);
    const cases: [ProposalContent, RegExp][] = [
      [paramChange("attribution.nope", "1"), /parameter change refused: attribution\.nope is not a parameter/],
      [paramChange("minFees", "1"), /minFees is not a parameter/],
      [paramChange("attribution", "1"), /attribution is not a parameter/],
      [paramChange("attribution.protocolSharePpm", "950000"), /protocolSharePpm \+ ownerSharePpm must be at most/],
      [paramChange("gov.quorumPpm", "1000001"), /gov\.quorumPpm must be at most 1000000/],
      [paramChange("staking.maxValidators", "0"), /maxValidators must be a positive integer/],
      [paramChange("minFee", "-1"), /"-1" is not a decimal number/],
    ];
    for (const [content, message] of cases) {
      const error = chain.refusal(4, submit(content));
      expect(error.code).toBe("INVALID_MSG");
      expect(error.message).toMatch(message);
    }
    expect(balance(chain, 4)).toBe(before);
    expect(getProposal(chain.state, 1)).toBeUndefined();
  });

  it("that is valid when submitted but not after another executes fails, and changes nothing", () => {
    const chain = new GovChain();
    ok(chain.send(4, submit(paramChange("attribution.protocolSharePpm", "600000")))); // 600k + 300k owner: valid
    ok(chain.send(4, submit(paramChange("attribution.ownerSharePpm", "600000")))); // 100k + 600k: valid alone
    chain.block([
      { from: 0, msg: vote(1, "yes") },
      { from: 0, msg: vote(2, "yes") },
    ]);
    chain.until(getProposal(chain.state, 2)?.votingEnd ?? 0);
    expect(getProposal(chain.state, 1)?.status).toBe("passed");
    const second = getProposal(chain.state, 2);
    expect(second?.status).toBe("failed");
    expect(second?.failure).toMatch(/protocolSharePpm \+ ownerSharePpm must be at most 1000000/);
    expect(chain.params().attribution).toMatchObject({ protocolSharePpm: 600_000, ownerSharePpm: 300_000 });
  });
});

describe("governance: lifecycle and tally", () => {
  it("a deposit below the minimum at the end of the deposit period drops the proposal and refunds it", () => {
    const chain = new GovChain();
    const total = supplyBreakdown(chain.state).total;
    const before = [balance(chain, 4), balance(chain, 5)];
    ok(chain.send(4, submit({ kind: "text" }, 30n * OPEN)));
    ok(chain.send(5, { type: "deposit", proposalId: 1, amount: 20n * OPEN }));
    expect(getProposal(chain.state, 1)).toMatchObject({ status: "deposit_period", totalDeposit: 50n * OPEN });
    chain.until(1 + GOV_TEST_PARAMS.gov.depositPeriodBlocks);
    expect(getProposal(chain.state, 1)?.status).toBe("dropped");
    const fee = GOV_TEST_PARAMS.minFee;
    expect([balance(chain, 4), balance(chain, 5)]).toEqual([before[0] - fee, before[1] - fee]);
    expectSupplyKept(chain, total);
  });

  it("deposits that reach the minimum start the vote; a deposit to a finished proposal is refused", () => {
    const chain = new GovChain();
    ok(chain.send(4, submit({ kind: "text" }, 60n * OPEN)));
    ok(chain.send(5, { type: "deposit", proposalId: 1, amount: 40n * OPEN }));
    expect(getProposal(chain.state, 1)).toMatchObject({ status: "voting_period", votingEnd: 2 + 5 });
    const held = readAmount(chain.state, MODULE_PREFIX.govEscrow);
    failed(chain.send(5, { type: "deposit", proposalId: 1, amount: OPEN }), "INVALID_STATE", /deposit period/);
    failed(chain.send(5, { type: "deposit", proposalId: 9, amount: OPEN }), "NOT_FOUND", /proposal 9 does not exist/);
    expect(readAmount(chain.state, MODULE_PREFIX.govEscrow)).toBe(held);
  });

  it("refuses a vote outside the voting period and a vote from an address with no stake", () => {
    const chain = new GovChain();
    ok(chain.send(4, submit({ kind: "text" }, 10n * OPEN)));
    failed(chain.send(0, vote(1, "yes")), "INVALID_STATE", /not in its voting period \(it is deposit period\)/);
    ok(chain.send(4, { type: "deposit", proposalId: 1, amount: 90n * OPEN }));
    failed(chain.send(5, vote(1, "yes")), "INSUFFICIENT_STAKE", /has no stake to vote with/);
    failed(chain.send(5, vote(1, "yes", [chain.address(0)])), "INSUFFICIENT_STAKE", /has no stake with validator/);
    expect(computeTally(chain.state, 1)).toEqual({ yes: 0n, abstain: 0n, no: 0n, noWithVeto: 0n });
    chain.until(getProposal(chain.state, 1)?.votingEnd ?? 0);
    failed(chain.send(0, vote(1, "yes")), "INVALID_STATE", /not in its voting period \(it is no quorum\)/);
  });

  it("vetoed: deposits go to the treasury; too few voting: no quorum, deposits to the treasury", () => {
    const chain = new GovChain();
    const total = supplyBreakdown(chain.state).total;
    ok(chain.send(4, submit({ kind: "text" })));
    ok(chain.send(4, submit({ kind: "text" })));
    chain.block([
      { from: 0, msg: vote(1, "yes") }, // 300 yes
      { from: 1, msg: vote(1, "no_with_veto") }, // 200 veto of 500: 40% >= 33.4%
      { from: 2, msg: vote(2, "yes") }, // 100 of 600 bonded: below the 33.4% quorum
    ]);
    chain.until(getProposal(chain.state, 2)?.votingEnd ?? 0);
    expect(getProposal(chain.state, 1)?.status).toBe("vetoed");
    expect(getProposal(chain.state, 2)?.status).toBe("no_quorum");
    expect(treasury(chain)).toBe(200n * OPEN);
    expect(readAmount(chain.state, MODULE_PREFIX.govEscrow)).toBe(0n);
    expectSupplyKept(chain, total);
  });

  it("rejected: more no than the threshold allows; deposits refunded", () => {
    const chain = new GovChain();
    const before = balance(chain, 4);
    ok(chain.send(4, submit({ kind: "text" })));
    chain.block([
      { from: 0, msg: vote(1, "no") },
      { from: 1, msg: vote(1, "yes") },
      { from: 2, msg: vote(1, "abstain") },
    ]);
    chain.until(getProposal(chain.state, 1)?.votingEnd ?? 0);
    expect(getProposal(chain.state, 1)).toMatchObject({
      status: "rejected",
      tally: { yes: 200n * OPEN, no: 300n * OPEN, abstain: 100n * OPEN, noWithVeto: 0n },
    });
    expect(balance(chain, 4)).toBe(before - GOV_TEST_PARAMS.minFee);
  });

  it("at most maxActiveProposals at once; votes of proposals started together end in different blocks", () => {
    const params: ChainParams = { ...GOV_TEST_PARAMS, gov: { ...GOV_TEST_PARAMS.gov, maxActiveProposals: 2 } };
    const chain = new GovChain(params);
    const results = chain.block([
      { from: 4, msg: submit({ kind: "text" }) },
      { from: 5, msg: submit({ kind: "text" }) },
      { from: 3, msg: submit({ kind: "text" }) },
    ]);
    ok(results[0]);
    ok(results[1]);
    failed(results[2], "LIMIT_EXCEEDED", /2 proposals are active; at most 2 may be/);
    expect([getProposal(chain.state, 1)?.votingEnd, getProposal(chain.state, 2)?.votingEnd]).toEqual([6, 7]);
  });
});

describe("governance: treasury spends", () => {
  it("to an address: passes and pays; larger than the treasury: refused at submission, or fails at execution", () => {
    const chain = new GovChain(GOV_TEST_PARAMS, 1000n * OPEN);
    const total = supplyBreakdown(chain.state).total;
    const to = new Uint8Array(20).fill(0x77);
    const before = balance(chain, 4);
    failed(
      chain.send(4, submit({ kind: "spend", to, amount: 1001n * OPEN })),
      "INSUFFICIENT_FUNDS",
      /the treasury holds 1000000000000000000000, less than the 1001000000000000000000 to spend/,
    );
    expect(balance(chain, 4)).toBe(before - GOV_TEST_PARAMS.minFee); // the fee only
    expect(getProposal(chain.state, 1)).toBeUndefined();

    // Two spends the treasury covers one at a time, not both: the second to execute fails.
    ok(chain.send(4, submit({ kind: "spend", to, amount: 700n * OPEN })));
    ok(chain.send(4, submit({ kind: "spend", to, amount: 600n * OPEN })));
    chain.block([
      { from: 0, msg: vote(1, "yes") },
      { from: 0, msg: vote(2, "yes") },
    ]);
    chain.until(getProposal(chain.state, 2)?.votingEnd ?? 0);
    expect(getProposal(chain.state, 1)?.status).toBe("passed");
    expect(getProposal(chain.state, 2)).toMatchObject({ status: "failed", failure: expect.stringMatching(/treasury holds/) });
    expect(getAccount(chain.state, to).balance).toBe(700n * OPEN);
    expect(treasury(chain)).toBe(300n * OPEN);
    expectSupplyKept(chain, total);
  });

  it("to a datanet version: shared equally among its unslashed contributions as claimable treasury rewards", () => {
    const chain = new GovChain(GOV_TEST_PARAMS, 1000n * OPEN);
    const total = supplyBreakdown(chain.state).total;
    ok(
      chain.send(5, {
        type: "create_datanet",
        name: "data",
        description: "",
        license: "cc-by-4.0",
        curators: [],
        contributionStake: 0n,
        reviewFee: 0n,
        allowListed: false,
        contributors: [],
      }),
    );
    const contribute = (n: number): TxMsg => ({
      type: "contribute",
      datanetId: 1,
      contentHash: new Uint8Array(32).fill(n),
      uri: "ipfs://x",
      sizeBytes: 1,
      metadata: "",
    });
    chain.block([
      { from: 2, msg: contribute(1) },
      { from: 3, msg: contribute(2) },
      { from: 4, msg: contribute(3) },
    ]).forEach(ok);
    chain.block([1, 2, 3].map((id) => ({ from: 5, msg: { type: "review_contribution", contributionId: id, accept: true } })))
      .forEach(ok);
    ok(chain.send(5, { type: "publish_version", datanetId: 1 }));
    ok(chain.send(5, { type: "slash_contribution", contributionId: 2, reason: "spam" }));

    const amount = 100n * OPEN + 1n; // 50 OPEN each to two contributions; the odd base unit stays
    ok(chain.send(4, submit({ kind: "spend_datanet", datanetId: 1, version: 1, amount })));
    const id = 1;
    ok(chain.send(0, vote(id, "yes")));
    chain.until(getProposal(chain.state, id)?.votingEnd ?? 0);
    expect(getProposal(chain.state, id)?.status).toBe("passed");
    for (const i of [2, 4]) {
      expect(getRewardFromSource(chain.state, chain.address(i), "treasury", id)).toBe(50n * OPEN);
      expect(getRewards(chain.state, chain.address(i)).accrued).toBe(50n * OPEN);
    }
    expect(getRewards(chain.state, chain.address(3)).accrued).toBe(0n); // slashed
    expect(treasury(chain)).toBe(900n * OPEN); // 100 OPEN paid out; the odd base unit never left
    const before = balance(chain, 2);
    ok(chain.send(2, { type: "claim_rewards" }));
    expect(balance(chain, 2)).toBe(before + 50n * OPEN - GOV_TEST_PARAMS.minFee);
    expectSupplyKept(chain, total);
  });
});

describe("governance: stake weights", () => {
  it("weights are the bonds at the end of voting: stake added after a vote counts", () => {
    const chain = new GovChain();
    ok(chain.send(4, submit({ kind: "text" })));
    ok(chain.send(2, vote(1, "yes")));
    ok(chain.send(3, { type: "stake", validator: chain.address(2), amount: 400n * OPEN }));
    expect(getValidator(chain.state, chain.address(2))?.tokens).toBe(500n * OPEN);
    chain.until(getProposal(chain.state, 1)?.votingEnd ?? 0);
    // 500 of 1000 bonded voted yes: quorum and threshold met.
    expect(getProposal(chain.state, 1)).toMatchObject({ status: "passed", tally: { yes: 500n * OPEN } });
    expect(encodeAddress(chain.address(2))).toMatch(/^opl1/);
  });

  it("a staker's vote counts its stake at the end: unstaking after voting takes it out of the vote", () => {
    const chain = new GovChain();
    ok(chain.send(3, { type: "stake", validator: chain.address(0), amount: 100n * OPEN }));
    ok(chain.send(4, submit({ kind: "text" })));
    chain.block([
      { from: 0, msg: vote(1, "yes") },
      { from: 3, msg: vote(1, "no", [chain.address(0)]) },
    ]).forEach(ok);
    expect(computeTally(chain.state, 1)).toMatchObject({ yes: 300n * OPEN, no: 100n * OPEN });
    ok(chain.send(3, { type: "unstake", validator: chain.address(0), amount: 60n * OPEN }));
    expect(computeTally(chain.state, 1)).toMatchObject({ yes: 300n * OPEN, no: 40n * OPEN });
    ok(chain.send(3, vote(1, "abstain", [chain.address(0)]))); // changed: its 40 move to abstain
    chain.until(getProposal(chain.state, 1)?.votingEnd ?? 0);
    expect(getProposal(chain.state, 1)).toMatchObject({
      status: "passed",
      tally: { yes: 300n * OPEN, no: 0n, abstain: 40n * OPEN, noWithVeto: 0n },
    });
    // The running sums are dropped with the vote over.
    expect(chain.state.entries(MODULE_PREFIX.govVotedShares)).toEqual([]);
  });
});
