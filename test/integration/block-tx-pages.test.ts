import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { Keyring } from "../../node/keyring.ts";
import { OplNode } from "../../node/node.ts";
import { MAX_BLOCK_TX_PAGE } from "../../rpc/block-tx-page.ts";
import { RpcClient } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { typedClient } from "../../rpc/typed-client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { openBuilder } from "../helpers/built-chain.ts";
import { runCli } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * chain_getBlock reads a block's txs a page at a time: txLimit is at most MAX_BLOCK_TX_PAGE (a server maximum,
 * not only the response budget), txs: "full" without txLimit is one such page, and `opl query block` reads a
 * block bigger than a page through all its pages. Block 1 holds MAX_BLOCK_TX_PAGE + 3 transfers, built by the
 * application without consensus (test/helpers/built-chain.ts), then served by a real node over HTTP.
 */

const EXTRA = 3;
const tmp = tempDir("opl-block-pages-");
let node: OplNode;
let url: string;

beforeAll(async () => {
  const { genesis } = await initHome({
    home: tmp.dir,
    chainId: "opl-block-pages-1",
    moniker: "v",
    rpcListen: "127.0.0.1:0",
    p2pListen: "/ip4/127.0.0.1/tcp/0",
  });
  const faucet = new TestAccount(new Keyring(tmp.dir).get("validator").secretKey);
  const to = new TestAccount().address;
  const txs = Array.from({ length: MAX_BLOCK_TX_PAGE + EXTRA }, () =>
    faucet.transfer(genesis.chainId, to, 1n, DEFAULT_PARAMS.minFee).bytes);
  const builder = await openBuilder(tmp.dir);
  try {
    await builder.next(txs);
  } finally {
    await builder.close();
  }
  const config = readConfig(homePaths(tmp.dir).config);
  node = await OplNode.start({ home: tmp.dir, config, logger: pino({ level: "silent" }) });
  url = node.rpc.url;
}, 60_000);

afterAll(async () => {
  await node?.stop();
  tmp.cleanup();
});

describe("chain_getBlock's pages of txs", () => {
  it("txs: \"full\" gives one page without txLimit, the rest from txOffset; hashes are all there", async () => {
    const client = typedClient(url);
    const first = await client.chain.getBlock({ height: 1, txs: "full" });
    expect(first.numTxs).toBe(MAX_BLOCK_TX_PAGE + EXTRA);
    expect(first.txs).toHaveLength(MAX_BLOCK_TX_PAGE);
    const rest = await client.chain.getBlock({ height: 1, txs: "full", txOffset: MAX_BLOCK_TX_PAGE });
    expect(rest.txs).toHaveLength(EXTRA);
    const hashes = await client.chain.getBlock({ height: 1 });
    expect(hashes.txs).toHaveLength(MAX_BLOCK_TX_PAGE + EXTRA);
    const full = [...first.txs, ...rest.txs].map((t) => (typeof t === "string" ? t : t.hash));
    expect(full).toEqual(hashes.txs);
  });

  it("a txLimit above the maximum is refused with the maximum and how to read more", async () => {
    const err = await new RpcClient(url)
      .call("chain_getBlock", { height: 1, txs: "full", txLimit: MAX_BLOCK_TX_PAGE + 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(-32602);
    expect((err as RpcError).message).toContain(`txLimit must be <= ${MAX_BLOCK_TX_PAGE}`);
    expect((err as RpcError).message).toContain("txOffset");
    const page = await typedClient(url).chain.getBlock({ height: 1, txs: "full", txLimit: MAX_BLOCK_TX_PAGE });
    expect(page.txs).toHaveLength(MAX_BLOCK_TX_PAGE);
  });

  it("says the maximum in the method's description (rpc_discover, the README table)", async () => {
    const doc = await new RpcClient(url).call<{ methods: { name: string; description?: string; summary?: string }[] }>("rpc_discover");
    const m = doc.methods.find((x) => x.name === "chain_getBlock");
    expect(`${m?.summary ?? ""} ${m?.description ?? ""}`).toContain(MAX_BLOCK_TX_PAGE.toLocaleString("en-US"));
  });

  it("opl query block reads every page of a block bigger than one", async () => {
    const json = await runCli(["query", "block", "1", "--rpc", url, "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const block = JSON.parse(json.stdout) as { numTxs: number; txs: { hash: string }[] };
    expect(block.txs).toHaveLength(MAX_BLOCK_TX_PAGE + EXTRA);
    const human = await runCli(["query", "block", "1", "--rpc", url]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^txs:\\s+${MAX_BLOCK_TX_PAGE + EXTRA}$`, "m"));
    expect(human.stdout.split("\n").filter((l) => l.includes(" transfer from "))).toHaveLength(MAX_BLOCK_TX_PAGE + EXTRA);
  }, 60_000);
});
