import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MODULE_PREFIX } from "../../../state/keys.ts";
import { getAccount, setAccount } from "../../../state/modules/bank/bank.ts";
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
 * A chain where each staker staked `amount` with `validator` and unstaked it all in `parts` entries: the first
 * two at height 4, 5 or 6 in turn (one group: a delegator's several entries of one height), a third at the
 * next height (another group). The infraction is at 5: the set signing then was fixed at the end of 3, so
 * all of 4, 5 and 6 count.
 */
interface Staker {
  amount: bigint;
  parts: number;
}
function chainWithUnbondings(specs: Staker[]): { state: MemoryState; stakers: { address: Uint8Array }[] } {
  const stakers = specs.map((_, i) => staker(i));
  const state = setup([validator, ...stakers], 10n ** 30n);
  createValidator(state, validator, 100n * OPEN);
  specs.forEach(({ amount, parts }, i) => {
    const from = stakers[i].address;
    send(state, from, { type: "stake", validator: validator.address, amount });
    const piece = amount / BigInt(parts);
    for (let j = 0; j < parts; j++) {
      const unstake = j === parts - 1 ? amount - piece * BigInt(parts - 1) : piece;
      const height = 4 + ((i + (j === 2 ? 1 : 0)) % 3);
      send(state, from, { type: "unstake", validator: validator.address, amount: unstake }, height);
    }
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
    const each = (amounts: bigint[]) => chainWithUnbondings(amounts.map((amount) => ({ amount, parts: 1 }))).state;
    const few = keysReadBySlash(each([1n, 2n, 3n].map((n) => n * OPEN)));
    const many = keysReadBySlash(each(Array.from({ length: 600 }, () => OPEN)));
    expect(many).toBe(few);
  });

  it("withholds at completion exactly what the slash took, and shows each staker what it will be paid", () => {
    const spec = fc.record({ amount: fc.bigInt({ min: 3n, max: 10n ** 24n }), parts: fc.integer({ min: 1, max: 3 }) });
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 12 }), (specs) => {
        const { state, stakers } = chainWithUnbondings(specs);
        const before = supplyBreakdown(state);
        keysReadBySlash(state);
        const bonded = (100n * OPEN * SLASH_PPM) / BigInt(PPM);
        const cut = getValidator(state, validator.address)!.slashed - bonded; // the unbonding part of the slash
        expect(supplyBreakdown(state).treasury - before.treasury).toBe(bonded + cut);
        const shown = stakers.map((s) => getUnbonding(state, s.address).reduce((a, e) => a + e.amount, 0n));
        const balances = stakers.map((s) => getAccount(state, s.address).balance);
        for (let h = 14; h <= 17; h++) state.run((view) => endBlock(view, ctx(h)));
        const paid = stakers.map((s, i) => getAccount(state, s.address).balance - balances[i]);
        // Everything unstaked is either paid out or went to the treasury, to the base unit.
        expect(paid.reduce((a, b) => a + b, 0n) + cut).toBe(specs.reduce((a, x) => a + x.amount, 0n));
        specs.forEach(({ amount, parts }, i) => {
          // Each pays its share, rounding aside (a base unit an entry): the group's cut is rounded once, each
          // entry's share of it again.
          const fair = amount - (amount * SLASH_PPM) / BigInt(PPM);
          expect(shown[i] - fair).toBeGreaterThanOrEqual(-BigInt(parts));
          expect(shown[i] - fair).toBeLessThanOrEqual(BigInt(parts));
          expect(shown[i] - paid[i]).toBeGreaterThanOrEqual(0n); // as the query says: at most a unit an entry less
          expect(shown[i] - paid[i]).toBeLessThanOrEqual(BigInt(parts));
        });
        expect(supplyBreakdown(state).unbonding).toBe(0n);
        expect(sumOfBalances(state)).toBe(supplyBreakdown(state).balances);
        // Nothing of the unbondings is left in the state once they complete: entries, queues, groups.
        expect(state.entries(MODULE_PREFIX.stakingUnbondingQueueCount)).toEqual([]);
        expect(state.entries(MODULE_PREFIX.stakingUnbondingGroup)).toEqual([]);
        expect(stakers.flatMap((s) => getUnbonding(state, s.address))).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it("does not cut what is unstaked in the slash's own block, after it", () => {
    const { state, stakers } = chainWithUnbondings([{ amount: 10n * OPEN, parts: 1 }]);
    const late = staker(99);
    state.run((view) => setAccount(view, late.address, { nonce: 0, balance: 20n * OPEN }));
    send(state, late.address, { type: "stake", validator: validator.address, amount: 10n * OPEN });
    keysReadBySlash(state); // beginBlock of height 8: its bond is cut as the validator's, its unbonding is not
    const left = 10n * OPEN - (10n * OPEN * SLASH_PPM) / BigInt(PPM);
    send(state, late.address, { type: "unstake", validator: validator.address, amount: left }, 8);
    expect(getUnbonding(state, late.address)[0].amount).toBe(left);
    expect(getUnbonding(state, stakers[0].address)[0].amount).toBe(left); // unstaked at 4: cut as the bond
    const balance = getAccount(state, late.address).balance;
    state.run((view) => endBlock(view, ctx(18)));
    expect(getAccount(state, late.address).balance - balance).toBe(left);
    expect(state.entries(MODULE_PREFIX.stakingUnbondingGroup)).toHaveLength(1); // the first staker's, due at 14
  });
});
