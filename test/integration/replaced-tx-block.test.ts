import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { decodeBlock, encodeBlock } from "../../proto/block.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { appGenesis, firstBlockRequest, openApp } from "../helpers/chain-app-fixture.ts";

/**
 * Replace-by-fee meets a proposal: a tx already in a proposal being built (or relayed to peers) may be
 * replaced in the mempool meanwhile. The block that holds the old tx stays valid everywhere: for the
 * proposer, and for a peer whose mempool holds only the replacement (it decodes the old tx from the block).
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("a block holding a tx replaced in the mempool", () => {
  it("is valid for its proposer and for a peer that took the replacement", async () => {
    const alice = new TestAccount();
    const { genesis, validator } = appGenesis([alice], 10n ** 18n);
    const proposer = await openApp(genesis);
    cleanups.push(proposer.close);
    const peer = await openApp(genesis);
    cleanups.push(peer.close);
    const to = new TestAccount().address;
    const fee = DEFAULT_PARAMS.minFee;
    const old = alice.transfer(genesis.chainId, to, 1n, fee, { nonce: 0 });
    const replacement = alice.transfer(genesis.chainId, to, 1n, 2n * fee, { nonce: 0 });
    await proposer.mempool.add(old.bytes);
    const block = await proposer.app.propose(firstBlockRequest(genesis, validator));
    expect(block.txs.map((t) => toHex(t))).toEqual([toHex(old.bytes)]);

    await proposer.mempool.add(replacement.bytes);
    await peer.mempool.add(replacement.bytes);
    expect(proposer.mempool.has(toHex(old.hash))).toBe(false);

    const bytes = encodeBlock(block);
    expect(await proposer.app.validate(decodeBlock(bytes))).toEqual({ valid: true });
    expect(await peer.app.validate(decodeBlock(bytes))).toEqual({ valid: true });
  });
});
