import { encodeAddress } from "../../crypto/address.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { ModuleMsg } from "../../proto/module-msgs.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { NODE_VERSION } from "../../node/version.ts";
import type { RpcMethod } from "../../rpc/method.ts";
import { RpcClient } from "../../rpc/client.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { openRpcDocument } from "../../rpc/openrpc.ts";
import { type TypedClient, typedClient } from "../../rpc/typed-client.ts";
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
 * The calls go through the typed client (rpc/typed-client.ts): its types are the same declarations'.
 */
let chain: TestChain;
let client: TypedClient;
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

/** An RpcClient that checks every result against its method's schema and notes the method as called. */
class CheckingClient extends RpcClient {
  override async call<T = unknown>(name: string, params: Record<string, unknown> = {}): Promise<T> {
    const result = await super.call<T>(name, params);
    expectMatches(name, result);
    return result;
  }
}

/** chain_getBlock's txs are hashes, or with txs: "full" each tx with its hash. */
const hashOf = (tx: string | { hash: string }) => (typeof tx === "string" ? tx : tx.hash);
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
  // The block's hash: the tests below read the transfer's hash from it.
  transferHash = (await typedClient(chain.rpc).chain.getBlock({ height: transfer.height })).hash;
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
  client = typedClient(new CheckingClient(chain.node.rpc.url));
}, 60_000);

afterAll(async () => {
  ws?.ws.close();
  await chain?.stop();
});

describe("every method's result matches its result schema", () => {
  it("node, consensus and chain", async () => {
    await client.node.getStatus();
    const peers = await client.node.getPeers();
    await client.consensus.getState();
    const evidence = await client.consensus.getEvidence();
    // The old names answer the same, for a deprecation period (the typed client knows only the new ones).
    expect(await client.untyped.call("node_peers")).toEqual(peers);
    expect(await client.untyped.call("consensus_evidence")).toEqual(evidence);
    expect(await client.untyped.call("consensus_state")).toMatchObject({ catchingUp: false });
    expect(await client.untyped.call("node_status")).toMatchObject({ chainId: chain.chainId });
    await client.chain.getParams();
    await client.chain.getParams({ height: 1 });
    const block = await client.chain.getBlock({ hash: transferHash });
    expect(block.txs.length).toBeGreaterThan(0);
    const full = await client.chain.getBlock({ hash: transferHash, txs: "full" });
    expect(full.txs.map(hashOf)).toEqual(block.txs.map(hashOf));
    expect(typeof full.txs[0]).toBe("object");
    await client.chain.getBlock({ height: 1 });
    const latest = chain.node.app.info().height;
    await client.chain.getBlockResults({ height: latest });
    await client.light.getBlock({ height: latest });
    await client.state.getProof({ key: { account: alice.bech32 } });
    await client.state.getProof({ key: { params: true } });
    await client.state.getProof({ key: { datanet: 999 } }); // absent: value and valueBytes null
  });

  it("transactions and search", async () => {
    const faucet = chain.faucet;
    const txHash = hashOf((await client.chain.getBlock({ hash: transferHash })).txs[0]);
    await client.tx.get({ hash: txHash });
    await client.tx.getStatus({ hash: txHash });
    await client.tx.getStatus({ hash: "00".repeat(32) });
    const transfer: TxMsg = { type: "transfer", to: bob.address, amount: 1n };
    await client.tx.simulate({ tx: toBase64(signMsg(chain, faucet, transfer, { nonce: faucet.nonce })) });
    // A nonce far ahead: not includable, with its reason.
    await client.tx.simulate({ tx: toBase64(signMsg(chain, faucet, transfer, { nonce: faucet.nonce + 5 })) });
    const { hash } = await client.tx.submit({ tx: toBase64(signMsg(chain, faucet, transfer)) });
    await client.tx.getStatus({ hash });
    const page = await client.tx.search({ address: alice.bech32, limit: 3 });
    expect(page.items.length).toBe(3);
    await client.tx.search({ type: "transfer", order: "desc" });
  });

  it("accounts, supply and staking", async () => {
    await client.account.get({ address: alice.bech32 });
    await client.account.get({ address: alice.bech32, prove: true });
    await client.bank.getSupply();
    await client.staking.getValidators({ limit: 1 });
    await client.staking.getValidator({ address: chain.faucet.bech32, prove: true });
    await client.staking.getStake({ delegator: alice.bech32 });
    await client.staking.getStake({ delegator: alice.bech32, validator: chain.faucet.bech32, prove: true });
  });

  it("datanets and models", async () => {
    await client.datanet.get({ id: ids.datanet, prove: true });
    await client.datanet.list({ limit: 1 });
    await client.datanet.getContributions({ datanetId: ids.datanet });
    await client.datanet.getContributions({ contributor: bob.bech32, status: "rejected" });
    await client.datanet.getContribution({ id: ids.contributions[0], prove: true });
    await client.datanet.getContribution({ id: ids.contributions[1] });
    await client.datanet.getVersion({ datanetId: ids.datanet, version: 1, prove: true });
    await client.datanet.proveMembership({ datanetId: ids.datanet, version: 1, contributionId: ids.contributions[0] });
    await client.model.get({ id: ids.adapter, prove: true });
    await client.model.list({});
    await client.model.list({ owner: alice.bech32 });
  });

  it("attribution", async () => {
    await client.attribution.getInference({ id: ids.inference, prove: true });
    await client.attribution.listInferences({ modelId: ids.model });
    await client.attribution.getPayouts({ inferenceId: ids.inference, prove: true });
    await client.attribution.getRewards({ address: bob.bech32, prove: true });
    await client.attribution.getEarnings({ contributionId: ids.contributions[0], prove: true });
    await client.attribution.getEarnings({ modelId: ids.model });
  });

  it("governance", async () => {
    await client.gov.getProposal({ id: ids.proposal });
    await client.gov.listProposals({});
    await client.gov.getVotes({ proposalId: ids.proposal });
    const byVoter = await client.gov.getVotes({ voter: encodeAddress(chain.faucet.address) });
    expect(byVoter.items.map((v) => v.proposalId)).toEqual([ids.proposal]);
    await client.gov.getDeposits({ proposalId: ids.proposal });
    await client.gov.getTally({ proposalId: ids.proposal });
    expect(await client.gov.getUpgradePlan({ name: "v2" })).toMatchObject({ plan: null, appliedAt: null });
  });

  it("subscriptions over the WebSocket", async () => {
    const sub = await ws.call("subscribe", { topic: "blocks" });
    expectMatches("subscribe", sub);
    expectMatches("unsubscribe", await ws.call("unsubscribe", { subscription: (sub as { subscription: string }).subscription }));
  });

  it("rpc_discover: the OpenRPC document of the declarations", async () => {
    const doc = await client.rpc.discover();
    expect(doc).toEqual(JSON.parse(JSON.stringify(openRpcDocument(allMethods as readonly RpcMethod[], NODE_VERSION))));
  });

  it("every declared method was called above", () => {
    expect([...called].sort()).toEqual(allMethods.map((m) => m.name).sort());
  });
});
