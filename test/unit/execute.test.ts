import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeAccount } from "../../proto/records.ts";
import { decodeTx } from "../../proto/tx.ts";
import { TX_ERRORS, TxError } from "../../state/errors.ts";
import type { BlockContext } from "../../state/block-context.ts";
import { executeBlock, executeTx } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { MODULE_PREFIX } from "../../state/keys.ts";
import { getAccount, getSupply } from "../../state/modules/bank/bank.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId, Overlay, type StateReader, type StateWrite } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;

/** An in-memory state holding exactly the given writes. */
function memoryState(writes: StateWrite[]): StateReader & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  for (const w of writes) if (w.value !== undefined) map.set(keyId(w.key), w.value);
  return { map, get: (k) => map.get(keyId(k)) };
}

function applyWrites(state: { map: Map<string, Uint8Array> }, writes: StateWrite[]): void {
  for (const w of writes) {
    if (w.value === undefined) state.map.delete(keyId(w.key));
    else state.map.set(keyId(w.key), w.value);
  }
}

/** Sum of every balance in the state, found by scanning every account key (not a list we keep). */
function sumOfBalances(state: { map: Map<string, Uint8Array> }): bigint {
  const prefix = keyId(MODULE_PREFIX.bankAccount);
  let sum = 0n;
  for (const [k, v] of state.map) if (k.startsWith(prefix)) sum += decodeAccount(v).balance;
  return sum;
}

function setup(balances: bigint[]) {
  const accounts = balances.map(() => new TestAccount());
  const proposer = new TestAccount();
  const state = memoryState(
    genesisWrites({
      chainId: CHAIN,
      genesisTimeMs: 0,
      params: DEFAULT_PARAMS,
      validators: [],
      accounts: accounts.map((a, i) => ({ address: a.address, balance: balances[i] })),
    }),
  );
  const ctx: BlockContext = {
    chainId: CHAIN,
    height: 1,
    timeMs: 1,
    proposer: proposer.address,
    params: DEFAULT_PARAMS,
    lastCommitVotes: [],
    evidence: [],
  };
  return { accounts, proposer, state, ctx };
}

describe("bank transfer execution", () => {
  it("moves the amount, pays the fee to the proposer, bumps the nonce, keeps supply", () => {
    const { accounts, proposer, state, ctx } = setup([1000n * FEE]);
    const [alice] = accounts;
    const bob = new TestAccount();
    const view = new Overlay(state);
    const result = executeTx(view, decodeTx(alice.transfer(CHAIN, bob.address, 10n * FEE, FEE).bytes), ctx);
    expect(result.code).toBe(0);
    expect(result.events.map((e) => e.type)).toEqual(["fee", "transfer"]);
    expect(getAccount(view, alice.address)).toEqual({ nonce: 1, balance: 1000n * FEE - 11n * FEE });
    expect(getAccount(view, bob.address)).toEqual({ nonce: 0, balance: 10n * FEE });
    expect(getAccount(view, proposer.address).balance).toBe(FEE);
    expect(getSupply(view)).toBe(1000n * FEE);
  });

  it("a transfer the balance cannot cover fails with a code, still pays the fee and uses the nonce", () => {
    const { accounts, proposer, state, ctx } = setup([5n * FEE]);
    const [alice] = accounts;
    const view = new Overlay(state);
    const result = executeTx(
      view,
      decodeTx(alice.transfer(CHAIN, new Uint8Array(20), 5n * FEE, FEE).bytes),
      ctx,
    );
    expect(result.code).toBe(TX_ERRORS.INSUFFICIENT_FUNDS);
    expect(result.log).toMatch(/insufficient funds/);
    expect(getAccount(view, alice.address)).toEqual({ nonce: 1, balance: 4n * FEE });
    expect(getAccount(view, proposer.address).balance).toBe(FEE);
  });

  it("a self-transfer nets to zero", () => {
    const { accounts, state, ctx } = setup([100n * FEE]);
    const [alice] = accounts;
    const view = new Overlay(state);
    executeTx(view, decodeTx(alice.transfer(CHAIN, alice.address, 50n * FEE, FEE).bytes), ctx);
    expect(getAccount(view, alice.address).balance).toBe(99n * FEE);
  });

  it("refuses (throws, writes nothing) on wrong nonce, wrong chain, low fee, unpayable fee, zero amount", () => {
    const { accounts, state, ctx } = setup([100n * FEE, 0n]);
    const [alice, broke] = accounts;
    const cases: [Uint8Array, keyof typeof TX_ERRORS][] = [
      [alice.transfer(CHAIN, broke.address, 1n, FEE, { nonce: 5 }).bytes, "NONCE_TOO_HIGH"],
      [alice.transfer("other-chain", broke.address, 1n, FEE, { nonce: 0 }).bytes, "WRONG_CHAIN_ID"],
      [alice.transfer(CHAIN, broke.address, 1n, FEE - 1n, { nonce: 0 }).bytes, "FEE_TOO_LOW"],
      [broke.transfer(CHAIN, alice.address, 1n, FEE, { nonce: 0 }).bytes, "INSUFFICIENT_FUNDS"],
      [alice.transfer(CHAIN, broke.address, 0n, FEE, { nonce: 0 }).bytes, "INVALID_MSG"],
    ];
    for (const [bytes, code] of cases) {
      const view = new Overlay(state);
      let thrown: unknown;
      try {
        executeTx(view, decodeTx(bytes), ctx);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, code).toBeInstanceOf(TxError);
      expect((thrown as TxError).code).toBe(code);
      expect(view.size, code).toBe(0);
    }
  });

  it("a block with a non-includable tx is reported with its index", () => {
    const { accounts, state, ctx } = setup([100n * FEE]);
    const [alice] = accounts;
    const ok = decodeTx(alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes);
    const replay = ok;
    const outcome = executeBlock(state, [ok, replay], ctx);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.rejected.index).toBe(1);
      expect(outcome.rejected.error.code).toBe("NONCE_TOO_LOW");
    }
  });

  it("conserves supply: sum of all balances equals total supply after every block of random transfers", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 21n }), { minLength: 2, maxLength: 5 }),
        fc.array(
          fc.array(fc.tuple(fc.nat(4), fc.nat(5), fc.bigInt({ min: 1n, max: 10n ** 21n })), { maxLength: 8 }),
          { maxLength: 5 },
        ),
        (balances, blocks) => {
          const { accounts, state, ctx } = setup(balances);
          const supply = balances.reduce((a, b) => a + b, 0n);
          const outsider = new TestAccount();
          for (const [h, block] of blocks.entries()) {
            const view = new Overlay(state);
            for (const [from, to, amount] of block) {
              const sender = accounts[from % accounts.length];
              const recipient = to < accounts.length ? accounts[to].address : outsider.address;
              const tx = decodeTx(sender.transfer(CHAIN, recipient, amount, FEE).bytes);
              try {
                executeTx(view, tx, { ...ctx, height: h + 1 });
              } catch (err) {
                if (!(err instanceof TxError)) throw err;
                sender.nonce--; // not includable: the nonce stays unused
              }
            }
            applyWrites(state, view.sortedWrites());
            expect(sumOfBalances(state)).toBe(supply);
            expect(getSupply(state)).toBe(supply);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
