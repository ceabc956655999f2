import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64, toBase64, toHex } from "../../crypto/bytes.ts";
import { verify } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { decodeTx, txSignBytes } from "../../proto/tx.ts";
import { APP_ERRORS, INVALID_PARAMS, type RpcError } from "../../rpc/errors.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import type { ResultOf } from "../../rpc/typed-client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { DATANET_SETTINGS } from "../helpers/economy.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * tx_search, chain_getBlockResults and raw tx bytes over real HTTP on a real node: searches by address, type
 * and event attribute read page by page across many blocks while new blocks arrive, with no duplicate or gap;
 * bad input answers a clear error; a node with [index] off says so; raw bytes re-hash and verify.
 */
const FEE = DEFAULT_PARAMS.minFee;
let chain: TestChain;

interface Item {
  kind: "tx" | "block";
  height: number;
  index?: number;
  hash?: string;
  raw?: string;
  tx?: { sender: string; msg: Record<string, unknown> };
  result?: { code: number; events: { type: string; attributes: Record<string, string> }[] };
}
interface Page {
  items: Item[];
  cursor: string | null;
  done: boolean;
  latestHeight: number;
}

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 50 });
}, 30_000);

afterAll(async () => {
  await chain?.stop();
});

const submit = async (tx: BuiltTx) =>
  (await chain.client.tx.submit({ tx: toBase64(tx.bytes) })).hash;

/** Polls until every hash is included (a deadline, not a sleep, decides failure). */
async function included(hashes: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const hash of hashes) {
    for (;;) {
      const s = await chain.client.tx.getStatus({ hash });
      if (s.status === "included") break;
      if (Date.now() > deadline) throw new Error(`${hash} still ${s.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function errorOf(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error("the call succeeded");
}

/** A chain_getBlock tx asked for with txs: "full" (the declaration allows a hash alone, for the default mode). */
type FullTx = Exclude<ResultOf<"chain_getBlock">["txs"][number], string>;
function full(tx: ResultOf<"chain_getBlock">["txs"][number]): FullTx {
  if (typeof tx === "string") throw new Error(`a hash (${tx}) where txs: "full" asked for the tx`);
  return tx;
}

const search = (params: Record<string, unknown>) => chain.rpc.call<Page>("tx_search", params);

/** Reads every page of a query; `between` runs after each page (new txs arrive meanwhile). */
async function allPages(params: Record<string, unknown>, between: () => Promise<void> = async () => {}) {
  const items: Item[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await search({ ...params, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.items);
    if (page.cursor !== null) cursor = page.cursor;
    await between();
    if (page.done && page.items.length === 0) return items;
  }
}

const place = (i: Item) => i.height * 2 ** 32 + (i.index ?? 2 ** 32 - 1);

describe("tx_search", () => {
  const alice = new TestAccount();
  const bob = new TestAccount();
  const carol = new TestAccount();
  const aliceHashes: string[] = [];
  const toCarol: string[] = [];

  beforeAll(async () => {
    aliceHashes.push(await submit(chain.faucet.transfer(chain.chainId, alice.address, 100n * ONE_OPEN, FEE)));
    await included(aliceHashes);
    // Spread over many blocks: a few per block.
    for (let i = 0; i < 30; i++) {
      aliceHashes.push(await submit(alice.transfer(chain.chainId, bob.address, 1n, FEE)));
      if (i % 5 === 4) await included(aliceHashes.slice(-1));
    }
    await included(aliceHashes);
  }, 60_000);

  it("finds every tx of an address page by page, ascending, with no duplicate or gap while blocks arrive", async () => {
    let sent = 0;
    const heights = new Set<number>();
    const items = await allPages({ address: alice.bech32, limit: 7 }, async () => {
      // New txs of the same address arrive between pages, in new blocks, until 30 more were sent.
      if (sent < 30) {
        for (let i = 0; i < 6; i++, sent++) {
          const hash = await submit(alice.transfer(chain.chainId, carol.address, 2n, FEE));
          aliceHashes.push(hash);
          toCarol.push(hash);
        }
        await included(aliceHashes.slice(-1));
      }
    });
    const hashes = items.map((i) => i.hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(new Set(hashes)).toEqual(new Set(aliceHashes));
    for (let i = 1; i < items.length; i++) expect(place(items[i])).toBeGreaterThan(place(items[i - 1]));
    for (const i of items) heights.add(i.height);
    expect(heights.size).toBeGreaterThan(5);
    // Every item carries its result and names the address.
    for (const i of items) {
      expect(i.result?.code).toBe(0);
      expect(JSON.stringify(i)).toContain(alice.bech32);
    }
  }, 60_000);

  it("searches by message type descending and by event attribute, alone and combined with an address", async () => {
    const desc = await allPages({ type: "transfer", order: "desc", limit: 9 });
    for (let i = 1; i < desc.length; i++) expect(place(desc[i])).toBeLessThan(place(desc[i - 1]));
    expect(new Set(desc.map((i) => i.hash)).size).toBe(desc.length);
    for (const h of aliceHashes) expect(desc.some((i) => i.hash === h)).toBe(true);

    const event = { type: "transfer", attribute: "recipient", value: carol.bech32 };
    const byEvent = await allPages({ event, limit: 4 });
    expect(byEvent.map((i) => i.hash)).toEqual(toCarol);
    const combined = await allPages({ address: alice.bech32, type: "transfer", event, limit: 100 });
    expect(combined.map((i) => i.hash)).toEqual(toCarol);
    expect(await allPages({ address: bob.bech32, event, limit: 100 })).toEqual([]);
    // A quantity is not indexed, but filters alongside an address.
    const amount = { type: "transfer", attribute: "amount", value: "2" };
    expect((await allPages({ address: alice.bech32, event: amount, limit: 100 })).map((i) => i.hash)).toEqual(toCarol);
    // A height range.
    const first = byEvent[0].height;
    const ranged = await allPages({ event, fromHeight: first, toHeight: first, limit: 100 });
    expect(ranged.map((i) => i.hash)).toEqual(byEvent.filter((i) => i.height === first).map((i) => i.hash));
  }, 30_000);

  it("a name that reads like someone's address does not put a tx in that address's history (address poisoning)", async () => {
    const victim = new TestAccount();
    const attacker = new TestAccount();
    await included([await submit(chain.faucet.transfer(chain.chainId, attacker.address, 10n * ONE_OPEN, FEE))]);
    const msg = { type: "create_datanet" as const, name: victim.bech32, ...DATANET_SETTINGS };
    const hash = await submit(attacker.transfer(chain.chainId, attacker.address, 0n, FEE, { msg }));
    await included([hash]);
    const byVictim = await chain.rpc.call<Page>("tx_search", { address: victim.bech32 });
    expect(byVictim.items.map((i) => i.hash)).not.toContain(hash);
    // The name is still found as what it is: an attribute of the create_datanet event.
    const byName = await chain.rpc.call<Page>("tx_search", {
      event: { type: "create_datanet", attribute: "name", value: victim.bech32 },
    });
    expect(byName.items.map((i) => i.hash)).toEqual([hash]);
  });

  it("answers bad input with a clear error", async () => {
    const unknownKey = await errorOf(search({ address: alice.bech32, colour: "red" }));
    expect(unknownKey.code).toBe(INVALID_PARAMS);
    expect(unknownKey.message).toMatch(/colour/);
    const unknownEventKey = await errorOf(search({ event: { type: "t", attribute: "a", value: "v", x: 1 } }));
    expect(unknownEventKey.code).toBe(INVALID_PARAMS);
    const noFilter = await errorOf(search({ limit: 5 }));
    expect(noFilter.code).toBe(INVALID_PARAMS);
    expect(noFilter.message).toMatch(/at least one filter/);
    const amountOnly = await errorOf(search({ event: { type: "transfer", attribute: "amount", value: "2" } }));
    expect(amountOnly.code).toBe(INVALID_PARAMS);
    expect(amountOnly.message).toMatch(/not indexed/);
    const tooMany = await errorOf(search({ address: alice.bech32, limit: 101 }));
    expect(tooMany.code).toBe(INVALID_PARAMS);

    const page = await search({ address: alice.bech32, limit: 2 });
    const otherQuery = await errorOf(search({ address: bob.bech32, limit: 2, cursor: page.cursor }));
    expect(otherQuery.code).toBe(APP_ERRORS.INVALID_CURSOR);
    expect(otherQuery.message).toMatch(/another query/);
    const otherOrder = await errorOf(search({ address: alice.bech32, order: "desc", cursor: page.cursor }));
    expect(otherOrder.code).toBe(APP_ERRORS.INVALID_CURSOR);
    const garbage = await errorOf(search({ address: alice.bech32, cursor: "not-a-cursor" }));
    expect(garbage.code).toBe(APP_ERRORS.INVALID_CURSOR);

    const beyond = page.latestHeight + 1000;
    const future = await errorOf(search({ address: alice.bech32, fromHeight: beyond }));
    expect(future.code).toBe(APP_ERRORS.HEIGHT_NOT_AVAILABLE);
    expect(future.message).toMatch(/beyond the latest height/);
    // The node is unhurt.
    expect((await search({ address: alice.bech32, limit: 1 })).items).toHaveLength(1);
  });

  it("gives each tx's raw bytes: they re-hash to the tx hash and the signature verifies", async () => {
    const hash = toCarol[0];
    const got = await chain.client.tx.get({ hash });
    const check = (item: { raw: string; hash: string }) => {
      const raw = fromBase64(item.raw as string) as Uint8Array;
      expect(toHex(sha256(raw))).toBe(item.hash);
      const tx = decodeTx(raw);
      expect(verify(txSignBytes(tx.body.chainId, tx.bodyBytes), tx.signature, tx.body.senderPubkey)).toBe(true);
    };
    check({ ...got, hash });
    const block = await chain.client.chain.getBlock({ height: got.height, txs: "full" });
    const txs = block.txs.map(full);
    expect(txs.some((t) => t.hash === hash)).toBe(true);
    txs.forEach(check);
    const results = await chain.client.chain.getBlockResults({ height: got.height });
    expect(results.txs.map((t) => t.hash)).toEqual(txs.map((t) => t.hash));
    results.txs.forEach(check);
    expect(results.txs.every((t) => t.result !== undefined && t.result.events.length > 0)).toBe(true);
    const hashesOnly = await chain.client.chain.getBlock({ height: got.height });
    expect(hashesOnly.txs).toEqual(txs.map((t) => t.hash));
    const notYet = await errorOf(chain.client.chain.getBlockResults({ height: got.height + 100_000 }));
    expect(notYet.code).toBe(APP_ERRORS.BLOCK_NOT_FOUND);
  });
  it("chain_getBlock gives a block's header and tx count without its txs, and its txs page by page", async () => {
    // The block holding most of alice's transfers (a few per block).
    const counts = new Map<number, number>();
    for (const hash of aliceHashes) {
      const { height } = await chain.client.tx.get({ hash });
      counts.set(height, (counts.get(height) ?? 0) + 1);
    }
    const height = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const whole = await chain.client.chain.getBlock({ height, txs: "full" });
    const fullTxs = whole.txs.map(full);
    expect(fullTxs.length).toBeGreaterThanOrEqual(2);
    expect(whole.numTxs).toBe(fullTxs.length);
    const bare = await chain.client.chain.getBlock({ height, txs: "none" });
    expect(bare.header.height).toBe(height);
    expect(bare.numTxs).toBe(fullTxs.length);
    expect(bare.txs).toEqual([]);
    const second = await chain.client.chain.getBlock({ height, txs: "full", txOffset: 1, txLimit: 1 });
    expect(second.txs).toEqual([fullTxs[1]]);
    expect(second.numTxs).toBe(fullTxs.length);
    const rest = await chain.client.chain.getBlock({ height, txOffset: 1 });
    expect(rest.txs).toEqual(fullTxs.slice(1).map((t) => t.hash));
    const beyond = await chain.client.chain.getBlock({ height, txOffset: fullTxs.length, txLimit: 5 });
    expect(beyond.txs).toEqual([]);
  });
});

describe("a node with [index] enabled = false", () => {
  it("writes no index and answers tx_search with INDEX_DISABLED", async () => {
    const off = await startTestChain({ blockIntervalMs: 50, index: { enabled: false } });
    try {
      const err = await errorOf(off.rpc.call("tx_search", { type: "transfer" }));
      expect(err.code).toBe(APP_ERRORS.INDEX_DISABLED);
      expect(err.message).toMatch(/\[index\] enabled = false/);
      // Block results do not need the index.
      await off.waitForHeight(1);
      const results = await off.rpc.call<{ txs: unknown[] }>("chain_getBlockResults", { height: 1 });
      expect(results.txs).toEqual([]);
    } finally {
      await off.stop();
    }
  }, 30_000);
});
