import { afterEach, describe, expect, it } from "vitest";
import { decodeBlock, encodeBlock } from "../../proto/block.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { appGenesis, firstBlockRequest, openApp } from "../helpers/chain-app-fixture.ts";

/**
 * Issue 12: a proposal is executed once per height. When it is proposed again in a later round it arrives
 * as a new object with the same bytes; checking it again must not execute it again (under load that was
 * seconds per round, and rounds failed because of it).
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp() {
  const senders = Array.from({ length: 20 }, () => new TestAccount());
  const { genesis, validator } = appGenesis(senders, 10n ** 18n);
  const proposer = await openApp(genesis);
  cleanups.push(proposer.close);
  const peer = await openApp(genesis);
  cleanups.push(peer.close);
  for (const s of senders) {
    await proposer.mempool.add(s.transfer(genesis.chainId, new TestAccount().address, 1n, DEFAULT_PARAMS.minFee).bytes);
  }
  return { genesis, validator, proposer, peer };
}

describe("a proposal is executed once", () => {
  it("the same block bytes checked in three rounds (a new object each time) execute once", async () => {
    const { genesis, validator, proposer, peer } = await setUp();
    const bytes = encodeBlock(await proposer.app.propose(firstBlockRequest(genesis, validator)));
    for (let round = 0; round < 3; round++) {
      expect(await peer.app.validate(decodeBlock(bytes))).toEqual({ valid: true });
    }
    expect(peer.app.blocksExecuted).toBe(1);
    expect(proposer.app.blocksExecuted).toBe(1); // its own proposal, built once
    expect(await proposer.app.validate(decodeBlock(bytes))).toEqual({ valid: true });
    expect(proposer.app.blocksExecuted).toBe(1);
  });

  it("an invalid proposal seen again in a later round is refused without executing it again", async () => {
    const { genesis, validator, proposer } = await setUp();
    const block = await proposer.app.propose(firstBlockRequest(genesis, validator));
    // A checker whose genesis funds none of the senders: the first tx fails its ante step, a refusal that
    // comes only after the signatures are verified and execution has begun.
    const poor = await openApp({ ...genesis, accounts: genesis.accounts.slice(0, 1) });
    cleanups.push(poor.close);
    const bytes = encodeBlock(block);
    const first = await poor.app.validate(decodeBlock(bytes));
    expect(first.valid).toBe(false);
    const executed = poor.app.blocksExecuted;
    expect(await poor.app.validate(decodeBlock(bytes))).toEqual(first);
    expect(poor.app.blocksExecuted).toBe(executed);
  });
});
