import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MODULE_PREFIX } from "../../../state/keys.ts";
import { getAccount } from "../../../state/modules/bank/bank.ts";
import { beginBlock, getUnbonding, getValidator } from "../../../state/modules/staking/staking.ts";
import { PPM } from "../../../state/params.ts";
import { supplyBreakdown } from "../../../state/supply.ts";
import { Overlay, type StateReader } from "../../../state/view.ts";
import type { MemoryState } from "../../helpers/memory-state.ts";
import { createValidator, ctx, endBlock, OPEN, PARAMS, party, send, setup, sumOfBalances } from "./staking-fixture.ts";

/** A staker with an address of its own for any index (party() has 255). */
function staker(i: number): { address: Uint8Array } {
  const address = new Uint8Array(20).fill(0xa0);
  new DataView(address.buffer).setUint32(16, i);
  return { address };
}

const validator = party(1);
const SLASH_PPM = BigInt(PARAMS.staking.slashDoubleSignPpm);

/**
 * A chain where `amounts.length` stakers each staked with `validator` and unstaked it all at heights 4, 5 and 6
 * in turn (the infraction is at 5: the set signing then was fixed at the end of 3, so all three heights count).
 */
function chainWithUnbondings(amounts: bigint[]): { state: MemoryState; stakers: { address: Uint8Array }[] } {
  const stakers = amounts.map((_, i) => staker(i));
  const state = setup([validator, ...stakers], 10n ** 30n);
  createValidator(state, validator, 100n * OPEN);
  amounts.forEach((amount, i) => {
    send(state, stakers[i].address, { type: "stake", validator: validator.address, amount });
    send(state, stakers[i].address, { type: "unstake", validator: validator.address, amount }, 4 + (i % 3));
  });
  return { state, stakers };
}

const evidence = { hash: new Uint8Array(32).fill(7), validator: validator.consensusAddress, height: 5 };

/** How many distinct state keys the evidence's beginBlock read: its cost, beyond what the block charged. */
function keysReadBySlash(state: MemoryState): number {
  const read = new Set<string>();
  const counting: StateReader = {
    get(key) {
      read.add(Buffer.from(key).toString("hex"));
      return state.get(key);
    },
  };
  const view = new Overlay(counting);
  expect(beginBlock(view, ctx(8, { evidence: [evidence] }))).toMatchObject([{ type: "slash" }]);
  state.apply(view.sortedWrites());
  return read.size;
}

describe("slashing stake that is unbonding", () => {
  it("costs the same whether 3 or 600 stakers unstaked from the validator in the evidence window", () => {
    // Before: each unbonding entry was read, cut and written at the slash, so a validator about to publish
    // its own equivocation could have its unstakers make that block's beginBlock take tens of seconds.
    const few = keysReadBySlash(chainWithUnbondings([1n, 2n, 3n].map((n) => n * OPEN)).state);
    const many = keysReadBySlash(chainWithUnbondings(Array.from({ length: 600 }, () => OPEN)).state);
    expect(many).toBe(few);
  });

  it("withholds at completion exactly what the slash took, and shows each staker what it will be paid", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 10n ** 24n }), { minLength: 1, maxLength: 12 }), (amounts) => {
        const { state, stakers } = chainWithUnbondings(amounts);
        const before = supplyBreakdown(state);
        keysReadBySlash(state);
        const taken = supplyBreakdown(state).treasury - before.treasury;
        const cut = (getValidator(state, validator.address)!.slashed) - (100n * OPEN * SLASH_PPM) / BigInt(PPM);
        expect(cut).toBe(taken - (100n * OPEN * SLASH_PPM) / BigInt(PPM)); // the unbonding part of the slash
        const shown = stakers.map((s) => getUnbonding(state, s.address)[0].amount);
        const balances = stakers.map((s) => getAccount(state, s.address).balance);
        for (let h = 14; h <= 16; h++) state.run((view) => endBlock(view, ctx(h)));
        const paid = stakers.map((s, i) => getAccount(state, s.address).balance - balances[i]);
        // Everything unstaked is either paid out or went to the treasury, to the base unit.
        expect(paid.reduce((a, b) => a + b, 0n) + cut).toBe(amounts.reduce((a, b) => a + b, 0n));
        amounts.forEach((amount, i) => {
          // Each pays its share, rounding aside: the group's cut is rounded once, each entry's share of it again.
          const fair = amount - (amount * SLASH_PPM) / BigInt(PPM);
          expect([0n, 1n]).toContain(shown[i] - fair);
          expect([0n, 1n]).toContain(shown[i] - paid[i]); // as the query says: at most a base unit less
        });
        expect(supplyBreakdown(state).unbonding).toBe(0n);
        expect(sumOfBalances(state)).toBe(supplyBreakdown(state).balances);
        // Nothing of the unbondings is left in the state once they complete.
        expect(state.entries(MODULE_PREFIX.stakingUnbondingQueueCount)).toEqual([]);
        expect(stakers.flatMap((s) => getUnbonding(state, s.address))).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });
});
