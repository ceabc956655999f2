import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromHex, toBase64, toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { merkleProof, merkleRootOfHashes, verifyMerkleProof } from "../../crypto/merkle.ts";
import type { ModuleMsg } from "../../proto/module-msgs.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcError } from "../../rpc/errors.ts";
import type { MethodName, ParamsOf, ResultOf } from "../../rpc/typed-client.ts";
import { MAX_PROOF_LEAVES, VersionTreeCache } from "../../rpc/methods/datanets.ts";
import { jsonValue } from "../../rpc/views.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { createValidatorMsg } from "../helpers/validator-msg.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { DATANET_SETTINGS, idOf, reasonOf, rpcFailure, sendAll } from "../helpers/economy.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * Every staking, datanet, model, attribution and params query method over real HTTP against a real node,
 * after real module transactions: results, filters, paging, past heights and errors.
 */
let chain: TestChain;
let faucet: TestAccount; // the genesis validator's operator
const alice = new TestAccount();
const bob = new TestAccount();

/** Signs each (account, message) with the account's next nonce, submits them in order, waits for all. */
const send = (...txs: [TestAccount, TxMsg][]) => sendAll(chain, txs);

/** A call through the typed client: params and result typed from the method's declaration. */
async function call<N extends MethodName>(method: N, params: ParamsOf<N>): Promise<ResultOf<N>> {
  return (chain.client.call as (name: N, params: ParamsOf<N>) => Promise<ResultOf<N>>)(method, params);
}

/** The error a call fails with (and fails the test if it succeeds). */
const failure = (method: string, params: Record<string, unknown>) => rpcFailure(chain.rpc, method, params);
const reason = reasonOf;

type ListMethod = "staking_getValidators" | "datanet_list" | "datanet_getContributions" | "model_list";
type ItemOf<N extends ListMethod> = ResultOf<N> extends { items: (infer I)[] } ? I : never;

/** Every item of a list method, a page of `limit` at a time, following nextCursor. */
async function allPages<N extends ListMethod>(method: N, params: ParamsOf<N>, limit: number): Promise<ItemOf<N>[]> {
  const items: ItemOf<N>[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const asked = { ...(params as object), limit, ...(cursor === undefined ? {} : { cursor }) } as ParamsOf<N>;
    const page = (await call(method, asked)) as { items: ItemOf<N>[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    if (page.nextCursor === null) return items;
    cursor = page.nextCursor;
  }
  throw new Error("more than 50 pages");
}

const hash = (text: string) => sha256(new TextEncoder().encode(text));
const settings = DATANET_SETTINGS;

// Ids and heights the scenario creates, checked by the tests below.
const ids = { datanet: 0, otherDatanet: 0, contributions: [] as number[], model: 0, adapter: 0, inference: 0 };
const heights = { beforeDatanet: 0, contributed: 0, published: 0 };
let newValidator = "";

beforeAll(async () => {
  // 100 ms blocks: alice's validator never signs, and must not miss enough blocks to be jailed meanwhile.
  chain = await startTestChain({ blockIntervalMs: 100 });
  faucet = chain.faucet;
  await send(
    [faucet, { type: "transfer", to: alice.address, amount: 1000n * ONE_OPEN }],
    [faucet, { type: "transfer", to: bob.address, amount: 1000n * ONE_OPEN }],
  );
  const operator = faucet.address;
  // Staking: alice stakes with the genesis validator, creates a small validator of her own, unstakes a bit.
  await send(
    [alice, { type: "stake", validator: operator, amount: 10n * ONE_OPEN }],
    [
      alice,
      createValidatorMsg({ chainId: chain.chainId, operator: alice.address, moniker: "alice", selfStake: 5n * ONE_OPEN }),
    ],
    [alice, { type: "unstake", validator: operator, amount: ONE_OPEN }],
  );
  newValidator = alice.bech32;

  // Datanets: alice owns one; bob contributes three items (two accepted, one rejected); version 1 holds two.
  heights.beforeDatanet = chain.node.app.info().height;
  const [created, other] = await send(
    [alice, { type: "create_datanet", name: "corpus", ...settings }],
    [bob, { type: "create_datanet", name: "bobs", ...settings }],
  );
  ids.datanet = idOf(created);
  ids.otherDatanet = idOf(other);
  const contributed = await send(
    ...[1, 2, 3].map((i): [TestAccount, ModuleMsg] => [
      bob,
      { type: "contribute", datanetId: ids.datanet, contentHash: hash(`item ${i}`), uri: `ipfs://item${i}`, sizeBytes: i, metadata: "" },
    ]),
  );
  ids.contributions = contributed.map(idOf);
  heights.contributed = contributed[2].height;
  await send(
    [alice, { type: "review_contribution", contributionId: ids.contributions[0], accept: true }],
    [alice, { type: "review_contribution", contributionId: ids.contributions[1], accept: false }],
    [alice, { type: "review_contribution", contributionId: ids.contributions[2], accept: true }],
  );
  const [published] = await send([alice, { type: "publish_version", datanetId: ids.datanet }]);
  heights.published = published.height;

  // Models: alice's model trained on version 1; bob's adapter on it (inherits lineage and base model).
  const trainedOn = [{ datanetId: ids.datanet, version: 1 }];
  const [model] = await send([
    alice,
    { type: "register_model", name: "m", kind: "model", parentId: 0, baseModel: "llama", weightsHash: hash("w"), uri: "ipfs://w", trainedOn, price: ONE_OPEN },
  ]);
  const [adapter] = await send([
    bob,
    { type: "register_model", name: "a", kind: "adapter", parentId: idOf(model), baseModel: "", weightsHash: hash("a"), uri: "ipfs://a", trainedOn: [], price: 0n },
  ]);
  ids.model = idOf(model);
  ids.adapter = idOf(adapter);

  // Attribution: the faucet pays alice's model; alice records half to contribution 1, half to version 1.
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
  await chain.waitForHeight(chain.node.app.info().height + 2); // alice's validator is in the set by now
}, 60_000);

afterAll(async () => {
  await chain?.stop();
});

describe("staking methods", () => {
  it("staking_getValidators lists both validators, pages with a cursor, and filters by status", async () => {
    const all = await allPages(
      "staking_getValidators",
      {},
      1,
    );
    expect(all.map((v) => v.operator).sort()).toEqual([faucet.bech32, alice.bech32].sort());
    const mine = all.find((v) => v.operator === newValidator);
    expect(mine).toMatchObject({ active: true, power: 5000, jailed: false, tombstoned: false, moniker: "alice" });
    const first = await call("staking_getValidators", { limit: 1 });
    expect(first.nextCursor).toMatch(/^[0-9a-f]{40}$/);
    expect((await call("staking_getValidators", { status: "active" })).items).toHaveLength(2);
    expect((await call("staking_getValidators", { status: "jailed" })).items).toHaveLength(0);
  });

  it("staking_getValidator: one validator, NOT_FOUND for an address that is none", async () => {
    const v = await call("staking_getValidator", { address: faucet.bech32 });
    expect(v).toMatchObject({ operator: faucet.bech32, jailed: false, active: true, height: expect.any(Number) });
    expect(v.consensusPubKey).toBe(toBase64(chain.node.genesis.validators[0].pubkey));
    // 1000 OPEN self-stake plus alice's 10, minus her 1 unstaked.
    expect(v.tokens).toBe((1009n * ONE_OPEN).toString());
    const err = await failure("staking_getValidator", { address: bob.bech32 });
    expect(reason(err)).toBe("NOT_FOUND");
    expect(err.message).toMatch(/does not exist/);
  });

  it("staking_getStake: per-validator shares and value, and the unbonding entry", async () => {
    const s = await call(
      "staking_getStake",
      { delegator: alice.bech32 },
    );
    const byValidator = Object.fromEntries(s.stakes.map((x) => [x.validator, x.value]));
    expect(byValidator).toEqual({
      [faucet.bech32]: (9n * ONE_OPEN).toString(),
      [alice.bech32]: (5n * ONE_OPEN).toString(),
    });
    expect(s.unbonding).toMatchObject([{ validator: faucet.bech32, amount: ONE_OPEN.toString() }]);
    expect(s).toMatchObject({ totalStaked: (14n * ONE_OPEN).toString(), totalUnbonding: ONE_OPEN.toString() });
    const one = await call("staking_getStake", { delegator: alice.bech32, validator: alice.bech32 });
    expect(one.stakes).toHaveLength(1);
    expect(reason(await failure("staking_getStake", { delegator: alice.bech32, validator: bob.bech32 }))).toBe("NOT_FOUND");
  });
});

describe("datanet methods", () => {
  it("datanet_get: the record with ids as numbers, amounts as strings, addresses bech32; past heights", async () => {
    const d = await call("datanet_get", { id: ids.datanet });
    expect(d).toMatchObject({
      id: ids.datanet,
      owner: alice.bech32,
      name: "corpus",
      contributionStake: ONE_OPEN.toString(),
      contributionCount: 3,
      acceptedCount: 2,
      versionCount: 1,
    });
    const before = await failure("datanet_get", { id: ids.datanet, height: heights.beforeDatanet });
    expect(reason(before)).toBe("NOT_FOUND");
    expect(before.message).toBe(`datanet ${ids.datanet} does not exist`);
    const then = await call("datanet_get", { id: ids.datanet, height: heights.contributed });
    expect(then).toMatchObject({ acceptedCount: 0, versionCount: 0, height: heights.contributed });
    expect(reason(await failure("datanet_get", { id: 999 }))).toBe("NOT_FOUND");
    expect(reason(await failure("datanet_get", { id: 1, height: 10 ** 9 }))).toBe("HEIGHT_NOT_AVAILABLE");
  });

  it("datanet_list: every datanet over pages, and by owner", async () => {
    const all = await allPages("datanet_list", {}, 1);
    expect(all.map((d) => d.id)).toEqual([ids.datanet, ids.otherDatanet]);
    const bobs = await call("datanet_list", { owner: bob.bech32 });
    expect(bobs.items.map((d) => d.id)).toEqual([ids.otherDatanet]);
    expect(bobs.nextCursor).toBeNull();
    const past = await call("datanet_list", { height: heights.beforeDatanet });
    expect(past.items).toEqual([]);
  });

  it("datanet_getContributions: by datanet, status and contributor; at a past height", async () => {
    const all = await allPages(
      "datanet_getContributions",
      { datanetId: ids.datanet },
      2,
    );
    expect(all.map((c) => [c.id, c.status])).toEqual([
      [ids.contributions[0], "accepted"],
      [ids.contributions[1], "rejected"],
      [ids.contributions[2], "accepted"],
    ]);
    expect(all[0].reviewer).toBe(alice.bech32);
    const accepted = await call("datanet_getContributions", { datanetId: ids.datanet, status: "accepted" });
    expect(accepted.items.map((c) => c.id)).toEqual([ids.contributions[0], ids.contributions[2]]);
    const byBob = await call("datanet_getContributions", { contributor: bob.bech32 });
    expect(byBob.items).toHaveLength(3);
    expect(byBob.items.every((c) => c.contributor === bob.bech32)).toBe(true);
    const byAlice = await call("datanet_getContributions", { datanetId: ids.datanet, contributor: alice.bech32 });
    expect(byAlice.items).toEqual([]);
    const past = await call("datanet_getContributions", {
      datanetId: ids.datanet,
      height: heights.contributed,
    });
    expect(past.items.map((c) => c.status)).toEqual(["pending", "pending", "pending"]);
    expect(past.items[0].reviewer).toBeNull();
    expect(reason(await failure("datanet_getContributions", { datanetId: 999 }))).toBe("NOT_FOUND");
    expect((await failure("datanet_getContributions", {})).code).toBe(-32602);
  });

  it("datanet_getVersion: the root over the accepted contributions; NOT_FOUND for a version not published", async () => {
    // The chain keeps committing: the latest height is taken before the call, which reads at it or later.
    const latest = chain.node.app.info().height;
    const v = await call("datanet_getVersion", { datanetId: ids.datanet, version: 1 });
    // height is the version's publish height, whatever height it is read at (queriedHeight says that one).
    expect(latest).toBeGreaterThan(heights.published);
    expect(v).toMatchObject({ datanetId: ids.datanet, version: 1, count: 2, height: heights.published });
    expect(v.queriedHeight).toBeGreaterThanOrEqual(latest);
    const later = await call("datanet_getVersion", { datanetId: ids.datanet, version: 1, height: heights.published + 1 });
    expect(later).toMatchObject({ height: heights.published, queriedHeight: heights.published + 1 });
    expect(v.root).toMatch(/^[0-9a-f]{64}$/);
    const missing = await failure("datanet_getVersion", { datanetId: ids.datanet, version: 2 });
    expect(reason(missing)).toBe("NOT_FOUND");
    expect(missing.message).toMatch(/has no version 2/);
  });

  it("datanet_proveMembership: a proof that verifies against the version root, for each leaf", async () => {
    const { root } = await call("datanet_getVersion", { datanetId: ids.datanet, version: 1 });
    for (const [index, contributionId] of [ids.contributions[0], ids.contributions[2]].entries()) {
      const p = await call(
        "datanet_proveMembership",
        { datanetId: ids.datanet, version: 1, contributionId },
      );
      expect(p).toMatchObject({ contributionId, index, count: 2, root, versionProof: { value: { root, count: 2 } } });
      expect(p.contentHash).toBe(toHex(hash(`item ${index === 0 ? 1 : 3}`)));
      const proof = p.proof.map((h) => fromHex(h) as Uint8Array);
      const leaf = fromHex(p.contentHash) as Uint8Array;
      const rootBytes = fromHex(root) as Uint8Array;
      expect(verifyMerkleProof(leaf, p.index, p.count, proof, rootBytes)).toBe(true);
      expect(verifyMerkleProof(leaf, 1 - p.index, p.count, proof, rootBytes)).toBe(false); // not at another index
    }
    const rejected = await failure("datanet_proveMembership", { datanetId: ids.datanet, version: 1, contributionId: ids.contributions[1] });
    expect(reason(rejected)).toBe("NOT_FOUND");
    expect(rejected.message).toMatch(/is not in datanet/);
    const atPublish = await call("datanet_proveMembership", {
      datanetId: ids.datanet,
      version: 1,
      contributionId: ids.contributions[0],
      height: heights.published,
    });
    // The version record is proved at the latest height: a published version never changes.
    expect(atPublish).toMatchObject({ root, height: heights.published, versionProof: { value: { root } } });
    // height is the version's publish height, not the height asked (queriedHeight).
    const atLatest = await call("datanet_proveMembership", {
      datanetId: ids.datanet,
      version: 1,
      contributionId: ids.contributions[0],
    });
    expect(atLatest).toMatchObject({ height: heights.published });
    expect(atLatest.queriedHeight).toBeGreaterThan(heights.published);
  });
});

describe("VersionTreeCache (datanet_proveMembership's built trees)", () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i)));
  const version = (datanetId: number, v: number, count: number) => ({
    datanetId, version: v, count, height: 1, root: count > 100 ? new Uint8Array(32) : merkleRootOfHashes(leaves(count)),
  });

  it("builds a version's tree once, then proves any leaf from it; least recently used out first", () => {
    const cache = new VersionTreeCache(2, 1000);
    let reads = 0;
    const leafAt = (i: number) => (reads++, leaves(10)[i]);
    const v1 = version(1, 1, 10);
    const tree = cache.tree(v1, leafAt);
    expect(tree.root()).toEqual(v1.root);
    expect(cache.tree(v1, leafAt).proof(3)).toEqual(merkleProof(leaves(10), 3));
    expect([cache.builds, reads]).toEqual([1, 10]); // the second proof read no leaf
    cache.tree(version(1, 2, 10), leafAt);
    cache.tree(v1, leafAt); // now the most recently used
    cache.tree(version(2, 1, 10), leafAt); // evicts datanet 1 version 2
    expect(cache.size).toBe(2);
    cache.tree(v1, leafAt);
    expect(cache.builds).toBe(3);
    cache.tree(version(1, 2, 10), leafAt);
    expect(cache.builds).toBe(4);
  });

  it("keeps the leaves it holds within its budget, and refuses versions over MAX_PROOF_LEAVES", () => {
    const cache = new VersionTreeCache(8, 25);
    for (const d of [1, 2, 3]) cache.tree(version(d, 1, 10), (i) => leaves(10)[i]);
    expect(cache.size).toBe(2); // 30 leaves > 25: the oldest went
    let err: unknown;
    try {
      cache.tree(version(1, 9, MAX_PROOF_LEAVES + 1), () => {
        throw new Error("must not read a leaf");
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RpcError);
    expect(reason(err as RpcError)).toBe("LIMIT_EXCEEDED");
    expect((err as RpcError).message).toMatch(
      /has 1000001 contributions; this node proves membership in versions of at most 1000000/,
    );
  });
});

describe("model methods", () => {
  it("model_get: the record and its lineage (an adapter inherits its parent's datanet versions)", async () => {
    const m = await call("model_get", { id: ids.model });
    expect(m).toMatchObject({
      id: ids.model,
      owner: alice.bech32,
      kind: "model",
      baseModel: "llama",
      price: ONE_OPEN.toString(),
      weightsHash: toHex(hash("w")),
      parentId: 0,
      lineage: [{ datanetId: ids.datanet, version: 1 }],
      ancestors: [],
    });
    const a = await call("model_get", { id: ids.adapter });
    expect(a).toMatchObject({
      kind: "adapter",
      parentId: ids.model,
      baseModel: "llama",
      trainedOn: [],
      lineage: [{ datanetId: ids.datanet, version: 1 }],
      ancestors: [ids.model],
    });
    expect((await failure("model_get", { id: 999 })).message).toBe("model 999 does not exist");
  });

  it("model_list: all over pages, and through each index", async () => {
    const all = await allPages("model_list", {}, 1);
    expect(all.map((m) => m.id)).toEqual([ids.model, ids.adapter]);
    const list = async (params: Record<string, unknown>) =>
      (await call("model_list", params)).items.map((m) => m.id);
    expect(await list({ owner: bob.bech32 })).toEqual([ids.adapter]);
    expect(await list({ baseModel: "llama" })).toEqual([ids.model, ids.adapter]);
    expect(await list({ baseModel: "gpt" })).toEqual([]);
    expect(await list({ datanetId: ids.datanet })).toEqual([ids.model]);
    expect(await list({ owner: alice.bech32, baseModel: "llama" })).toEqual([ids.model]);
    expect(await list({ height: heights.published })).toEqual([]);
  });
});

describe("attribution methods", () => {
  it("attribution_getInference: the paid and recorded inference; its paid state at a past height", async () => {
    const i = await call("attribution_getInference", { id: ids.inference });
    expect(i).toMatchObject({
      id: ids.inference,
      modelId: ids.model,
      payer: faucet.bech32,
      price: ONE_OPEN.toString(),
      status: "recorded",
      operator: alice.bech32,
      outputHash: toHex(hash("out")),
    });
    const paid = await call("attribution_getInference", { id: ids.inference, height: i.createdHeight as number });
    expect(paid).toMatchObject({ status: "paid", operator: null, outputHash: null, weights: [] });
    expect(reason(await failure("attribution_getInference", { id: 999 }))).toBe("NOT_FOUND");
  });

  it("attribution_listInferences: by model, payer and contribution; exactly one filter", async () => {
    const list = async (params: Record<string, unknown>) =>
      (await call("attribution_listInferences", params)).items.map((x) => x.id);
    expect(await list({ modelId: ids.model })).toEqual([ids.inference]);
    expect(await list({ modelId: ids.adapter })).toEqual([]);
    expect(await list({ payer: faucet.bech32 })).toEqual([ids.inference]);
    expect(await list({ contributionId: ids.contributions[0] })).toEqual([ids.inference]);
    // contribution 3 is credited only through the whole-version weight: listed all the same
    expect(await list({ contributionId: ids.contributions[2] })).toEqual([ids.inference]);
    expect(await list({ contributionId: ids.contributions[1] })).toEqual([]); // rejected: in no version
    const both = await failure("attribution_listInferences", { modelId: ids.model, payer: faucet.bech32 });
    expect(both.code).toBe(-32602);
    expect(both.message).toMatch(/exactly one/);
  });

  it("attribution_getPayouts: every credit the record made, direct and through the version, summing to the price", async () => {
    const p = await call("attribution_getPayouts", { inferenceId: ids.inference });
    // 1 OPEN: 10% treasury, 30% owner, 60% data: half to contribution 1 (weight 0), half over version 1's two
    // accepted contributions (weight 1: contributions 1 and 3).
    expect(p).toMatchObject({
      inferenceId: ids.inference,
      modelId: ids.model,
      price: ONE_OPEN.toString(),
      treasury: (ONE_OPEN / 10n).toString(),
      owner: { address: alice.bech32, amount: ((ONE_OPEN * 3n) / 10n).toString() },
    });
    const credit = (weight: number, contributionId: number, amount: bigint) =>
      ({ weight, contributionId, contributor: bob.bech32, amount: amount.toString() });
    expect(p.contributions).toEqual([
      credit(0, ids.contributions[0], (ONE_OPEN * 3n) / 10n),
      credit(1, ids.contributions[0], (ONE_OPEN * 15n) / 100n),
      credit(1, ids.contributions[2], (ONE_OPEN * 15n) / 100n),
    ]);
    expect(p.weights).toHaveLength(2);
    const credited = p.contributions.reduce((sum, c) => sum + BigInt(c.amount), 0n);
    const total = BigInt(p.treasury) + BigInt(p.owner.amount) + credited;
    expect(total).toBe(ONE_OPEN); // exactly the price: nothing made or lost
    // Stored at record time, in the state: provable like any record.
    const proof = await call("state_getProof", { key: { payouts: ids.inference } });
    expect((proof.value as { treasury?: string } | null)?.treasury).toBe(p.treasury);
    const proved = await call("attribution_getPayouts", { inferenceId: ids.inference, prove: true });
    expect(proved.proof?.value).not.toBeNull();
    // Before the record, and for an inference that does not exist: a clear NOT_FOUND.
    const unrecorded = await failure("attribution_getPayouts", { inferenceId: ids.inference, height: p.recordedHeight - 1 });
    expect(reason(unrecorded)).toBe("NOT_FOUND");
    expect(unrecorded.message).toMatch(/not recorded/);
    expect(reason(await failure("attribution_getPayouts", { inferenceId: 999 }))).toBe("NOT_FOUND");
  });

  it("attribution_getRewards: accrued, claimed and the breakdown by source", async () => {
    // 1 OPEN: 10% treasury, 30% owner, 60% data; half of the data share to contribution 1, half split
    // between version 1's two contributions.
    const r = await call("attribution_getRewards", { address: bob.bech32 });
    expect(r.accrued).toBe(((ONE_OPEN * 6n) / 10n).toString());
    expect(r.claimed).toBe("0");
    const bobsSources = [
      { source: "contribution", id: ids.contributions[0], amount: ((ONE_OPEN * 45n) / 100n).toString() },
      { source: "contribution", id: ids.contributions[2], amount: ((ONE_OPEN * 15n) / 100n).toString() },
    ];
    expect(r.breakdown).toEqual(bobsSources);
    expect(r.nextCursor).toBeNull();
    // The breakdown is paged like every list: one source a page, following nextCursor.
    const first = await call("attribution_getRewards", { address: bob.bech32, limit: 1 });
    expect(first).toMatchObject({ accrued: r.accrued, breakdown: [bobsSources[0]] });
    expect(first.nextCursor).toMatch(/^[0-9a-f]{18}$/);
    const second = await call("attribution_getRewards", { address: bob.bech32, limit: 1, cursor: first.nextCursor ?? undefined });
    expect(second).toMatchObject({ accrued: r.accrued, breakdown: [bobsSources[1]] });
    // a full page always has a cursor (as every list's); the page after the last source is empty
    const third = await call("attribution_getRewards", { address: bob.bech32, limit: 1, cursor: second.nextCursor ?? undefined });
    expect(third).toMatchObject({ breakdown: [], nextCursor: null });
    expect((await failure("attribution_getRewards", { address: bob.bech32, limit: 101 })).code).toBe(-32602);
    expect(reason(await failure("attribution_getRewards", { address: bob.bech32, cursor: "00" }))).toBe("INVALID_CURSOR");
    const owner = await call("attribution_getRewards", { address: alice.bech32 });
    expect(owner.breakdown).toEqual([{ source: "model", id: ids.model, amount: ((ONE_OPEN * 3n) / 10n).toString() }]);

    const [claim] = await send([bob, { type: "claim_rewards" }]);
    const after = await call("attribution_getRewards", { address: bob.bech32 });
    expect(after).toMatchObject({ accrued: "0", claimed: ((ONE_OPEN * 6n) / 10n).toString() });
    const before = await call("attribution_getRewards", { address: bob.bech32, height: claim.height - 1 });
    expect(before).toMatchObject({ accrued: ((ONE_OPEN * 6n) / 10n).toString(), claimed: "0" });
  });

  it("attribution_getEarnings: by contribution, datanet and model", async () => {
    const earned = async (params: ParamsOf<"attribution_getEarnings">) => call("attribution_getEarnings", params);
    expect(await earned({ contributionId: ids.contributions[0] })).toMatchObject({
      kind: "contribution",
      id: ids.contributions[0],
      total: ((ONE_OPEN * 45n) / 100n).toString(),
    });
    expect((await earned({ datanetId: ids.datanet })).total).toBe(((ONE_OPEN * 6n) / 10n).toString());
    expect((await earned({ modelId: ids.model })).total).toBe(((ONE_OPEN * 3n) / 10n).toString());
    expect((await earned({ modelId: ids.adapter })).total).toBe("0");
    expect(reason(await failure("attribution_getEarnings", { modelId: 999 }))).toBe("NOT_FOUND");
    expect((await failure("attribution_getEarnings", {})).code).toBe(-32602);
  });
});

describe("params and list errors", () => {
  it("chain_getParams: every parameter, amounts as strings", async () => {
    const p = await call("chain_getParams", {});
    const { height, ...params } = p;
    expect(height).toEqual(expect.any(Number));
    expect(params).toEqual(jsonValue(DEFAULT_PARAMS));
    const minFee = DEFAULT_PARAMS.minFee.toString();
    expect(p).toMatchObject({ minFee, staking: { minSelfStake: ONE_OPEN.toString() } });
  });

  it("a cursor that is not one a list returned, and a bad limit, are refused", async () => {
    expect(reason(await failure("datanet_list", { cursor: "zz" }))).toBe("INVALID_CURSOR");
    expect(reason(await failure("staking_getValidators", { cursor: "00" }))).toBe("INVALID_CURSOR");
    expect((await failure("model_list", { limit: 101 })).code).toBe(-32602);
    expect((await failure("model_list", { limit: 0 })).code).toBe(-32602);
    expect((await failure("datanet_get", { id: 0 })).code).toBe(-32602);
  });
});

describe("tx_search over the economy's events", () => {
  interface Found {
    items: {
      tx: { msg: { type: string } };
      result: { events: { type: string; attributes: Record<string, string> }[] };
    }[];
  }
  const search = (params: Record<string, unknown>) => call("tx_search", { limit: 100, ...params }) as Promise<Found>;

  it("finds txs by the ids in their events (datanet, contribution, inference), by owner and contributor", async () => {
    const contributions = await search({ event: { type: "contribute", attribute: "datanet", value: String(ids.datanet) } });
    expect(contributions.items.map((i) => i.tx.msg.type)).toEqual(["contribute", "contribute", "contribute"]);
    expect(contributions.items.map((i) => Number(i.result.events.at(-1)?.attributes.id))).toEqual(ids.contributions);
    // Everything that named the datanet: created, contributed to, reviewed, published.
    const created = await search({ event: { type: "create_datanet", attribute: "id", value: String(ids.datanet) } });
    expect(created.items).toHaveLength(1);
    const reviews = await search({ event: { type: "review_contribution", attribute: "datanet", value: String(ids.datanet) } });
    expect(reviews.items).toHaveLength(3);
    const inference = await search({ event: { type: "record_inference", attribute: "id", value: String(ids.inference) } });
    expect(inference.items).toHaveLength(1);
    // By address: bob's contributions and his own datanet; alice as the datanet's owner.
    const bobs = await search({ address: bob.bech32, type: "contribute" });
    expect(bobs.items).toHaveLength(3);
    const owner = await search({ event: { type: "create_datanet", attribute: "owner", value: alice.bech32 } });
    expect(owner.items.map((i) => i.result.events.at(-1)?.attributes.name)).toEqual(["corpus"]);
    expect((await search({ type: "create_datanet" })).items).toHaveLength(2);
  });
});
