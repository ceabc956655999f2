import { describe, expect, it } from "vitest";
import { nextAttempt, type PendingTx } from "../bench/wallet-retry.ts";

/**
 * The bench's load client behaves like a wallet: once a sender's tx is refused for back-pressure, its later
 * nonces wait until that one is accepted. Re-sending them all at once had the node refuse every later nonce
 * again (NONCE_TOO_HIGH behind the refused one): 164,326 refusals for 2,041 MEMPOOL_FULL at 2x load, each
 * costing the node a decode and an answer, and the client its share of the two cores.
 */
const tx = (sender: number, nonce: number): PendingTx => ({ sender, hash: `${sender}:${nonce}` });

describe("the load client's retries", () => {
  it("send everything pending while no sender was refused", () => {
    const pending = [tx(0, 0), tx(1, 0), tx(0, 1), tx(1, 1)];
    expect(nextAttempt(pending, new Set())).toEqual(pending);
  });

  it("send only the first pending tx of a refused sender, and all of the others'", () => {
    const pending = [tx(0, 5), tx(1, 0), tx(0, 6), tx(1, 1), tx(0, 7), tx(2, 3)];
    expect(nextAttempt(pending, new Set([0])).map((t) => t.hash)).toEqual(["0:5", "1:0", "1:1", "2:3"]);
    expect(nextAttempt(pending, new Set([0, 1, 2])).map((t) => t.hash)).toEqual(["0:5", "1:0", "2:3"]);
  });
});
