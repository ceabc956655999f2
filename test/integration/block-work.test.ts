import { afterEach, describe, expect, it } from "vitest";
import { decodeBlock, encodeBlock } from "../../proto/block.ts";
import { decodeTx } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { blockWork, txWork } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { appGenesis, firstBlockRequest, openApp } from "../helpers/chain-app-fixture.ts";

/**
 * Issue 12: a block is bounded by the work it costs (state/work.ts, params.maxBlockWork). The proposer
 * stops taking txs when the budget is used; a checker refuses a block over it, whoever built it.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FEE = DEFAULT_PARAMS.minFee;

/** `n` senders, each with one signed transfer to a fresh address (the costliest transfer). */
function transfers(chainId: string, n: number) {
  const senders = Array.from({ length: n }, () => new TestAccount());
  const txs = senders.map((s) => s.transfer(chainId, new TestAccount().address, 1n, FEE));
  return { senders, txs };
}

describe("work-bounded blocks", () => {
  it("the proposer fills a block up to maxBlockWork and no further; a peer with the same params accepts it", async () => {
    const n = 30;
    const { senders, txs } = transfers("opl-app-1", n);
    const each = txWork(decodeTx(txs[0].bytes));
    const params = { ...DEFAULT_PARAMS, maxBlockWork: each * 10 + each / 2 }; // room for 10.5 txs
    const { genesis, validator } = appGenesis(senders, 10n ** 18n, params);
    const proposer = await openApp(genesis);
    cleanups.push(proposer.close);
    const peer = await openApp(genesis);
    cleanups.push(peer.close);
    for (const tx of txs) await proposer.mempool.add(tx.bytes);

    const block = await proposer.app.propose(firstBlockRequest(genesis, validator));
    expect(block.txs.length).toBe(10);
    expect(blockWork(block.txs.map((b) => decodeTx(b)))).toBeLessThanOrEqual(params.maxBlockWork);
    expect(await peer.app.validate(decodeBlock(encodeBlock(block)))).toEqual({ valid: true });
  });

  it("a checker refuses a block over its maxBlockWork, before verifying a signature", async () => {
    const n = 12;
    const { senders, txs } = transfers("opl-app-1", n);
    const each = txWork(decodeTx(txs[0].bytes));
    const { genesis, validator } = appGenesis(senders, 10n ** 18n);
    // The same chain, but a proposer that ignores the budget the checker holds it to.
    const lax = await openApp(genesis);
    cleanups.push(lax.close);
    const strictGenesis = { ...genesis, params: { ...genesis.params, maxBlockWork: each * (n - 1) } };
    const checker = await openApp(strictGenesis);
    cleanups.push(checker.close);
    for (const tx of txs) await lax.mempool.add(tx.bytes);

    const block = await lax.app.propose(firstBlockRequest(genesis, validator));
    expect(block.txs.length).toBe(n);
    const verdict = await checker.app.validate(decodeBlock(encodeBlock(block)));
    expect(verdict).toEqual({
      valid: false,
      reason: `block 1 invalid: ${each * n} work units exceed the block limit ${each * (n - 1)}`,
    });
    expect(checker.verifier.isVerified(decodeTx(block.txs[0]))).toBe(false);
  });
});
