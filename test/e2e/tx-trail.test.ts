import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { homePaths } from "../../node/config.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { Keyring } from "../../node/keyring.ts";
import { minReplacementFee } from "../../node/mempool-limits.ts";
import { APP_ERRORS, INVALID_PARAMS } from "../../rpc/errors.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { type BuiltBlock, buildChain } from "../helpers/built-chain.ts";
import { setConfigValue, TestNetwork } from "../helpers/network.ts";
import { runCli } from "../helpers/processes.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Issue 15's trail, end to end on a devnet of real `opl` processes over real HTTP: tx_search finds every
 * transaction of an address across 1,000 blocks, page by page, with no duplicate or gap while new blocks
 * arrive; tx_getStatus follows a tx from pending (behind a nonce gap, saying so) to included, reports one the
 * mempool's TTL evicted, and one replaced by a higher fee (also through `opl query tx HASH`); bad search
 * input gets a clear JSON-RPC error and the node goes on.
 */
const FEE = DEFAULT_PARAMS.minFee;
/** Blocks: the search spans at least this many. */
const BLOCKS = 1_000;
/**
 * Of those, written into the validator's home before it starts (buildChain: each block proposed and committed
 * by the real application, index included), so the test fits in a minute on a loaded machine; the rest the
 * running node makes while the client pages.
 */
const PREBUILT = 700;
/** Alice's txs come one every this many blocks. */
const EVERY = 7;
/** Blocks a tx may wait in the mempool (config.toml [mempool] ttl_blocks): a gapped tx goes within seconds. */
const TTL_BLOCKS = 60;

let net: TestNetwork;
const rpc = () => net.nodes[0].rpc;
/** account0 and account1 of the devnet's keyring, with their nonces as the test goes. */
let alice: TestAccount;
let bob: TestAccount;
/** Hashes of every tx involving alice (sent by her, or to her by bob), in the order sent. */
const aliceTxs: string[] = [];

/** Alice's txs of the prebuilt history: one every EVERY blocks, alternately hers and bob's to her. */
function* history(chainId: string): Generator<BuiltBlock> {
  for (let h = 1; h <= PREBUILT; h++) {
    if (h % EVERY !== 0) {
      yield [];
      continue;
    }
    const tx = (h / EVERY) % 3 === 2
      ? bob.transfer(chainId, alice.address, 1n, FEE)
      : alice.transfer(chainId, new TestAccount().address, 1n, FEE);
    aliceTxs.push(toHex(tx.hash));
    yield [tx.bytes];
  }
}

beforeAll(async () => {
  // One validator, blocks as fast as the node allows (block_interval_ms has a floor of 10).
  net = await TestNetwork.start({
    validators: 1,
    blockIntervalMs: 10,
    chainId: "opl-trail-1",
    accounts: 3,
    prepare: async (home) => {
      setConfigValue(home, "mempool", "ttl_blocks", TTL_BLOCKS);
      const keyring = new Keyring(dirname(home));
      alice = new TestAccount(keyring.get("account0").secretKey);
      bob = new TestAccount(keyring.get("account1").secretKey);
      const chainId = readGenesisFile(homePaths(home).genesis).chainId;
      expect(await buildChain(home, history(chainId))).toBe(PREBUILT);
    },
  });
  net.startWatchdog({ stallMs: 20_000 });
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

interface Status {
  hash: string;
  status: "pending" | "included" | "rejected" | "evicted" | "unknown";
  reason?: string;
  message?: string;
  height?: number;
  replacedBy?: string;
}
interface Item {
  kind: "tx" | "block";
  height: number;
  index?: number;
  hash?: string;
}
interface Page {
  items: Item[];
  cursor: string | null;
  done: boolean;
  latestHeight: number;
}

const submit = async (tx: BuiltTx) => (await rpc().call<{ hash: string }>("tx_submit", { tx: toBase64(tx.bytes) })).hash;
const status = (hash: string) => rpc().call<Status>("tx_getStatus", { hash });
const height = async () => (await rpc().call<{ latestHeight: number }>("node_getStatus")).latestHeight;

/** Polls tx_getStatus until `done` holds (a deadline, not a sleep, decides failure). */
function statusUntil(hash: string, done: (s: Status) => boolean, what: string, timeoutMs = 20_000): Promise<Status> {
  return waitFor(`${hash.slice(0, 12)} ${what}`, async () => {
    const s = await status(hash);
    return done(s) ? s : undefined;
  }, timeoutMs);
}

describe("tx_search on a devnet", () => {
  it(`finds every tx of an address across ${BLOCKS} blocks, page by page, no duplicate or gap while blocks arrive`, async () => {
    expect(await height()).toBeGreaterThanOrEqual(PREBUILT);
    let sending = true;
    // The running node goes on: alice's txs keep coming, one every few blocks, up to height BLOCKS.
    const sender = (async () => {
      for (let last = 0, n = 0; ; n++) {
        const h = await height();
        if (h >= BLOCKS) break;
        if (h < last + EVERY) {
          await waitFor("the next blocks", async () => ((await height()) >= last + EVERY ? true : undefined));
          continue;
        }
        last = h;
        const tx = n % 3 === 2
          ? bob.transfer(net.chainId, alice.address, 1n, FEE)
          : alice.transfer(net.chainId, new TestAccount().address, 1n, FEE);
        aliceTxs.push(await submit(tx));
      }
      sending = false;
    })();

    // Meanwhile a client reads alice's whole history five items a page, from the start, as the chain grows.
    const items: Item[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let pagesWhileGrowing = 0;
    const page = async (limit: number) => {
      const p = await rpc().call<Page>("tx_search", { address: alice.bech32, limit, ...(cursor === undefined ? {} : { cursor }) });
      items.push(...p.items);
      if (p.cursor !== null) cursor = p.cursor;
      return p;
    };
    for (;;) {
      const growing = sending;
      const p = await page(5);
      pages++;
      if (growing) pagesWhileGrowing++;
      if (p.done && p.items.length === 0 && !sending) break;
      // Paced by the chain, not by a clock: once caught up, the next page after the next block.
      if (p.done) {
        const seen = p.latestHeight;
        await waitFor("a new block", async () => ((await height()) > seen ? true : undefined));
      }
    }
    await sender;
    // The last sends may still be in the mempool: once each is included (checked one at a time), the
    // remaining pages hold them.
    for (const hash of aliceTxs) await statusUntil(hash, (s) => s.status === "included", "included");
    while ((await page(100)).items.length > 0) pages++;
    net.assertHealthy();

    const txItems = items.filter((i) => i.kind === "tx");
    const hashes = txItems.map((i) => i.hash as string);
    expect(new Set(hashes).size).toBe(hashes.length); // no duplicate
    expect(hashes).toHaveLength(aliceTxs.length);
    expect(new Set(hashes)).toEqual(new Set(aliceTxs)); // no gap, nothing foreign
    for (let i = 1; i < txItems.length; i++) {
      const [a, b] = [txItems[i - 1], txItems[i]];
      expect(b.height * 1e6 + (b.index as number)).toBeGreaterThan(a.height * 1e6 + (a.index as number));
    }
    // Spread over the 1,000 blocks, and mostly read while new ones were being made.
    expect(txItems[0].height).toBeLessThanOrEqual(EVERY);
    expect(txItems[txItems.length - 1].height).toBeGreaterThanOrEqual(BLOCKS - 2 * EVERY);
    expect(txItems.filter((i) => i.height > PREBUILT).length).toBeGreaterThan(5);
    expect(pagesWhileGrowing).toBeGreaterThan(pages / 2);
  }, 60_000);

  it("answers bad search input over HTTP with a clear JSON-RPC error, and goes on", async () => {
    const post = async (params: unknown) => {
      const res = await fetch(net.nodes[0].url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tx_search", params }),
      });
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      type Answer = { jsonrpc: string; id: number; result?: Page; error?: { code: number; message: string } };
      return (await res.json()) as Answer;
    };
    const errorOf = async (params: unknown) => {
      const r = await post(params);
      expect(r.jsonrpc).toBe("2.0");
      expect(r.id).toBe(7);
      expect(r.result).toBeUndefined();
      return r.error as { code: number; message: string };
    };
    const unknownKey = await errorOf({ address: alice.bech32, sender: alice.bech32 });
    expect(unknownKey.code).toBe(INVALID_PARAMS);
    expect(unknownKey.message).toMatch(/sender/);
    const unknownEventKey = await errorOf({ event: { type: "transfer", attribute: "recipient", value: alice.bech32, op: "gt" } });
    expect(unknownEventKey.code).toBe(INVALID_PARAMS);
    expect(unknownEventKey.message).toMatch(/op/);

    const page = await post({ address: alice.bech32, limit: 2 });
    const cursor = page.result?.cursor;
    expect(typeof cursor).toBe("string");
    const foreign = await errorOf({ address: bob.bech32, limit: 2, cursor });
    expect(foreign.code).toBe(APP_ERRORS.INVALID_CURSOR);
    expect(foreign.message).toMatch(/another query/);
    const ranged = await errorOf({ address: alice.bech32, fromHeight: 1, toHeight: 5, cursor });
    expect(ranged.message).toMatch(/another query/);
    expect(ranged.code).toBe(foreign.code);

    const tip = page.result?.latestHeight as number;
    const beyond = await errorOf({ address: alice.bech32, fromHeight: tip + 100_000 });
    expect(beyond.code).toBe(APP_ERRORS.HEIGHT_NOT_AVAILABLE);
    expect(beyond.message).toMatch(/beyond the latest height/);
    const inverted = await errorOf({ address: alice.bech32, fromHeight: 9, toHeight: 3 });
    expect(inverted.code).toBe(INVALID_PARAMS);
    expect(inverted.message).toMatch(/fromHeight must not be above toHeight/);

    // The node is unhurt: it answers and keeps making blocks.
    const now = await height();
    await waitFor("blocks after the bad input", async () => ((await height()) > now + 5 ? true : undefined));
    expect((await post({ address: alice.bech32, limit: 1 })).result?.items).toHaveLength(1);
  });
});

describe("tx_getStatus on a devnet", () => {
  it("follows a tx from pending behind a nonce gap to included, and reports one the TTL evicted", async () => {
    const carol = net.account("account2");
    const start = carol.nonce;
    const gapped = carol.transfer(net.chainId, new TestAccount().address, 1n, FEE, { nonce: start + 1 });
    const gappedHash = await submit(gapped);
    const pending = await status(gappedHash);
    expect(pending).toMatchObject({ status: "pending", reason: "NONCE_GAP" });
    expect(pending.message).toMatch(new RegExp(`nonce ${start} is missing`));
    // Still pending a few blocks later: it waits, it is not lost.
    const h = await height();
    await waitFor("a few blocks", async () => ((await height()) > h + 3 ? true : undefined));
    expect((await status(gappedHash)).status).toBe("pending");

    const filler = carol.transfer(net.chainId, new TestAccount().address, 1n, FEE, { nonce: start });
    const fillerHash = await submit(filler);
    const included = await statusUntil(gappedHash, (s) => s.status === "included", "included");
    expect(included).toMatchObject({ status: "included", reason: "OK", code: 0 });
    expect((await status(fillerHash)).height).toBeLessThanOrEqual(included.height as number);
    carol.nonce = start + 2;

    // A tx whose gap is never filled: evicted by the TTL, and remembered as such.
    const stuck = carol.transfer(net.chainId, new TestAccount().address, 1n, FEE, { nonce: carol.nonce + 1 });
    const before = await height(); // it is admitted at this height or later
    const stuckHash = await submit(stuck);
    const evicted = await statusUntil(stuckHash, (s) => s.status !== "pending", "evicted", 30_000);
    expect(evicted).toMatchObject({ status: "evicted", reason: "TTL" });
    expect(evicted.height).toBeGreaterThanOrEqual(before + TTL_BLOCKS);
    expect(evicted.message).toMatch(new RegExp(`${TTL_BLOCKS} blocks`));
  }, 60_000);

  it("reports a tx replaced by a higher fee as evicted / REPLACED over RPC and through `opl query tx`", async () => {
    const dave = new TestAccount();
    const faucet = net.account("faucet");
    const funded = await submit(faucet.transfer(net.chainId, dave.address, 10n ** 18n, FEE));
    await statusUntil(funded, (s) => s.status === "included", "included");
    // Nonce 1 first: it waits behind the gap, so it is surely still pending when the replacement comes.
    const to = new TestAccount().address;
    const old = dave.transfer(net.chainId, to, 5n, FEE, { nonce: 1 });
    const oldHash = await submit(old);
    // Not enough more: refused with the fee that would do.
    const cheap = dave.transfer(net.chainId, to, 6n, minReplacementFee(FEE) - 1n, { nonce: 1 });
    await expect(submit(cheap)).rejects.toThrow(new RegExp(`at least ${minReplacementFee(FEE)}`));
    const replacement = dave.transfer(net.chainId, to, 6n, minReplacementFee(FEE), { nonce: 1 });
    const newHash = await submit(replacement);

    const replaced = await status(oldHash);
    expect(replaced).toMatchObject({ status: "evicted", reason: "REPLACED", replacedBy: newHash });
    expect(replaced.message).toContain(newHash);
    expect((await status(newHash)).reason).toBe("NONCE_GAP");

    await submit(dave.transfer(net.chainId, to, 1n, FEE, { nonce: 0 }));
    await statusUntil(newHash, (s) => s.status === "included", "included");
    expect((await status(oldHash)).status).toBe("evicted"); // never included: its fate stays

    const url = net.nodes[0].url;
    const shown = await runCli(["query", "tx", oldHash, "--rpc", url]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/status: evicted at height \d+ \(REPLACED\)/);
    expect(shown.stdout).toContain(`replaced by: ${newHash}`);
    const json = await runCli(["query", "tx", oldHash, "--rpc", url, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "evicted", reason: "REPLACED", replacedBy: newHash });
    expect(toHex(old.hash)).toBe(oldHash);
  }, 60_000);
});
