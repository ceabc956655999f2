import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { ChainFollower, type SeenBlock } from "../bench/chain-follower.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * The bench's view of the chain (test/bench/chain-follower.ts): told of each commit by the node's `blocks`
 * subscription, it reads each block once, in height order, and goes on by asking node_getStatus when the
 * subscription cannot be made or ends (and says it did: the bench prints followerSubscribed).
 */

let chain: TestChain | undefined;
let follower: ChainFollower | undefined;
afterEach(async () => {
  follower?.close();
  await chain?.stop();
  chain = follower = undefined;
});

/** Polls until `done` holds of what was seen; returns everything seen. */
async function pollUntil(f: ChainFollower, done: (seen: SeenBlock[]) => boolean): Promise<SeenBlock[]> {
  const seen: SeenBlock[] = [];
  await waitFor("blocks", async () => {
    seen.push(...(await f.poll()));
    return done(seen) ? true : undefined;
  });
  return seen;
}

function heightsFollow(seen: SeenBlock[], from: number): void {
  expect(seen.map((b) => b.height)).toEqual(seen.map((_b, i) => from + 1 + i));
}

describe("the bench's chain follower", () => {
  it("hears of each committed block over the node's WebSocket and reads each once, in order, with its txs", async () => {
    chain = await startTestChain();
    follower = new ChainFollower(chain.node.rpc.url);
    const start = await follower.init();
    expect(follower.subscribed).toBe(true);
    const tx = chain.faucet.transfer(chain.chainId, new TestAccount().address, 1n, 10n ** 15n);
    await chain.rpc.call("tx_submit", { tx: toBase64(tx.bytes) });
    const before = performance.now();
    const seen = await pollUntil(follower, (s) => s.some((b) => b.txs.includes(toHex(tx.hash))) && s.length >= 5);
    heightsFollow(seen, start);
    expect(follower.height).toBe(seen[seen.length - 1].height);
    const withTx = seen.find((b) => b.txs.includes(toHex(tx.hash)));
    expect(withTx?.txs).toEqual([toHex(tx.hash)]);
    // Stamped when the node's notice came, before the poll that read it returned.
    expect(withTx?.seenAt).toBeGreaterThan(before);
    expect(withTx?.seenAt).toBeLessThanOrEqual(performance.now());
    expect(follower.roundsOf(start + 1, follower.height - 1)).toEqual(seen.slice(0, -1).map(() => 0));
    expect(follower.subscribedThroughout).toBe(true);
  });

  it("asks node_getStatus from the start when the node refuses its WebSocket, and says so", async () => {
    chain = await startTestChain({ ws: { max_connections: 1 } });
    const url = new URL(chain.node.rpc.url);
    const taken = new WebSocket(`ws://${url.host}/ws`); // the node's one WebSocket connection
    await new Promise((resolve, reject) => {
      taken.once("open", resolve);
      taken.once("error", reject);
    });
    try {
      follower = new ChainFollower(chain.node.rpc.url);
      const start = await follower.init();
      expect(follower.subscribed).toBe(false);
      const seen = await pollUntil(follower, (s) => s.length >= 3);
      heightsFollow(seen, start);
      expect(follower.subscribedThroughout).toBe(false);
    } finally {
      taken.close();
    }
  });

  it("goes on from where it was, without a gap, by node_getStatus once its subscription ends", async () => {
    chain = await startTestChain();
    follower = new ChainFollower(chain.node.rpc.url);
    const start = await follower.init();
    const first = await pollUntil(follower, (s) => s.length >= 2);
    follower.close();
    await waitFor("the subscription closed", () => (follower?.subscribed === false ? true : undefined));
    const last = first[first.length - 1].height;
    const after = await pollUntil(follower, (s) => s.length >= 3);
    heightsFollow([...first, ...after], start);
    expect(after[0].height).toBe(last + 1);
    expect(follower.subscribedThroughout).toBe(false);
  });
});
