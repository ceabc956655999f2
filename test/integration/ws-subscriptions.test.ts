import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { type Notified, TestWsClient } from "../helpers/ws-client.ts";

/**
 * Subscriptions over a real WebSocket on a real node: filtered by an address and by a datanet's events, each
 * matching item arrives once, in order, as tx_search finds it; unsubscribe stops them; a client that
 * reconnects with its last cursor gets every item after it, none missing, none twice, though blocks were
 * committed while it was away.
 */
const FEE = DEFAULT_PARAMS.minFee;
let chain: TestChain;
const clients: TestWsClient[] = [];

interface SearchItem {
  kind: string;
  height: number;
  hash?: string;
}

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 50 });
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await chain?.stop();
});

async function connect(): Promise<TestWsClient> {
  const c = await TestWsClient.connect(chain.node.rpc.url);
  clients.push(c);
  return c;
}

const submit = async (tx: BuiltTx) =>
  (await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(tx.bytes) })).hash;

/** Polls until every hash is included (a deadline, not a sleep, decides failure). */
async function included(hashes: string[], timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let height = 0;
  for (const hash of hashes) {
    for (;;) {
      const s = await chain.rpc.call<{ status: string; height?: number }>("tx_getStatus", { hash });
      if (s.status === "included") {
        height = Math.max(height, s.height ?? 0);
        break;
      }
      if (Date.now() > deadline) throw new Error(`${hash} still ${s.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return height;
}

/** Every tx tx_search finds for a filter from a height on (all pages). */
async function searchAll(filter: Record<string, unknown>, fromHeight: number): Promise<SearchItem[]> {
  const items: SearchItem[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await chain.rpc.call<{ items: SearchItem[]; cursor: string | null; done: boolean }>("tx_search", {
      ...filter,
      fromHeight,
      limit: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...page.items);
    if (page.cursor !== null) cursor = page.cursor;
    if (page.done) return items.filter((i) => i.kind === "tx");
  }
}

function createDatanetMsg(name: string) {
  return {
    type: "create_datanet" as const,
    name,
    description: "",
    license: "CC-BY-4.0",
    curators: [] as Uint8Array[],
    contributionStake: ONE_OPEN,
    reviewFee: ONE_OPEN / 10n,
    allowListed: false,
    contributors: [] as Uint8Array[],
  };
}

function contributeMsg(datanetId: number, n: number) {
  const contentHash = new Uint8Array(32);
  contentHash[0] = n & 0xff;
  contentHash[1] = n >> 8;
  return { type: "contribute" as const, datanetId, contentHash, uri: `ipfs://item-${n}`, sizeBytes: 100, metadata: "" };
}

const contribute = (who: TestAccount, datanetId: number, n: number) =>
  who.transfer(chain.chainId, who.address, 0n, FEE, { msg: contributeMsg(datanetId, n) });
const hashes = (items: { hash?: string }[]) => items.map((i) => i.hash);
const placeOf = (n: Notified) => [n.height, n.txIndex ?? n.index ?? -1, n.eventIndex ?? -1] as const;
function expectAscending(items: Notified[]): void {
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [placeOf(items[i - 1]), placeOf(items[i])];
    expect(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))).toBe(true);
  }
}

describe("WebSocket subscriptions", () => {
  const alice = new TestAccount();
  const bob = new TestAccount();
  const curator = new TestAccount();
  let datanetId = 0;

  beforeAll(async () => {
    const funded = [
      await submit(chain.faucet.transfer(chain.chainId, alice.address, 1000n * ONE_OPEN, FEE)),
      await submit(chain.faucet.transfer(chain.chainId, bob.address, 1000n * ONE_OPEN, FEE)),
      await submit(chain.faucet.transfer(chain.chainId, curator.address, 1000n * ONE_OPEN, FEE)),
    ];
    await included(funded);
    const created = await submit(curator.transfer(chain.chainId, curator.address, 0n, FEE, { msg: createDatanetMsg("ws-test") }));
    await included([created]);
    const tx = await chain.rpc.call<{ result: { events: { type: string; attributes: Record<string, string> }[] } }>(
      "tx_get",
      { hash: created },
    );
    datanetId = Number(tx.result.events.find((e) => e.type === "create_datanet")?.attributes.id);
    expect(datanetId).toBeGreaterThan(0);
  }, 30_000);

  it("delivers every tx of an address and every event of a datanet once, in order; unsubscribe stops them", async () => {
    const c = await connect();
    const byAddress = await c.subscribe({ topic: "txs", filter: { address: alice.bech32 } });
    const datanetEvent = { type: "contribute", attribute: "datanet", value: String(datanetId) };
    const byEvent = await c.subscribe({ topic: "txs", filter: { event: datanetEvent } });
    const events = await c.subscribe({ topic: "events", filter: { event: datanetEvent } });
    const from = byAddress.latestHeight + 1;

    // Interleaved traffic over several blocks: alice's transfers, bob's contributions, and noise.
    const sent: string[] = [];
    for (let i = 0; i < 24; i++) {
      if (i % 3 === 0) sent.push(await submit(alice.transfer(chain.chainId, bob.address, 1n, FEE)));
      else if (i % 3 === 1) sent.push(await submit(contribute(bob, datanetId, i)));
      else sent.push(await submit(bob.transfer(chain.chainId, curator.address, 1n, FEE)));
      if (i % 6 === 5) await included(sent.slice(-1));
    }
    await included(sent);

    const wantAlice = await searchAll({ address: alice.bech32 }, from);
    const wantDatanet = await searchAll({ event: datanetEvent }, from);
    expect(wantAlice.length).toBe(8);
    expect(wantDatanet.length).toBe(8);
    await c.until(
      () => c.items(byAddress.subscription).length >= wantAlice.length &&
        c.items(byEvent.subscription).length >= wantDatanet.length &&
        c.items(events.subscription).length >= wantDatanet.length,
      "the subscriptions to catch up",
    );
    expect(hashes(c.items(byAddress.subscription))).toEqual(hashes(wantAlice));
    expect(hashes(c.items(byEvent.subscription))).toEqual(hashes(wantDatanet));
    // One "events" item per matching event, naming its tx.
    const evs = c.items(events.subscription);
    expect(evs.map((e) => e.txHash)).toEqual(hashes(wantDatanet));
    expect(evs.every((e) => e.kind === "event" && e.type === "contribute" && e.attributes?.datanet === String(datanetId))).toBe(true);
    expectAscending(evs);
    // Each carries its height and a cursor.
    for (const n of [...c.items(byAddress.subscription), ...evs]) {
      expect(n.height).toBeGreaterThanOrEqual(from);
      expect(typeof n.cursor).toBe("string");
    }

    // Unsubscribed, a subscription gets nothing more, while the others go on.
    await c.call("unsubscribe", { subscription: byAddress.subscription });
    const before = c.items(byAddress.subscription).length;
    const later = [
      await submit(alice.transfer(chain.chainId, bob.address, 1n, FEE)),
      await submit(contribute(bob, datanetId, 100)),
    ];
    await included(later);
    await c.until(() => c.items(byEvent.subscription).length > wantDatanet.length, "the contribution after unsubscribe");
    expect(c.items(byAddress.subscription).length).toBe(before);
    const unknown = await c.errorOf("unsubscribe", { subscription: byAddress.subscription });
    expect(unknown.message).toMatch(/no subscription/);
  }, 60_000);

  it("ordinary methods answer over the same socket", async () => {
    const c = await connect();
    const status = await c.call<{ latestHeight?: number; height?: number }>("chain_getBlockResults", { height: 1 });
    expect(status).toMatchObject({ height: 1 });
    const tx = await c.call<{ items: unknown[] }>("tx_search", { address: alice.bech32, limit: 1 });
    expect(tx.items.length).toBe(1);
  });

  it("opl_rpc_subscriptions counts the open subscriptions", async () => {
    const gauge = async () => {
      const metric = await chain.node.metrics.registry.getSingleMetric("opl_rpc_subscriptions")?.get();
      return metric?.values[0]?.value;
    };
    const open = chain.node.websocket.stats.subscriptions;
    const c = await connect();
    const a = await c.subscribe({ topic: "blocks" });
    await c.subscribe({ topic: "txs", filter: { address: alice.bech32 } });
    expect(await gauge()).toBe(open + 2);
    await c.call("unsubscribe", { subscription: a.subscription });
    expect(await gauge()).toBe(open + 1);
  });

  it("subscribe and unsubscribe over the WebSocket count in opl_rpc_requests_total", async () => {
    const count = async (method: string, outcome: string) => {
      const metric = await chain.node.metrics.registry.getSingleMetric("opl_rpc_requests_total")?.get();
      return metric?.values.find((v) => v.labels.method === method && v.labels.outcome === outcome)?.value ?? 0;
    };
    const before = {
      subscribe: await count("subscribe", "ok"),
      unsubscribe: await count("unsubscribe", "ok"),
      refused: await count("subscribe", "error"),
    };
    const c = await connect();
    const a = await c.subscribe({ topic: "blocks" });
    await c.call("unsubscribe", { subscription: a.subscription });
    await c.errorOf("subscribe", { topic: "nope" });
    expect(await count("subscribe", "ok")).toBe(before.subscribe + 1);
    expect(await count("unsubscribe", "ok")).toBe(before.unsubscribe + 1);
    expect(await count("subscribe", "error")).toBe(before.refused + 1);
  });

  it("a client that reconnects with its cursor gets every item after it exactly once, in order", async () => {
    const carol = new TestAccount();
    const start = await included([await submit(alice.transfer(chain.chainId, carol.address, 1n, FEE))]);
    const filter = { address: carol.bech32 };
    for (let i = 0; i < 6; i++) await submit(alice.transfer(chain.chainId, carol.address, 2n, FEE));
    await included([await submit(alice.transfer(chain.chainId, carol.address, 3n, FEE))]);

    // Replay from a height, then events of each tx: stop after an odd number, mid-tx.
    const first = await connect();
    const sub = await first.subscribe({ topic: "events", filter, fromHeight: start });
    await first.until(() => first.items(sub.subscription).length >= 5, "five events");
    first.ws.terminate();
    const seen = first.items(sub.subscription).slice(0, 5);
    const cursor = seen[seen.length - 1].cursor;

    // Blocks commit while it is away, some with its txs.
    const more: string[] = [];
    for (let i = 0; i < 8; i++) {
      more.push(await submit(alice.transfer(chain.chainId, carol.address, 4n, FEE)));
      if (i % 2 === 1) await included(more.slice(-1));
    }
    await included(more);

    const second = await connect();
    const resumed = await second.subscribe({ topic: "events", filter, cursor });
    // More blocks with its txs commit while it replays, and after.
    const during: string[] = [];
    for (let i = 0; i < 6; i++) {
      during.push(await submit(alice.transfer(chain.chainId, carol.address, 5n, FEE)));
      if (i % 2 === 1) await included(during.slice(-1));
    }
    await included(during);
    // Everything tx_search finds, as events: each tx's events in order.
    const txs = await searchAll(filter, start);
    const all = await Promise.all(txs.map((t) => chain.rpc.call<{ result: { events: unknown[] } }>("tx_get", { hash: t.hash })));
    const wantEvents = all.flatMap((t, i) => t.result.events.map((_, e) => `${txs[i].hash}:${e}`));
    // Events of the fee (paid by alice) do not name carol, but carol's tx involves her: every event of it comes.
    await second.until(() => seen.length + second.items(resumed.subscription).length >= wantEvents.length, "the rest of the events");
    const got = [...seen, ...second.items(resumed.subscription)].map((n) => `${n.txHash}:${n.eventIndex}`);
    expect(got).toEqual(wantEvents);
    expectAscending([...seen, ...second.items(resumed.subscription)]);

    // A "txs" subscription resumed the same way, after the 3rd tx.
    const third = await connect();
    const txSub = await third.subscribe({ topic: "txs", filter, fromHeight: start });
    await third.until(() => third.items(txSub.subscription).length >= txs.length, "every tx");
    const cut = third.items(txSub.subscription)[2].cursor;
    third.ws.terminate();
    const fourth = await connect();
    const again = await fourth.subscribe({ topic: "txs", filter, cursor: cut });
    await fourth.until(() => fourth.items(again.subscription).length >= txs.length - 3, "the txs after the cursor");
    expect(hashes(fourth.items(again.subscription))).toEqual(hashes(txs.slice(3)));
  }, 60_000);

  it("blocks and unfiltered txs stream every committed block and tx", async () => {
    const c = await connect();
    const tip = chain.node.app.info().height;
    const blocks = await c.subscribe({ topic: "blocks", fromHeight: tip - 3 });
    const txs = await c.subscribe({ topic: "txs", fromHeight: tip - 3 });
    await c.until(() => c.items(blocks.subscription).length >= 8, "eight blocks");
    const heights = c.items(blocks.subscription).map((b) => b.height);
    expect(heights).toEqual(Array.from({ length: heights.length }, (_, i) => tip - 3 + i));
    const counted = c.items(blocks.subscription).slice(0, 4).reduce((n, b) => n + (b.numTxs ?? 0), 0);
    await c.until(() => c.items(txs.subscription).filter((t) => t.height <= tip).length >= counted, "the txs of those blocks");
    const results = await Promise.all([0, 1, 2, 3].map((i) =>
      chain.rpc.call<{ txs: { hash: string }[] }>("chain_getBlockResults", { height: tip - 3 + i })));
    const streamed = c.items(txs.subscription).filter((t) => t.height <= tip);
    expect(hashes(streamed)).toEqual(results.flatMap((r) => hashes(r.txs)));
  }, 30_000);
});
