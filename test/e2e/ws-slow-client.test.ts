import { afterAll, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import { CLOSE_CODES, MIN_QUEUE_BYTES } from "../../rpc/ws/limits.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { setConfigValue, TestNetwork } from "../helpers/network.ts";
import { type Notified, TestWsClient } from "../helpers/ws-client.ts";

/**
 * On a node running as its own process: a subscriber that never reads is cut off (4008, with the cursor to
 * resume from) while another subscriber keeps receiving and blocks keep their pace: the block interval seen
 * while the stuck client is connected is that without it (within 1.2x). It then resumes from the cursor and
 * misses nothing. (test/integration/ws-slow-client.test.ts is the same on an in-process node, with the
 * gateway's own counters.)
 *
 * The stuck client must be sent more than the kernel's socket buffers hold (~4 MB on loopback) before the
 * node's queue for it fills: the history it replays is 600 contributions of ~12 KB each.
 */
const FEE = DEFAULT_PARAMS.minFee;
const BLOCK_MS = 300;
const STALL_MS = 3000;
let net: TestNetwork | undefined;
const clients: TestWsClient[] = [];

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await net?.stop();
});

/** Mean time between consecutive blocks, from their header times. */
function meanInterval(blocks: Notified[]): number {
  const t = blocks.map((b) => Date.parse(b.time as string));
  return (t[t.length - 1] - t[0]) / (t.length - 1);
}

it("a node process cuts off a client that never reads, while another subscriber and its blocks go on at full speed", async () => {
  net = await TestNetwork.start({
    validators: 1,
    blockIntervalMs: BLOCK_MS,
    accounts: 3,
    prepare: (home) => {
      setConfigValue(home, "rpc", "idle_timeout_ms", STALL_MS);
      setConfigValue(home, "ws", "queue_bytes", MIN_QUEUE_BYTES);
    },
  });
  const n = net;
  const node = n.nodes[0];
  const rpc = node.rpc;
  const connect = async () => {
    const c = await TestWsClient.connect(node.url);
    clients.push(c);
    return c;
  };
  const submitAll = async (txs: BuiltTx[]) => {
    for (let i = 0; i < txs.length; i += 100) {
      const replies = await rpc.batch(
        txs.slice(i, i + 100).map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })),
      );
      const refused = replies.find((r) => r.error !== undefined);
      if (refused !== undefined) throw new Error(`tx refused: ${refused.error?.message}`);
    }
  };
  const committedAll = async (a: TestAccount) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const acct = await rpc.call<{ nonce: number }>("account_get", { address: a.bech32 });
      if (acct.nonce >= a.nonce) return;
      if (Date.now() > deadline) throw new Error(`only ${acct.nonce} of ${a.nonce} txs of ${a.bech32} committed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  // History: a datanet and 600 contributions with large metadata, from two senders.
  const owner = n.account("account0");
  const senders = [n.account("account1"), n.account("account2")];
  const msg = {
    type: "create_datanet" as const,
    name: "slow",
    description: "",
    license: "CC-BY-4.0",
    curators: [] as Uint8Array[],
    contributionStake: ONE_OPEN / 100n,
    reviewFee: ONE_OPEN / 1000n,
    allowListed: false,
    contributors: [] as Uint8Array[],
  };
  await submitAll([owner.transfer(n.chainId, owner.address, 0n, FEE, { msg })]);
  await committedAll(owner);
  const { maxMetadataBytes, maxUriBytes } = DEFAULT_PARAMS.datanets;
  const metadata = JSON.stringify({ pad: "x".repeat(maxMetadataBytes - 12) });
  const contributions = senders.flatMap((s, k) =>
    Array.from({ length: 300 }, (_, i) => {
      const contentHash = new Uint8Array(32);
      contentHash.set([k, i & 0xff, i >> 8]);
      const uri = `ipfs://${"u".repeat(maxUriBytes - 16)}${k}-${i}`;
      const contribute = { type: "contribute" as const, datanetId: 1, contentHash, uri, sizeBytes: 1, metadata };
      return s.transfer(n.chainId, s.address, 0n, FEE, { msg: contribute });
    }));
  await submitAll(contributions);
  for (const s of senders) await committedAll(s);

  // The well-behaved subscriber: every block.
  const good = await connect();
  const blocks = await good.subscribe({ topic: "blocks" });
  const seen = () => good.items(blocks.subscription);
  await good.until(() => seen().length >= 12, "12 blocks before the stuck client", 30_000);
  const without = meanInterval(seen().slice(0, 12));

  // The stuck one: replays the contributions and reads none of them for three stall timeouts, during which
  // the node must cut it off (it has no way to tell us but the close frame the client reads afterwards).
  const stuck = await connect();
  const filter = { type: "contribute" };
  const sub = await stuck.subscribe({ topic: "txs", filter, fromHeight: 1 });
  stuck.ws.pause();
  const from = seen().length;
  const blocksWhileStuck = Math.ceil((3 * STALL_MS) / BLOCK_MS);
  await good.until(() => seen().length >= from + blocksWhileStuck, "blocks while the client is stuck", 60_000);
  const during = seen().slice(from - 1);
  const withStuck = meanInterval(during);
  expect(withStuck / without).toBeLessThan(1.2);

  // Reading again, it gets what was sent before the cut-off, then the close code and the cursor to resume from.
  stuck.ws.resume();
  const closed = await stuck.closed;
  expect(closed.code).toBe(CLOSE_CODES.tooSlow);
  expect(closed.reason).toMatch(/subscriber too slow/);
  const cursor = /resume from cursor (\S+)/.exec(closed.reason)?.[1];
  expect(cursor).toBeDefined();
  const before = stuck.items(sub.subscription);
  expect(before.length).toBeGreaterThan(0);
  expect(before.length).toBeLessThan(600);

  const again = await connect();
  const resumed = await again.subscribe({ topic: "txs", filter, cursor });
  await again.until(() => before.length + again.items(resumed.subscription).length >= 600, "the rest of the history", 30_000);
  const all = [...before, ...again.items(resumed.subscription)].map((x) => x.hash);
  expect(new Set(all).size).toBe(600);
  const search: string[] = [];
  let page: string | undefined;
  for (;;) {
    const r = await rpc.call<{ items: { hash: string }[]; cursor: string | null; done: boolean }>(
      "tx_search",
      { ...filter, limit: 100, ...(page === undefined ? {} : { cursor: page }) },
    );
    search.push(...r.items.map((i) => i.hash));
    if (r.cursor !== null) page = r.cursor;
    if (r.done) break;
  }
  expect(all).toEqual(search);
  console.log(
    `block interval without the stuck client ${without.toFixed(0)} ms, with it ${withStuck.toFixed(0)} ms ` +
    `(ratio ${(withStuck / without).toFixed(3)}); ${before.length} of 600 notifications sent before the cut-off`,
  );
}, 180_000);
