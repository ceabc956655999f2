import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signPortable } from "../../../crypto/ed25519.ts";
import { TxError } from "../../../state/errors.ts";
import { MODULE_PREFIX } from "../../../state/keys.ts";
import { getAccount, setAccount } from "../../../state/modules/bank/bank.ts";
import {
  apply,
  beginBlock,
  getCandidates,
  getShares,
  getUnbonding,
  getValidator,
  possessionSignBytes,
  sharesValue,
} from "../../../state/modules/staking/staking.ts";
import { computeValidatorSet, latestSetHeight, validatorSetAt } from "../../../state/modules/staking/validator-set.ts";
import { supplyBreakdown } from "../../../state/supply.ts";
import {
  createMsg,
  createValidator,
  ctx,
  endBlock,
  OPEN,
  PARAMS,
  party,
  refusal,
  send,
  setup,
  sumOfBalances,
} from "./staking-fixture.ts";

describe("staking", () => {
  it("creates a validator from its operator's balance and bonds the self-stake", () => {
    const a = party(1);
    const state = setup([a]);
    const events = createValidator(state, a, 100n * OPEN);
    expect(events.map((e) => e.type)).toEqual(["create_validator", "stake"]);
    const v = getValidator(state, a.address);
    expect(v?.tokens).toBe(100n * OPEN);
    expect(getShares(state, a.address, a.address)).toBe(100n * OPEN);
    expect(getAccount(state, a.address).balance).toBe(9_900n * OPEN);
    expect(supplyBreakdown(state).bonded).toBe(100n * OPEN);
    // The same operator, or the same consensus key, cannot create a second one.
    expect(refusal(() => createValidator(state, a, 100n * OPEN))).toBe("INVALID_STATE");
    const b = { ...party(2), consensusPubkey: a.consensusPubkey, consensusSecret: a.consensusSecret };
    state.run((view) => setAccount(view, b.address, { nonce: 0, balance: 1000n * OPEN }));
    expect(refusal(() => createValidator(state, b, 100n * OPEN))).toBe("INVALID_STATE");
  });

  it("refuses a consensus key whose holder did not sign it over to this operator (proof of possession)", () => {
    const [a, squatter] = [party(1), party(2)];
    const state = setup([a, squatter]);
    // The squatter copies a's key and a's signature (made for a's operator address) into its own message.
    const stolen = { ...createMsg(a, 100n * OPEN), moniker: "squatter" };
    expect(refusal(() => send(state, squatter.address, stolen))).toBe("UNAUTHORIZED");
    // A claim signed for another chain does not count either.
    const otherChain = signPortable(possessionSignBytes("opl-other-1", a.address), a.consensusSecret);
    const replayed = { ...createMsg(a, 100n * OPEN), consensusSignature: otherChain };
    expect(refusal(() => send(state, a.address, replayed))).toBe("UNAUTHORIZED");
    createValidator(state, a, 100n * OPEN);
    expect(getValidator(state, a.address)?.consensusPubkey).toEqual(a.consensusPubkey);
  });

  it("stakes, unstakes into unbonding, and pays out when the unbonding period ends", () => {
    const [a, d] = [party(1), party(2)];
    const state = setup([a, d]);
    createValidator(state, a, 100n * OPEN);
    send(state, d.address, { type: "stake", validator: a.address, amount: 50n * OPEN });
    expect(sharesValue(getValidator(state, a.address)!, getShares(state, d.address, a.address))).toBe(50n * OPEN);

    expect(refusal(() => send(state, d.address, { type: "unstake", validator: a.address, amount: 51n * OPEN })))
      .toBe("INSUFFICIENT_STAKE");
    send(state, d.address, { type: "unstake", validator: a.address, amount: 20n * OPEN }, 5);
    expect(getUnbonding(state, d.address)).toMatchObject([{ amount: 20n * OPEN, completionHeight: 15 }]);
    expect(supplyBreakdown(state)).toMatchObject({ bonded: 130n * OPEN, unbonding: 20n * OPEN });
    const before = getAccount(state, d.address).balance;
    state.run((view) => endBlock(view, ctx(14)));
    expect(getAccount(state, d.address).balance).toBe(before); // not yet
    state.run((view) => endBlock(view, ctx(15)));
    expect(getAccount(state, d.address).balance).toBe(before + 20n * OPEN);
    expect(getUnbonding(state, d.address)).toEqual([]);
    expect(supplyBreakdown(state).unbonding).toBe(0n);
  });

  it("schedules a changed validator set for height + 2, by power, without jailed validators", () => {
    const [a, b] = [party(1), party(2)];
    const state = setup([a, b]);
    createValidator(state, a, 100n * OPEN);
    state.run((view) => endBlock(view, ctx(1)));
    expect(latestSetHeight(state)).toBe(3);
    createValidator(state, b, 300n * OPEN, 2);
    state.run((view) => endBlock(view, ctx(2)));
    expect(latestSetHeight(state)).toBe(4);
    const set = validatorSetAt(state, 4)!;
    expect(set.map((v) => v.address)).toEqual([b.consensusAddress, a.consensusAddress]);
    expect(set.map((v) => v.power)).toEqual([300_000, 100_000]); // 0.001 OPEN per unit of power
    state.run((view) => endBlock(view, ctx(3)));
    expect(latestSetHeight(state)).toBe(4); // unchanged set: nothing written
  });

  it("slashes committed equivocation once, tombstones the validator, and the treasury gets the slash", () => {
    const [a, d, b] = [party(1), party(2), party(3)];
    const state = setup([a, d, b]);
    createValidator(state, a, 100n * OPEN);
    createValidator(state, b, 100n * OPEN);
    send(state, d.address, { type: "stake", validator: a.address, amount: 100n * OPEN });
    const evidence = { hash: new Uint8Array(32).fill(9), validator: a.consensusAddress, height: 1 };
    const events = state.run((view) => beginBlock(view, ctx(3, { evidence: [evidence] })));
    expect(events).toMatchObject([{ type: "slash" }]);
    const v = getValidator(state, a.address)!;
    expect(v).toMatchObject({ tombstoned: true, tokens: 190n * OPEN, slashed: 10n * OPEN }); // 5% of 200
    // Stakers lose in proportion: 100 staked is now worth 95.
    expect(sharesValue(v, getShares(state, d.address, a.address))).toBe(95n * OPEN);
    expect(supplyBreakdown(state).treasury).toBe(10n * OPEN);
    // The same evidence again, or other evidence against it, does not slash twice.
    state.run((view) => beginBlock(view, ctx(4, { evidence: [evidence, { ...evidence, hash: new Uint8Array(32) }] })));
    expect(getValidator(state, a.address)?.tokens).toBe(190n * OPEN);
    expect(computeValidatorSet(state, PARAMS.staking).map((x) => x.address)).toEqual([b.consensusAddress]);
    expect(refusal(() => send(state, a.address, { type: "unjail" }, 100))).toBe("INVALID_STATE");
    expect(refusal(() => send(state, d.address, { type: "stake", validator: a.address, amount: OPEN })))
      .toBe("INVALID_STATE");
  });

  it("jails a validator that misses too many blocks of a window; unjail only after the jail period", () => {
    const [a, b] = [party(1), party(2)];
    const state = setup([a, b]);
    createValidator(state, a, 100n * OPEN);
    createValidator(state, b, 100n * OPEN);
    const votes = [
      { address: a.consensusAddress, signed: false },
      { address: b.consensusAddress, signed: true },
    ];
    let jailedAt = 0;
    for (let h = 10; h < 20 && jailedAt === 0; h++) {
      const events = state.run((view) => beginBlock(view, ctx(h, { lastCommitVotes: votes })));
      if (events.some((e) => e.type === "jail")) jailedAt = h;
    }
    expect(jailedAt).toBe(14); // the fifth miss of the window is one more than maxMissedBlocks (4)
    expect(getValidator(state, a.address)?.jailedUntil).toBe(34);
    expect(getValidator(state, b.address)?.jailedUntil).toBe(0);
    expect(computeValidatorSet(state, PARAMS.staking).map((x) => x.address)).toEqual([b.consensusAddress]);
    expect(refusal(() => send(state, a.address, { type: "unjail" }, 33))).toBe("STILL_JAILED");
    send(state, a.address, { type: "unjail" }, 34);
    expect(getValidator(state, a.address)?.jailedUntil).toBe(0);
    expect(computeValidatorSet(state, PARAMS.staking)).toHaveLength(2);
  });

  it("slashes stake that still had power at the infraction and is unbonding, not stake that left before", () => {
    const [a, early, late, b, other] = [party(1), party(2), party(3), party(4), party(5)];
    const state = setup([a, early, late, b, other]);
    createValidator(state, a, 100n * OPEN);
    send(state, early.address, { type: "stake", validator: a.address, amount: 100n * OPEN });
    send(state, late.address, { type: "stake", validator: a.address, amount: 100n * OPEN });
    // The set signing at height 5 was fixed at the end of block 3: stake unstaked at 4 still had power.
    send(state, early.address, { type: "unstake", validator: a.address, amount: 100n * OPEN }, 3); // before
    send(state, late.address, { type: "unstake", validator: a.address, amount: 100n * OPEN }, 4); // still counted
    // Someone else's unbonding from another validator in the same blocks is not touched.
    createValidator(state, b, 100n * OPEN);
    send(state, other.address, { type: "stake", validator: b.address, amount: 100n * OPEN });
    send(state, other.address, { type: "unstake", validator: b.address, amount: 100n * OPEN }, 4);
    const evidence = { hash: new Uint8Array(32).fill(7), validator: a.consensusAddress, height: 5 };
    state.run((view) => beginBlock(view, ctx(8, { evidence: [evidence] })));
    expect(getUnbonding(state, other.address)[0].amount).toBe(100n * OPEN);
    expect(getUnbonding(state, early.address)[0].amount).toBe(100n * OPEN);
    expect(getUnbonding(state, late.address)[0].amount).toBe(95n * OPEN);
    // 5% of the 100 still bonded and 5% of the 100 that tried to escape.
    expect(getValidator(state, a.address)).toMatchObject({ tokens: 95n * OPEN, slashed: 10n * OPEN });
    expect(supplyBreakdown(state)).toMatchObject({ treasury: 10n * OPEN, unbonding: 295n * OPEN });
    expect(sumOfBalances(state)).toBe(supplyBreakdown(state).balances);
  });

  it("completes many unbondings of one height (one queue key each), and frees a validator slot emptied", () => {
    const params = { ...PARAMS, staking: { ...PARAMS.staking, maxCandidates: 1 } };
    const [a, b, d] = [party(1), party(2), party(3)];
    const state = setup([a, b, d]);
    state.run((view) => apply(view, a.address, createMsg(a, 100n * OPEN), ctx(1, { params })));
    const createB = () => state.run((view) => apply(view, b.address, createMsg(b, 100n * OPEN), ctx(2, { params })));
    expect(refusal(createB)).toBe("LIMIT_EXCEEDED");
    send(state, d.address, { type: "stake", validator: a.address, amount: 30n * OPEN });
    for (let i = 0; i < 3; i++) send(state, d.address, { type: "unstake", validator: a.address, amount: 10n * OPEN }, 3);
    const events = send(state, a.address, { type: "unstake", validator: a.address, amount: 100n * OPEN }, 3);
    expect(events.map((e) => e.type)).toEqual(["unstake", "jail"]); // below the minimum self-stake
    expect(getUnbonding(state, d.address)).toHaveLength(3);
    createB(); // a's slot is free: nobody is staked with it any more
    const before = getAccount(state, d.address).balance;
    state.run((view) => endBlock(view, ctx(13, { params })));
    expect(getAccount(state, d.address).balance).toBe(before + 30n * OPEN);
    expect(getUnbonding(state, a.address)).toEqual([]);
    expect(supplyBreakdown(state).unbonding).toBe(0n);
    // Completed: the queue and the groups' totals are gone from the state.
    for (const prefix of [
      MODULE_PREFIX.stakingUnbondingQueue,
      MODULE_PREFIX.stakingUnbondingQueueCount,
      MODULE_PREFIX.stakingUnbondingGroup,
    ]) {
      expect(state.entries(prefix)).toEqual([]);
    }
  });

  it("an emptied validator is re-listed only by its operator with the minimum self-stake", () => {
    const [a, d] = [party(1), party(2)];
    const state = setup([a, d]);
    createValidator(state, a, 100n * OPEN);
    send(state, a.address, { type: "unstake", validator: a.address, amount: 100n * OPEN }, 2);
    expect(getCandidates(state)).toEqual([]);
    expect(refusal(() => send(state, d.address, { type: "stake", validator: a.address, amount: 1n }, 3)))
      .toBe("INVALID_STATE");
    expect(refusal(() => send(state, a.address, { type: "stake", validator: a.address, amount: OPEN / 2n }, 3)))
      .toBe("INVALID_STATE");
    send(state, a.address, { type: "stake", validator: a.address, amount: OPEN }, 3);
    expect(getCandidates(state)).toEqual([a.address]);
  });

  it("jails an operator whose self-stake falls below the minimum; unjail needs it restored", () => {
    const [a, d] = [party(1), party(2)];
    const state = setup([a, d]);
    createValidator(state, a, 2n * OPEN);
    send(state, d.address, { type: "stake", validator: a.address, amount: 50n * OPEN });
    send(state, a.address, { type: "unstake", validator: a.address, amount: 3n * OPEN / 2n }, 3);
    expect(getValidator(state, a.address)?.jailedUntil).toBe(3);
    expect(computeValidatorSet(state, PARAMS.staking)).toEqual([]);
    expect(refusal(() => send(state, a.address, { type: "unjail" }, 4))).toBe("INSUFFICIENT_STAKE");
    send(state, a.address, { type: "stake", validator: a.address, amount: OPEN }, 5);
    send(state, a.address, { type: "unjail" }, 5);
    expect(getValidator(state, a.address)?.jailedUntil).toBe(0);
  });

  it("conserves supply over random stake, unstake, slash and unbonding (balances + modules = total)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom("stake", "unstake", "slash", "block"),
            who: fc.integer({ min: 0, max: 3 }),
            to: fc.integer({ min: 0, max: 1 }),
            amount: fc.bigInt({ min: 1n, max: 300n * OPEN }),
          }),
          { maxLength: 40 },
        ),
        (steps) => {
          const parties = [party(1), party(2), party(3), party(4)];
          const state = setup(parties);
          createValidator(state, parties[0], 100n * OPEN);
          createValidator(state, parties[1], 100n * OPEN);
          const total = supplyBreakdown(state).total;
          let height = 2;
          for (const s of steps) {
            const sender = parties[s.who].address;
            const validator = parties[s.to].address;
            try {
              if (s.op === "stake") send(state, sender, { type: "stake", validator, amount: s.amount }, height);
              if (s.op === "unstake") send(state, sender, { type: "unstake", validator, amount: s.amount }, height);
            } catch (err) {
              if (!(err instanceof TxError)) throw err;
            }
            if (s.op === "slash") {
              const validator = parties[s.to].consensusAddress;
              const evidence = { hash: new Uint8Array(32).fill(height), validator, height };
              state.run((view) => beginBlock(view, ctx(height, { evidence: [evidence] })));
            }
            if (s.op === "block") {
              state.run((view) => endBlock(view, ctx(height)));
              height += 5;
            }
            const b = supplyBreakdown(state);
            expect(b.total).toBe(total);
            expect(sumOfBalances(state)).toBe(b.balances);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
