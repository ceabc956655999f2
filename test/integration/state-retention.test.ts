import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { chainProver } from "../../state/tree/chain-prover.ts";
import { PrunedHeightError } from "../../state/tree/errors.ts";
import { MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import type { ChainDb } from "../../state/store/chain-db.ts";
import type { LatestState } from "../../state/store/latest-state.ts";
import { proofHolds } from "../helpers/proof-check.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * `[state] keep_recent` on a running node: the pruning runs after commits by itself; a query below the
 * retained window gets an answer naming the oldest height still available, recent heights still prove.
 */
const KEEP_RECENT = 3;

let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 20, state: { keep_recent: KEEP_RECENT } });
  await chain.waitForHeight(12);
}, 30_000);
afterAll(async () => {
  await chain?.stop();
});

describe("state retention on a running node", () => {
  it("answers a pruned height with the oldest height still available, and proves recent heights", async () => {
    // The node's own database and state (private parts of OplNode and ChainApp), as the RPC would use them.
    const { db, app } = (chain.node as unknown as { parts: { db: ChainDb; app: { state: LatestState } } }).parts;
    // The pruning runs after commits, off the commit path: wait until it reached the window.
    const deadline = Date.now() + 10_000;
    while (db.oldestRetained < 12 - KEEP_RECENT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const oldest = db.oldestRetained;
    expect(oldest).toBeGreaterThanOrEqual(12 - KEEP_RECENT);
    const address = chain.faucet.bech32;
    await expect(chain.rpc.call("account_get", { address, height: 1 })).rejects.toThrow(
      /height 1 was pruned .*oldest height still available is \d+/,
    );
    const prover = chainProver(db, app.state);
    await expect(prover.proveAt(1, Uint8Array.of(1))).rejects.toThrow(PrunedHeightError);
    const latest = chain.node.app.info().height;
    const block = await db.getBlock(latest);
    const key = stateKey(MODULE_PREFIX.bankAccount, chain.faucet.address);
    const proved = await prover.proveAt(latest, key);
    expect(toHex(proved.root)).toBe(toHex(block?.header.stateRoot ?? new Uint8Array(0)));
    expect(proofHolds(proved.root, key, proved.value, proved.proof)).toBe(true);
  });
});
