import { describe, expect, it } from "vitest";
import { decodeAccount, encodeAccount } from "../../proto/records.ts";
import { decodeTx } from "../../proto/tx.ts";
import type { BlockContext } from "../../state/block-context.ts";
import { executeBlock, executeTx } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { getAccount, setAccount } from "../../state/modules/bank/bank.ts";
import { accountKey } from "../../state/modules/bank/keys.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { LatestState } from "../../state/store/latest-state.ts";
import { Overlay } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * Accounts are decoded once per value and kept next to their bytes, in a block's overlay and in the latest
 * state across blocks. What a user would see if that cache went stale: a balance or nonce from before a
 * block, or from a transaction that was rolled back. These tests read through every path after each change.
 */

const CHAIN = "opl-cache-1";
const FEE = DEFAULT_PARAMS.minFee;

function ctx(height: number): BlockContext {
  return {
    chainId: CHAIN,
    height,
    timeMs: 1_700_000_000_000 + height,
    proposer: new Uint8Array(20).fill(9),
    params: DEFAULT_PARAMS,
    lastCommitVotes: [],
    evidence: [],
  };
}

function latestWith(balances: [TestAccount, bigint][]): LatestState {
  const state = new LatestState();
  const writes = genesisWrites({
    chainId: CHAIN,
    genesisTimeMs: 0,
    params: DEFAULT_PARAMS,
    validators: [],
    accounts: balances.map(([a, balance]) => ({ address: a.address, balance })),
  });
  state.apply(writes, state.treeWith(writes));
  return state;
}

/** The account as its stored bytes say, bypassing every decoded cache. */
function stored(state: LatestState, a: TestAccount) {
  return decodeAccount(state.get(accountKey(a.address)) as Uint8Array);
}

describe("decoded account cache", () => {
  it("serves each block's committed accounts, never the previous block's", () => {
    const alice = new TestAccount();
    const bob = new TestAccount();
    const state = latestWith([[alice, 1000n * FEE]]);
    for (let height = 1; height <= 3; height++) {
      const before = getAccount(state, alice.address); // decoded and cached
      const tx = decodeTx(alice.transfer(CHAIN, bob.address, 5n, FEE).bytes);
      const outcome = executeBlock(state, [tx], ctx(height));
      if (!outcome.ok) throw outcome.rejected.error;
      state.apply(outcome.execution.writes, state.treeWith(outcome.execution.writes));
      const after = getAccount(state, alice.address);
      expect(after).toEqual({ nonce: before.nonce + 1, balance: before.balance - 5n - FEE });
      expect(after).toEqual(stored(state, alice));
      expect(getAccount(state, bob.address)).toEqual(stored(state, bob));
    }
    expect(getAccount(state, bob.address)).toEqual({ nonce: 0, balance: 15n });
  });

  it("serves bytes written without a record (a module writing raw bytes) decoded afresh", () => {
    const alice = new TestAccount();
    const state = latestWith([[alice, 100n]]);
    expect(getAccount(state, alice.address).balance).toBe(100n); // cached
    const view = new Overlay(state);
    expect(getAccount(view, alice.address).balance).toBe(100n);
    view.set(accountKey(alice.address), encodeAccount({ nonce: 7, balance: 42n }));
    expect(getAccount(view, alice.address)).toEqual({ nonce: 7, balance: 42n });
    const writes = view.sortedWrites();
    state.apply(writes, state.treeWith(writes));
    expect(getAccount(state, alice.address)).toEqual({ nonce: 7, balance: 42n });
  });

  it("forgets a rolled-back write: the record and its bytes both return to what they were", () => {
    const alice = new TestAccount();
    const state = latestWith([[alice, 100n]]);
    const view = new Overlay(state);
    setAccount(view, alice.address, { nonce: 1, balance: 90n });
    view.begin();
    setAccount(view, alice.address, { nonce: 1, balance: 10n });
    expect(getAccount(view, alice.address).balance).toBe(10n);
    view.rollback();
    expect(getAccount(view, alice.address)).toEqual({ nonce: 1, balance: 90n });
    expect(decodeAccount(view.get(accountKey(alice.address)) as Uint8Array)).toEqual({ nonce: 1, balance: 90n });
    const [write] = view.sortedWrites();
    expect(decodeAccount(write.value as Uint8Array)).toEqual({ nonce: 1, balance: 90n });
  });

  it("keeps a failed transfer's debit out of the block: only the fee is paid", () => {
    const alice = new TestAccount();
    const bob = new TestAccount();
    const state = latestWith([[alice, 10n * FEE]]);
    const view = new Overlay(state);
    // More than alice has after the fee: the ante step passes, the transfer fails and is rolled back.
    const tx = decodeTx(alice.transfer(CHAIN, bob.address, 10n * FEE, FEE).bytes);
    const result = executeTx(view, tx, ctx(1));
    expect(result.code).not.toBe(0);
    expect(getAccount(view, alice.address)).toEqual({ nonce: 1, balance: 9n * FEE });
    expect(getAccount(view, bob.address)).toEqual({ nonce: 0, balance: 0n });
    const writes = view.sortedWrites();
    state.apply(writes, state.treeWith(writes));
    expect(getAccount(state, alice.address)).toEqual(stored(state, alice));
    expect(getAccount(state, alice.address)).toEqual({ nonce: 1, balance: 9n * FEE });
  });
});
