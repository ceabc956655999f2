import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { ModuleMsg } from "../../proto/module-msgs.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { NODE_VERSION } from "../../node/version.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { openRpcDocument } from "../../rpc/openrpc.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { DATANET_SETTINGS, idOf, sendAll, signMsg } from "../helpers/economy.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { TestWsClient } from "../helpers/ws-client.ts";

/**
 * Every declared JSON-RPC method, called at least once over real HTTP (subscribe and unsubscribe over the
 * WebSocket) against a real node that ran the economy scenario (staking, datanets, a version, a model and an
 * adapter, a paid and recorded inference, a governance proposal with a deposit and a vote), each answer
 * checked against its method's result schema, strictly: a key the schema does not name fails, so what
 * rpc_discover documents is what the node sends. A method declared but not called here fails the last test.
 */
let chain: TestChain;
let ws: TestWsClient;
const alice = new TestAccount();
const bob = new TestAccount();
const called = new Set<string>();
const byName = new Map<string, (typeof allMethods)[number]>(allMethods.map((m) => [m.name, m]));

/** Checks a result against the schema of the method that answered it, listing every mismatch. */
function expectMatches(name: string, result: unknown): void {
  const m = byName.get(name);
  if (m === undefined) throw new Error(`${name} is not declared`);
  const checked = m.result.safeParse(result);
  const issues = checked.success ? [] : checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  expect(issues, `${name}: ${JSON.stringify(result).slice(0, 400)}`).toEqual([]);
  called.add(name);
}

/** Calls a method over HTTP and checks its result. */
async function call<T = Record<string, unknown>>(name: string, params: Record<string, unknown> = {}): Promise<T> {
  const result = await chain.rpc.call<T>(name, params);
  expectMatches(name, result);
  return result;
}

const hash = (text: string) => sha256(new TextEncoder().encode(text));
const ids = { datanet: 0, contributions: [] as number[], model: 0, adapter: 0, inference: 0, proposal: 1 };
let transferHash = "";

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 100 });
  const faucet = chain.faucet;
  const send = (...txs: [TestAccount, TxMsg][]) => sendAll(chain, txs);
  const [transfer] = await send(
    [faucet, { type: "transfer", to: alice.address, amount: 1000n * ONE_OPEN }],
    [faucet, { type: "transfer", to: bob.address, amount: 1000n * ONE_OPEN }],
  );
  transferHash = (await chain.rpc.call<{ hash: string }>("chain_getBlock", { height: transfer.height }))
    .hash; // the block's hash; the tx's hash is read from the block below
  await send(
    [alice, { type: "stake", validator: faucet.address, amount: 10n * ONE_OPEN }],
    [alice, { type: "unstake", validator: faucet.address, amount: ONE_OPEN }],
  );
  const [created] = await send([alice, { type: "create_datanet", name: "corpus", ...DATANET_SETTINGS }]);
  ids.datanet = idOf(created);
  const contributed = await send(
    ...[1, 2].map((i): [TestAccount, ModuleMsg] => [
      bob,
      { type: "contribute", datanetId: ids.datanet, contentHash: hash(`item ${i}`), uri: `ipfs://${i}`, sizeBytes: i, metadata: "" },
    ]),
  );
  ids.contributions = contributed.map(idOf);
  await send(
    [alice, { type: "review_contribution", contributionId: ids.contributions[0], accept: true }],
    [alice, { type: "review_contribution", contributionId: ids.contributions[1], accept: false }],
  );
  await send([alice, { type: "publish_version", datanetId: ids.datanet }]);
  const trainedOn = [{ datanetId: ids.datanet, version: 1 }];
  const [model] = await send([
    alice,
    { type: "register_model", name: "m", kind: "model", parentId: 0, baseModel: "llama", weightsHash: hash("w"), uri: "ipfs://w", trainedOn, price: ONE_OPEN },
  ]);
  ids.model = idOf(model);
  const [adapter] = await send([
    bob,
    { type: "register_model", name: "a", kind: "adapter", parentId: ids.model, baseModel: "", weightsHash: hash("a"), uri: "ipfs://a", trainedOn: [], price: 0n },
  ]);
  ids.adapter = idOf(adapter);
  const [paid] = await send([faucet, { type: "pay_inference", modelId: ids.model, requestHash: hash("q"), maxPrice: ONE_OPEN }]);
  ids.inference = idOf(paid);
  await send([
    alice,
    {
      type: "record_inference",
      inferenceId: ids.inference,
      outputHash: hash("out"),
      weights: [
        { contributionId: ids.contributions[0], datanetId: 0, version: 0, ppm: 500_000 },
        { contributionId: 0, datanetId: ids.datanet, version: 1, ppm: 500_000 },
      ],
    },
  ]);
  await send([
    faucet,
    {
      type: "submit_proposal",
      title: "raise the protocol share",
      description: "",
      deposit: 100n * ONE_OPEN,
      content: { kind: "params", changes: [{ key: "attribution.protocolSharePpm", value: "120000" }] },
    },
  ]);
  await send([faucet, { type: "vote", proposalId: ids.proposal, option: "yes", validators: [] }]);
  ws = await TestWsClient.connect(chain.node.rpc.url);
}, 60_000);

afterAll(async () => {
  ws?.ws.close();
  await chain?.stop();
});

describe("every method's result matches its result schema", () => {
  it("node, consensus and chain", async () => {
    await call("node_status");
    await call("node_peers");
    await call("consensus_state");
    await call("consensus_evidence");
    await call("chain_getParams");
    await call("chain_getParams", { height: 1 });
    const block = await call<{ txs: string[] }>("chain_getBlock", { hash: transferHash });
    expect(block.txs.length).toBeGreaterThan(0);
    const full = await call<{ txs: { hash: string }[] }>("chain_getBlock", { hash: transferHash, txs: "full" });
    expect(full.txs[0].hash).toBe(block.txs[0]);
    await call("chain_getBlock", { height: 1 });
    const latest = chain.node.app.info().height;
    await call("chain_getBlockResults", { height: latest });
    await call("light_getBlock", { height: latest });
    await call("state_getProof", { key: { account: alice.bech32 } });
    await call("state_getProof", { key: { params: true } });
    await call("state_getProof", { key: { datanet: 999 } }); // absent: value and valueBytes null
  });

  it("transactions and search", async () => {
    const faucet = chain.faucet;
    const txHash = (await call<{ txs: string[] }>("chain_getBlock", { hash: transferHash })).txs[0];
    await call("tx_get", { hash: txHash });
    await call("tx_getStatus", { hash: txHash });
    await call("tx_getStatus", { hash: "00".repeat(32) });
    const transfer: TxMsg = { type: "transfer", to: bob.address, amount: 1n };
    await call("tx_simulate", { tx: toBase64(signMsg(chain, faucet, transfer, { nonce: faucet.nonce })) });
    // A nonce far ahead: not includable, with its reason.
    await call("tx_simulate", { tx: toBase64(signMsg(chain, faucet, transfer, { nonce: faucet.nonce + 5 })) });
    const { hash } = await call<{ hash: string }>("tx_submit", { tx: toBase64(signMsg(chain, faucet, transfer)) });
    await call("tx_getStatus", { hash });
    const page = await call<{ items: unknown[] }>("tx_search", { address: alice.bech32, limit: 3 });
    expect(page.items.length).toBe(3);
    await call("tx_search", { type: "transfer", order: "desc" });
  });

  it("accounts, supply and staking", async () => {
    await call("account_get", { address: alice.bech32 });
    await call("account_get", { address: alice.bech32, prove: true });
    await call("bank_getSupply");
    await call("staking_getValidators", { limit: 1 });
    await call("staking_getValidator", { address: chain.faucet.bech32, prove: true });
    await call("staking_getStake", { delegator: alice.bech32 });
    await call("staking_getStake", { delegator: alice.bech32, validator: chain.faucet.bech32, prove: true });
  });

  it("datanets and models", async () => {
    await call("datanet_get", { id: ids.datanet, prove: true });
    await call("datanet_list", { limit: 1 });
    await call("datanet_getContributions", { datanetId: ids.datanet });
    await call("datanet_getContributions", { contributor: bob.bech32, status: "rejected" });
    await call("datanet_getContribution", { id: ids.contributions[0], prove: true });
    await call("datanet_getContribution", { id: ids.contributions[1] });
    await call("datanet_getVersion", { datanetId: ids.datanet, version: 1, prove: true });
    await call("datanet_proveMembership", { datanetId: ids.datanet, version: 1, contributionId: ids.contributions[0] });
    await call("model_get", { id: ids.adapter, prove: true });
    await call("model_list", {});
    await call("model_list", { owner: alice.bech32 });
  });

  it("attribution", async () => {
    await call("attribution_getInference", { id: ids.inference, prove: true });
    await call("attribution_listInferences", { modelId: ids.model });
    await call("attribution_getPayouts", { inferenceId: ids.inference, prove: true });
    await call("attribution_getRewards", { address: bob.bech32, prove: true });
    await call("attribution_getEarnings", { contributionId: ids.contributions[0], prove: true });
    await call("attribution_getEarnings", { modelId: ids.model });
  });

  it("governance", async () => {
    await call("gov_getProposal", { id: ids.proposal });
    await call("gov_listProposals", {});
    await call("gov_getVotes", { proposalId: ids.proposal });
    await call("gov_getDeposits", { proposalId: ids.proposal });
    await call("gov_getTally", { proposalId: ids.proposal });
  });

  it("subscriptions over the WebSocket", async () => {
    const sub = await ws.call("subscribe", { topic: "blocks" });
    expectMatches("subscribe", sub);
    expectMatches("unsubscribe", await ws.call("unsubscribe", { subscription: (sub as { subscription: string }).subscription }));
  });

  it("rpc_discover: the OpenRPC document of the declarations", async () => {
    const doc = await call<{ methods: { name: string }[] }>("rpc_discover");
    expect(doc).toEqual(JSON.parse(JSON.stringify(openRpcDocument(allMethods as readonly RpcMethod[], NODE_VERSION))));
  });

  it("every declared method was called above", () => {
    expect([...called].sort()).toEqual(allMethods.map((m) => m.name).sort());
  });
});
